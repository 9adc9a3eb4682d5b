//! Misbehaving plugins are stopped; the host and every other request carry on.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::World;
use crate::support::ADMIN;

/// Runs `fault` while 4 tasks keep calling hello; returns the fault's reply and how
/// many of the hello calls failed.
async fn during_load(w: &World, fault: &str) -> (crate::support::Reply, usize, usize) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, token, stop) = (
                w.p.http.clone(),
                w.p.url("/api/portal/hello"),
                w.alice.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0, 0);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match http.get(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status() == StatusCode::OK => ok += 1,
                        _ => failed += 1,
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let reply = w.p.get(fault, &w.alice).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut ok, mut failed) = (0, 0);
    for worker in workers {
        let (o, f) = worker.await.unwrap();
        ok += o;
        failed += f;
    }
    (reply, ok, failed)
}

async fn plugin_counter(w: &World, plugin: &str, field: &str) -> u64 {
    let list = w.p.get("/api/admin/plugins", ADMIN).await;
    list.body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == plugin)
        .unwrap()[field]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_loops_ends_at_its_deadline_with_504() {
    let w = World::new().await;
    let started = Instant::now();
    let (reply, ok, failed) = during_load(&w, "/api/portal/fixtures/spin").await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{}", reply.text);
    assert_eq!(reply.code(), "plugin_timeout");
    assert!(reply.message().contains("300 ms"), "{}", reply.text);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(failed, 0, "other requests kept succeeding ({ok} ok)");
    assert!(ok > 0);
    assert_eq!(plugin_counter(&w, "spin", "timeouts").await, 1);
    let metrics =
        w.p.http
            .get(w.p.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(
        metrics.contains(r#"portal_plugin_timeouts_total{plugin="spin"} 1"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_hogs_memory_gets_a_json_500_naming_the_limit() {
    let w = World::new().await;
    let (reply, ok, failed) = during_load(&w, "/api/portal/fixtures/hog").await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.text
    );
    assert_eq!(reply.code(), "plugin_memory_limit");
    assert!(
        reply.message().contains("memory limit of 8 MiB"),
        "{}",
        reply.text
    );
    assert_eq!(failed, 0, "other requests kept succeeding ({ok} ok)");
    assert_eq!(plugin_counter(&w, "hog", "memory_limit_hits").await, 1);
    let metrics =
        w.p.http
            .get(w.p.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(
        metrics.contains(r#"portal_plugin_memory_limit_hits_total{plugin="hog"} 1"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_panics_gets_a_json_500_with_the_request_id() {
    let w = World::new().await;
    let (reply, ok, failed) = during_load(&w, "/api/portal/fixtures/crash").await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.text
    );
    assert_eq!(reply.code(), "plugin_failed");
    let header_id = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(reply.body["error"]["request_id"], header_id);
    assert!(
        !reply.text.contains("panicked"),
        "no guest detail leaks to the caller"
    );
    assert_eq!(failed, 0, "other requests kept succeeding ({ok} ok)");
    assert_eq!(plugin_counter(&w, "crash", "traps").await, 1);
    // The same plugin serves its next request with a fresh instance.
    assert_eq!(
        w.p.get("/api/portal/fixtures/crash", &w.alice).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(plugin_counter(&w, "crash", "traps").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_plugin_answers_503_with_retry_after_when_the_wait_runs_out() {
    let w = World::new().await;
    let (http, url, token) = (
        w.p.http.clone(),
        w.p.url("/api/portal/fixtures/narrow"),
        w.alice.clone(),
    );
    let occupant = tokio::spawn(async move {
        http.get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = w.p.get("/api/portal/fixtures/narrow", &w.alice).await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.text
    );
    assert_eq!(refused.headers["retry-after"], "1");
    assert_eq!(
        occupant.await.unwrap(),
        StatusCode::GATEWAY_TIMEOUT,
        "the occupant ran to its deadline"
    );
    assert_eq!(plugin_counter(&w, "narrow", "rejected").await, 1);
    // Other plugins were never affected.
    assert_eq!(
        w.p.get("/api/portal/hello", &w.alice).await.status,
        StatusCode::OK
    );
}
