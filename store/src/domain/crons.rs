//! Friends' cron jobs and the record of their runs (the newest few per job).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub friend: String,
    pub name: String,
    pub message: String,
    pub cron: String,
    pub session: String,
    pub tz: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    /// The next time the job fires; `None` while disabled or when it never fires again.
    pub next_run: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    Scheduled,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Being delivered (retries included).
    Pending,
    /// The agent gateway accepted it (admitted the agent run).
    Delivered,
    /// No gateway is configured: it waits in the local outbox.
    Queued,
    /// Written by earlier versions for either of the two above.
    Ok,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Delivered => "delivered",
            RunStatus::Queued => "queued",
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
        }
    }
}

/// One run of a job: `{"at","trigger","status","error","scheduled_for","attempts"}`.
/// Records of earlier versions lack the last two: `null` and 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub at: DateTime<Utc>,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub error: Option<String>,
    /// The schedule's time this run stands for; `None` for a manual run.
    #[serde(default)]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Delivery attempts made (0 while the first is under way, or when nothing was sent).
    #[serde(default)]
    pub attempts: u32,
    /// The replica that recorded the run (`PORTAL_REPLICA_ID`); `None` in records of
    /// earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<String>,
}

/// Where a run record lives, so that delivery can finish it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunId {
    pub friend: String,
    pub job: String,
    /// Unique in the store, increasing within a job, and the same on every retry of the
    /// run's delivery.
    pub seq: u64,
}

/// How a claim of a job's scheduled time ended ([`CronStore::claim_run`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The job moved on to its next time. The run is the one recorded (pending), or
    /// `None` when none was given or its time had been claimed before.
    Claimed(Option<RunId>),
    /// The job's next time was no longer the one read: another replica claimed it, or the
    /// job was edited, disabled or deleted. The job as it now stands.
    Moved(Option<Job>),
}

/// Why a job was not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRefusal {
    /// The friend has a job of that name.
    Exists,
    /// The friend already has `max` jobs.
    Limit { max: usize },
}

#[async_trait]
pub trait CronStore: Send + Sync {
    async fn job(&self, friend: &str, name: &str) -> StoreResult<Option<Job>>;

    /// Adds a job unless the friend has one of that name or already has `max`; exact
    /// under concurrent creates.
    async fn create_job(&self, job: &Job, max: usize) -> StoreResult<Result<(), JobRefusal>>;

    /// Replaces a job (its name and friend say which), or adds it.
    async fn put_job(&self, job: &Job) -> StoreResult<()>;

    /// Removes a job and its runs; `false` if there was none.
    async fn remove_job(&self, friend: &str, name: &str) -> StoreResult<bool>;

    /// The friend's jobs in name order.
    async fn jobs_of(&self, friend: &str) -> StoreResult<Vec<Job>>;

    async fn job_count(&self, friend: &str) -> StoreResult<usize>;

    async fn all_jobs(&self) -> StoreResult<Vec<Job>>;

    /// Appends a run of the job, keeping its newest `kept` runs only.
    async fn add_run(&self, friend: &str, name: &str, run: &Run, kept: usize)
    -> StoreResult<RunId>;

    /// Records how a run ended, unless its job (and so the run) was deleted meanwhile.
    /// `attempts`: the delivery attempts made, or `None` to keep the count on record.
    async fn finish_run(
        &self,
        run: &RunId,
        status: RunStatus,
        error: Option<String>,
        attempts: Option<u32>,
    ) -> StoreResult<()>;

    /// The newest `limit` runs of a job, newest first.
    async fn runs(&self, friend: &str, name: &str, limit: usize) -> StoreResult<Vec<Run>>;

    /// Claims the job's time `expected` (its `next_run` as read), in one atomic step: if
    /// the job is enabled and its `next_run` is still `expected`, sets it to `next` and,
    /// when `run` is given and its `scheduled_for` is later than every time claimed before,
    /// appends it (keeping the newest `kept`). A scheduled time is recorded at most once,
    /// whichever replica claims it and whatever edits race with the claim.
    async fn claim_run(
        &self,
        friend: &str,
        name: &str,
        expected: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        run: Option<&Run>,
        kept: usize,
    ) -> StoreResult<Claim>;

    /// Every run still pending (being delivered, or left so by a replica that stopped),
    /// oldest first.
    async fn pending_runs(&self) -> StoreResult<Vec<(RunId, Run)>>;

    /// Moves on whenever a job changes by a write this process may not have seen (another
    /// replica's); `None` where every write is this process's own (the embedded store).
    fn job_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
