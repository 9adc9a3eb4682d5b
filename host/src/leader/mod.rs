//! Which replica leads: the one that fires cron jobs and delivers their runs.
//!
//! One process alone (the embedded store) always leads ([`Leadership::always`]). Replicas
//! sharing a kube store elect a leader through a `coordination.k8s.io` Lease ([`lease`]),
//! following client-go's leaderelection: acquire and renew are a replace on the Lease's
//! `resourceVersion`, and a candidate takes over only when the record has not changed for
//! the lease's duration, as timed by its own clock since it last saw a change.
//!
//! **Fencing.** A leader's term ends [`LeaderTimings::renew_deadline`] after the start of its
//! last successful renew, whether or not its elector ever runs again (a process stopped by
//! SIGSTOP, a connection cut). Another replica can acquire only after
//! [`LeaderTimings::lease_duration`] without a change it saw, which began after that renew
//! started: the terms never overlap, with `lease_duration - renew_deadline` to spare.
//! [`Leadership::is_leading`] reads the monotonic clock on every call, so a leader checks
//! its term right before it claims a run or sends one.
//!
//! Safety does not rest on the lease: a run is claimed by a compare-and-swap on its job's
//! next time (`CronStore::claim_run`), and every delivery of it carries the same
//! `Idempotency-Key`. The lease keeps replicas from contending.

pub mod lease;

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// client-go's defaults (15 s, 10 s, 2 s); `[leader]` in `policies/crons.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderTimings {
    /// How long a lease not renewed keeps others out.
    pub lease_duration: Duration,
    /// How long after the start of its last successful renew a leader stops leading.
    pub renew_deadline: Duration,
    /// How often a leader renews, and a candidate tries to acquire.
    pub retry_period: Duration,
}

impl Default for LeaderTimings {
    fn default() -> Self {
        Self {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

impl LeaderTimings {
    /// The order client-go requires: `retry < renew deadline < lease duration`.
    pub fn check(&self) -> Result<(), String> {
        if self.retry_period.is_zero()
            || self.retry_period >= self.renew_deadline
            || self.renew_deadline >= self.lease_duration
        {
            return Err(format!(
                "[leader] needs retry_period ({:?}) < renew_deadline ({:?}) < lease_duration ({:?})",
                self.retry_period, self.renew_deadline, self.lease_duration
            ));
        }
        Ok(())
    }
}

/// Where this replica stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Following,
    /// Leading until `until` (monotonic), unless a renew moves it on.
    Leading {
        until: Instant,
    },
}

/// A replica's view of its own leadership: cheap to clone, checked at every use.
#[derive(Clone)]
pub struct Leadership {
    term: watch::Receiver<Term>,
    /// Keeps [`Leadership::always`]'s channel open.
    _always: Option<std::sync::Arc<watch::Sender<Term>>>,
}

/// Far enough to never end, near enough not to overflow the clock.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

impl Leadership {
    /// The only replica: leads from now on.
    pub fn always() -> Self {
        let sender = watch::Sender::new(Term::Leading {
            until: Instant::now() + FOREVER,
        });
        Self {
            term: sender.subscribe(),
            _always: Some(std::sync::Arc::new(sender)),
        }
    }

    /// Follows what an elector publishes.
    pub(crate) fn following(term: watch::Receiver<Term>) -> Self {
        Self {
            term,
            _always: None,
        }
    }

    /// Whether this replica leads at this instant (its term has not run out).
    pub fn is_leading(&self) -> bool {
        matches!(*self.term.borrow(), Term::Leading { until } if Instant::now() < until)
    }

    /// Waits until this replica leads.
    pub async fn leading(&self) {
        let mut term = self.term.clone();
        loop {
            if self.is_leading() {
                return;
            }
            if term.changed().await.is_err() {
                // The elector stopped: never again.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Resolves once this replica no longer leads: its term ran out or the elector said so.
    pub async fn lost(&self) {
        let mut term = self.term.clone();
        loop {
            let until = match *term.borrow_and_update() {
                Term::Leading { until } if Instant::now() < until => until,
                _ => return,
            };
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                changed = term.changed() => if changed.is_err() { return },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_term_ends_at_its_deadline_without_any_word_from_the_elector() {
        let (tx, rx) = watch::channel(Term::Following);
        let leadership = Leadership::following(rx);
        assert!(!leadership.is_leading());
        tx.send_replace(Term::Leading {
            until: Instant::now() + Duration::from_millis(100),
        });
        assert!(leadership.is_leading());
        tokio::time::timeout(Duration::from_secs(5), leadership.lost())
            .await
            .expect("the term ran out");
        assert!(!leadership.is_leading(), "nothing was renewed");
    }

    #[tokio::test]
    async fn a_renew_moves_the_end_on() {
        let (tx, rx) = watch::channel(Term::Leading {
            until: Instant::now() + Duration::from_millis(150),
        });
        let leadership = Leadership::following(rx);
        let lost = tokio::spawn({
            let leadership = leadership.clone();
            async move { leadership.lost().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tx.send_replace(Term::Leading {
            until: Instant::now() + Duration::from_secs(60),
        });
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(!lost.is_finished(), "the renew kept the term");
        assert!(leadership.is_leading());
        tx.send_replace(Term::Following);
        tokio::time::timeout(Duration::from_secs(5), lost)
            .await
            .expect("stepping down ends it")
            .unwrap();
    }

    #[test]
    fn timings_keep_client_go_order() {
        assert!(LeaderTimings::default().check().is_ok());
        let bad = LeaderTimings {
            renew_deadline: Duration::from_secs(15),
            ..LeaderTimings::default()
        };
        assert!(bad.check().is_err());
    }

    #[tokio::test]
    async fn the_only_replica_always_leads() {
        let leadership = Leadership::always();
        assert!(leadership.is_leading());
        tokio::time::timeout(Duration::from_secs(1), leadership.leading())
            .await
            .unwrap();
    }
}
