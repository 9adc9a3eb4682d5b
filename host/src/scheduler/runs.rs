//! A run's life: recorded as pending, made durable, then delivered in the background by
//! the leading replica and finished with its outcome. A run whose session is no longer its
//! friend's (a chat given up, a friendship ended) is recorded as failed and never sent.
//!
//! Only the leader sends ([`crate::leader`]). A run recorded by another replica (a manual
//! run asked of it), or left pending by a leader that stopped, is sent by the leader when
//! it sees it ([`Scheduler::deliver_pending`]), with the key the run always had.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use chrono::{DateTime, TimeDelta, Utc};

use super::delivery::{Ending, Message, Outcome, idempotency_key};
use super::jobs::{self, Job, Run, RunStatus, Trigger};
use super::{JobError, Scheduler, session_rules};

/// The error of a run found pending too late to send.
pub const TOO_LATE: &str = "not sent: the portal stopped while sending it, and when it was back the time had passed (later than the grace window allows)";

/// A run on record (pending) and what its delivery sends.
pub(super) struct Recorded {
    key: jobs::RunId,
    message: Message,
}

impl Recorded {
    pub(super) fn new(job: &Job, run: &Run, key: jobs::RunId) -> Self {
        let message = Message {
            key: idempotency_key(job, run.scheduled_for, key.seq),
            friend: job.friend.clone(),
            name: job.name.clone(),
            session_key: job.session.clone(),
            message: job.message.clone(),
            trigger: run.trigger,
            at: run.at,
            scheduled_for: run.scheduled_for,
        };
        Self { key, message }
    }
}

/// Runs this replica is delivering, so that it never sends one twice at once.
#[derive(Default)]
pub(super) struct Sending(std::sync::Mutex<HashSet<jobs::RunId>>);

impl Sending {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<jobs::RunId>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Scheduler {
    /// The run a job starts now: pending, or failed (and never sent) when its session is
    /// no longer its friend's.
    pub(super) async fn new_run(
        &self,
        job: &Job,
        trigger: Trigger,
        now: DateTime<Utc>,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<Run, JobError> {
        let refusal = self.session_refusal(job).await?;
        if let Some(refusal) = &refusal {
            tracing::warn!(friend = %job.friend, job = %job.name, why = ?refusal, "cron run not delivered: its session is no longer the friend's");
        }
        Ok(Run {
            at: now,
            trigger,
            status: if refusal.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Pending
            },
            error: refusal.map(|r| r.run_error().to_owned()),
            scheduled_for,
            attempts: 0,
            replica: Some(self.inner.config.replica.clone()),
        })
    }

    /// Records a manual run, on disk when this returns; [`Scheduler::deliver_recorded`]
    /// delivers it. Caller holds the lock (and delivers before releasing it).
    pub(super) async fn start_manual_run(
        &self,
        job: &Job,
        now: DateTime<Utc>,
    ) -> Result<Run, JobError> {
        let run = self.new_run(job, Trigger::Manual, now, None).await?;
        let key = self
            .inner
            .jobs
            .add_run(&job.friend, &job.name, &run)
            .await?;
        if run.status == RunStatus::Pending {
            self.recorded().push(Recorded::new(job, &run, key));
        }
        Ok(run)
    }

    pub(super) fn recorded(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        self.inner
            .recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the deliveries of the runs just recorded, if this replica leads (else the
    /// leader sees them pending and sends them). Each record was durable before it was
    /// queued here, so a crash once a delivery has begun still finds its run pending.
    pub(super) fn deliver_recorded(&self) {
        let recorded = std::mem::take(&mut *self.recorded());
        if !self.inner.leadership.is_leading() {
            if !recorded.is_empty() {
                tracing::info!(
                    runs = recorded.len(),
                    "cron runs recorded; the leading replica sends them"
                );
            }
            return;
        }
        for run in recorded {
            self.deliver(run);
        }
    }

    /// Sends every pending run this replica is not sending already: those other replicas
    /// recorded, and those a leader that stopped left behind. One found later than the
    /// grace window is failed instead. Caller holds the lock. Returns how many it sent.
    pub(super) async fn deliver_pending(&self, now: DateTime<Utc>) -> Result<usize, JobError> {
        if !self.inner.leadership.is_leading() {
            return Ok(0);
        }
        let grace = TimeDelta::from_std(self.inner.config.grace).unwrap_or(TimeDelta::MAX);
        let mut sent = 0;
        for (key, run) in self.inner.jobs.pending().await? {
            if self.inner.sending.set().contains(&key) {
                continue;
            }
            let Some(job) = self.inner.jobs.get(&key.friend, &key.job).await? else {
                continue;
            };
            if now - run.scheduled_for.unwrap_or(run.at) > grace {
                tracing::warn!(friend = %key.friend, job = %key.job, at = %run.at, "a cron run left pending was found too late to send");
                self.inner
                    .jobs
                    .finish_run(&key, RunStatus::Failed, Some(TOO_LATE.into()), None)
                    .await?;
                continue;
            }
            tracing::info!(friend = %key.friend, job = %key.job, by = ?run.replica, "sending a cron run left pending");
            self.deliver(Recorded::new(&job, &run, key));
            sent += 1;
        }
        Ok(sent)
    }

    /// Delivers a recorded run in the background and records how it ended. A delivery cut
    /// short because this replica stopped leading leaves the run pending.
    fn deliver(&self, Recorded { key, message }: Recorded) {
        if !self.inner.sending.set().insert(key.clone()) {
            return;
        }
        let inner = self.inner.clone();
        inner.inflight.count.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let fence = &inner.leadership;
            let outcome = tokio::select! {
                outcome = async {
                    // Never closed: the slots live as long as the scheduler.
                    let _turn = inner.delivering.take(&message.friend).await;
                    inner.delivery.deliver(&message, fence).await
                } => outcome,
                () = fence.lost() => Outcome { ending: Ending::Abandoned, attempts: 0 },
            };
            let finished = match outcome.ending {
                Ending::Sent(status) => Some((status, None)),
                Ending::Failed(error) => Some((RunStatus::Failed, Some(error))),
                Ending::Abandoned => None,
            };
            if let Some((status, error)) = finished
                && let Err(e) = inner
                    .jobs
                    .finish_run(&key, status, error, Some(outcome.attempts))
                    .await
            {
                tracing::error!(error = %e, "could not record a cron run's outcome");
            }
            inner.sending.set().remove(&key);
            if inner.inflight.count.fetch_sub(1, Ordering::SeqCst) == 1 {
                inner.inflight.idle.notify_waiters();
            }
        });
    }

    /// Deliveries started and not yet finished.
    pub fn deliveries_in_flight(&self) -> usize {
        self.inner.inflight.count.load(Ordering::SeqCst)
    }

    /// The session was the friend's when the job was made, but platform ids change hands
    /// (a friend drops a number, another takes it) and friendships end: every part of it is
    /// checked again at every run.
    async fn session_refusal(&self, job: &Job) -> Result<Option<session_rules::Refusal>, JobError> {
        Ok(
            match self.inner.store.directory.friend(&job.friend).await? {
                Some(friend) => {
                    let agents = self.agents_of(&job.friend).await?;
                    session_rules::check(&friend, &agents, None, &job.session).err()
                }
                None => Some(session_rules::Refusal::NotTheirChat),
            },
        )
    }
}
