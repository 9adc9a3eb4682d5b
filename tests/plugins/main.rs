//! The plugin runtime over HTTP: routing into components, scope, faults, backpressure,
//! link-time grants, hot swap and rollback.

#[path = "../support/mod.rs"]
mod support;

mod faults;
mod grants;
mod hot_swap;
mod routing;

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
}
