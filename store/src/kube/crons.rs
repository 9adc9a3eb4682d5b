//! Cron jobs: a [`PortalJob`] object per (friend, name) holding the job and its newest
//! runs (capped, so the object stays small). The per-friend job count is the friend's
//! jobs quota (see `quota.rs`), taken before the job is made and again after.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::KubeStore;
use super::crds::{PortalJob, PortalJobSpec, RunRecord};
use super::names::{FRIEND_LABEL, job_name, jobs_quota, labels};
use super::objects::Step;
use crate::domain::{Claim, CronStore, Job, JobRefusal, Run, RunId, RunStatus};
use crate::{StoreError, StoreResult};

fn job_of(spec: &PortalJobSpec) -> Job {
    Job {
        friend: spec.friend.clone(),
        name: spec.name.clone(),
        message: spec.message.clone(),
        cron: spec.cron.clone(),
        session: spec.session.clone(),
        tz: spec.tz.clone(),
        enabled: spec.enabled,
        created_at: spec.created_at,
        next_run: spec.next_run,
    }
}

/// The job's fields from `job`; its runs and claims from the object being replaced.
fn spec_of(job: &Job, kept: &mut PortalJobSpec) -> PortalJobSpec {
    PortalJobSpec {
        friend: job.friend.clone(),
        name: job.name.clone(),
        message: job.message.clone(),
        cron: job.cron.clone(),
        session: job.session.clone(),
        tz: job.tz.clone(),
        enabled: job.enabled,
        created_at: job.created_at,
        next_run: job.next_run,
        runs: std::mem::take(&mut kept.runs),
        last_claimed: kept.last_claimed,
    }
}

/// A new job's spec: no runs, nothing claimed.
fn new_spec(job: &Job) -> PortalJobSpec {
    spec_of(job, &mut PortalJobSpec::default())
}

/// Appends a run to the job's record, keeping its newest `kept`; the run's sequence number.
fn push_run(spec: &mut PortalJobSpec, run: &Run, kept: usize) -> u64 {
    // Unique in the store: after every run of the job, and never before the run's own
    // time (a job made again under the name starts past the old).
    let last = spec.runs.last().map_or(0, |r| r.seq);
    let seq = (last + 1).max(run.at.timestamp_micros().max(0) as u64);
    spec.runs.push(RunRecord {
        seq,
        at: run.at,
        trigger: run.trigger,
        status: run.status.as_str().to_owned(),
        error: run.error.clone(),
        scheduled_for: run.scheduled_for,
        attempts: run.attempts,
        replica: run.replica.clone(),
    });
    let excess = spec.runs.len().saturating_sub(kept.max(1));
    spec.runs.drain(..excess);
    seq
}

fn status_of(text: &str) -> RunStatus {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap_or(RunStatus::Failed)
}

pub(crate) fn run_of(record: &RunRecord) -> Run {
    Run {
        at: record.at,
        trigger: record.trigger,
        status: status_of(&record.status),
        error: record.error.clone(),
        scheduled_for: record.scheduled_for,
        attempts: record.attempts,
        replica: record.replica.clone(),
    }
}

impl KubeStore {
    fn job_object(&self, job: &Job) -> PortalJob {
        let mut object = PortalJob::new(&job_name(&job.friend, &job.name), new_spec(job));
        object.metadata.labels = labels(&[(FRIEND_LABEL, &job.friend)]);
        object
    }

    async fn job_exists(&self, friend: &str, name: &str) -> StoreResult<bool> {
        Ok(self.jobs.fetch(&job_name(friend, name)).await?.is_some())
    }
}

#[async_trait]
impl CronStore for KubeStore {
    async fn job(&self, friend: &str, name: &str) -> StoreResult<Option<Job>> {
        Ok(self
            .jobs
            .cached(&job_name(friend, name))
            .map(|o| job_of(&o.spec)))
    }

    async fn create_job(&self, job: &Job, max: usize) -> StoreResult<Result<(), JobRefusal>> {
        let quota = jobs_quota(&job.friend);
        if self.job_exists(&job.friend, &job.name).await? {
            return Ok(Err(JobRefusal::Exists));
        }
        let exists = |name: String| async move { self.job_exists(&job.friend, &name).await };
        if self
            .take_repairing(&quota, &job.name, max, exists)
            .await?
            .is_err()
        {
            return Ok(Err(JobRefusal::Limit { max }));
        }
        self.pause("job_quota_taken").await;
        let Some(made) = self.jobs.create(&self.job_object(job)).await? else {
            return Ok(Err(JobRefusal::Exists));
        };
        if self.take(&quota, &job.name, max).await?.is_err() {
            self.jobs
                .delete(&job_name(&job.friend, &job.name), Some(&made))
                .await?;
            return Ok(Err(JobRefusal::Limit { max }));
        }
        Ok(Ok(()))
    }

