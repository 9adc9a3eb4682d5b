//! Chaos on the real control plane: three portal replicas share a kube store, and the test
//! kills, stops and cuts off the one that leads while cron runs are on their way to a
//! stand-in agent gateway that records who sent what.
//!
//! What must hold (README, Scaling out): every scheduled time claimed is recorded once and
//! reaches the gateway under one key (a repeat after a failover carries the same key, and
//! the gateway drops it); no replica sends anything once its renew deadline has passed;
//! a new leader takes over within about a lease duration; a magic link opens once however
//! many replicas race for it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::control_plane::control_plane;
use crate::replicas_support::{Gateway, RENEW_DEADLINE_SECS, Replicas};

const DISCORD: &str = "223456789012345678";
/// Leaders killed with `kill -9`, for the failover figures.
const KILLS: usize = 10;

/// Every-second jobs are allowed here (so that a leader always has runs in flight) and
/// every run is kept; `replicas_support` adds a short lease.
const CRONS: &str = r#"
max_jobs_per_friend = 50
grace_minutes = 15
runs_kept = 1000

[pace]
min_interval_secs = 1
max_runs_per_minute = 100000

[manual_runs]
burst = 1000
refill_secs = 1

[delivery]
max_concurrent = 64
max_concurrent_per_friend = 16
attempt_timeout_secs = 5
retry_backoff_secs = [1, 1, 1]
shutdown_wait_secs = 5
"#;

