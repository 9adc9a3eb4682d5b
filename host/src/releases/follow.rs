//! The follower: makes this replica serve each plugin's current release, and reports what
//! it serves.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use portal_store::{Release, ReplicaReport};

use super::{REPORT_EVERY, RegistrySettings};
use crate::runtime::MAX_COMPONENT_BYTES;
use crate::state::AppState;

/// What this replica follows: the registry client, the releases it installed, the ones it
/// could not.
pub struct Follower {
    client: Result<portal_oci::RegistryClient, String>,
    /// Plugin -> the release (its SHA-256) this replica installed: a plugin whose releases
    /// are all rolled back returns to its built-in version only if it served one of them.
    followed: Mutex<HashMap<String, String>>,
    /// Plugin -> why its current release could not be served here.
    failed: Mutex<BTreeMap<String, String>>,
    /// One sync at a time.
    syncing: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Follower {
    pub fn new(settings: &RegistrySettings) -> Self {
        Self {
            client: settings.client().map_err(|e| e.to_string()),
            followed: Mutex::default(),
            failed: Mutex::default(),
            syncing: tokio::sync::Mutex::new(()),
        }
    }

    pub fn client(&self) -> Result<&portal_oci::RegistryClient, String> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// Notes that this replica serves `release` (installed by the caller).
    pub fn followed(&self, plugin: &str, sha256: &str) {
        lock(&self.followed).insert(plugin.to_owned(), sha256.to_owned());
        lock(&self.failed).remove(plugin);
    }

    /// Pulls a release's component: pinned by its manifest digest, and checked against
    /// the component's SHA-256 the release names.
    pub async fn pull(&self, release: &Release) -> Result<Vec<u8>, String> {
        let reference: portal_oci::Reference =
            release.reference.parse().map_err(|e| format!("{e}"))?;
        let pulled = self
            .client()?
            .pull(&reference, None, MAX_COMPONENT_BYTES as u64)
            .await
            .map_err(|e| e.to_string())?;
        if pulled.layer_digest != format!("sha256:{}", release.sha256) {
            return Err(format!(
                "the registry's component is {}, not the release's sha256:{}",
                pulled.layer_digest, release.sha256
            ));
        }
        Ok(pulled.bytes)
    }

    /// Serves every plugin's current release (or, once its releases are rolled back, its
    /// built-in version), then reports what this replica serves.
    pub async fn sync(&self, state: &AppState) {
        let _one = self.syncing.lock().await;
        let current = match state.store.releases.current_releases().await {
            Ok(current) => current,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the plugin releases");
                return;
            }
        };
        let wanted: HashMap<&str, &Release> =
            current.iter().map(|r| (r.plugin.as_str(), r)).collect();
        let names: Vec<String> = state
            .runtime
            .plugins()
            .map(|p| p.policy.name.clone())
            .collect();
        for name in names {
            let serving = state.runtime.serving(&name);
            let outcome = match wanted.get(name.as_str()) {
                Some(release) if serving.as_deref() != Some(&release.sha256) => {
                    self.install(state, release).await
                }
                Some(_) => Ok(()),
                None => self.back_to_built_in(state, &name).await,
            };
            if let Err(e) = outcome {
                tracing::error!(plugin = %name, error = %e, "could not serve the plugin's release");
                lock(&self.failed).insert(name, e);
            }
        }
        self.report(state).await;
    }

    async fn install(&self, state: &AppState, release: &Release) -> Result<(), String> {
        let bytes = self.pull(release).await?;
        let swap = state
            .runtime
            .install(&release.plugin, bytes)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(plugin = %release.plugin, version = %release.version, sha256 = %swap.version, "serving the plugin's release");
        self.followed(&release.plugin, &release.sha256);
        Ok(())
    }

    async fn back_to_built_in(&self, state: &AppState, name: &str) -> Result<(), String> {
        if !lock(&self.followed).contains_key(name) {
            return Ok(());
        }
        let bytes = state.runtime.built_in(name).map_err(|e| e.to_string())?;
        state
            .runtime
            .install(name, bytes)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(plugin = %name, "every release rolled back: serving the built-in version");
        lock(&self.followed).remove(name);
        lock(&self.failed).remove(name);
        Ok(())
    }

    /// Records what this replica serves now.
    pub async fn report(&self, state: &AppState) {
        let report = ReplicaReport {
            replica: state.config.scheduler.replica.clone(),
            serving: state
                .runtime
                .plugins()
                .filter_map(|p| {
                    Some((
                        p.policy.name.clone(),
                        state.runtime.serving(&p.policy.name)?,
                    ))
                })
                .collect(),
            failed: lock(&self.failed).clone(),
            seen_at: state.clock.now(),
        };
        if let Err(e) = state.store.releases.report(&report).await {
            tracing::warn!(error = %e, "could not report the plugins this replica serves");
        }
    }
}

/// Follows the releases until the state is gone or `stop` is set: at every change another
/// replica makes, and every [`REPORT_EVERY`] (which also renews this replica's report). The
/// server has synced once before it serves, so this waits first.
pub async fn run(state: Weak<AppState>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changes = match state.upgrade() {
        Some(state) => state.store.releases.release_changes(),
        None => return,
    };
    loop {
        tokio::select! {
            () = tokio::time::sleep(REPORT_EVERY) => {}
            () = portal_store::next_change(changes.as_mut(), Duration::ZERO) => {}
            _ = stop.changed() => return,
        }
        let Some(state) = state.upgrade() else {
            return;
        };
        state.releases.sync(&state).await;
    }
}
