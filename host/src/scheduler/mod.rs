//! The cron scheduler: friends' jobs, kept in the store, fired by one timer task and
//! delivered to the agent (its gateway, or the local outbox).
//!
//! * **Timer.** Enabled jobs sit in a [`timer::Timer`] ordered by next fire time. The task
//!   sleeps until the earliest one (at most [`MAX_SLEEP`], so a wall-clock jump is noticed)
//!   and is woken at once by any create, toggle or delete. A due job fires within
//!   milliseconds of its time; nothing scans every job on a tick.
//! * **Clock.** Time comes from the injected [`SharedClock`]. Tests use a manual clock and
//!   call [`Scheduler::tick`] / [`Scheduler::run_due`] and [`Scheduler::settle`] instead of
//!   sleeping.
//! * **Late and missed runs.** A job whose time has passed fires once, however many of its
//!   times passed (no catch-up burst), provided one of them lies within the grace window
//!   (`grace_minutes` in `policies/crons.toml`, 15 by default, before now). After downtime
//!   this means: a run missed in the last 15 minutes runs once at start; older missed runs
//!   are skipped (logged). Either way the next run is computed from now.
//! * **Daylight-saving time** (see [`schedule`]): a local time skipped by a spring-forward
//!   gap fires at the first instant after the gap (02:30 on a 02:00->03:00 night fires at
//!   03:00); a local time repeated by a fall-back fires once, at its first occurrence.
//! * **Runs.** Scheduled and manual runs are recorded (`pending`, then `delivered`,
//!   `queued` or `failed` with the error; the time the run stands for, the delivery
//!   attempts made and the replica that recorded it); the newest
//!   [`SchedulerConfig::runs_kept`] per job are kept. A manual run works whether the job is
//!   enabled or not and leaves its schedule alone.
//! * **Replicas.** Only the leading replica ([`crate::leader`]) fires jobs and sends runs.
//!   A scheduled time is claimed by a compare-and-swap on the job's next time
//!   (`CronStore::claim_run`), so it is recorded at most once whoever claims it; every
//!   delivery of a run carries the same `Idempotency-Key` (see [`delivery`]). A leader
//!   that takes over rebuilds its timer from the store and sends the runs left pending
//!   (those within the grace window; older ones are failed, saying why).

pub mod delivery;
mod firing;
pub mod jobs;
pub mod outbox;
pub mod pace;
pub mod policy;
mod run_limit;
mod runs;
pub mod schedule;
pub mod session_rules;
pub mod sessions;
mod slots;
mod timer;
pub mod validate;

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use jobs::{Job, JobView, Run, RunStatus, Trigger};
pub use outbox::OutboxEntry;
pub use validate::{JobError, JobUpdate, NewJob};

use crate::clock::SharedClock;
use crate::leader::Leadership;
use delivery::Delivery;
use jobs::JobStore;
use outbox::Outbox;
use portal_store::Store;
use runs::Recorded;
use schedule::Schedule;
use timer::Timer;

/// The timer re-reads the clock at least this often.
pub const MAX_SLEEP: Duration = Duration::from_secs(30);
/// How long the leader lets other replicas' job changes gather before it reads them all.
const CHANGES_GATHER: Duration = Duration::from_millis(50);
/// The error of a run refused because its session no longer names the job's friend.
pub const SESSION_NOT_OWNED: &str = "not sent: the chat this job sends to no longer belongs to this friend; edit the job to choose one of theirs";
/// The error of a run refused because its friend no longer has the agent it names.
pub const AGENT_NOT_FRIENDS: &str = "not sent: the agent this job sends to is no longer one of your agents (the friendship ended); edit the job to choose one of them";

