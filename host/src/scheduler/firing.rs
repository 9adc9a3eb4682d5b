//! Firing due jobs: each taken from the timer, its time claimed in the store (at most once,
//! whichever replica claims it), its run recorded, then delivered.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use futures::StreamExt;

use super::jobs::Claim;
use super::runs::Recorded;
use super::schedule::Schedule;
use super::{FIRING_AT_ONCE, JobError, RunStatus, Scheduler, Trigger, parse};

impl Scheduler {
    /// Fires every job due at the clock's now. Returns how many runs started.
    pub async fn tick(&self) -> usize {
        self.run_due(self.inner.clock.now()).await
    }

    /// Fires every job due at `now`, if this replica leads. Returns how many runs started.
    pub async fn run_due(&self, now: DateTime<Utc>) -> usize {
        if !self.inner.leadership.is_leading() {
            return 0;
        }
        let _guard = self.inner.lock.lock().await;
        let due = self.timer().take_due(now);
        if due.is_empty() {
            // Every create, toggle and delete wakes the timer; nothing to write then.
            return 0;
        }
        // Fired together, so that their writes share flushes (each is durable on its own).
        let fired: Vec<_> = futures::stream::iter(due)
            .map(|(_, (friend, name))| async move {
                let outcome = self.fire_due(now, &friend, &name).await;
                (friend, name, outcome)
            })
            .buffered(FIRING_AT_ONCE)
            .collect()
            .await;
        let mut started = 0;
        for (friend, name, outcome) in fired {
            match outcome {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(%friend, job = %name, error = %e, "cron job could not fire; retried in a minute");
                    self.timer()
                        .set((friend, name), Some(now + TimeDelta::minutes(1)));
                }
            }
        }
        self.deliver_recorded();
        started
    }

    /// One job taken from the timer as due: its time claimed in the store (at most once,
    /// whichever replica claims it) and its run recorded. Caller holds the lock; other due
    /// jobs fire meanwhile.
    async fn fire_due(
        &self,
        now: DateTime<Utc>,
        friend: &str,
        name: &str,
    ) -> Result<bool, JobError> {
        let id = (friend.to_owned(), name.to_owned());
        let Some(mut job) = self.inner.jobs.get(friend, name).await? else {
            return Ok(false);
        };
        let scheduled = match job.next_run {
            Some(at) if job.enabled && at <= now => at,
            // The timer was ahead of the record: follow the record.
            _ => {
                self.timer().set(id, job.next_run.filter(|_| job.enabled));
                return Ok(false);
            }
        };
        if self.inner.store.directory.friend(friend).await?.is_none() {
            self.inner.jobs.remove(friend, name).await?;
            tracing::info!(%friend, job = %name, "cron job removed: its friend no longer exists");
            return Ok(false);
        }
        let Some((schedule, tz)) = parse(&job) else {
            tracing::error!(%friend, job = %name, "stored cron job does not parse; disabled");
            job.enabled = false;
            job.next_run = None;
            self.inner.jobs.put(&job).await?;
            return Ok(false);
        };
        let due = self.due_within_grace(&schedule, tz, scheduled, now);
        // A job stored before the pace limits may run faster than they allow: never again
        // within the minimum interval of the time this run stands for.
        let interval =
            TimeDelta::from_std(self.inner.config.min_interval).unwrap_or(TimeDelta::MAX);
        let not_before = due
            .unwrap_or(scheduled)
            .checked_add_signed(interval - TimeDelta::seconds(1))
            .map_or(now, |t| t.max(now));
        job.next_run = schedule.next_after(not_before, tz);
        let run = match due {
            Some(due) => Some(
                self.new_run(&job, Trigger::Scheduled, now, Some(due))
                    .await?,
            ),
            None => None,
        };
        // The last check before the claim: a replica whose term ran out claims nothing.
        if !self.inner.leadership.is_leading() {
            self.timer().set(id, Some(scheduled));
            return Ok(false);
        }
        match self.inner.jobs.claim(&job, scheduled, run.as_ref()).await? {
            Claim::Claimed(recorded) => {
                self.timer().set(id, job.next_run);
                match (run, recorded) {
                    (Some(run), Some(key)) => {
                        if run.status == RunStatus::Pending {
                            self.recorded().push(Recorded::new(&job, &run, key));
                        }
                        Ok(true)
                    }
                    (Some(_), None) => {
                        tracing::info!(%friend, job = %name, %scheduled, "cron time already claimed: not run again");
                        Ok(false)
                    }
                    (None, _) => {
                        tracing::warn!(%friend, job = %name, %scheduled, grace_secs = self.inner.config.grace.as_secs(),
                            "cron run skipped: missed by more than the grace window");
                        Ok(false)
                    }
                }
            }
            Claim::Moved(current) => {
                let next = current.filter(|j| j.enabled).and_then(|j| j.next_run);
                self.timer().set(id, next);
                Ok(false)
            }
        }
    }

    /// The time this run stands for, if one of the job's times in `[now - grace, now]` was
    /// reached (`scheduled` being the first time not yet run): `scheduled` itself when it
    /// is within the window, else the first time inside it (runs missed while the host was
    /// down fire once).
    fn due_within_grace(
        &self,
        schedule: &Schedule,
        tz: Tz,
        scheduled: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let grace = TimeDelta::from_std(self.inner.config.grace).unwrap_or(TimeDelta::MAX);
        if now - scheduled <= grace {
            return Some(scheduled);
        }
        let window_start = now - grace - TimeDelta::seconds(1);
        schedule.next_after(window_start, tz).filter(|t| *t <= now)
    }
}
