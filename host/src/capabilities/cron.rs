//! `cron`: the subject friend's cron jobs, through the scheduler. The friend comes from the
//! scope; a plugin names jobs, never whose they are.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::auth::Caller;
use crate::runtime::bindings::friend::portal::cron::{
    Error, FieldError, Host, Job, JobUpdate, NewJob, RunRecord,
};
use crate::runtime::store_data::StoreData;
use crate::scheduler::{self, JobError, JobView, Run};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn run_record(run: Run) -> RunRecord {
    RunRecord {
        at: time(run.at),
        trigger: run.trigger.as_str().to_owned(),
        status: run.status.as_str().to_owned(),
        error: run.error,
        scheduled_for: run.scheduled_for.map(time),
        attempts: run.attempts,
    }
}

fn job(view: JobView) -> Job {
    let JobView { job, last_run } = view;
    Job {
        name: job.name,
        message: job.message,
        cron: job.cron,
        session: job.session,
        tz: job.tz,
        enabled: job.enabled,
        created_at: time(job.created_at),
        next_run: job.next_run.map(time),
        last_run: last_run.map(run_record),
    }
}

fn error(e: JobError) -> Error {
    match e {
        JobError::Invalid { field, rule } => Error::Invalid(FieldError {
            field: field.to_owned(),
            rule,
        }),
        JobError::Forbidden(m) => Error::Forbidden(m),
        JobError::NotFound(m) => Error::NotFound(m),
        JobError::Conflict(m) => Error::Conflict(m),
        JobError::RateLimited { retry_after } => {
            Error::RateLimited(u32::try_from(retry_after).unwrap_or(u32::MAX))
        }
        JobError::Unavailable => Error::Unavailable,
    }
}

/// No limit: `list-runs` returns every run the store keeps (`runs_kept` per job).
const ALL_KEPT_RUNS: usize = usize::MAX;

impl StoreData {
    fn cron_scope(&self) -> Result<(String, scheduler::Scheduler), Error> {
        let friend = self.scope.friend.clone().ok_or(Error::Unavailable)?;
        Ok((friend, self.services.scheduler.clone()))
    }

    /// The agent making the request, whose jobs may only name its own sessions. Read from
    /// the authenticated caller, never from the guest.
    fn acting_agent(&self) -> Option<String> {
        match &self.scope.caller {
            Caller::Agent(id) => Some(id.clone()),
            Caller::Admin | Caller::Friend { .. } => None,
        }
    }
}

impl Host for StoreData {
    async fn list_jobs(&mut self) -> Result<Vec<Job>, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        let jobs = scheduler.list(&friend).await.map_err(error)?;
        Ok(jobs.into_iter().map(job).collect())
    }

    async fn create_job(&mut self, new: NewJob) -> Result<Job, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        let input = scheduler::NewJob {
            name: new.name,
            message: new.message,
            cron: new.cron,
            session: new.session,
            tz: new.tz,
            enabled: new.enabled,
        };
        let agent = self.acting_agent();
        scheduler
            .create(&friend, input, agent.as_deref())
            .await
            .map(job)
            .map_err(error)
    }

    async fn get_job(&mut self, name: String) -> Result<Job, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        scheduler.get(&friend, &name).await.map(job).map_err(error)
    }

    async fn update_job(&mut self, name: String, update: JobUpdate) -> Result<Job, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        let update = scheduler::JobUpdate {
            message: update.message,
            cron: update.cron,
            tz: update.tz,
            session: update.session,
        };
        let agent = self.acting_agent();
        scheduler
            .update(&friend, &name, update, agent.as_deref())
            .await
            .map(job)
            .map_err(error)
    }

    async fn list_runs(&mut self, name: String) -> Result<Vec<RunRecord>, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        let runs = scheduler
            .runs(&friend, &name, ALL_KEPT_RUNS)
            .await
            .map_err(error)?;
        Ok(runs.into_iter().map(run_record).collect())
    }

    async fn delete_job(&mut self, name: String) -> Result<(), Error> {
        let (friend, scheduler) = self.cron_scope()?;
        scheduler.delete(&friend, &name).await.map_err(error)
    }

    async fn toggle_job(&mut self, name: String, enabled: bool) -> Result<Job, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        scheduler
            .toggle(&friend, &name, enabled)
            .await
            .map(job)
            .map_err(error)
    }

    async fn run_job(&mut self, name: String) -> Result<RunRecord, Error> {
        let (friend, scheduler) = self.cron_scope()?;
        scheduler
            .run_now(&friend, &name)
            .await
            .map(run_record)
            .map_err(error)
    }
}
