//! The workspace files and the cron jobs over HTTP, the scheduler under a manual clock,
//! and delivery to an agent gateway (a tiny HTTP receiver on 127.0.0.1).

#[path = "../support/mod.rs"]
mod support;

mod cron_routes;
mod crons_api;
mod delivery;
mod gateway_contract;
mod openclaw;
mod pace;
mod receiver;
mod scheduler;
mod workspace;

use chrono::{DateTime, Utc};
use portal::config::ServeConfig;
use portal::scheduler::Scheduler;
use reqwest::{Method, header::HeaderMap};
use serde_json::{Value, json};
use support::{ADMIN, Reply, TestPortal};
use tempfile::TempDir;

/// A portal with agent `main`, its friend alice (with platform ids), bob (made by the
/// admin, no friendship with `main`), and a portal session for each friend.
pub struct World {
    pub p: TestPortal,
    pub agent: String,
    pub alice: String,
    pub bob: String,
}

pub const ALICE_SIGNAL: &str = "+49 151 2345678";
pub const ALICE_DISCORD: &str = "123456789012345678";

impl World {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// A world whose config `tune` adjusts (agent gateway, retries...).
    pub async fn with(tune: impl FnOnce(&mut ServeConfig)) -> Self {
        let p = start(tempfile::tempdir().unwrap(), at(START), tune).await;
        let agent = p.add_agent("main").await;
        let r = p
            .post(
                "/api/friends",
                &agent,
                json!({"id": "alice", "display_name": "Alice", "signal": ALICE_SIGNAL, "discord_id": ALICE_DISCORD}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        p.add_friend(ADMIN, "bob").await;
        let alice = p.session_for(&agent, "alice").await;
        let bob = p.session_for(ADMIN, "bob").await;
        Self {
            p,
            agent,
            alice,
            bob,
        }
    }

    /// Stops the portal and starts it again on the same data dir, the clock set to `now`
    /// (the portal was down in between). Tokens survive a restart.
    pub async fn restart(self, now: &str, tune: impl FnOnce(&mut ServeConfig)) -> Self {
        let World {
            p,
            agent,
            alice,
            bob,
        } = self;
        let TestPortal { server, dir, .. } = p;
        server.shutdown().await.unwrap();
        let p = start(dir, at(now), tune).await;
        Self {
            p,
            agent,
            alice,
            bob,
        }
    }

    pub fn scheduler(&self) -> &Scheduler {
        &self.p.server.state.scheduler
    }

    /// Fires what is due at the clock's time and waits for the deliveries.
    pub async fn fire(&self) {
        self.scheduler().tick().await;
        self.scheduler().settle().await;
    }

    pub fn set_clock(&self, rfc3339: &str) {
        self.p.clock.set(at(rfc3339));
    }

    pub async fn create_job(&self, token: &str, body: Value) -> Reply {
        self.p
            .post("/api/portal/workspace/crons", token, body)
            .await
    }

    /// A valid job for alice, `name` and `cron` as given.
    pub async fn alice_job(&self, name: &str, cron: &str) -> Value {
        let r = self
            .create_job(
                &self.alice,
                json!({"name": name, "message": format!("message of {name}"), "cron": cron,
                       "session": "agent:main:direct:channel:alice"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    pub async fn job(&self, token: &str, name: &str) -> Option<Value> {
        let r = self.p.get("/api/portal/workspace/crons", token).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == name)
            .cloned()
    }

    pub async fn outbox(&self) -> Vec<Value> {
        let r = self.p.get("/api/admin/outbox", ADMIN).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body.as_array().unwrap().clone()
    }

    /// A request with extra headers and a raw body.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .p
            .http
            .request(method, self.p.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        support::reply(request.send().await.unwrap()).await
    }
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// Where the manual clock starts: a Sunday.
pub const START: &str = "2026-03-01T10:00:00Z";

/// Like `TestPortal::start_in`, at `now` and with the config adjusted by `tune`.
pub async fn start(
    dir: TempDir,
    now: DateTime<Utc>,
    tune: impl FnOnce(&mut ServeConfig),
) -> TestPortal {
    let data = dir.path().to_owned();
    TestPortal::start_tuned(dir, &data, now, tune).await
}

pub fn etag(headers: &HeaderMap) -> String {
    headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag header")
        .to_owned()
}
