//! The plugin runtime: one wasmtime engine, the plugins the policy names, a fresh
//! instance per request, hot swap and rollback.

pub mod bindings;
mod compile;
pub mod describe;
pub mod embedded;
mod engine;
pub mod grants;
mod invoke;
mod plugin;
mod plugin_metrics;
mod stats;
pub mod store_data;
mod versions;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use wasmtime::Engine;

pub use compile::sha256_hex;
pub use invoke::InvokeError;
pub use plugin::{LoadError, Plugin};
pub use store_data::Scope;

use crate::capabilities::Services;
use crate::clock::SharedClock;
use crate::policy::{ComponentSource, PluginPolicy, PluginsPolicy};
use crate::telemetry::metrics::Metrics;
use compile::ArtifactCache;
use versions::VersionStore;

/// The largest component an operator may upload.
pub const MAX_COMPONENT_BYTES: usize = 32 * 1024 * 1024;

pub struct Runtime {
    engine: Engine,
    cache: Arc<ArtifactCache>,
    versions: VersionStore,
    plugins: BTreeMap<String, Arc<Plugin>>,
    services: Arc<Services>,
    clock: SharedClock,
    _ticker: engine::EpochTicker,
}

/// The answer to an install or a rollback.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Swap {
    pub name: String,
    pub version: String,
    pub previous: String,
}

/// One row of `GET /api/admin/plugins`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub loaded_at: DateTime<Utc>,
    pub requests: u64,
    pub errors: u64,
    pub traps: u64,
    pub timeouts: u64,
    pub memory_limit_hits: u64,
    pub rejected: u64,
    /// Calls holding one of the plugin's `concurrency` slots right now.
    pub in_flight: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub grants: Vec<&'static str>,
    pub routes: Vec<RouteInfo>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RouteInfo {
    pub method: String,
    pub path: String,
    pub name: String,
}