/// The scheduler's settings: `policies/crons.toml` ([`policy::CronPolicy`]) and the
/// gateway flags.
#[derive(Clone)]
pub struct SchedulerConfig {
    /// The agent gateway's base URL; runs are POSTed to `<URL>/hooks/agent`.
    /// `None`: the local outbox.
    pub gateway: Option<String>,
    /// Sent as `Authorization: Bearer`. Never logged.
    pub gateway_token: Option<String>,
    /// How many jobs one friend may have.
    pub max_jobs_per_friend: usize,
    /// How long after its time a missed run still fires (after downtime, at start).
    pub grace: Duration,
    /// Runs kept per job.
    pub runs_kept: usize,
    /// One delivery attempt's timeout.
    pub attempt_timeout: Duration,
    /// The waits between attempts: `n` waits, `n + 1` attempts.
    pub retry_backoff: Vec<Duration>,
    /// How long shutdown waits for deliveries in flight.
    pub shutdown_wait: Duration,
    /// Deliveries under way at once; further runs wait their turn. A crowd of jobs due on
    /// the same second (everyone's "0 9 * * *") reaches the agent as a bounded stream, not
    /// as thousands of simultaneous connections.
    pub max_concurrent_deliveries: usize,
    /// How many of them one friend's runs may hold (never all of them, see `slots.rs`).
    pub max_concurrent_deliveries_per_friend: usize,
    /// The shortest time between two runs of one job's schedule.
    pub min_interval: Duration,
    /// All of one friend's jobs together, at their busiest (see `pace.rs`).
    pub max_runs_per_minute: u32,
    /// Manual runs one friend may start in a row ...
    pub manual_run_burst: u32,
    /// ... and how often one more is allowed after that.
    pub manual_run_every: Duration,
    /// This replica's name (`PORTAL_REPLICA_ID`), written into the runs it records.
    pub replica: String,
    /// The leader lease's timings (`[leader]`), for replicas sharing a kube store.
    pub leader: crate::leader::LeaderTimings,
}

/// The embedded `policies/crons.toml`, with no gateway.
impl Default for SchedulerConfig {
    fn default() -> Self {
        policy::CronPolicy::embedded().scheduler_config()
    }
}

impl std::fmt::Debug for SchedulerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerConfig")
            .field("gateway", &self.gateway)
            .field(
                "gateway_token",
                &self.gateway_token.as_ref().map(|_| "<redacted>"),
            )
            .field("max_jobs_per_friend", &self.max_jobs_per_friend)
            .field("grace", &self.grace)
            .field("runs_kept", &self.runs_kept)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("retry_backoff", &self.retry_backoff)
            .field("max_concurrent_deliveries", &self.max_concurrent_deliveries)
            .field(
                "max_concurrent_deliveries_per_friend",
                &self.max_concurrent_deliveries_per_friend,
            )
            .field("min_interval", &self.min_interval)
            .field("max_runs_per_minute", &self.max_runs_per_minute)
            .field("manual_run_burst", &self.manual_run_burst)
            .field("manual_run_every", &self.manual_run_every)
            .field("replica", &self.replica)
            .field("leader", &self.leader)
            .finish()
    }
}

/// Due jobs fired at once in a tick: their writes share flushes, so a burst of due jobs
/// costs a few flushes rather than two each.
const FIRING_AT_ONCE: usize = 32;

#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: JobStore,
    outbox: Outbox,
    store: Store,
    clock: SharedClock,
    config: SchedulerConfig,
    delivery: Delivery,
    timer: Mutex<Timer>,
    /// Serialises every read-modify-write of job records: API calls and firing.
    lock: tokio::sync::Mutex<()>,
    wake: Notify,
    inflight: Inflight,
    /// Slots for deliveries under way ([`SchedulerConfig::max_concurrent_deliveries`]),
    /// shared fairly between friends.
    delivering: slots::Slots,
    /// Manual runs per friend ([`SchedulerConfig::manual_run_burst`]).
    run_limit: run_limit::RunLimit,
    /// Runs recorded (durably) under the lock, delivered before the lock is let go.
    recorded: Mutex<Vec<Recorded>>,
    /// Whether this replica leads: only the leader fires jobs and sends runs.
    leadership: Leadership,
    /// The runs this replica is sending.
    sending: runs::Sending,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// Deliveries under way, so that tests and shutdown can wait for them.
#[derive(Default)]
struct Inflight {
    count: AtomicUsize,
    idle: Notify,
}

