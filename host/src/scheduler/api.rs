//! What the `cron` capability (and the admin outbox endpoint) call. Every function takes
//! the friend the host resolved for the request; a job is only ever found under it.

use chrono::{DateTime, Utc};

use super::jobs::JobRefusal;
use super::session_rules;
use super::validate::{self, JobError, JobUpdate, NewJob};
use super::{Job, JobView, OutboxEntry, Run, Scheduler, parse};

/// Names come from request paths: anything that is not a valid job name names no job
/// (and never reaches a store key).
fn known_name(name: &str) -> Result<(), JobError> {
    crate::validate::dns_label(name)
        .map_err(|_| JobError::NotFound(format!("no cron job '{}'", name.escape_debug())))
}

impl Scheduler {
    /// The friend's jobs, by name.
    pub async fn list(&self, friend: &str) -> Result<Vec<JobView>, JobError> {
        let jobs = self.inner.jobs.of_friend(friend).await?;
        let mut views = Vec::with_capacity(jobs.len());
        for job in jobs {
            views.push(self.inner.jobs.view(job).await?);
        }
        Ok(views)
    }

    pub async fn get(&self, friend: &str, name: &str) -> Result<JobView, JobError> {
        let job = self.find(friend, name).await?;
        Ok(self.inner.jobs.view(job).await?)
    }

    async fn find(&self, friend: &str, name: &str) -> Result<Job, JobError> {
        known_name(name)?;
        self.inner
            .jobs
            .get(friend, name)
            .await?
            .ok_or_else(|| JobError::NotFound(format!("no cron job '{name}'")))
    }

    /// That every part of `session` is the friend's own (an agent they have a friendship
    /// with, one of their chats) and, when an agent acts (`agent`), the agent's own: 403
    /// otherwise, for every caller.
    async fn check_session(
        &self,
        friend: &str,
        session: &str,
        agent: Option<&str>,
    ) -> Result<(), JobError> {
        let profile = self
            .inner
            .store
            .directory
            .friend(friend)
            .await?
            .ok_or_else(|| JobError::NotFound(format!("no friend '{friend}'")))?;
        let agents = self.agents_of(friend).await?;
        session_rules::check(&profile, &agents, agent, session)
            .map_err(|refusal| JobError::Forbidden(refusal.explain(session)))
    }

    /// That a job of `friend` on `schedule` (replacing the job `replacing`, on edit) keeps
    /// the pace limits of crons.toml (422 naming the limit). Caller holds the lock.
    async fn check_pace(
        &self,
        friend: &str,
        replacing: Option<&str>,
        schedule: &super::schedule::Schedule,
    ) -> Result<(), JobError> {
        let others: Vec<_> = self
            .inner
            .jobs
            .of_friend(friend)
            .await?
            .iter()
            .filter(|job| Some(job.name.as_str()) != replacing)
            .filter_map(|job| parse(job).map(|(schedule, _)| schedule))
            .collect();
        let pace = super::pace::Pace {
            min_interval: self.inner.config.min_interval,
            max_runs_per_minute: self.inner.config.max_runs_per_minute,
        };
        pace.check(schedule, &others)
    }

    /// The agents the friend has a friendship with.
    pub(super) async fn agents_of(&self, friend: &str) -> Result<Vec<String>, JobError> {
        Ok(self
            .inner
            .store
            .directory
            .agents_of_friend(friend)
            .await?
            .into_iter()
            .map(|f| f.agent_id)
            .collect())
    }

    /// Checks the job (422 naming the field), that its session is the friend's own (403)
    /// and, for an acting `agent`, the agent's own (403), that the name is free (409) and
    /// the friend under the policy's limit (422).
    pub async fn create(
        &self,
        friend: &str,
        input: NewJob,
        agent: Option<&str>,
    ) -> Result<JobView, JobError> {
        let now = self.inner.clock.now();
        let checked = validate::check(&input, now)?;
        self.check_session(friend, &input.session, agent).await?;
        let _guard = self.inner.lock.lock().await;
        let exists =
            |name: &str| JobError::Conflict(format!("a cron job named '{name}' already exists"));
        let too_many = |max: usize| {
            JobError::invalid(
                "jobs",
                format!("at most {max} cron jobs per friend; delete one first"),
            )
        };
        if self.inner.jobs.get(friend, &input.name).await?.is_some() {
            return Err(exists(&input.name));
        }
        let max = self.inner.config.max_jobs_per_friend;
        if self.inner.jobs.count_of_friend(friend).await? >= max {
            return Err(too_many(max));
        }
        self.check_pace(friend, None, &checked.schedule).await?;
        let enabled = input.enabled.unwrap_or(true);
        let job = Job {
            friend: friend.to_owned(),
            name: input.name,
            message: input.message,
            cron: input.cron.split_whitespace().collect::<Vec<_>>().join(" "),
            session: input.session,
            tz: checked.tz.name().to_owned(),
            enabled,
            created_at: now,
            next_run: enabled.then_some(checked.next_run),
        };
        // The store keeps the maximum even against a create that did not take the lock.
        match self.inner.jobs.create(&job, max).await? {
            Ok(()) => {}
            Err(JobRefusal::Exists) => return Err(exists(&job.name)),
            Err(JobRefusal::Limit { max }) => return Err(too_many(max)),
        }
        self.timer()
            .set((job.friend.clone(), job.name.clone()), job.next_run);
        self.changed();
        tracing::info!(%friend, job = %job.name, next_run = ?job.next_run, "cron job created");
        Ok(JobView {
            job,
            last_run: None,
        })
    }

