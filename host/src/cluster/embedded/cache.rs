//! The embedded cluster's read cache: what kube mode's watch caches do for a real cluster.
//!
//! Every write reaches the embedded API server in this process, so instead of watches it
//! keeps a version per namespace that each write moves on (a write to a cluster-wide
//! object, such as a namespace and with it everything inside, moves every namespace on).
//! A list is kept as the typed objects the client decoded, with the version it was read
//! at, and served again while that version is current: no sled scan, no JSON encoding
//! and decoding. The version is read before the list is, so a write racing a list can
//! only make the kept list look older than it is, never newer: the next read misses.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Lists kept at once; past this the cache starts over (a few per friend's namespace).
const MAX_LISTS: usize = 4096;

#[derive(Default)]
pub struct ReadCache {
    /// Moves on with every write; each namespace's version is a value it had.
    sequence: AtomicU64,
    versions: Mutex<Versions>,
    lists: Mutex<HashMap<ListKey, Kept>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Versions {
    /// The last write to a cluster-wide object.
    cluster: u64,
    /// The last write inside each namespace.
    namespaces: HashMap<String, u64>,
    /// Closed: nothing is served from here any more.
    closed: bool,
}

#[derive(Hash, PartialEq, Eq)]
struct ListKey {
    namespace: String,
    /// The Rust type the list decodes to: the same URL may be read as two types.
    kind: TypeId,
    /// The resource's URL and selector.
    query: String,
}

struct Kept {
    version: u64,
    items: Arc<dyn Any + Send + Sync>,
}

impl ReadCache {
    /// After a write inside `namespace`, or (with `None`) to a cluster-wide object.
    pub fn wrote(&self, namespace: Option<&str>) {
        let next = self.sequence.fetch_add(1, Ordering::AcqRel) + 1;
        let mut versions = lock(&self.versions);
        match namespace {
            Some(namespace) => {
                versions.namespaces.insert(namespace.to_owned(), next);
            }
            None => versions.cluster = next,
        }
    }

    /// The namespace's version now; `None` once closed.
    fn version(&self, namespace: &str) -> Option<u64> {
        let versions = lock(&self.versions);
        if versions.closed {
            return None;
        }
        let own = versions.namespaces.get(namespace).copied().unwrap_or(0);
        Some(own.max(versions.cluster))
    }

    /// Stops serving (the embedded cluster let go of its store).
    pub fn close(&self) {
        lock(&self.versions).closed = true;
        lock(&self.lists).clear();
    }

    /// The kept list of `query` in `namespace` if no write came since; else `read` is
    /// awaited and its answer kept. Errors are not kept. A kept list is shared, never
    /// copied: readers only read it.
    pub async fn list<K, E, F>(
        &self,
        namespace: &str,
        query: String,
        read: F,
    ) -> Result<Arc<Vec<K>>, E>
    where
        K: Send + Sync + 'static,
        F: Future<Output = Result<Vec<K>, E>>,
    {
        let Some(version) = self.version(namespace) else {
            return read.await.map(Arc::new);
        };
        let key = ListKey {
            namespace: namespace.to_owned(),
            kind: TypeId::of::<K>(),
            query,
        };
        let kept = lock(&self.lists)
            .get(&key)
            .filter(|kept| kept.version == version)
            .and_then(|kept| kept.items.clone().downcast::<Vec<K>>().ok());
        if let Some(items) = kept {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(items);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let items = Arc::new(read.await?);
        let mut lists = lock(&self.lists);
        if lists.len() >= MAX_LISTS && !lists.contains_key(&key) {
            lists.clear();
        }
        lists.insert(
            key,
            Kept {
                version,
                items: items.clone(),
            },
        );
        Ok(items)
    }

    /// (served from the cache, read from the API server) since start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// A panic elsewhere while holding the lock leaves plain data behind: keep using it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::ReadCache;

    async fn read(cache: &ReadCache, ns: &str, answer: Vec<u32>) -> Vec<u32> {
        cache
            .list(ns, "/pods".into(), async { Ok::<_, ()>(answer) })
            .await
            .map(|items| items.as_ref().clone())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_list_is_kept_until_a_write_in_its_namespace() {
        let cache = ReadCache::default();
        assert_eq!(read(&cache, "a", vec![1]).await, vec![1]);
        // Kept: the second answer is not asked for.
        assert_eq!(read(&cache, "a", vec![2]).await, vec![1]);
        assert_eq!(cache.counts(), (1, 1));
        // A write elsewhere leaves it.
        cache.wrote(Some("b"));
        assert_eq!(read(&cache, "a", vec![2]).await, vec![1]);
        // A write inside it, or to a cluster-wide object, does not.
        cache.wrote(Some("a"));
        assert_eq!(read(&cache, "a", vec![3]).await, vec![3]);
        cache.wrote(None);
        assert_eq!(read(&cache, "a", vec![4]).await, vec![4]);
        assert_eq!(read(&cache, "a", vec![5]).await, vec![4]);
    }

    #[tokio::test]
    async fn a_write_during_a_read_is_not_hidden() {
        let cache = ReadCache::default();
        // The write lands while the list is under way: what it read may be older.
        let listed = cache
            .list("a", "/pods".into(), async {
                cache.wrote(Some("a"));
                Ok::<_, ()>(vec![1u32])
            })
            .await;
        assert_eq!(listed.as_deref(), Ok(&vec![1]));
        assert_eq!(read(&cache, "a", vec![2]).await, vec![2]);
    }

    #[tokio::test]
    async fn errors_are_not_kept_and_a_closed_cache_serves_nothing() {
        let cache = ReadCache::default();
        let failed = cache
            .list("a", "/pods".into(), async { Err::<Vec<u32>, _>("down") })
            .await;
        assert_eq!(failed.err(), Some("down"));
        assert_eq!(read(&cache, "a", vec![1]).await, vec![1]);
        cache.close();
        assert_eq!(read(&cache, "a", vec![2]).await, vec![2]);
    }
}
