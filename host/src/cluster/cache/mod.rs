//! Watch caches for the reads friends repeat (the namespace overview, the secrets list),
//! in kube mode.
//!
//! Why per namespace: the portal's RBAC grants pods, secrets and the rest only inside
//! friends' namespaces (the `friend-portal-tenant` ClusterRole, bound per namespace), so a
//! cluster-wide watch would be forbidden. A namespace's watches start on the first read
//! of it (that read, and any until the first lists are in, go to the API server), stop
//! after `IDLE` without a read or when the friend is purged, and at most `MAX_WATCHED`
//! namespaces are watched at once (the least recently read one stops for a new one).
//! Writes stay direct; a write leaves an expectation that sends reads direct until the
//! stores show it (read-your-writes). A failing watch sends reads direct until it has
//! caught up again.

pub mod expect;
mod namespace;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub use expect::{CachedKind, Expectation, Want};
pub use namespace::NamespaceWatch;

/// A namespace unread this long stops being watched.
pub const IDLE: Duration = Duration::from_secs(15 * 60);
/// Each watched namespace holds six watches open on the API server.
pub const MAX_WATCHED: usize = 64;
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub struct WatchCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: kube::Client,
    watched: Mutex<HashMap<String, Arc<NamespaceWatch>>>,
}

impl WatchCache {
    /// Must run inside the tokio runtime: it starts the idle sweep.
    pub fn new(client: kube::Client) -> Self {
        let inner = Arc::new(Inner {
            client,
            watched: Mutex::new(HashMap::new()),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                let Some(inner) = weak.upgrade() else { break };
                inner.sweep(Instant::now());
            }
        });
        Self { inner }
    }

    /// The namespace's watches, started if they were not; whether they can answer yet is
    /// the caller's question (`overview_ready`, `secrets_ready`).
    pub fn namespace(&self, namespace: &str) -> Option<Arc<NamespaceWatch>> {
        let mut watched = lock(&self.inner.watched);
        let watch = match watched.get(namespace) {
            Some(watch) => watch.clone(),
            None => {
                if watched.len() >= MAX_WATCHED {
                    let oldest = watched
                        .iter()
                        .min_by_key(|(_, w)| w.last_used())
                        .map(|(name, _)| name.clone());
                    if let Some(oldest) = oldest {
                        watched.remove(&oldest);
                    }
                }
                let watch = Arc::new(NamespaceWatch::start(&self.inner.client, namespace)?);
                watched.insert(namespace.to_owned(), watch.clone());
                watch
            }
        };
        watch.touch();
        Some(watch)
    }

    /// After a write: reads of the namespace go direct until its watch shows it. A
    /// namespace not watched needs nothing: its first list will hold the write.
    pub fn expect(&self, namespace: &str, expectation: Expectation) {
        if let Some(watch) = lock(&self.inner.watched).get(namespace) {
            watch.expect(expectation);
        }
    }

    /// Stops watching a namespace (its friend was purged).
    pub fn forget(&self, namespace: &str) {
        lock(&self.inner.watched).remove(namespace);
    }

    pub fn watched(&self) -> usize {
        lock(&self.inner.watched).len()
    }
}

impl Inner {
    fn sweep(&self, now: Instant) {
        lock(&self.watched).retain(|_, w| now.duration_since(w.last_used()) < IDLE);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
