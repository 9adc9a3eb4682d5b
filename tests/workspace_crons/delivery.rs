//! Delivery to an agent gateway (a local HTTP receiver): the body and the bearer token,
//! retries with backoff, the failure recorded after the last retry, and a token that
//! never reaches the log or a run record.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use portal::config::ServeConfig;
use reqwest::StatusCode;
use serde_json::json;

use crate::World;
use crate::receiver::{Receiver, closed_url};

const TOKEN: &str = "gw-token-5f0c2b7e9a41";
const CRONS: &str = "/api/portal/workspace/crons";

fn gateway(url: String) -> impl FnOnce(&mut ServeConfig) {
    move |config| {
        config.scheduler.gateway = Some(url);
        config.scheduler.gateway_token = Some(TOKEN.into());
        config.scheduler.retry_backoff = vec![Duration::from_millis(10), Duration::from_millis(30)];
        config.scheduler.attempt_timeout = Duration::from_secs(2);
    }
}

async fn last_run(w: &World, name: &str) -> serde_json::Value {
    w.job(&w.alice, name).await.unwrap()["last_run"].clone()
}

#[tokio::test]
async fn a_run_posts_the_message_with_the_bearer_token() {
    let gw = Receiver::start(&[], 200).await;
    let w = World::with(gateway(format!("{}/", gw.url))).await;
    w.alice_job("daily", "0 9 * * *").await;
    w.set_clock("2026-03-02T09:00:00Z");
    w.fire().await;
    let received = gw.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/hooks/agent")
    );
    assert_eq!(
        r.authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        r.body,
        json!({"message": "message of daily", "sessionKey": "agent:main:direct:channel:alice", "name": "daily",
            "sessionMode": "persistent", "agentId": "main"})
    );
    assert_eq!(
        last_run(&w, "daily").await,
        json!({"at": "2026-03-02T09:00:00Z", "trigger": "scheduled", "status": "delivered", "error": null})
    );
    assert!(
        w.outbox().await.is_empty(),
        "with a gateway the outbox stays empty"
    );

    // A manual run goes the same way.
    let r =
        w.p.post(&format!("{CRONS}/daily/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    w.scheduler().settle().await;
    assert_eq!(gw.received().len(), 2);
}

#[tokio::test]
async fn the_gateway_url_may_have_a_base_path() {
    let gw = Receiver::start(&[], 204).await;
    let w = World::with(gateway(format!("{}/agent-gw", gw.url))).await;
    w.alice_job("daily", "0 9 * * *").await;
    w.p.post(&format!("{CRONS}/daily/run"), &w.alice, json!({}))
        .await;
    w.scheduler().settle().await;
    assert_eq!(gw.received()[0].path, "/agent-gw/hooks/agent");
    assert_eq!(last_run(&w, "daily").await["status"], "delivered");
}

#[tokio::test]
async fn a_gateway_that_is_down_is_retried_with_backoff() {
    let gw = Receiver::start(&[503, 502], 200).await;
    let w = World::with(gateway(gw.url.clone())).await;
    w.alice_job("daily", "0 9 * * *").await;
    w.p.post(&format!("{CRONS}/daily/run"), &w.alice, json!({}))
        .await;
    w.scheduler().settle().await;
    assert_eq!(gw.received().len(), 3, "two failures, then delivered");
    assert_eq!(last_run(&w, "daily").await["status"], "delivered");
}

/// What the portal logs, from the first call on, in every test of this binary: a global
/// subscriber (a thread-local one would miss events whose callsites other threads
/// registered first).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("portal=debug")
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_failure_is_recorded_after_the_last_retry_and_the_token_stays_secret() {
    let logs = captured_logs();
    let gw = Receiver::start(&[], 503).await;
    let w = World::with(gateway(gw.url.clone())).await;
    w.alice_job("daily", "0 9 * * *").await;
    w.set_clock("2026-03-02T09:00:00Z");
    w.fire().await;
    assert_eq!(gw.received().len(), 3, "1 attempt + 2 retries");
    let run = last_run(&w, "daily").await;
    assert_eq!(
        (&run["status"], &run["trigger"]),
        (&json!("failed"), &json!("scheduled"))
    );
    let error = run["error"].as_str().unwrap();
    assert!(
        error.contains("503") && error.contains("3 attempts"),
        "{error}"
    );

    // Refused outright (401): no retry.
    let refused = Receiver::start(&[], 401).await;
    let w2 = World::with(gateway(refused.url.clone())).await;
    w2.alice_job("daily", "0 9 * * *").await;
    w2.p.post(&format!("{CRONS}/daily/run"), &w2.alice, json!({}))
        .await;
    w2.scheduler().settle().await;
    assert_eq!(refused.received().len(), 1);
    let run = last_run(&w2, "daily").await;
    assert_eq!(run["status"], "failed");
    assert!(run["error"].as_str().unwrap().contains("401"), "{run}");

    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("cron delivery failed") && logs.contains("cron delivery refused"),
        "the failures are logged"
    );
    assert!(!logs.contains(TOKEN), "the gateway token is never logged");
    assert!(
        !format!("{:?}", w.p.server.state.config).contains(TOKEN),
        "nor printed by Debug"
    );
    assert!(!w.p.get(CRONS, &w.alice).await.text.contains(TOKEN));
}

