//! Everything a request handler can reach, built once at start-up.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::config::ServeConfig;
use crate::telemetry::metrics::Metrics;
use crate::workspace::Workspace;
use portal_store::Store;

pub struct AppState {
    pub runtime: crate::runtime::Runtime,
    pub config: ServeConfig,
    pub store: Store,
    pub clock: SharedClock,
    pub admin_token: String,
    pub metrics: Arc<Metrics>,
    pub workspace: Workspace,
    pub scheduler: crate::scheduler::Scheduler,
    pub cluster: Arc<crate::cluster::Cluster>,
    pub exposure: Arc<crate::exposure::ExposurePolicy>,
    pub dns: Arc<crate::dns::Dns>,
    pub session_issue_lock: tokio::sync::Mutex<()>,
    /// `policies/sessions.toml`: how long an unopened link lasts.
    pub session_policy: crate::auth::policy::SessionPolicy,
    /// Set once the listener is bound (the port may have been chosen by the OS).
    pub public_url: std::sync::OnceLock<String>,
    /// Serves the benchmarks' native echo (`native_echo` in the plugin policy).
    pub native_echo: bool,
    /// Sessions whose use is being recorded, so that requests arriving together write once.
    pub touching: crate::auth::Touching,
    /// Follows the plugin releases (README, Plugins from a registry).
    pub releases: crate::releases::follow::Follower,
    /// The leader lease's elector (replicas sharing a kube store), given up at shutdown.
    pub elector: std::sync::Mutex<Option<crate::leader::lease::Elector>>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// The base of magic links.
    pub fn public_url(&self) -> &str {
        self.public_url.get().map_or("", String::as_str)
    }

    /// The number of portal-managed secrets in the friend's namespace (0 if the cluster cannot say).
    pub async fn secret_count(&self, friend_id: &str) -> usize {
        match self
            .cluster
            .list_secrets(&portal_store::namespace_of(friend_id))
            .await
        {
            Ok(secrets) => secrets.len(),
            Err(e) => {
                tracing::warn!(friend = friend_id, error = %e, "could not count secrets");
                0
            }
        }
    }
}
