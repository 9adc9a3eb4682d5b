//! A cron run whose delivery was under way when the portal died (`kill -9`) is sent again
//! at the next start, with the same `Idempotency-Key`, so the agent's gateway can drop a
//! repeat: nothing acknowledged is lost, nothing runs twice.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::child::{Child, idempotency_key};

const DISCORD: &str = "323456789012345678";

/// `/hooks/agent` that keeps the first request waiting for ever (the portal dies meanwhile)
/// and admits the rest; it notes every key it receives.
#[derive(Clone, Default)]
struct Gateway {
    keys: Arc<Mutex<Vec<String>>>,
    arrived: Arc<Notify>,
}

async fn hook(
    axum::extract::State(gateway): axum::extract::State<Gateway>,
    headers: HeaderMap,
) -> axum::Json<Value> {
    let key = idempotency_key(&headers);
    let first = {
        let mut keys = gateway.keys.lock().unwrap();
        keys.push(key);
        keys.len() == 1
    };
    gateway.arrived.notify_waiters();
    if first {
        std::future::pending::<()>().await;
    }
    axum::Json(json!({"ok": true}))
}

impl Gateway {
    async fn start(&self) -> String {
        let app = axum::Router::new()
            .route("/hooks/agent", axum::routing::post(hook))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    async fn wait_for(&self, n: usize) -> Vec<String> {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let arrived = self.arrived.notified();
                let keys = self.keys.lock().unwrap().clone();
                if keys.len() >= n {
                    return keys;
                }
                arrived.await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the gateway did not get {n} deliveries"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_by_kill_9_is_sent_again_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = Gateway::default();
    let url = gateway.start().await;
    let portal = Child::serve_with(dir.path(), &["--agent-gateway", &url]).await;
    let (_, session) = portal.agent_and_friend("ann", DISCORD).await;
    let (status, body) = portal
        .call(
            Method::POST,
            "/api/portal/workspace/crons",
            &session,
            Some(json!({
                "name": "water",
                "message": "Water the plants",
                "cron": "0 9 * * *",
                "session": format!("agent:main:discord:direct:{DISCORD}"),
                "tz": "UTC",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = portal
        .call(
            Method::POST,
            "/api/portal/workspace/crons/water/run",
            &session,
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let first = gateway.wait_for(1).await;
    portal.kill_9();

    let portal = Child::serve_with(dir.path(), &["--agent-gateway", &url]).await;
    let keys = gateway.wait_for(2).await;
    assert_eq!(keys[1], first[0], "sent again with the same key");
    let runs_path = "/api/portal/workspace/crons/water";
    let mut delivered = false;
    for _ in 0..100 {
        let (_, job) = portal.call(Method::GET, runs_path, &session, None).await;
        if job["last_run"]["status"] == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the run is recorded as delivered");
    assert_eq!(
        gateway.keys.lock().unwrap().len(),
        2,
        "sent once more, no more"
    );
}
