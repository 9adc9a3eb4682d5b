//! Shared by the integration tests: a portal in this process on a free port, a temp
//! data dir, a manual clock, and a small JSON client.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use portal::clock::ManualClock;
use portal::config::ServeConfig;
use portal::policy::PolicySource;
use portal::server::{self, RunningServer};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const ADMIN: &str = "test-admin-token-0123456789";

pub struct TestPortal {
    pub server: RunningServer,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The `error.code` of a JSON error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

pub fn config_for(dir: &Path) -> ServeConfig {
    let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.to_owned());
    config.admin_token = Some(ADMIN.to_owned());
    config.policies = PolicySource::Dir(test_policies());
    // One cache of compiled plugins for every test portal: compiling is the slow part of a start.
    config.compiled_cache = Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("compiled-plugins"));
    config
}

/// `tests/policies`: the hello fixture and the misbehaving plugins.
pub fn test_policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/policies")
}

/// A fixture component built by build.rs.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("PORTAL_PLUGIN_DIR")).join(format!("{name}.wasm"))).unwrap()
}

impl TestPortal {
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap()).await
    }

    pub async fn start_in(dir: TempDir) -> Self {
        let data = dir.path().to_owned();
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        Self::start_tuned(dir, &data, start, |_| {}).await
    }

    /// A portal on the data dir `data` (inside `dir`, which it keeps), its clock at `now`,
    /// with the test config adjusted by `tune`.
    pub async fn start_tuned(
        dir: TempDir,
        data: &Path,
        now: chrono::DateTime<Utc>,
        tune: impl FnOnce(&mut ServeConfig),
    ) -> Self {
        let clock = ManualClock::new(now);
        let mut config = config_for(data);
        tune(&mut config);
        let (state, _) = server::build_state(config, clock.clone()).await.unwrap();
        let server = server::start(state).await.unwrap();
        Self {
            server,
            clock,
            dir,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the server and starts a new one on the same data dir.
    pub async fn restart(self) -> Self {
        let TestPortal { server, dir, .. } = self;
        server.shutdown().await.unwrap();
        Self::start_in(dir).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    pub async fn add_agent(&self, id: &str) -> String {
        let r = self
            .post(
                "/api/agents",
                ADMIN,
                json!({"id": id, "display_name": format!("Agent {id}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["token"].as_str().unwrap().to_owned()
    }

    pub async fn add_friend(&self, token: &str, id: &str) -> Value {
        let r = self
            .post(
                "/api/friends",
                token,
                json!({"id": id, "display_name": id.to_uppercase()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    /// A magic link's token, as `token` (an agent's or the admin's) asks for one.
    pub async fn link_for(&self, token: &str, friend: &str) -> String {
        let r = self
            .post(
                "/api/auth/portal-session",
                token,
                json!({"friend_id": friend}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["session_token"].as_str().unwrap().to_owned()
    }

    /// Opens a magic link as the page does (`POST /api/auth/exchange`).
    pub async fn exchange(&self, link: &str) -> Reply {
        self.send(
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"link_token": link})),
        )
        .await
    }

    /// A friend's session, made as the page makes one: a link, opened (exchanged).
    pub async fn session_for(&self, token: &str, friend: &str) -> String {
        let link = self.link_for(token, friend).await;
        let r = self.exchange(&link).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["session_token"].as_str().unwrap().to_owned()
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}
