//! Cron jobs and their runs.
//!
//! * `cron_jobs`: `friend \0 name` -> [`Job`] (JSON). A friend's jobs are one prefix scan.
//! * `cron_runs`: `friend \0 name \0 seq (BE)` -> [`Run`] (JSON), oldest first; only the
//!   newest `kept` of each job are kept.
//! * `cron_claims`: `friend \0 name` -> the latest scheduled time claimed (RFC 3339), kept
//!   apart from the job so that an edit never rewinds it.

use std::sync::Mutex;

use async_trait::async_trait;

use super::SledStore;
use super::table::{decode, encode};
use chrono::{DateTime, Utc};

use crate::{Claim, CronStore, Job, JobRefusal, Run, RunId, RunStatus, StoreResult};

pub(super) struct CronTrees {
    pub(super) jobs: sled::Tree,
    pub(super) runs: sled::Tree,
    claims: sled::Tree,
    /// Held from reading a job's next time to moving it on.
    claiming: Mutex<()>,
    /// Held from counting a friend's jobs to adding one: the data dir is this process's
    /// alone (sled locks it), so creates are exact without a count kept on disk.
    creating: Mutex<()>,
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

fn friend_prefix(friend: &str) -> Vec<u8> {
    let mut prefix = friend.as_bytes().to_vec();
    prefix.push(0);
    prefix
}

fn run_key(run: &RunId) -> Vec<u8> {
    let mut key = runs_prefix(&run.friend, &run.job);
    key.extend_from_slice(&run.seq.to_be_bytes());
    key
}

/// The run a `cron_runs` key names: `friend \0 name \0 seq`.
pub(super) fn run_id_of(key: &[u8]) -> Option<RunId> {
    let (head, seq) = key.split_at_checked(key.len().checked_sub(9)?)?;
    let seq = u64::from_be_bytes(seq.get(1..)?.try_into().ok()?);
    let split = head.iter().position(|b| *b == 0)?;
    Some(RunId {
        friend: String::from_utf8_lossy(&head[..split]).into_owned(),
        job: String::from_utf8_lossy(&head[split + 1..]).into_owned(),
        seq,
    })
}

impl CronTrees {
    pub(super) fn open(db: &sled::Db) -> StoreResult<Self> {
        Ok(Self {
            jobs: db.open_tree("cron_jobs")?,
            runs: db.open_tree("cron_runs")?,
            claims: db.open_tree("cron_claims")?,
            claiming: Mutex::new(()),
            creating: Mutex::new(()),
        })
    }

    fn count(&self, friend: &str) -> usize {
        self.jobs.scan_prefix(friend_prefix(friend)).keys().count()
    }

    /// Appends a run under a new sequence number and drops the oldest beyond `kept`.
    pub(super) fn append_run(
        &self,
        friend: &str,
        name: &str,
        seq: u64,
        run: &Run,
        kept: usize,
    ) -> StoreResult<RunId> {
        let id = RunId {
            friend: friend.to_owned(),
            job: name.to_owned(),
            seq,
        };
        self.runs.insert(run_key(&id), encode(run)?)?;
        let prefix = runs_prefix(friend, name);
        let total = self.runs.scan_prefix(&prefix).keys().count();
        for old in self
            .runs
            .scan_prefix(&prefix)
            .keys()
            .take(total.saturating_sub(kept.max(1)))
        {
            self.runs.remove(old?)?;
        }
        Ok(id)
    }