    async fn put_job(&self, job: &Job) -> StoreResult<()> {
        let name = job_name(&job.friend, &job.name);
        for _ in 0..50 {
            let updated = self
                .jobs
                .update(&name, |o| {
                    o.spec = spec_of(job, &mut o.spec);
                    Ok(Step::Write(()))
                })
                .await?;
            if updated.is_some() {
                return Ok(());
            }
            self.take(&jobs_quota(&job.friend), &job.name, usize::MAX)
                .await?
                .ok();
            if self.jobs.create(&self.job_object(job)).await?.is_some() {
                return Ok(());
            }
        }
        Err(StoreError::Contended(format!("job {}", job.name)))
    }

    async fn remove_job(&self, friend: &str, name: &str) -> StoreResult<bool> {
        let removed = self
            .jobs
            .delete_if(&job_name(friend, name), |_| true)
            .await?;
        if removed {
            self.let_go(&jobs_quota(friend), name, || self.job_exists(friend, name))
                .await?;
        }
        Ok(removed)
    }

    async fn jobs_of(&self, friend: &str) -> StoreResult<Vec<Job>> {
        let mut jobs: Vec<Job> = self
            .jobs
            .all()
            .iter()
            .filter(|o| o.spec.friend == friend)
            .map(|o| job_of(&o.spec))
            .collect();
        jobs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(jobs)
    }

    async fn job_count(&self, friend: &str) -> StoreResult<usize> {
        Ok(self
            .jobs
            .all()
            .iter()
            .filter(|o| o.spec.friend == friend)
            .count())
    }

    async fn all_jobs(&self) -> StoreResult<Vec<Job>> {
        Ok(self.jobs.all().iter().map(|o| job_of(&o.spec)).collect())
    }

    async fn add_run(
        &self,
        friend: &str,
        name: &str,
        run: &Run,
        kept: usize,
    ) -> StoreResult<RunId> {
        let seq = self
            .jobs
            .update(&job_name(friend, name), |o| {
                Ok(Step::Write(push_run(&mut o.spec, run, kept)))
            })
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no job '{name}'")))?;
        Ok(RunId {
            friend: friend.to_owned(),
            job: name.to_owned(),
            seq,
        })
    }

    async fn finish_run(
        &self,
        run: &RunId,
        status: RunStatus,
        error: Option<String>,
        attempts: Option<u32>,
    ) -> StoreResult<()> {
        self.jobs
            .update(&job_name(&run.friend, &run.job), |o| {
                let Some(record) = o.spec.runs.iter_mut().find(|r| r.seq == run.seq) else {
                    return Ok(Step::Keep(()));
                };
                record.status = status.as_str().to_owned();
                record.error.clone_from(&error);
                if let Some(attempts) = attempts {
                    record.attempts = attempts;
                }
                Ok(Step::Write(()))
            })
            .await?;
        Ok(())
    }

    async fn runs(&self, friend: &str, name: &str, limit: usize) -> StoreResult<Vec<Run>> {
        Ok(self
            .jobs
            .cached(&job_name(friend, name))
            .map(|o| o.spec.runs.iter().rev().take(limit).map(run_of).collect())
            .unwrap_or_default())
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
        let claimed = self
            .jobs
            .update(&job_name(friend, name), |o| {
                if !o.spec.enabled || o.spec.next_run != Some(expected) {
                    return Ok(Step::Keep(Claim::Moved(Some(job_of(&o.spec)))));
                }
                o.spec.next_run = next;
                let unclaimed = |at: DateTime<Utc>| o.spec.last_claimed.is_none_or(|c| at > c);
                let Some((run, at)) = run
                    .and_then(|r| Some((r, r.scheduled_for?)))
                    .filter(|(_, at)| unclaimed(*at))
                else {
                    return Ok(Step::Write(Claim::Claimed(None)));
                };
                o.spec.last_claimed = Some(at);
                let seq = push_run(&mut o.spec, run, kept);
                Ok(Step::Write(Claim::Claimed(Some(RunId {
                    friend: friend.to_owned(),
                    job: name.to_owned(),
                    seq,
                }))))
            })
            .await?;
        Ok(claimed.unwrap_or(Claim::Moved(None)))
    }

    async fn pending_runs(&self) -> StoreResult<Vec<(RunId, Run)>> {
        let mut pending: Vec<(RunId, Run)> = self
            .jobs
            .all()
            .iter()
            .flat_map(|o| {
                o.spec
                    .runs
                    .iter()
                    .filter(|r| r.status == RunStatus::Pending.as_str())
                    .map(|r| {
                        let id = RunId {
                            friend: o.spec.friend.clone(),
                            job: o.spec.name.clone(),
                            seq: r.seq,
                        };
                        (id, run_of(r))
                    })
            })
            .collect();
        pending.sort_by_key(|(_, run)| run.at);
        Ok(pending)
    }

    fn job_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.jobs.changes())
    }
}