/// An agent and a friend with a Discord id, made through `replica`: the agent's token and a
/// token that works for the friend (an unopened link's).
pub(crate) async fn agent_and_friend(
    replicas: &Replicas,
    replica: &str,
    friend: &str,
) -> (String, String) {
    replicas
        .child(replica)
        .agent_and_friend(friend, DISCORD)
        .await
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// The store's record of every run: (job, scheduled time, status).
fn recorded_runs(replicas: &Replicas) -> Vec<(String, Option<String>, String)> {
    replicas
        .store_objects(control_plane(), "portaljobs")
        .iter()
        .flat_map(|job| {
            let name = job["spec"]["name"].as_str().unwrap_or_default().to_owned();
            job["spec"]["runs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |run| {
                    (
                        name.clone(),
                        run["scheduledFor"].as_str().map(str::to_owned),
                        run["status"].as_str().unwrap_or_default().to_owned(),
                    )
                })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cron_time_reaches_the_agent_once_whatever_happens_to_the_leader() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    // Answers after 300 ms: a leader always has deliveries in flight when it dies.
    let gateway = Gateway::start(Duration::from_millis(300)).await;
    let mut replicas = Replicas::new(plane, "chaos-scheduler", gateway.clone(), CRONS).await;
    for id in ["r0", "r1", "r2"] {
        replicas.start(id).await;
    }
    let started = Instant::now();
    let (_, session) = agent_and_friend(&replicas, "r0", "ann").await;
    let jobs = ["water", "stretch", "breathe", "drink"];
    for name in jobs {
        let (status, body) = replicas
            .child("r1")
            .call(
                Method::POST,
                "/api/portal/workspace/crons",
                &session,
                Some(json!({
                    "name": name,
                    "message": format!("Time to {name}"),
                    "cron": "* * * * * *",
                    "session": format!("agent:main:discord:direct:{DISCORD}"),
                    "tz": "UTC",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let first = replicas.leader(Duration::from_secs(30)).await;
    gateway
        .first_from_another("nobody", started, Duration::from_secs(30))
        .await;
    assert!(
        gateway.received().iter().all(|r| r.replica == first),
        "only the leader sends"
    );

    // kill -9 the leader, ten times, each time with deliveries in flight; a fresh replica
    // joins after each (as a Deployment replaces a pod).
    let mut failovers = Vec::new();
    for round in 0..KILLS {
        let leader = replicas.leader(Duration::from_secs(30)).await;
        let killed = Instant::now();
        replicas.kill(&leader);
        let next = gateway
            .first_from_another(&leader, killed, Duration::from_secs(30))
            .await;
        failovers.push(next.at - killed);
        replicas.start(&format!("r{}", round + 3)).await;
    }
    failovers.sort();
    eprintln!(
        "replicas: failover (leader killed -> the next leader's first delivery) over {KILLS} kills: p50 {:.2?}, max {:.2?}",
        percentile(&failovers, 0.5),
        failovers[failovers.len() - 1]
    );

    // SIGSTOP the leader past its lease, then SIGCONT: it sends nothing after its deadline.
    let leader = replicas.leader(Duration::from_secs(30)).await;
    let stopped = Instant::now();
    replicas.signal(&leader, "-STOP");
    gateway
        .first_from_another(&leader, stopped, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    replicas.signal(&leader, "-CONT");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let deadline = stopped + Duration::from_secs(RENEW_DEADLINE_SECS);
    let late = gateway.sent_by_since(&leader, deadline);
    assert!(
        late.is_empty(),
        "{leader} sent after its renew deadline: {late:?}"
    );
    assert_ne!(replicas.leader(Duration::from_secs(30)).await, leader);

    // Cut the leader off the API server: it stops sending by its renew deadline, another
    // takes over, and once mended it follows.
    let leader = replicas.leader(Duration::from_secs(30)).await;
    let cut = Instant::now();
    replicas.proxy(&leader).cut();
    gateway
        .first_from_another(&leader, cut, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // An attempt started before the deadline may still be answered just after it.
    let deadline = cut + Duration::from_secs(RENEW_DEADLINE_SECS) + Duration::from_millis(500);
    let late = gateway.sent_by_since(&leader, deadline);
    assert!(
        late.is_empty(),
        "{leader} sent after its renew deadline: {late:?}"
    );
    replicas.proxy(&leader).mend();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_ne!(replicas.leader(Duration::from_secs(30)).await, leader);

    // Pause the jobs, let the runs under way settle, then count.
    let any = replicas.ids()[0].clone();
    for name in jobs {
        let (status, body) = replicas
            .child(&any)
            .call(
                Method::POST,
                &format!("/api/portal/workspace/crons/{name}/toggle"),
                &session,
                Some(json!({"enabled": false})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let settle = Instant::now();
    let runs = loop {
        let runs = recorded_runs(&replicas);
        if runs.iter().all(|(_, _, status)| status != "pending") {
            break runs;
        }
        assert!(
            settle.elapsed() < Duration::from_secs(60),
            "runs still pending a minute after the jobs were paused"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut times = HashSet::new();
    for (job, at, status) in &runs {
        assert_eq!(status, "delivered", "{job} at {at:?}");
        assert!(
            times.insert((job.clone(), at.clone())),
            "{job} at {at:?} was recorded twice"
        );
    }
    let received = gateway.received();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for r in &received {
        *by_key.entry(r.key.as_str()).or_default() += 1;
    }
    assert_eq!(
        by_key.len(),
        runs.len(),
        "one key per recorded run ({} deliveries received)",
        received.len()
    );
    let repeated = by_key.values().filter(|n| **n > 1).count();
    eprintln!(
        "replicas: {} runs recorded, {} distinct keys delivered, {repeated} keys sent again after a failover (dropped by the gateway)",
        runs.len(),
        by_key.len()
    );
    replicas.stop_all();
    plane.admin(&["delete", "namespace", &replicas.namespace, "--wait=false"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_opens_once_however_many_replicas_race_for_it() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    let gateway = Gateway::start(Duration::ZERO).await;
    let mut replicas = Replicas::new(plane, "chaos-links", gateway, CRONS).await;
    for id in ["a", "b", "c"] {
        replicas.start(id).await;
    }
    let (agent, _) = agent_and_friend(&replicas, "a", "f0").await;
    let mut links = Vec::new();
    for f in 0..10 {
        let friend = format!("f{f}");
        if f > 0 {
            let (status, body) = replicas
                .child("a")
                .call(
                    Method::POST,
                    "/api/friends",
                    &agent,
                    Some(json!({"id": friend, "display_name": format!("Friend {f}")})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        // Ten links an hour each (sessions.toml); f0's first went to agent_and_friend.
        let count = if f == 0 { 9 } else { 10 };
        for i in 0..count {
            let issuer = ["a", "b", "c"][i % 3];
            links.push(replicas.child(issuer).link(&agent, &friend).await);
        }
    }
    let urls: Vec<String> = replicas
        .ids()
        .iter()
        .map(|id| replicas.child(id).url.clone())
        .collect();
    let client = reqwest::Client::new();
    let mut opened: HashMap<usize, usize> = HashMap::new();
    // Five links at a time, each raced by its twenty requests.
    for wave in links.chunks(5).enumerate() {
        let (w, tokens) = wave;
        let mut tasks = Vec::new();
        for (j, token) in tokens.iter().enumerate() {
            let l = w * 5 + j;
            for i in 0..20 {
                let url = format!("{}/api/auth/exchange", urls[(l + i) % urls.len()]);
                let (client, token) = (client.clone(), token.clone());
                tasks.push(tokio::spawn(async move {
                    let r = client
                        .post(url)
                        .json(&json!({"link_token": token}))
                        .send()
                        .await
                        .unwrap();
                    let status = r.status();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    (l, status, body)
                }));
            }
        }
        for task in tasks {
            let (l, status, body) = task.await.unwrap();
            match status {
                StatusCode::CREATED => *opened.entry(l).or_default() += 1,
                StatusCode::UNAUTHORIZED => {
                    assert_eq!(body["error"]["code"], "link_used", "{body}")
                }
                other => panic!("an exchange answered {other}: {body}"),
            }
        }
    }
    assert_eq!(opened.len(), links.len(), "every link opened");
    assert!(
        opened.values().all(|n| *n == 1),
        "a link opened more than once: {opened:?}"
    );
    replicas.stop_all();
    plane.admin(&["delete", "namespace", &replicas.namespace, "--wait=false"]);
}