    fn finish(
        &self,
        key: &[u8],
        status: RunStatus,
        error: Option<String>,
        attempts: Option<u32>,
    ) -> StoreResult<()> {
        let mut failure = None;
        self.runs.update_and_fetch(key, |old| {
            let mut run: Run = serde_json::from_slice(old?).ok()?;
            run.status = status;
            run.error.clone_from(&error);
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
}

#[async_trait]
impl CronStore for SledStore {
    async fn job(&self, friend: &str, name: &str) -> StoreResult<Option<Job>> {
        self.crons
            .jobs
            .get(job_key(friend, name))?
            .map(|v| decode(&v))
            .transpose()
    }

    async fn create_job(&self, job: &Job, max: usize) -> StoreResult<Result<(), JobRefusal>> {
        let key = job_key(&job.friend, &job.name);
        let bytes = encode(job)?;
        {
            let _creating = self
                .crons
                .creating
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if self.crons.jobs.contains_key(&key)? {
                return Ok(Err(JobRefusal::Exists));
            }
            if self.crons.count(&job.friend) >= max {
                return Ok(Err(JobRefusal::Limit { max }));
            }
            self.crons.jobs.insert(key, bytes)?;
        }
        self.flush().await?;
        Ok(Ok(()))
    }

    async fn put_job(&self, job: &Job) -> StoreResult<()> {
        self.crons
            .jobs
            .insert(job_key(&job.friend, &job.name), encode(job)?)?;
        self.flush().await
    }

    async fn remove_job(&self, friend: &str, name: &str) -> StoreResult<bool> {
        let existed = self.crons.jobs.remove(job_key(friend, name))?.is_some();
        self.crons.claims.remove(job_key(friend, name))?;
        for key in self
            .crons
            .runs
            .scan_prefix(runs_prefix(friend, name))
            .keys()
        {
            self.crons.runs.remove(key?)?;
        }
        self.flush().await?;
        Ok(existed)
    }

    async fn jobs_of(&self, friend: &str) -> StoreResult<Vec<Job>> {
        self.crons
            .jobs
            .scan_prefix(friend_prefix(friend))
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    async fn job_count(&self, friend: &str) -> StoreResult<usize> {
        Ok(self.crons.count(friend))
    }

    async fn all_jobs(&self) -> StoreResult<Vec<Job>> {
        self.crons
            .jobs
            .iter()
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    async fn add_run(
        &self,
        friend: &str,
        name: &str,
        run: &Run,
        kept: usize,
    ) -> StoreResult<RunId> {
        let seq = self.generate_id()?;
        let id = self.crons.append_run(friend, name, seq, run, kept)?;
        self.flush().await?;
        Ok(id)
    }

    async fn finish_run(
        &self,
        run: &RunId,
        status: RunStatus,
        error: Option<String>,
        attempts: Option<u32>,
    ) -> StoreResult<()> {
        self.crons.finish(&run_key(run), status, error, attempts)?;
        self.flush().await
    }

    async fn runs(&self, friend: &str, name: &str, limit: usize) -> StoreResult<Vec<Run>> {
        self.crons
            .runs
            .scan_prefix(runs_prefix(friend, name))
            .values()
            .rev()
            .take(limit)
            .map(|v| decode(&v?))
            .collect()
    }

    async fn claim_run(
        &self,
        friend: &str,
        name: &str,
        expected: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        run: Option<&Run>,
        kept: usize,
    ) -> StoreResult<Claim> {
        let key = job_key(friend, name);
        let claimed = {
            let _claiming = self
                .crons
                .claiming
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(mut job) = self
                .crons
                .jobs
                .get(&key)?
                .map(|v| decode::<Job>(&v))
                .transpose()?
            else {
                return Ok(Claim::Moved(None));
            };
            if !job.enabled || job.next_run != Some(expected) {
                return Ok(Claim::Moved(Some(job)));
            }
            job.next_run = next;
            self.crons.jobs.insert(&key, encode(&job)?)?;
            let last: Option<DateTime<Utc>> = self
                .crons
                .claims
                .get(&key)?
                .map(|v| decode(&v))
                .transpose()?;
            match run.and_then(|r| Some((r, r.scheduled_for?))) {
                Some((run, at)) if last.is_none_or(|c| at > c) => {
                    self.crons.claims.insert(&key, encode(&at)?)?;
                    let seq = self.generate_id()?;
                    Some(self.crons.append_run(friend, name, seq, run, kept)?)
                }
                _ => None,
            }
        };
        self.flush().await?;
        Ok(Claim::Claimed(claimed))
    }

    async fn pending_runs(&self) -> StoreResult<Vec<(RunId, Run)>> {
        let mut pending = Vec::new();
        for item in self.crons.runs.iter() {
            let (key, value) = item?;
            let run: Run = decode(&value)?;
            if run.status == RunStatus::Pending
                && let Some(id) = run_id_of(&key)
            {
                pending.push((id, run));
            }
        }
        pending.sort_by_key(|(_, run)| run.at);
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn job(friend: &str, name: &str) -> Job {
        let at = chrono::DateTime::from_timestamp(1_772_000_000, 0).unwrap();
        Job {
            friend: friend.into(),
            name: name.into(),
            message: "hi".into(),
            cron: "0 9 * * *".into(),
            session: "agent:main:main".into(),
            tz: "UTC".into(),
            enabled: true,
            created_at: at,
            next_run: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_creates_stop_exactly_at_the_maximum() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Arc::new(SledStore::open(dir.path(), super::super::DEFAULT_CACHE_BYTES).unwrap());
        // All at once: each waits for the others before it creates.
        let start = Arc::new(tokio::sync::Barrier::new(16));
        let creates: Vec<_> = (0..16)
            .map(|i| {
                let (store, start) = (store.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    let name = format!("j{i}");
                    (store.create_job(&job("alice", &name), 5).await, name)
                })
            })
            .collect();
        let mut made = Vec::new();
        for create in creates {
            match create.await.unwrap() {
                (Ok(Ok(())), name) => made.push(name),
                (refused, _) => assert_eq!(refused.unwrap(), Err(JobRefusal::Limit { max: 5 })),
            }
        }
        assert_eq!(made.len(), 5);
        assert_eq!(store.job_count("alice").await.unwrap(), 5);
        assert_eq!(
            store.create_job(&job("alice", &made[0]), 50).await.unwrap(),
            Err(JobRefusal::Exists)
        );
    }

    #[test]
    fn a_run_key_names_its_run() {
        let id = RunId {
            friend: "alice".into(),
            job: "daily".into(),
            seq: 258,
        };
        assert_eq!(run_id_of(&run_key(&id)), Some(id));
    }
}
