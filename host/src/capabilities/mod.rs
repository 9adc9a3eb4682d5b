//! The host side of each WIT interface, one file per interface, named after it.
//! Every function reads the friend, namespace and key prefix from the store's scope.

mod cluster;
mod cron;
mod dns;
mod ingress;
pub mod kv;
mod log;
mod secrets;
pub mod workspace;

/// What the capabilities reach: built once at start, shared by every request.
pub struct Services {
    /// Plugin kv entries and their per-friend byte totals (`kv` interface).
    pub kv: kv::PluginKv,
    /// The workspace files (`workspace` interface).
    pub files: workspace::Files,
    /// The cron jobs (`cron` interface).
    pub scheduler: crate::scheduler::Scheduler,
    /// The friend namespaces (`secrets` and `cluster` interfaces).
    pub cluster: std::sync::Arc<crate::cluster::Cluster>,
    /// Exposure rules and the DNS provider (`ingress` and `dns` interfaces).
    pub exposure: std::sync::Arc<crate::exposure::ExposurePolicy>,
    pub dns: std::sync::Arc<crate::dns::Dns>,
    /// The store: who owns each hostname, and which friends exist (`ingress` and `dns`).
    pub store: portal_store::Store,
    /// Timestamps a capability writes (secrets' `created_at`/`updated_at`).
    pub clock: crate::clock::SharedClock,
}

impl Services {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: &portal_store::Store,
        kv_limits: std::collections::HashMap<String, u64>,
        workspace: crate::workspace::Workspace,
        scheduler: crate::scheduler::Scheduler,
        cluster: std::sync::Arc<crate::cluster::Cluster>,
        exposure: std::sync::Arc<crate::exposure::ExposurePolicy>,
        dns: std::sync::Arc<crate::dns::Dns>,
        clock: crate::clock::SharedClock,
    ) -> Self {
        Self {
            kv: kv::PluginKv::open(store, kv_limits),
            files: workspace::Files::new(workspace),
            scheduler,
            cluster,
            exposure,
            dns,
            store: store.clone(),
            clock,
        }
    }
}