impl Inflight {
    async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

fn parse(job: &Job) -> Option<(Schedule, Tz)> {
    let schedule = Schedule::parse(&job.cron).ok()?;
    Some((schedule, Tz::from_str(&job.tz).ok()?))
}

impl Scheduler {
    /// Opens the jobs; nothing fires until [`Scheduler::start`], and then only while
    /// `leadership` says this replica leads.
    pub async fn open(
        store: &Store,
        clock: SharedClock,
        config: SchedulerConfig,
        leadership: Leadership,
    ) -> anyhow::Result<Self> {
        let jobs = JobStore::open(store, config.runs_kept);
        let outbox = Outbox::open(store);
        let delivery = Delivery::new(&config, outbox.clone())?;
        let delivering = slots::Slots::new(
            config.max_concurrent_deliveries,
            config.max_concurrent_deliveries_per_friend,
        );
        let run_limit = run_limit::RunLimit::new(config.manual_run_burst, config.manual_run_every);
        let timer = Timer::of(&jobs.all().await?);
        Ok(Self {
            inner: Arc::new(Inner {
                jobs,
                outbox,
                store: store.clone(),
                clock,
                config,
                delivery,
                timer: Mutex::new(timer),
                lock: tokio::sync::Mutex::new(()),
                wake: Notify::new(),
                inflight: Inflight::default(),
                delivering,
                run_limit,
                recorded: Mutex::new(Vec::new()),
                leadership,
                sending: runs::Sending::default(),
                stop: watch::Sender::new(false),
                task: Mutex::new(None),
            }),
        })
    }

    fn timer(&self) -> std::sync::MutexGuard<'_, Timer> {
        self.inner.timer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the timer task. Once this replica leads, runs missed while no replica led
    /// fire (see the module's grace rule) and runs left pending are sent.
    pub fn start(&self) {
        let mut task = self.inner.task.lock().unwrap_or_else(|p| p.into_inner());
        if task.is_some() {
            return;
        }
        let stop = self.inner.stop.subscribe();
        let scheduler = self.clone();
        *task = Some(tokio::spawn(async move { scheduler.run_timer(stop).await }));
        tracing::info!(
            jobs = self.timer().len(),
            delivery = %self.inner.delivery.describe(),
            grace_secs = self.inner.config.grace.as_secs(),
            replica = %self.inner.config.replica,
            "scheduler started"
        );
    }

    async fn run_timer(self, mut stop: watch::Receiver<bool>) {
        let leadership = self.inner.leadership.clone();
        let mut changes = self.inner.jobs.changes();
        // Whether the timer holds what the store held when this replica began to lead.
        let mut caught_up = false;
        loop {
            if !leadership.is_leading() {
                caught_up = false;
                tokio::select! {
                    () = leadership.leading() => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    break;
                }
            }
            if !caught_up {
                // Another replica led meanwhile, or none did (a restart): what the store
                // holds now, and the runs left pending sent again.
                self.catch_up().await;
                caught_up = true;
            }
            if *stop.borrow() {
                break;
            }
            self.tick().await;
            let wait = self.sleep_time();
            let mut changed = false;
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.inner.wake.notified() => {}
                () = portal_store::next_change(changes.as_mut(), CHANGES_GATHER) => changed = true,
                () = leadership.lost() => {}
                _ = stop.changed() => break,
            }
            if changed {
                self.catch_up().await;
            }
        }
    }

    /// Rebuilds the timer from the store (another replica may have made, changed or
    /// deleted any job) and sends the runs left pending.
    async fn catch_up(&self) {
        let _guard = self.inner.lock.lock().await;
        match self.inner.jobs.all().await {
            Ok(jobs) => *self.timer() = Timer::of(&jobs),
            Err(e) => {
                tracing::error!(error = %e, "could not read the cron jobs; the timer keeps what it had")
            }
        }
        if let Err(e) = self.deliver_pending(self.inner.clock.now()).await {
            tracing::error!(error = %e, "could not send the cron runs left pending; tried again at the next change");
        }
    }

    fn sleep_time(&self) -> Duration {
        match self.timer().next() {
            Some(next) => (next - self.inner.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP),
            None => MAX_SLEEP,
        }
    }

    /// Stops the timer and waits (a bounded time) for deliveries in flight.
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
        if tokio::time::timeout(self.inner.config.shutdown_wait, self.settle())
            .await
            .is_err()
        {
            tracing::warn!(
                "cron deliveries still in flight at shutdown; they are marked failed at the next start"
            );
        }
    }

    /// Waits until no delivery is in flight.
    pub async fn settle(&self) {
        self.inner.inflight.wait_idle().await;
    }

    /// The earliest time any job fires.
    pub fn next_wakeup(&self) -> Option<DateTime<Utc>> {
        self.timer().next()
    }

    /// Whether this replica leads: fires jobs and sends runs.
    pub fn is_leading(&self) -> bool {
        self.inner.leadership.is_leading()
    }

    pub fn delivery_target(&self) -> String {
        self.inner.delivery.describe()
    }

    fn changed(&self) {
        self.inner.wake.notify_one();
    }
}

mod api;
