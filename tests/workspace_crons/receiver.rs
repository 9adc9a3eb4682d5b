//! A stand-in agent gateway: an axum server on 127.0.0.1:0 that records what it receives
//! and answers with scripted statuses, at once or (`holding`) only once released.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Log {
    /// Statuses to answer with, in order; then `then`.
    script: VecDeque<u16>,
    then: u16,
    received: Vec<Received>,
}

/// What the handler shares with the test.
struct Shared {
    log: Mutex<Log>,
    /// When set, each request waits for a permit before it is answered.
    gate: Option<tokio::sync::Semaphore>,
    arrived: tokio::sync::Notify,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answers `script` in order, then `then` for ever.
    pub async fn start(script: &[u16], then: u16) -> Self {
        Self::serve(script, then, None).await
    }

    /// Records each request at once and answers 200 only after [`Receiver::release`]:
    /// a delivery held open.
    pub async fn holding() -> Self {
        Self::serve(&[], 200, Some(tokio::sync::Semaphore::new(0))).await
    }

    async fn serve(script: &[u16], then: u16, gate: Option<tokio::sync::Semaphore>) -> Self {
        let shared = Arc::new(Shared {
            log: Mutex::new(Log {
                script: script.iter().copied().collect(),
                then,
                received: Vec::new(),
            }),
            gate,
            arrived: tokio::sync::Notify::new(),
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(shared.clone());
        let (url, task) = serve(app).await;
        Self { url, shared, task }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().received.clone()
    }

    /// Waits (at most 10 s) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) {
        let wait = async {
            loop {
                let arrived = self.shared.arrived.notified();
                tokio::pin!(arrived);
                arrived.as_mut().enable();
                if self.received().len() >= n {
                    return;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{n} deliveries did not arrive in 10 s"));
    }

    /// Lets every held request, and every later one, be answered.
    pub fn release(&self) {
        if let Some(gate) = &self.shared.gate {
            gate.add_permits(1024);
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = {
        let mut log = shared.log.lock().unwrap();
        log.received.push(Received {
            method: method.to_string(),
            path: uri.path().to_owned(),
            authorization: header("authorization"),
            content_type: header("content-type"),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        log.script.pop_front().unwrap_or(log.then)
    };
    shared.arrived.notify_waiters();
    if let Some(gate) = &shared.gate {
        // The permit goes back at once: once released, every request passes.
        let _ = gate.acquire().await;
    }
    StatusCode::from_u16(status).unwrap()
}

/// Serves `app` on 127.0.0.1 at a port the OS picks: its URL, and the task to abort.
pub async fn serve(app: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

/// A URL nothing listens on: a port that was free a moment ago.
pub async fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}
