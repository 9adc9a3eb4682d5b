//! Jobs and their runs, as the scheduler uses them: the store's [`CronStore`] with the
//! number of runs kept per job, and [`JobView`], a job as the API shows it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use portal_store::{Claim, Job, JobRefusal, Run, RunId, RunStatus, Trigger};
use portal_store::{CronStore, Store, StoreResult};

/// A job with its last run: what the API and the `cron` interface show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    pub last_run: Option<Run>,
}

#[derive(Clone)]
pub struct JobStore {
    crons: Arc<dyn CronStore>,
    /// Runs kept per job ([`super::SchedulerConfig::runs_kept`]).
    runs_kept: usize,
}

impl JobStore {
    pub fn open(store: &Store, runs_kept: usize) -> Self {
        Self {
            crons: store.crons.clone(),
            runs_kept: runs_kept.max(1),
        }
    }

    pub async fn get(&self, friend: &str, name: &str) -> StoreResult<Option<Job>> {
        self.crons.job(friend, name).await
    }

    /// Adds the job unless the friend has one of that name or already has `max`.
    pub async fn create(&self, job: &Job, max: usize) -> StoreResult<Result<(), JobRefusal>> {
        self.crons.create_job(job, max).await
    }

    pub async fn put(&self, job: &Job) -> StoreResult<()> {
        self.crons.put_job(job).await
    }

    /// Removes the job and its runs; whether it existed.
    pub async fn remove(&self, friend: &str, name: &str) -> StoreResult<bool> {
        self.crons.remove_job(friend, name).await
    }

    /// One friend's jobs, by name.
    pub async fn of_friend(&self, friend: &str) -> StoreResult<Vec<Job>> {
        self.crons.jobs_of(friend).await
    }

    pub async fn count_of_friend(&self, friend: &str) -> StoreResult<usize> {
        self.crons.job_count(friend).await
    }

    /// Every job: read once at start to build the timer.
    pub async fn all(&self) -> StoreResult<Vec<Job>> {
        self.crons.all_jobs().await
    }

    pub async fn view(&self, job: Job) -> StoreResult<JobView> {
        let last_run = self
            .crons
            .runs(&job.friend, &job.name, 1)
            .await?
            .into_iter()
            .next();
        Ok(JobView { job, last_run })
    }

    /// Appends a run (durable when this returns) and drops the oldest beyond the limit.
    pub async fn add_run(&self, friend: &str, name: &str, run: &Run) -> StoreResult<RunId> {
        self.crons.add_run(friend, name, run, self.runs_kept).await
    }

    /// Records how a run ended, unless its job (and so the run) was deleted meanwhile.
    pub async fn finish_run(
        &self,
        run: &RunId,
        status: RunStatus,
        error: Option<String>,
        attempts: Option<u32>,
    ) -> StoreResult<()> {
        self.crons.finish_run(run, status, error, attempts).await
    }

    /// The newest `limit` runs of a job, newest first.
    pub async fn runs(&self, friend: &str, name: &str, limit: usize) -> StoreResult<Vec<Run>> {
        self.crons.runs(friend, name, limit).await
    }

    /// Claims the job's time `expected` (see [`CronStore::claim_run`]); `job.next_run` is
    /// its next time once claimed.
    pub async fn claim(
        &self,
        job: &Job,
        expected: DateTime<Utc>,
        run: Option<&Run>,
    ) -> StoreResult<Claim> {
        self.crons
            .claim_run(
                &job.friend,
                &job.name,
                expected,
                job.next_run,
                run,
                self.runs_kept,
            )
            .await
    }

    /// Every run still pending, oldest first.
    pub async fn pending(&self) -> StoreResult<Vec<(RunId, Run)>> {
        self.crons.pending_runs().await
    }

    /// Moves on when another replica changes a job; `None` with the embedded store.
    pub fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.crons.job_changes()
    }
}