impl Runtime {
    /// Loads every plugin of the policy: the last installed version when there is one,
    /// else the policy's component. Any plugin that cannot load stops the start.
    pub fn start(
        policy: &PluginsPolicy,
        data_dir: &Path,
        compiled_dir: &Path,
        services: Arc<Services>,
        metrics: Arc<Metrics>,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let max_memory = policy
            .plugins
            .values()
            .map(|p| p.memory_mib)
            .max()
            .unwrap_or(64) as usize;
        let engine = engine::build(max_memory << 20)
            .map_err(|e| anyhow::anyhow!("cannot configure wasmtime: {e:#}"))?;
        let cache = Arc::new(ArtifactCache::new(compiled_dir.to_owned(), &engine)?);
        let versions = VersionStore::new(data_dir.join("plugins"));
        let total: usize = policy.plugins.values().map(|p| p.concurrency).sum();
        anyhow::ensure!(
            total <= engine::POOL_INSTANCES as usize,
            "{}: the plugins' concurrency limits add up to {total}, above the pool of {}",
            policy.file,
            engine::POOL_INSTANCES
        );
        let mut plugins = BTreeMap::new();
        for plugin_policy in policy.plugins.values() {
            let bytes = match versions.history(&plugin_policy.name)?.last() {
                Some(installed) => versions.bytes(&plugin_policy.name, &installed.version)?,
                None => base_bytes(plugin_policy)?,
            };
            let version = plugin::prepare(&engine, &cache, plugin_policy, &bytes, clock.now())
                .map_err(|e| {
                    anyhow::anyhow!("{}: plugins.{}: {e}", policy.file, plugin_policy.name)
                })?;
            tracing::info!(plugin = %plugin_policy.name, version = %version.sha256, "plugin loaded");
            plugins.insert(
                plugin_policy.name.clone(),
                Arc::new(Plugin::new(
                    plugin_policy.clone(),
                    version,
                    plugin_metrics::PluginMetrics::new(&metrics, &plugin_policy.name),
                )),
            );
        }
        let ticker = engine::EpochTicker::start(engine.clone());
        Ok(Self {
            engine,
            cache,
            versions,
            plugins,
            services,
            clock,
            _ticker: ticker,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn services(&self) -> &Arc<Services> {
        &self.services
    }

    pub fn plugin(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.plugins.get(name)
    }

    pub fn plugins(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.plugins.values()
    }

    pub fn info(&self) -> Vec<PluginInfo> {
        self.plugins
            .values()
            .map(|p| {
                let version = p.current();
                let s = &p.stats;
                let (p50_ms, p99_ms) = s.percentiles();
                PluginInfo {
                    name: p.name().to_owned(),
                    version: version.sha256.clone(),
                    loaded_at: version.loaded_at,
                    requests: stats::PluginStats::get(&s.requests),
                    errors: stats::PluginStats::get(&s.errors),
                    traps: stats::PluginStats::get(&s.traps),
                    timeouts: stats::PluginStats::get(&s.timeouts),
                    memory_limit_hits: stats::PluginStats::get(&s.memory_limit_hits),
                    rejected: stats::PluginStats::get(&s.rejected),
                    in_flight: p.in_flight() as u64,
                    p50_ms,
                    p99_ms,
                    grants: p.policy.grants.iter().map(|g| g.name()).collect(),
                    routes: p
                        .policy
                        .routes
                        .iter()
                        .map(|r| RouteInfo {
                            method: r.method.to_string(),
                            path: r.path.clone(),
                            name: r.name.clone(),
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// Compiles and validates `bytes` off the request path, keeps them, then makes them
    /// current. A refused component changes nothing.
    pub async fn install(&self, name: &str, bytes: Vec<u8>) -> Result<Swap, LoadError> {
        let plugin = self
            .plugin(name)
            .ok_or_else(|| LoadError::UnknownPlugin(name.to_owned()))?
            .clone();
        let _guard = plugin.swap_lock.lock().await;
        let version = self
            .prepare_off_thread(&plugin.policy, bytes.clone())
            .await?;
        // Asked now so that an operator learns at once, not from a broken API document.
        let docs = self
            .describe(&plugin, &version)
            .await
            .map_err(|e| LoadError::Refused(format!("plugin '{name}': {e}")))?;
        let _ = version.docs.set(Some(Arc::new(docs)));
        self.versions
            .push(name, &version.sha256, &bytes, version.loaded_at)?;
        let new = version.sha256.clone();
        let previous = plugin.swap(version);
        tracing::info!(plugin = name, version = %new, previous = %previous.sha256, "plugin swapped");
        Ok(Swap {
            name: name.to_owned(),
            version: new,
            previous: previous.sha256.clone(),
        })
    }

    /// The SHA-256 of the component `name` serves now.
    pub fn serving(&self, name: &str) -> Option<String> {
        self.plugin(name).map(|p| p.current().sha256.clone())
    }

    /// The component the policy names for `name` (built into the binary, or its file).
    pub fn built_in(&self, name: &str) -> Result<Vec<u8>, LoadError> {
        let plugin = self
            .plugin(name)
            .ok_or_else(|| LoadError::UnknownPlugin(name.to_owned()))?;
        base_bytes(&plugin.policy)
    }

    /// Returns to the version installed before the current one (or the policy's own).
    pub async fn rollback(&self, name: &str) -> Result<Swap, LoadError> {
        let plugin = self
            .plugin(name)
            .ok_or_else(|| LoadError::UnknownPlugin(name.to_owned()))?
            .clone();
        let _guard = plugin.swap_lock.lock().await;
        let history = self.versions.history(name)?;
        if history.is_empty() {
            return Err(LoadError::NothingToRollBack(name.to_owned()));
        }
        let bytes = match history.len() {
            1 => base_bytes(&plugin.policy)?,
            n => self.versions.bytes(name, &history[n - 2].version)?,
        };
        let version = self.prepare_off_thread(&plugin.policy, bytes).await?;
        self.versions.pop(name)?;
        let new = version.sha256.clone();
        let previous = plugin.swap(version);
        tracing::info!(plugin = name, version = %new, previous = %previous.sha256, "plugin rolled back");
        Ok(Swap {
            name: name.to_owned(),
            version: new,
            previous: previous.sha256.clone(),
        })
    }

    async fn prepare_off_thread(
        &self,
        policy: &PluginPolicy,
        bytes: Vec<u8>,
    ) -> Result<plugin::Version, LoadError> {
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let policy = policy.clone();
        let now = self.clock.now();
        tokio::task::spawn_blocking(move || plugin::prepare(&engine, &cache, &policy, &bytes, now))
            .await
            .map_err(|e| LoadError::Io(std::io::Error::other(e)))?
    }
}

/// The component the policy names: carried by the binary, or a file.
fn base_bytes(policy: &PluginPolicy) -> Result<Vec<u8>, LoadError> {
    match &policy.component {
        ComponentSource::Builtin(name) => {
            embedded::get(name).map(<[u8]>::to_vec).ok_or_else(|| {
                LoadError::Refused(format!("no builtin component '{name}' in this binary"))
            })
        }
        ComponentSource::File(path) => std::fs::read(path).map_err(|e| {
            LoadError::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", path.display()),
            ))
        }),
    }
}