#[tokio::test]
async fn an_unreachable_gateway_fails_after_the_retries() {
    let w = World::with(gateway(closed_url().await)).await;
    w.alice_job("daily", "0 9 * * *").await;
    let r =
        w.p.post(&format!("{CRONS}/daily/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.body["status"], "pending");
    w.scheduler().settle().await;
    let run = last_run(&w, "daily").await;
    assert_eq!(run["status"], "failed");
    let error = run["error"].as_str().unwrap();
    assert!(
        error.contains("unreachable") && error.contains("3 attempts"),
        "{error}"
    );
}

#[tokio::test]
async fn a_bad_gateway_url_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::config_for(dir.path());
    config.scheduler.gateway = Some("ftp://gateway".into());
    let error = portal::server::build_state(config, Arc::new(portal::clock::SystemClock))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("agent gateway URL"), "{error}");
}

/// The store as a crash would leave it: its files copied as they are on disk now.
fn crash_image(w: &World) -> (tempfile::TempDir, portal_store::Store) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let image = tempfile::tempdir().unwrap();
    copy(&w.p.server.state.config.store_dir(), image.path());
    let store =
        portal_store::open_embedded(image.path(), portal_store::DEFAULT_CACHE_BYTES).unwrap();
    (image, store)
}

async fn runs_on_disk(store: &portal_store::Store, name: &str) -> Vec<portal::scheduler::Run> {
    store.crons.runs("alice", name, 10).await.unwrap()
}

#[tokio::test]
async fn a_run_is_on_disk_before_its_delivery_starts() {
    let gw = Receiver::holding().await;
    let url = gw.url.clone();
    let w = World::with(move |config| {
        config.scheduler.gateway = Some(url);
        config.scheduler.attempt_timeout = Duration::from_secs(30);
    })
    .await;
    w.alice_job("held", "0 11 * * *").await;

    // By hand: the delivery has reached the agent and is held open there.
    let r =
        w.p.post(&format!("{CRONS}/held/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    gw.wait_for(1).await;
    let (_image, store) = crash_image(&w);
    let runs = runs_on_disk(&store, "held").await;
    assert_eq!(runs.len(), 1, "the manual run is on disk: {runs:?}");
    assert_eq!(runs[0].status, portal::scheduler::RunStatus::Pending);
    assert_eq!(last_run(&w, "held").await["status"], "pending");
    drop(store);

    // On schedule: the same, for the run the timer starts.
    w.set_clock("2026-03-01T11:00:00Z");
    assert_eq!(w.scheduler().tick().await, 1);
    gw.wait_for(2).await;
    let (_image, store) = crash_image(&w);
    let runs = runs_on_disk(&store, "held").await;
    assert_eq!(runs.len(), 2, "the scheduled run is on disk: {runs:?}");
    assert_eq!(runs[0].trigger, portal::scheduler::Trigger::Scheduled);
    assert_eq!(runs[0].status, portal::scheduler::RunStatus::Pending);

    gw.release();
    w.scheduler().settle().await;
    assert_eq!(last_run(&w, "held").await["status"], "delivered");
}

/// While no flush can finish, a run is recorded but no delivery starts; once its record
/// is durable, it does. (Before, the delivery started first and the flush came after.)
#[tokio::test]
async fn no_delivery_starts_before_its_run_is_on_disk() {
    let gw = Receiver::start(&[], 200).await;
    let w = World::with(gateway(gw.url.clone())).await;
    w.alice_job("ordered", "0 11 * * *").await;
    let local = w.p.server.state.store.local.as_ref();
    let flusher = local.expect("the embedded store").flusher();
    let held = flusher.hold().await;
    let post = {
        let (http, url, token) = (
            w.p.http.clone(),
            w.p.url(&format!("{CRONS}/ordered/run")),
            w.alice.clone(),
        );
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
        })
    };
    // Until the run is recorded and its writer waits for the (held) flush.
    let recorded = async {
        while w
            .scheduler()
            .runs("alice", "ordered", 1)
            .await
            .unwrap()
            .is_empty()
            || !flusher.is_waiting()
        {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), recorded)
        .await
        .expect("the run is recorded and waits for its flush");
    assert_eq!(
        w.scheduler().deliveries_in_flight(),
        0,
        "a delivery started before its run was on disk"
    );
    drop(held);
    let r = post.await.unwrap().unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    w.scheduler().settle().await;
    assert_eq!(gw.received().len(), 1);
    assert_eq!(last_run(&w, "ordered").await["status"], "delivered");
}
