//! Plugin releases: which version of each plugin every replica should serve (a WebAssembly
//! component in an OCI registry, pinned by digest), and what each replica reports it serves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// Releases kept per plugin (the current one and those a rollback can return to).
pub const RELEASES_KEPT: usize = 20;

/// One published version of a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Release {
    pub plugin: String,
    /// Where the component is: `oci://host/repository@sha256:<manifest digest>`.
    pub reference: String,
    /// The component's own SHA-256 (hex), which is the version the runtime reports.
    pub sha256: String,
    /// What the publisher called it (the artifact's version annotation or its tag).
    pub version: String,
    /// Who published it (`admin`, or an operator's name).
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What one replica serves, as it last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplicaReport {
    pub replica: String,
    /// Plugin -> the SHA-256 of the component it serves.
    pub serving: std::collections::BTreeMap<String, String>,
    /// Plugin -> why the current release could not be served here.
    #[serde(default)]
    pub failed: std::collections::BTreeMap<String, String>,
    pub seen_at: DateTime<Utc>,
}

/// Why a rollback changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackRefusal {
    /// The plugin has no release: it serves the version built into the binary.
    NothingToRollBack,
    /// Another publish or rollback came first.
    Moved,
}

#[async_trait]
pub trait Releases: Send + Sync {
    /// The plugin's releases, the current one first; empty when it serves the built-in one.
    async fn releases(&self, plugin: &str) -> StoreResult<Vec<Release>>;

    /// Every plugin's current release.
    async fn current_releases(&self) -> StoreResult<Vec<Release>>;

    /// Makes `release` its plugin's current one if the current is still `expected` (its
    /// `sha256`; `None`: the built-in), keeping the newest [`RELEASES_KEPT`]. `false`: another
    /// publish or rollback came first, and nothing changed.
    async fn publish(&self, release: &Release, expected: Option<&str>) -> StoreResult<bool>;

    /// Drops the current release if it is still `expected`: the one before it is current
    /// again (`None`: the built-in version).
    async fn roll_back(
        &self,
        plugin: &str,
        expected: &str,
    ) -> StoreResult<Result<Option<Release>, RollbackRefusal>>;

    /// Records what `report.replica` serves now.
    async fn report(&self, report: &ReplicaReport) -> StoreResult<()>;

    /// Every replica's last report.
    async fn reports(&self) -> StoreResult<Vec<ReplicaReport>>;

    /// Moves on whenever a release or a report may have changed by another process's
    /// write; `None` where every write is this process's own (the embedded store).
    fn release_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
