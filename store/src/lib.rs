//! Friend Portal's durable state, behind domain traits.
//!
//! Each trait in [`domain`] names a kind of state and the guarantees its operations keep,
//! whichever backend keeps it: `exchange_link` spends a link once, `claim` gives a hostname
//! one owner, `set_within_budget` keeps a plugin's kv budget. Two backends implement them
//! all:
//!
//! * `sled` (the default): one embedded database in a data directory, each invariant kept
//!   by a sled transaction. One process, one disk.
//! * `kube`: custom resources in the portal's own namespace, each invariant kept by the API
//!   server's concurrency control (create-if-absent, replace on `resourceVersion`), reads
//!   served from watch-fed caches. Any number of replicas.
//!
//! The host holds a [`Store`]: one handle per trait, all backed by the same backend. Nothing
//! outside this crate names the backend's storage.

#[doc(hidden)]
pub mod conformance;
pub mod domain;
mod error;
pub mod kube;
mod pauses;
pub mod sled;

use std::sync::Arc;

pub use self::sled::{
    DEFAULT_CACHE_BYTES, Flusher, LocalTree, LocalTrees, open_embedded, open_local,
};
pub use domain::*;
pub use error::{StoreError, StoreResult};
pub use pauses::{Paused, Pauses};

/// The portal's state: one handle per kind, all kept by one backend.
#[derive(Clone)]
pub struct Store {
    pub directory: Arc<dyn Directory>,
    pub sessions: Arc<dyn Sessions>,
    pub hostnames: Arc<dyn HostnameClaims>,
    pub kv: Arc<dyn KvStore>,
    pub crons: Arc<dyn CronStore>,
    pub outbox: Arc<dyn OutboxStore>,
    pub audit: Arc<dyn AuditLog>,
    pub records: Arc<dyn Records>,
    pub releases: Arc<dyn Releases>,
    /// Points where tests hold an operation between its steps (see [`Pauses`]).
    pub pauses: Arc<Pauses>,
    /// `"sled"` or `"kube"`, for logs and `/api/admin` answers.
    pub backend: &'static str,
    /// Trees for the single-node simulations (the embedded cluster, local DNS): the
    /// embedded database's own, or beside another backend a small local database
    /// ([`open_local`]); `None` where there is none.
    pub local: Option<LocalTrees>,
}

/// Resolves at the next change a `job_changes` or `release_changes` receiver reports, once
/// `gather` has let a burst of them come in; never without a receiver (the embedded store,
/// where every change is this process's own) or once it has closed.
pub async fn next_change(
    changes: Option<&mut tokio::sync::watch::Receiver<u64>>,
    gather: std::time::Duration,
) {
    let Some(changes) = changes else {
        return std::future::pending().await;
    };
    if changes.changed().await.is_err() {
        return std::future::pending().await;
    }
    tokio::time::sleep(gather).await;
    changes.borrow_and_update();
}

/// Everything a backend implements.
pub trait Backend:
    Directory
    + Sessions
    + HostnameClaims
    + KvStore
    + CronStore
    + OutboxStore
    + AuditLog
    + Records
    + Releases
    + 'static
{
}

impl<B> Backend for B where
    B: Directory
        + Sessions
        + HostnameClaims
        + KvStore
        + CronStore
        + OutboxStore
        + AuditLog
        + Records
        + Releases
        + 'static
{
}

impl Store {
    /// A store whose every handle is `backend`; `pauses` is the one the backend stops at.
    pub fn new<B: Backend>(backend: Arc<B>, pauses: Arc<Pauses>, name: &'static str) -> Self {
        Self {
            directory: backend.clone(),
            sessions: backend.clone(),
            hostnames: backend.clone(),
            kv: backend.clone(),
            crons: backend.clone(),
            outbox: backend.clone(),
            audit: backend.clone(),
            records: backend.clone(),
            releases: backend,
            pauses,
            backend: name,
            local: None,
        }
    }

    /// The embedded database's tree `name` (see [`Store::local`]); refused with a
    /// backend that keeps no local trees.
    pub fn local_tree(&self, name: &str) -> StoreResult<LocalTree> {
        match &self.local {
            Some(local) => local.tree(name),
            None => Err(StoreError::backend(format!(
                "'{name}' is kept only by the embedded store (--store sled)"
            ))),
        }
    }

    /// Test seam: the next operation reaching `point` stops there until the returned
    /// handle is released (or dropped).
    #[doc(hidden)]
    pub fn pause_next(&self, point: &'static str) -> Paused {
        self.pauses.pause_next(point)
    }
}
