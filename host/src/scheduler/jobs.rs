//! Jobs and their runs, persisted in sled.
//!
//! * `cron_jobs`: `friend \0 name` -> [`Job`] (JSON). A friend's jobs are one prefix scan.
//! * `cron_runs`: `friend \0 name \0 seq (BE)` -> [`Run`] (JSON), oldest first; only the
//!   newest [`super::SchedulerConfig::runs_kept`] of each job are kept.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreResult};

/// A job as stored. What the API shows is [`JobView`]: this plus its last run.
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    pub last_run: Option<Run>,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
        }
    }
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

/// Where a run record lives, so that delivery can finish it.
#[derive(Debug, Clone)]
pub struct RunKey(Vec<u8>);

impl RunKey {
    /// The run's id, unique in the data dir: the same on every retry of its delivery.
    pub fn id(&self) -> u64 {
        let tail = self.0.len().saturating_sub(8);
        u64::from_be_bytes(self.0[tail..].try_into().unwrap_or([0; 8]))
    }
}

#[derive(Clone)]
pub struct JobStore {
    store: Store,
    jobs: sled::Tree,
    runs: sled::Tree,
    runs_kept: usize,
}

fn job_key(friend: &str, name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(friend.len() + name.len() + 1);
    key.extend_from_slice(friend.as_bytes());
    key.push(0);
    key.extend_from_slice(name.as_bytes());
    key
}

fn runs_prefix(friend: &str, name: &str) -> Vec<u8> {
    let mut key = job_key(friend, name);
    key.push(0);
    key
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    Ok(serde_json::from_slice(bytes)?)
}

fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

impl JobStore {
    pub fn open(store: &Store, runs_kept: usize) -> StoreResult<Self> {
        Ok(Self {
            store: store.clone(),
            jobs: store.tree("cron_jobs")?,
            runs: store.tree("cron_runs")?,
            runs_kept: runs_kept.max(1),
        })
    }

    pub fn get(&self, friend: &str, name: &str) -> StoreResult<Option<Job>> {
        self.jobs
            .get(job_key(friend, name))?
            .map(|v| decode(&v))
            .transpose()
    }

    pub fn put(&self, job: &Job) -> StoreResult<()> {
        self.jobs
            .insert(job_key(&job.friend, &job.name), encode(job)?)?;
        Ok(())
    }

    /// Removes the job and its runs; whether it existed.
    pub fn remove(&self, friend: &str, name: &str) -> StoreResult<bool> {
        let existed = self.jobs.remove(job_key(friend, name))?.is_some();
        for key in self.runs.scan_prefix(runs_prefix(friend, name)).keys() {
            self.runs.remove(key?)?;
        }
        Ok(existed)
    }

    /// One friend's jobs, by name.
    pub fn of_friend(&self, friend: &str) -> StoreResult<Vec<Job>> {
        let mut prefix = friend.as_bytes().to_vec();
        prefix.push(0);
        self.jobs
            .scan_prefix(prefix)
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    pub fn count_of_friend(&self, friend: &str) -> usize {
        let mut prefix = friend.as_bytes().to_vec();
        prefix.push(0);
        self.jobs.scan_prefix(prefix).keys().count()
    }

    /// Every job: read once at start to build the timer.
    pub fn all(&self) -> StoreResult<Vec<Job>> {
        self.jobs.iter().values().map(|v| decode(&v?)).collect()
    }

    pub fn view(&self, job: Job) -> StoreResult<JobView> {
        let last_run = self.runs(&job.friend, &job.name, 1)?.into_iter().next();
        Ok(JobView { job, last_run })
    }

    /// Appends a run and drops the oldest beyond the limit.
    pub fn add_run(&self, friend: &str, name: &str, run: &Run) -> StoreResult<RunKey> {
        let prefix = runs_prefix(friend, name);
        let mut key = prefix.clone();
        key.extend_from_slice(&self.store.generate_id()?.to_be_bytes());
        self.runs.insert(key.as_slice(), encode(run)?)?;
        let total = self.runs.scan_prefix(&prefix).keys().count();
        for old in self
            .runs
            .scan_prefix(&prefix)
            .keys()
            .take(total.saturating_sub(self.runs_kept))
        {
            self.runs.remove(old?)?;
        }
        Ok(RunKey(key))
    }

    /// Records how a run ended, unless its job (and so the run) was deleted meanwhile.
    /// `attempts`: the delivery attempts made, or `None` to keep the count on record.
    pub fn finish_run(
        &self,
        key: &RunKey,
        status: RunStatus,
        error: Option<String>,
        attempts: Option<u32>,
    ) -> StoreResult<()> {
        let mut failure = None;
        self.runs.update_and_fetch(&key.0, |old| {
            let mut run: Run = serde_json::from_slice(old?).ok()?;
            run.status = status;
            run.error = error.clone();
            if let Some(attempts) = attempts {
                run.attempts = attempts;
            }
            match serde_json::to_vec(&run) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    failure = Some(e);
                    old.map(<[u8]>::to_vec)
                }
            }
        })?;
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// The newest `limit` runs of a job, newest first.
    pub fn runs(&self, friend: &str, name: &str, limit: usize) -> StoreResult<Vec<Run>> {
        self.runs
            .scan_prefix(runs_prefix(friend, name))
            .values()
            .rev()
            .take(limit)
            .map(|v| decode(&v?))
            .collect()
    }

    /// Runs left pending by a stop mid-delivery are marked failed at the next start.
    pub fn fail_interrupted_runs(&self) -> StoreResult<usize> {
        let mut count = 0;
        for item in self.runs.iter() {
            let (key, value) = item?;
            let run: Run = decode(&value)?;
            if run.status == RunStatus::Pending {
                self.finish_run(
                    &RunKey(key.to_vec()),
                    RunStatus::Failed,
                    Some("the portal stopped before the delivery finished".into()),
                    None,
                )?;
                count += 1;
            }
        }
        Ok(count)
    }

    pub async fn flush(&self) -> StoreResult<()> {
        self.store.flush().await
    }
}
