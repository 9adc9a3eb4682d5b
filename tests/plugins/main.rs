//! The plugin runtime over HTTP: routing into components, scope, faults, backpressure,
//! link-time grants, hot swap and rollback.

#[path = "../support/mod.rs"]
mod support;

mod faults;
mod grants;
mod hot_swap;
mod routing;

use reqwest::StatusCode;
use serde_json::Value;
use support::{ADMIN, TestPortal};

/// A portal with friends alice and bob (made by agent `main`) and a session for each.
pub struct World {
    pub p: TestPortal,
    pub agent: String,
    pub alice: String,
    pub bob: String,
}

impl World {
    pub async fn new() -> Self {
        Self::on(TestPortal::start().await).await
    }

    pub async fn on(p: TestPortal) -> Self {
        let agent = p.add_agent("main").await;
        p.add_friend(&agent, "alice").await;
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

    /// `PUT /api/admin/plugins/{plugin}` with these bytes, as the admin (a hot swap).
    pub async fn upload(&self, plugin: &str, bytes: Vec<u8>) -> support::Reply {
        let r = self
            .p
            .http
            .put(self.p.url(&format!("/api/admin/plugins/{plugin}")))
            .bearer_auth(ADMIN)
            .body(bytes)
            .send()
            .await
            .unwrap();
        support::reply(r).await
    }

    /// This plugin's row in the admin plugin list (`GET /api/admin/plugins`).
    pub async fn plugin_row(&self, name: &str) -> Value {
        let list = self.p.get("/api/admin/plugins", ADMIN).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        list.body
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("plugin {name} not listed: {}", list.text))
            .clone()
    }
}