    /// Replaces message, schedule, zone and session, checked as on create; the next run is
    /// computed afresh from now (none while the job is disabled).
    pub async fn update(
        &self,
        friend: &str,
        name: &str,
        update: JobUpdate,
        agent: Option<&str>,
    ) -> Result<JobView, JobError> {
        known_name(name)?;
        let now: DateTime<Utc> = self.inner.clock.now();
        let as_new = NewJob {
            name: name.to_owned(),
            message: update.message,
            cron: update.cron,
            session: update.session,
            tz: Some(update.tz),
            enabled: None,
        };
        let checked = validate::check(&as_new, now)?;
        let _guard = self.inner.lock.lock().await;
        let mut job = self.find(friend, name).await?;
        self.check_session(friend, &as_new.session, agent).await?;
        self.check_pace(friend, Some(name), &checked.schedule)
            .await?;
        job.message = as_new.message;
        job.cron = as_new.cron.split_whitespace().collect::<Vec<_>>().join(" ");
        job.session = as_new.session;
        job.tz = checked.tz.name().to_owned();
        job.next_run = job.enabled.then_some(checked.next_run);
        self.inner.jobs.put(&job).await?;
        self.timer()
            .set((job.friend.clone(), job.name.clone()), job.next_run);
        self.changed();
        tracing::info!(%friend, job = %name, next_run = ?job.next_run, "cron job updated");
        Ok(self.inner.jobs.view(job).await?)
    }

    /// Removes the job and its runs; it never fires again.
    pub async fn delete(&self, friend: &str, name: &str) -> Result<(), JobError> {
        known_name(name)?;
        let _guard = self.inner.lock.lock().await;
        if !self.inner.jobs.remove(friend, name).await? {
            return Err(JobError::NotFound(format!("no cron job '{name}'")));
        }
        self.timer().remove(&(friend.to_owned(), name.to_owned()));
        self.changed();
        tracing::info!(%friend, job = %name, "cron job deleted");
        Ok(())
    }

    /// Removes every job of a friend who is being deleted; returns how many there were.
    pub async fn delete_friend(&self, friend: &str) -> Result<usize, JobError> {
        let _guard = self.inner.lock.lock().await;
        let jobs = self.inner.jobs.of_friend(friend).await?;
        for job in &jobs {
            self.inner.jobs.remove(friend, &job.name).await?;
            self.timer().remove(&(friend.to_owned(), job.name.clone()));
        }
        self.changed();
        Ok(jobs.len())
    }

    /// Enabling schedules the next run after now (missed runs are not made up);
    /// disabling unschedules the job at once.
    pub async fn toggle(
        &self,
        friend: &str,
        name: &str,
        enabled: bool,
    ) -> Result<JobView, JobError> {
        let _guard = self.inner.lock.lock().await;
        let mut job = self.find(friend, name).await?;
        if enabled != job.enabled {
            job.enabled = enabled;
            job.next_run = if enabled {
                parse(&job)
                    .and_then(|(schedule, tz)| schedule.next_after(self.inner.clock.now(), tz))
            } else {
                None
            };
            self.inner.jobs.put(&job).await?;
            self.timer()
                .set((job.friend.clone(), job.name.clone()), job.next_run);
            self.changed();
            tracing::info!(%friend, job = %name, enabled, "cron job toggled");
        }
        Ok(self.inner.jobs.view(job).await?)
    }

    /// Runs the job now, enabled or not; returns the pending run, on disk before its
    /// delivery starts. Its schedule is unchanged. Past the friend's burst of manual runs
    /// (`[manual_runs]` in crons.toml), refused with the seconds to wait.
    pub async fn run_now(&self, friend: &str, name: &str) -> Result<Run, JobError> {
        let _guard = self.inner.lock.lock().await;
        let job = self.find(friend, name).await?;
        let now = self.inner.clock.now();
        if let Err(retry_after) = self.inner.run_limit.take(friend, now) {
            tracing::info!(%friend, job = %name, retry_after, "manual cron run refused: too many lately");
            return Err(JobError::RateLimited { retry_after });
        }
        let run = self.start_manual_run(&job, now).await?;
        self.deliver_recorded();
        Ok(run)
    }

    /// The newest `limit` runs of a job, newest first.
    pub async fn runs(&self, friend: &str, name: &str, limit: usize) -> Result<Vec<Run>, JobError> {
        self.find(friend, name).await?;
        Ok(self.inner.jobs.runs(friend, name, limit).await?)
    }

    /// The local outbox, newest first.
    pub async fn outbox(
        &self,
        friend: Option<&str>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, JobError> {
        Ok(self.inner.outbox.list(friend, limit).await?)
    }
}
