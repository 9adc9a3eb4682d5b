//! A run's life: recorded as pending, made durable, then delivered in the background and
//! finished with its outcome. A run whose session is no longer its friend's (a chat given
//! up, a friendship ended) is recorded as failed and never sent.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};

use super::delivery::Message;
use super::jobs::{self, Job, Run, RunStatus, Trigger};
use super::{JobError, Scheduler, session_rules};

/// A run on record (pending) and what its delivery sends.
pub(super) struct Recorded {
    key: jobs::RunKey,
    message: Message,
}

impl Scheduler {
    /// Records a pending run; [`Scheduler::flush_and_deliver`] delivers it once the record
    /// is on disk. Caller holds the lock (and flushes before releasing it). A run whose
    /// session is no longer its friend's is recorded as failed instead, and nothing is sent.
    pub(super) fn start_run(
        &self,
        job: &Job,
        trigger: Trigger,
        now: DateTime<Utc>,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<Run, JobError> {
        if let Some(refused) = self.refuse_foreign_session(job, trigger, now, scheduled_for)? {
            return Ok(refused);
        }
        let run = Run {
            at: now,
            trigger,
            status: RunStatus::Pending,
            error: None,
            scheduled_for,
            attempts: 0,
        };
        let key = self.inner.jobs.add_run(&job.friend, &job.name, &run)?;
        let message = Message {
            run_id: key.id(),
            friend: job.friend.clone(),
            name: job.name.clone(),
            session_key: job.session.clone(),
            message: job.message.clone(),
            trigger,
            at: now,
            scheduled_for,
        };
        self.recorded().push(Recorded { key, message });
        Ok(run)
    }

    fn recorded(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        self.inner
            .recorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the runs just recorded durable, then starts their deliveries: a crash once a
    /// delivery has begun still finds its run (pending, then failed at the next start). If
    /// the flush fails, nothing is delivered and the runs are marked failed.
    pub(super) async fn flush_and_deliver(&self) -> Result<(), JobError> {
        let flushed = self.inner.jobs.flush().await;
        let recorded = std::mem::take(&mut *self.recorded());
        if let Err(e) = flushed {
            for run in &recorded {
                let error = "the run could not be recorded on disk, so it was not delivered";
                let _ = self.inner.jobs.finish_run(
                    &run.key,
                    RunStatus::Failed,
                    Some(error.into()),
                    Some(0),
                );
            }
            return Err(e.into());
        }
        for run in recorded {
            self.deliver(run);
        }
        Ok(())
    }

    /// Delivers a recorded run in the background and records how it ended.
    fn deliver(&self, Recorded { key, message }: Recorded) {
        let inner = self.inner.clone();
        inner.inflight.count.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let outcome = {
                // Never closed: the slots live as long as the scheduler.
                let _turn = inner.delivering.take(&message.friend).await;
                inner.delivery.deliver(&message).await
            };
            let (status, error) = match outcome.result {
                Ok(status) => (status, None),
                Err(e) => (RunStatus::Failed, Some(e)),
            };
            if let Err(e) = inner
                .jobs
                .finish_run(&key, status, error, Some(outcome.attempts))
            {
                tracing::error!(error = %e, "could not record a cron run's outcome");
            }
            if let Err(e) = inner.jobs.flush().await {
                tracing::error!(error = %e, "could not flush the scheduler's store");
            }
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
    fn refuse_foreign_session(
        &self,
        job: &Job,
        trigger: Trigger,
        now: DateTime<Utc>,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<Option<Run>, JobError> {
        let refusal = match self.inner.store.friend(&job.friend)? {
            Some(friend) => {
                let agents = self.agents_of(&job.friend)?;
                session_rules::check(&friend, &agents, None, &job.session).err()
            }
            None => Some(session_rules::Refusal::NotTheirChat),
        };
        let Some(refusal) = refusal else {
            return Ok(None);
        };
        tracing::warn!(friend = %job.friend, job = %job.name, why = ?refusal, "cron run not delivered: its session is no longer the friend's");
        let run = Run {
            at: now,
            trigger,
            status: RunStatus::Failed,
            error: Some(refusal.run_error().to_owned()),
            scheduled_for,
            attempts: 0,
        };
        self.inner.jobs.add_run(&job.friend, &job.name, &run)?;
        Ok(Some(run))
    }
}
