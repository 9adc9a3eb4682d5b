//! The elector: a `coordination.k8s.io/v1` Lease in the portal's namespace, acquired and
//! renewed as client-go's `leaderelection` does, every write a replace on the Lease's
//! `resourceVersion` (409 Conflict: another replica wrote first, and this attempt fails).
//!
//! Written here rather than taken from a crate: `kube-lease-manager` renews by Server-Side
//! Apply (a field-manager conflict, not a version), and the portal's fencing needs to know
//! exactly when each renew was sent (see the module above).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{LeaderTimings, Leadership, Term};

/// What the elector needs: where the Lease is, and who this replica is.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    /// `PORTAL_REPLICA_ID`: written as the Lease's holder.
    pub identity: String,
    pub timings: LeaderTimings,
}

/// The elector task; dropping it stops the task (without giving the lease up).
pub struct Elector {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Elector {
    /// Starts electing. The returned [`Leadership`] says, at any instant, whether this
    /// replica leads.
    pub fn start(client: kube::Client, config: LeaseConfig) -> (Self, Leadership) {
        let (term, watched) = watch::channel(Term::Following);
        let (stop, stopped) = watch::channel(false);
        let api = Api::namespaced(client, &config.namespace);
        let candidate = Candidate {
            api,
            config,
            observed: None,
            term,
        };
        let task = tokio::spawn(candidate.run(stopped));
        (
            Self {
                stop,
                task: Some(task),
            },
            Leadership::following(watched),
        )
    }

    /// Stops electing and, if this replica holds the lease, gives it up (as client-go's
    /// `ReleaseOnCancel`): the next leader takes over within a retry period rather than a
    /// lease duration. Call it once the work the lease guards has stopped.
    pub async fn release(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Elector {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The Lease as last seen, and when this replica saw it change (its own clock).
struct Observed {
    spec: LeaseSpec,
    version: Option<String>,
    at: Instant,
}

struct Candidate {
    api: Api<Lease>,
    config: LeaseConfig,
    observed: Option<Observed>,
    term: watch::Sender<Term>,
}

/// A retry period stretched by up to 20 %, so candidates spread out.
fn jittered(period: Duration) -> Duration {
    period + period.mul_f64(rand::random::<f64>() * 0.2)
}

impl Candidate {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let timings = self.config.timings;
        loop {
            if *stop.borrow() {
                break;
            }
            let started = Instant::now();
            let leading_until = match *self.term.borrow() {
                Term::Leading { until } => Some(until),
                Term::Following => None,
            };
            // One attempt never outlives the term it would renew.
            let budget = leading_until
                .map_or(timings.retry_period, |until| {
                    until.saturating_duration_since(started)
                })
                .max(Duration::from_millis(1));
            let held = match tokio::time::timeout(budget, self.try_acquire_or_renew()).await {
                Ok(Ok(held)) => held,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, lease = %self.config.name, "leader lease: the API server refused or failed");
                    false
                }
                Err(_) => false,
            };
            self.publish(held, started, leading_until);
            let wait = if held {
                timings.retry_period
            } else {
                jittered(timings.retry_period)
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        if matches!(*self.term.borrow(), Term::Leading { .. }) {
            self.term.send_replace(Term::Following);
            self.give_up().await;
        }
    }

    /// Publishes the outcome of one attempt started at `started`.
    fn publish(&self, held: bool, started: Instant, leading_until: Option<Instant>) {
        let now = Instant::now();
        let term = if held {
            Term::Leading {
                until: started + self.config.timings.renew_deadline,
            }
        } else {
            match leading_until {
                // A failed renew: still leading until the last good one's deadline.
                Some(until) if now < until => Term::Leading { until },
                _ => Term::Following,
            }
        };
        let before = *self.term.borrow();
        match (before, term) {
            (Term::Following, Term::Leading { .. }) => {
                tracing::info!(replica = %self.config.identity, lease = %self.config.name, "leading: this replica fires cron jobs now");
            }
            (Term::Leading { .. }, Term::Following) => {
                tracing::warn!(replica = %self.config.identity, lease = %self.config.name, "no longer leading: the lease was not renewed in time");
            }
            _ => {}
        }
        if before != term {
            self.term.send_replace(term);
        }
    }

    /// client-go's `tryAcquireOrRenew`: whether this replica holds the lease now.
    async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let identity = self.config.identity.clone();
        let now = MicroTime(Timestamp::now());
        let duration_secs =
            i32::try_from(self.config.timings.lease_duration.as_secs().max(1)).unwrap_or(i32::MAX);
        let Some(current) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(identity),
                    lease_duration_seconds: Some(duration_secs),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(made) => {
                    self.observe(&made);
                    Ok(true)
                }
                Err(e) if is_conflict(&e) => Ok(false),
                Err(e) => Err(e),
            };
        };
        self.observe(&current);
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let ours = holder == identity;
        if !holder.is_empty() && !ours && !self.expired(&spec) {
            return Ok(false);
        }
        let mut renewed = current.clone();
        renewed.spec = Some(LeaseSpec {
            holder_identity: Some(identity),
            lease_duration_seconds: Some(duration_secs),
            acquire_time: if ours {
                spec.acquire_time.clone()
            } else {
                Some(now.clone())
            },
            renew_time: Some(now),
            lease_transitions: Some(spec.lease_transitions.unwrap_or(0) + if ours { 0 } else { 1 }),
            ..spec
        });
        // `renewed` carries the version read: the replace fails if anyone wrote since.
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &renewed)
            .await
        {
            Ok(written) => {
                self.observe(&written);
                Ok(true)
            }
            Err(e) if is_conflict(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Notes the record, and when it last changed as this replica saw it.
    fn observe(&mut self, lease: &Lease) {
        let spec = lease.spec.clone().unwrap_or_default();
        let version = lease.metadata.resource_version.clone();
        let changed = self
            .observed
            .as_ref()
            .is_none_or(|seen| seen.spec != spec || seen.version != version);
        if changed {
            self.observed = Some(Observed {
                spec,
                version,
                at: Instant::now(),
            });
        }
    }

    /// Whether the holder's lease ran out: no change seen for the duration it states.
    fn expired(&self, spec: &LeaseSpec) -> bool {
        let secs = u64::try_from(spec.lease_duration_seconds.unwrap_or(0)).unwrap_or(0);
        self.observed
            .as_ref()
            .is_none_or(|seen| seen.at + Duration::from_secs(secs) <= Instant::now())
    }

    /// client-go's release: an empty holder and a one-second duration.
    async fn give_up(&mut self) {
        let Ok(Some(mut current)) = self.api.get_opt(&self.config.name).await else {
            return;
        };
        let Some(spec) = current.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        let now = MicroTime(Timestamp::now());
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.acquire_time = Some(now.clone());
        spec.renew_time = Some(now);
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &current)
            .await
        {
            Ok(_) => tracing::info!(replica = %self.config.identity, "gave up the leader lease"),
            Err(e) => {
                tracing::warn!(error = %e, "could not give up the leader lease; it runs out by itself")
            }
        }
    }
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.code == 409)
}
