//! A rolling restart of three replicas under load, as `deploy/portal.yaml` has Kubernetes do
//! it: a new replica starts and is added to the endpoints once it listens (maxSurge 1, its
//! readiness), then an old one is taken out of the endpoints, given the preStop's moment for
//! that to spread, and sent SIGTERM, on which it finishes the requests under way. The test
//! plays the Service: its clients spread requests over the endpoints of the moment. Not one
//! request may fail, and the schedule keeps a leader throughout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::StatusCode;

use crate::control_plane::{control_plane, repo};
use crate::replicas::agent_and_friend;
use crate::replicas_support::{Gateway, Replicas};

/// The preStop sleep's stand-in: how long an old replica still serves once it is out of
/// the endpoints (a client may have picked it just before).
const OUT_OF_ENDPOINTS: Duration = Duration::from_millis(500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_fails_no_request() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    let crons = std::fs::read_to_string(repo().join("policies/crons.toml")).unwrap();
    let crons = crons.split("\n[leader]").next().unwrap().to_owned();
    let gateway = Gateway::start(Duration::ZERO).await;
    let mut replicas = Replicas::new(plane, "chaos-rolling", gateway, &crons).await;
    let old = ["s0", "s1", "s2"];
    for id in old {
        replicas.start(id).await;
    }
    let (_, session) = agent_and_friend(&replicas, "s0", "ann").await;
    let endpoints: Arc<RwLock<Vec<(String, String)>>> = Arc::new(RwLock::new(
        old.iter()
            .map(|id| (id.to_string(), replicas.child(id).url.clone()))
            .collect(),
    ));

    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..8usize {
        let (stop, endpoints, session) = (stop.clone(), endpoints.clone(), session.clone());
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut served, mut failed) = (0usize, Vec::new());
            let mut turn = worker;
            while !stop.load(Ordering::Relaxed) {
                let (id, url) = {
                    let endpoints = endpoints.read().unwrap();
                    turn += 1;
                    endpoints[turn % endpoints.len()].clone()
                };
                match http
                    .get(format!("{url}/api/portal/me"))
                    .bearer_auth(&session)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::OK => served += 1,
                    Ok(r) => failed.push(format!("{id}: {}", r.status())),
                    Err(e) => failed.push(format!("{id}: {e}")),
                }
            }
            (served, failed)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    for (i, id) in old.iter().enumerate() {
        let new = format!("s{}", i + 3);
        replicas.start(&new).await;
        let url = replicas.child(&new).url.clone();
        {
            let mut endpoints = endpoints.write().unwrap();
            endpoints.push((new.clone(), url));
            endpoints.retain(|(e, _)| e != id);
        }
        tokio::time::sleep(OUT_OF_ENDPOINTS).await;
        let (child, _proxy) = replicas.running.remove(*id).unwrap();
        let status = tokio::task::spawn_blocking(move || child.terminate())
            .await
            .unwrap();
        assert!(status.success(), "{id} stopped with {status}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut served, mut failed) = (0, Vec::new());
    for task in load {
        let (s, f) = task.await.unwrap();
        served += s;
        failed.extend(f);
    }
    assert!(
        failed.is_empty(),
        "{} requests failed: {failed:?}",
        failed.len()
    );
    assert!(served > 100, "only {served} requests were served");
    eprintln!(
        "rolling: 3 replicas replaced one at a time under load: {served} requests, none failed"
    );
    // The new replicas elected a leader among themselves.
    replicas.leader(Duration::from_secs(30)).await;
    replicas.stop_all();
    plane.admin(&["delete", "namespace", &replicas.namespace, "--wait=false"]);
}
