//! Misbehaving plugins are stopped; the host and every other request carry on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::World;
use crate::support::{ADMIN, Reply};

/// A fixture plugin that misbehaves (served at `/api/portal/fixtures/{plugin}`), and
/// what the host must answer when it does.
struct Fault {
    plugin: &'static str,
    status: StatusCode,
    code: &'static str,
    /// Text the error message must contain, if any.
    message: Option<&'static str>,
    /// The field of the plugin's admin row that counts this fault.
    counter: &'static str,
    /// The Prometheus counter for this fault, if it has one.
    metric: Option<&'static str>,
}

impl Fault {
    /// Calls the plugin once while 4 tasks keep calling hello, and checks what all faults
    /// share: the status and JSON error, no failed hello call, and its counters at 1.
    /// Returns the reply and how many hello calls succeeded meanwhile.
    async fn run(&self, w: &World) -> (Reply, usize) {
        let stop = Arc::new(AtomicBool::new(false));
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
                    while !stop.load(Ordering::Relaxed) {
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
        let path = format!("/api/portal/fixtures/{}", self.plugin);
        let reply = w.p.get(&path, &w.alice).await;
        stop.store(true, Ordering::Relaxed);
        let (mut ok, mut failed) = (0, 0);
        for worker in workers {
            let (o, f) = worker.await.unwrap();
            (ok, failed) = (ok + o, failed + f);
        }

        assert_eq!(reply.status, self.status, "{}", reply.text);
        assert_eq!(reply.code(), self.code);
        if let Some(message) = self.message {
            assert!(reply.message().contains(message), "{}", reply.text);
        }
        assert_eq!(failed, 0, "other requests kept succeeding ({ok} ok)");
        assert_eq!(w.plugin_row(self.plugin).await[self.counter], 1);
        if let Some(metric) = self.metric {
            let metrics =
                w.p.send(reqwest::Method::GET, "/metrics", Some(ADMIN), None);
            let metrics = metrics.await.text;
            let line = format!(r#"{metric}{{plugin="{}"}} 1"#, self.plugin);
            assert!(metrics.contains(&line), "{metrics}");
        }
        (reply, ok)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_loops_ends_at_its_deadline_with_504() {
    let w = World::new().await;
    let (_, ok) = Fault {
        plugin: "spin",
        status: StatusCode::GATEWAY_TIMEOUT,
        code: "plugin_timeout",
        message: Some("300 ms"),
        counter: "timeouts",
        metric: Some("portal_plugin_timeouts_total"),
    }
    .run(&w)
    .await;
    assert!(ok > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_hogs_memory_gets_a_json_500_naming_the_limit() {
    let w = World::new().await;
    Fault {
        plugin: "hog",
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "plugin_memory_limit",
        message: Some("memory limit of 8 MiB"),
        counter: "memory_limit_hits",
        metric: Some("portal_plugin_memory_limit_hits_total"),
    }
    .run(&w)
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_panics_gets_a_json_500_with_the_request_id() {
    let w = World::new().await;
    let (reply, ..) = Fault {
        plugin: "crash",
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "plugin_failed",
        message: None,
        counter: "traps",
        metric: None,
    }
    .run(&w)
    .await;
    let header_id = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(reply.body["error"]["request_id"], header_id);
    assert!(
        !reply.text.contains("panicked"),
        "no guest detail leaks to the caller"
    );
    // The same plugin serves its next request with a fresh instance.
    assert_eq!(
        w.p.get("/api/portal/fixtures/crash", &w.alice).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(w.plugin_row("crash").await["traps"], 2);
}

/// Starts a call to `narrow` (one slot, a guest that loops to its 5 s deadline) and
/// returns once it holds the slot, however slow the machine is.
async fn occupy_narrow(w: &World) -> tokio::task::JoinHandle<StatusCode> {
    let (http, url, token) = (
        w.p.http.clone(),
        w.p.url("/api/portal/fixtures/narrow"),
        w.alice.clone(),
    );
    let occupant = tokio::spawn(async move {
        let sent = http.get(url).bearer_auth(token).send().await;
        sent.expect("the occupant's call").status()
    });
    let waited = Instant::now();
    loop {
        let row = w.plugin_row("narrow").await;
        if row["in_flight"] == 1 {
            return occupant;
        }
        if occupant.is_finished() {
            panic!(
                "the occupant ended before it was seen holding the slot: {:?}; {row}",
                occupant.await
            );
        }
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the occupant never started: {row}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_plugin_answers_503_with_retry_after_when_the_wait_runs_out() {
    let w = World::new().await;
    let occupant = occupy_narrow(&w).await;
    // Alice holds the one slot: bob waits for it and gets 503 (alice herself, at her own
    // share of the slots, would get 429: tests/security/fair_share.rs).
    let refused = w.p.get("/api/portal/fixtures/narrow", &w.bob).await;
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
    let row = w.plugin_row("narrow").await;
    assert_eq!(row["rejected"], 1);
    assert_eq!(row["in_flight"], 0, "the slot is given back");
    // Other plugins were never affected.
    assert_eq!(
        w.p.get("/api/portal/hello", &w.alice).await.status,
        StatusCode::OK
    );
}

/// One runtime thread for the host, the looping guest and this test: unless the guest
/// yields at each epoch tick, nothing else runs until its deadline, and the occupant is
/// never even seen holding its slot.
#[tokio::test(flavor = "current_thread")]
async fn a_looping_plugin_does_not_hold_its_thread_until_the_deadline() {
    let w = World::new().await;
    let occupant = occupy_narrow(&w).await;
    for path in ["/healthz", "/api/portal/hello"] {
        let reply = w.p.get(path, &w.alice).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    }
    assert!(
        !occupant.is_finished(),
        "other requests were answered while the guest was still looping"
    );
    assert_eq!(occupant.await.unwrap(), StatusCode::GATEWAY_TIMEOUT);
}
