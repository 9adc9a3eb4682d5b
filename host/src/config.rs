//! What `portal serve` runs with, after flags, environment and defaults are merged.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The base URL friends reach the portal at, without a trailing slash.
    /// `None`: `http://<the address actually bound>`.
    pub public_url: Option<String>,
    /// When `None`, the token kept in `<data-dir>/admin-token` is used (generated on first start).
    pub admin_token: Option<String>,
    pub workspace_dir: PathBuf,
    pub policies: crate::policy::PolicySource,
    pub cluster: crate::cluster::ClusterMode,
    pub dns: crate::dns::DnsMode,
    /// Replaces the allowed domains of `exposure.toml` when set.
    pub domains: Option<Vec<String>>,
    /// Where Cloudflare's API is and the token for it (`--dns cloudflare`).
    pub cloudflare: Option<crate::dns::CloudflareConfig>,
    /// Where compiled plugins are cached. Default: `<data-dir>/compiled`.
    pub compiled_cache: Option<PathBuf>,
    /// Where the portal's state is kept: the embedded database, or the cluster.
    pub store: StoreMode,
    /// The embedded store's page cache, in bytes.
    pub store_cache_bytes: u64,
    /// Cron: the agent gateway (or the local outbox), limits, grace window, retries.
    pub scheduler: crate::scheduler::SchedulerConfig,
    /// Where plugin releases come from and uploads go.
    pub registry: crate::releases::RegistrySettings,
}

impl ServeConfig {
    /// Defaults for everything but the listen address and data dir (what tests vary).
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            public_url: None,
            workspace_dir: data_dir.join("workspace"),
            admin_token: None,
            policies: crate::policy::PolicySource::Embedded,
            cluster: crate::cluster::ClusterMode::Embedded,
            compiled_cache: None,
            dns: crate::dns::DnsMode::Local,
            domains: None,
            cloudflare: None,
            store: StoreMode::Sled,
            store_cache_bytes: portal_store::DEFAULT_CACHE_BYTES,
            scheduler: crate::scheduler::SchedulerConfig::default(),
            registry: crate::releases::RegistrySettings::default(),
            listen,
            data_dir,
        }
    }

    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    pub fn compiled_dir(&self) -> PathBuf {
        self.compiled_cache
            .clone()
            .unwrap_or_else(|| self.data_dir.join("compiled"))
    }

    pub fn admin_token_file(&self) -> PathBuf {
        self.data_dir.join("admin-token")
    }
}

/// This replica's name when `PORTAL_REPLICA_ID` is not set: the host's name (in a pod, the
/// pod's name), else `portal`.
pub fn default_replica_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "portal".to_owned())
}

/// `PORTAL_REPLICA_ID` checked: it names the replica in the lease, logs and metric labels,
/// so 1-253 characters of letters, digits, '.', '_' and '-' (a pod's name fits).
pub fn replica_id(id: &str) -> anyhow::Result<String> {
    let ok = (1..=253).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        anyhow::bail!(
            "PORTAL_REPLICA_ID must be 1-253 characters of letters, digits, '.', '_' and '-'"
        );
    }
    Ok(id.to_owned())
}

/// Where the portal's state is kept (`--store`; README, Scaling out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreMode {
    /// One embedded database in the data dir, opened by one process at a time.
    Sled,
    /// Custom resources in the portal's own namespace (needs `--cluster kube`).
    Kube,
}

impl StoreMode {
    pub fn name(self) -> &'static str {
        match self {
            StoreMode::Sled => "sled",
            StoreMode::Kube => "kube",
        }
    }
}
