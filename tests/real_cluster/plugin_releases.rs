//! Plugins from a registry, across three replicas on the real control plane: a component
//! uploaded at one replica is pushed to a real registry, released, and served by every
//! replica before the install answers; a rollback at another replica reaches all of them;
//! a release named by reference (the CLI) and a replica started later follow the same way.
//! Requests keep coming throughout: none fails, and no replica flips back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::child::{ADMIN, binary};
use crate::control_plane::{control_plane, repo};
use crate::registry::Registry;
use crate::replicas::agent_and_friend;
use crate::replicas_support::{Gateway, Replicas};

/// (replica, when answered, status, the plugin's version).
type Seen = Arc<Mutex<Vec<(String, Instant, u16, String)>>>;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("PORTAL_PLUGIN_DIR")).join(format!("{name}.wasm")))
        .unwrap()
}

/// What each replica answered after `since`: every answer must be `version`.
fn assert_all_serve(seen: &Seen, since: Instant, version: &str, replicas: &[String]) {
    let seen = seen.lock().unwrap();
    for replica in replicas {
        let after: Vec<_> = seen
            .iter()
            .filter(|(r, at, _, _)| r == replica && *at > since)
            .collect();
        assert!(
            !after.is_empty(),
            "{replica} answered nothing after the change"
        );
        let other: Vec<_> = after.iter().filter(|(_, _, _, v)| v != version).collect();
        assert!(
            other.is_empty(),
            "{replica} answered another version after the change: {other:?}"
        );
    }
}

async fn change(request: reqwest::RequestBuilder) -> (Value, Duration) {
    let asked = Instant::now();
    let r = request.bearer_auth(ADMIN).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rollout"]["complete"], true, "{body}");
    (body, asked.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_reaches_every_replica_and_a_rollback_too() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    let registry = Registry::start().await;
    let crons = std::fs::read_to_string(repo().join("policies/crons.toml")).unwrap();
    let crons = crons.split("\n[leader]").next().unwrap().to_owned();
    let gateway = Gateway::start(Duration::ZERO).await;
    let mut replicas = Replicas::new(plane, "chaos-plugins", gateway, &crons).await;
    std::fs::copy(
        repo().join("tests/policies/plugins.toml"),
        replicas.policies().join("plugins.toml"),
    )
    .unwrap();
    replicas.extra = vec![
        "--plugin-registry".into(),
        format!("oci://{}/plugins", registry.addr),
        "--plugin-registry-plain-http".into(),
        registry.addr.clone(),
    ];
    let ids: Vec<String> = ["p0", "p1", "p2"].map(str::to_owned).to_vec();
    for id in &ids {
        replicas.start(id).await;
    }
    let (_, session) = agent_and_friend(&replicas, "p0", "ann").await;

    // Friends' requests on every replica, all the while.
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Seen = Arc::default();
    let mut load = Vec::new();
    for id in &ids {
        let (url, id) = (replicas.child(id).url.clone(), id.clone());
        let (stop, seen, session) = (stop.clone(), seen.clone(), session.clone());
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .get(format!("{url}/api/portal/hello"))
                    .bearer_auth(&session)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                let version = body["version"].as_str().unwrap_or("?").to_owned();
                seen.lock()
                    .unwrap()
                    .push((id.clone(), Instant::now(), status, version));
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_all_serve(
        &seen,
        Instant::now() - Duration::from_millis(500),
        "v1",
        &ids,
    );

    // An upload at p1: pushed to the registry, released, served by all when answered.
    let http = reqwest::Client::new();
    let (body, took) = change(
        http.put(format!(
            "{}/api/admin/plugins/hello",
            replicas.child("p1").url
        ))
        .body(fixture("hello2")),
    )
    .await;
    let answered = Instant::now();
    assert_eq!(body["rollout"]["serving"], serde_json::json!(ids), "{body}");
    let reference = body["rollout"]["release"]["reference"]
        .as_str()
        .expect("the release's reference")
        .to_owned();
    assert!(
        reference.contains("@sha256:"),
        "pinned by digest: {reference}"
    );
    eprintln!("plugin_releases: an upload at one replica served by all three in {took:.2?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_all_serve(&seen, answered, "v2", &ids);

    // A rollback at p2: every replica is back on the built-in version.
    let (_, took) = change(http.post(format!(
        "{}/api/admin/plugins/hello/rollback",
        replicas.child("p2").url
    )))
    .await;
    let answered = Instant::now();
    eprintln!("plugin_releases: a rollback served by all three in {took:.2?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_all_serve(&seen, answered, "v1", &ids);

    // The operator's command, naming the release by reference.
    let url = replicas.child("p0").url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(binary())
            .args(["plugin", "install", "hello", &reference, "--url", &url])
            .args(["--admin-token", ADMIN])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("served by: p0, p1, p2"), "{said}");
    let answered = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_all_serve(&seen, answered, "v2", &ids);

    // A replica started now serves the release from its first request.
    replicas.start("p3").await;
    let (status, text) = replicas
        .child("p3")
        .get_text("/api/portal/hello", &session)
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("\"v2\""), "{text}");

    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let seen = seen.lock().unwrap();
    let failed: Vec<_> = seen.iter().filter(|(_, _, s, _)| *s != 200).collect();
    assert!(
        failed.is_empty(),
        "requests failed during the rollouts: {failed:?}"
    );
    eprintln!("plugin_releases: {} requests, none failed", seen.len());
    drop(seen);
    replicas.stop_all();
    plane.admin(&["delete", "namespace", &replicas.namespace, "--wait=false"]);
}
