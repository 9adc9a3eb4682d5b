//! Cron at scale: many jobs held by the scheduler, every one due once inside a window.
//!
//! Jobs are hourly (`S M * * * *`, UTC), their times spread evenly over the window, so each
//! fires exactly once while we watch. Runs go to a stand-in agent gateway in this process
//! that notes when each arrives: drift is arrival minus the job's time, so it counts
//! everything between the timer and the agent (the run record, the HTTP delivery).
//! Afterwards every job's next time is an hour away and the process's CPU is sampled:
//! that is the scheduler's idle cost with all the jobs loaded.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::portal::{ADMIN, Portal};

/// The embedded policy's jobs per friend (`max_jobs_per_friend` in policies/crons.toml).
const JOBS_PER_FRIEND: usize = 50;
/// Writers at once while seeding.
const SEEDERS: usize = 8;
/// How long the idle CPU is sampled.
const IDLE_SAMPLE: Duration = Duration::from_secs(30);

pub struct CronBench {
    pub jobs: usize,
    /// Seconds over which the jobs' times are spread.
    pub window: u64,
    /// Seconds allowed for creating the friends and jobs before the first one is due.
    pub seed_budget: u64,
}

/// What the stand-in gateway received: (job name, arrival in seconds since the epoch).
type Arrivals = Arc<Mutex<Vec<(String, f64)>>>;

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Starts the stand-in gateway on loopback; returns its base URL.
async fn gateway(arrivals: Arrivals) -> anyhow::Result<String> {
    async fn hook(State(arrivals): State<Arrivals>, Json(body): Json<Value>) -> &'static str {
        let at = unix_now();
        let name = body["name"].as_str().unwrap_or_default().to_owned();
        arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((name, at));
        "ok"
    }
    let app = axum::Router::new()
        .route("/hooks/agent", post(hook))
        .with_state(arrivals);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// Job `k`'s time: `first + k * window / jobs`, whole seconds since the epoch.
fn slot(first: u64, k: usize, bench: &CronBench) -> u64 {
    first + (k as u64 * bench.window) / bench.jobs as u64
}

fn hourly_at(unix: u64) -> String {
    format!("{} {} * * * *", unix % 60, (unix / 60) % 60)
}

pub async fn run(
    binary: &str,
    dir: &Path,
    bench: &CronBench,
) -> anyhow::Result<Vec<(String, String)>> {
    anyhow::ensure!(
        bench.window > 0 && bench.window < 3600,
        "the window must be under an hour"
    );
    let arrivals: Arrivals = Arc::default();
    let gateway = gateway(arrivals.clone()).await?;
    let portal = Arc::new(Portal::start_with(binary, dir, &["--agent-gateway", &gateway]).await?);
    // A job's session names an agent its friend has a friendship with.
    portal.add_main_agent().await?;
    let first = unix_now() as u64 + bench.seed_budget;

    let seeding = std::time::Instant::now();
    let friends = bench.jobs.div_ceil(JOBS_PER_FRIEND);
    let next = Arc::new(AtomicUsize::new(0));
    let schedules: Arc<Vec<String>> = Arc::new(
        (0..bench.jobs)
            .map(|k| hourly_at(slot(first, k, bench)))
            .collect(),
    );
    let seeders: Vec<_> = (0..SEEDERS)
        .map(|_| {
            let (portal, next, jobs) = (portal.clone(), next.clone(), schedules.clone());
            tokio::spawn(async move {
                loop {
                    let f = next.fetch_add(1, Ordering::Relaxed);
                    if f >= friends {
                        return anyhow::Ok(());
                    }
                    let id = format!("c{f:05}");
                    portal.post("/api/friends", ADMIN, json!({"id": id, "display_name": format!("Cron {f}"), "agent_id": "main"})).await?;
                    let token = portal.session(&id).await?;
                    for k in (f * JOBS_PER_FRIEND..(f + 1) * JOBS_PER_FRIEND).take_while(|k| *k < jobs.len()) {
                        let job = json!({"name": format!("j{k:06}"), "cron": jobs[k], "message": "tick", "session": format!("agent:main:direct:channel:{id}")});
                        portal.post("/api/portal/workspace/crons", &token, job).await?;
                    }
                }
            })
        })
        .collect();
    for s in seeders {
        s.await??;
    }
    let seeded = seeding.elapsed();
    anyhow::ensure!(
        (unix_now() as u64) < first,
        "seeding {} jobs took {:.0} s, past the first job's time; raise --cron-seed-secs",
        bench.jobs,
        seeded.as_secs_f64()
    );

    let last = slot(first, bench.jobs - 1, bench);
    let settle = 10.0;
    while unix_now() < last as f64 + settle {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut drift = Histogram::<u64>::new(3)?;
    let received = {
        let arrivals = arrivals.lock().unwrap_or_else(|p| p.into_inner());
        for (name, at) in arrivals.iter() {
            let Some(k) = name.strip_prefix('j').and_then(|k| k.parse::<usize>().ok()) else {
                continue;
            };
            let late_ms = (at - slot(first, k, bench) as f64) * 1000.0;
            let _ = drift.record(late_ms.max(0.0) as u64);
        }
        arrivals.len()
    };

    let (cpu_before, wall) = (portal.cpu_time(), std::time::Instant::now());
    tokio::time::sleep(IDLE_SAMPLE).await;
    let idle = (portal.cpu_time() - cpu_before).as_secs_f64() / wall.elapsed().as_secs_f64();

    let jobs = bench.jobs;
    Ok(vec![
        (
            format!("seeding {friends} friends + {jobs} cron jobs"),
            format!("{:.0} s", seeded.as_secs_f64()),
        ),
        (
            format!(
                "cron: {jobs} jobs due over {} s, fire drift at the agent",
                bench.window
            ),
            format!(
                "p50 {} ms, p99 {} ms, max {} ms ({received} of {jobs} runs delivered)",
                drift.value_at_quantile(0.5),
                drift.value_at_quantile(0.99),
                drift.max()
            ),
        ),
        (
            format!("cron: idle CPU with {jobs} jobs loaded (whole process)"),
            format!(
                "{:.2} % of a core over {} s, RSS {} MiB",
                idle * 100.0,
                IDLE_SAMPLE.as_secs(),
                portal.rss_kib() / 1024
            ),
        ),
    ])
}
