//! Failover (README, Benchmarks: Replicas): one friend with an every-second cron job, runs
//! sent to a stand-in agent gateway in this process that tells the replicas apart by path
//! (each replica's `--agent-gateway` ends in `/r/<replica id>`). The leader (its
//! `/metrics`) is killed with SIGKILL; the time until another replica delivers is the
//! failover time. Then a replacement starts, and again. With a short lease, then with the
//! default one.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use serde_json::{Value, json};

use crate::portal::{ADMIN, Portal};
use crate::replicas::{
    DEFAULT_KILLS, DEFAULT_LEASE, FAILOVER_NAMESPACE, REPLICAS, Replicas, SEEDED_AS, SHORT_KILLS,
    SHORT_LEASE, identity, policies,
};
use crate::store_backends::StoreBench;

/// Failover times of one lease.
pub(crate) struct Failovers {
    pub(crate) lease: (u64, u64, u64),
    pub(crate) times: Vec<Duration>,
}

impl std::fmt::Display for Failovers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sorted = self.times.clone();
        sorted.sort();
        let p50 = sorted[(sorted.len() - 1) / 2];
        let max = sorted[sorted.len() - 1];
        let each: Vec<String> = self
            .times
            .iter()
            .map(|t| format!("{:.1}", t.as_secs_f64()))
            .collect();
        write!(
            f,
            "p50 {:.1} s, max {:.1} s over {} kills (each: {} s)",
            p50.as_secs_f64(),
            max.as_secs_f64(),
            self.times.len(),
            each.join(", ")
        )
    }
}

/// Deliveries the stand-in gateway received: (replica, when).
type Received = Arc<Mutex<Vec<(String, Instant)>>>;

/// The stand-in agent gateway on loopback (OpenClaw's `/hooks/agent`, under a prefix
/// naming the replica); its base URL.
async fn gateway(received: Received) -> anyhow::Result<String> {
    async fn hook(
        State(received): State<Received>,
        UrlPath(replica): UrlPath<String>,
        axum::Json(_body): axum::Json<Value>,
    ) -> axum::Json<Value> {
        received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((replica, Instant::now()));
        axum::Json(json!({"ok": true}))
    }
    let app = axum::Router::new()
        .route("/r/{replica}/hooks/agent", axum::routing::post(hook))
        .with_state(received);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// The first delivery after `since` from a replica `from` accepts; when it arrived.
async fn delivery(
    received: &Received,
    since: Instant,
    limit: Duration,
    from: impl Fn(&str) -> bool,
) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + limit;
    loop {
        let found = received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(replica, at)| *at > since && from(replica))
            .map(|(_, at)| *at);
        if let Some(at) = found {
            return Ok(at);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no such delivery within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The short lease's kills, then the default lease's, on one store holding one friend with
/// an every-second job.
pub(crate) async fn failovers(bench: &StoreBench<'_>) -> anyhow::Result<Vec<Failovers>> {
    let work = tempfile::tempdir()?;
    let kubeconfig = identity(bench.plane, FAILOVER_NAMESPACE, work.path())?;
    let received: Received = Arc::default();
    let url = gateway(received.clone()).await?;
    let mut figures = Vec::new();
    let mut next_id = 0;
    for (lease, kills) in [(Some(SHORT_LEASE), SHORT_KILLS), (None, DEFAULT_KILLS)] {
        let mut replicas = Replicas {
            bench,
            work: work.path(),
            policies: policies(work.path(), FAILOVER_NAMESPACE, true, lease)?,
            kubeconfig: kubeconfig.clone(),
            gateway: Some(url.clone()),
            running: Vec::new(),
        };
        let ids: Vec<String> = (next_id..next_id + REPLICAS)
            .map(|i| format!("f{i}"))
            .collect();
        next_id += REPLICAS;
        replicas.start_all(&ids, 0).await?;
        if figures.is_empty() {
            every_second_job(&replicas.running[0].2).await?;
        }
        let mut times = Vec::new();
        for kill in 0..kills {
            let leader = replicas.leader(Duration::from_secs(60)).await?;
            let leader_id = replicas.running[leader].0.clone();
            // It leads and sends: its next run arrives.
            delivery(&received, Instant::now(), Duration::from_secs(30), |r| {
                r == leader_id
            })
            .await?;
            let killed_at = Instant::now();
            let (_, slot) = replicas.kill(leader)?;
            let at = delivery(&received, killed_at, Duration::from_secs(90), |r| {
                r != leader_id
            })
            .await?;
            let took = at - killed_at;
            eprintln!(
                "replicas: failover {} of {kills} (lease {}): {leader_id} killed, another delivered after {:.2} s",
                kill + 1,
                lease.map_or_else(
                    || "as in crons.toml".to_owned(),
                    |(l, d, r)| format!("{l}/{d}/{r}")
                ),
                took.as_secs_f64()
            );
            times.push(took);
            let replacement = format!("f{next_id}");
            next_id += 1;
            let started = replicas.start(&replacement, slot).await?;
            replicas.running.push(started);
        }
        replicas.stop_all();
        figures.push(Failovers {
            lease: lease.unwrap_or(DEFAULT_LEASE),
            times,
        });
    }
    Ok(figures)
}

/// Agent `main`, a friend of its, and one job of the friend's firing every second.
async fn every_second_job(portal: &Portal) -> anyhow::Result<()> {
    let friend = format!("{SEEDED_AS}-failover");
    portal.add_main_agent().await?;
    portal
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": friend, "display_name": "Failover", "agent_id": "main"}),
        )
        .await?;
    let session = portal.session(&friend).await?;
    portal
        .post(
            "/api/portal/workspace/crons",
            &session,
            json!({"name": "tick", "cron": "* * * * * *", "message": "tick",
                   "session": format!("agent:main:direct:channel:{friend}")}),
        )
        .await?;
    Ok(())
}
