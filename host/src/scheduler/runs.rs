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
    key: jobs::RunId,
    message: Message,
}

impl Scheduler {
    /// Records a pending run, on disk when this returns; [`Scheduler::deliver_recorded`]
    /// delivers it. Caller holds the lock (and delivers before releasing it). A run whose
    /// session is no longer its friend's is recorded as failed instead, and nothing is sent.
    pub(super) async fn start_run(
        &self,
        job: &Job,
        trigger: Trigger,
        now: DateTime<Utc>,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<Run, JobError> {
        if let Some(refused) = self
            .refuse_foreign_session(job, trigger, now, scheduled_for)
            .await?
        {
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
        let key = self
            .inner
            .jobs
            .add_run(&job.friend, &job.name, &run)
            .await?;
        let message = Message {
            run_id: key.seq,
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

    /// Starts the deliveries of the runs just recorded. Each record was durable before
    /// `add_run` returned, so a crash once a delivery has begun still finds its run
    /// (pending, then failed at the next start); a run that could not be recorded was
    /// refused there and is never delivered.
    pub(super) fn deliver_recorded(&self) {
        let recorded = std::mem::take(&mut *self.recorded());
        for run in recorded {
            self.deliver(run);
        }
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
                .await
            {
                tracing::error!(error = %e, "could not record a cron run's outcome");
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
    async fn refuse_foreign_session(
        &self,
        job: &Job,
        trigger: Trigger,
        now: DateTime<Utc>,
        scheduled_for: Option<DateTime<Utc>>,
    ) -> Result<Option<Run>, JobError> {
        let refusal = match self.inner.store.directory.friend(&job.friend).await? {
            Some(friend) => {
                let agents = self.agents_of(&job.friend).await?;
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
        self.inner
            .jobs
            .add_run(&job.friend, &job.name, &run)
            .await?;
        Ok(Some(run))
    }
}
