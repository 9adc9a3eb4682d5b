//! A watch-fed copy of one kind's objects, with the portal's own writes put in as soon as
//! the API server answers them (read-your-writes): an object is replaced only by a newer
//! version of itself (resourceVersion compared per object), and one this process deleted
//! is not brought back by a watch event older than the delete.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use kube::Resource;
use kube::runtime::watcher::Event;

/// The resourceVersion as a number (etcd's revision); 0 when unreadable, which any
/// version replaces.
pub(crate) fn version_of<K: Resource>(object: &K) -> u64 {
    object
        .meta()
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn name_of<K: Resource>(object: &K) -> String {
    object.meta().name.clone().unwrap_or_default()
}

pub(crate) struct Cache<K> {
    objects: RwLock<BTreeMap<String, Arc<K>>>,
    /// Name -> version of the object when this process deleted it.
    deleted: Mutex<HashMap<String, u64>>,
    /// A relist under way: what it has listed so far.
    relist: Mutex<Option<BTreeMap<String, Arc<K>>>>,
    /// Counts the watch events applied, so that a reader can wait for others' writes.
    changes: tokio::sync::watch::Sender<u64>,
}

impl<K: Resource + Clone> Cache<K> {
    pub(crate) fn new() -> Self {
        Self {
            objects: RwLock::new(BTreeMap::new()),
            deleted: Mutex::new(HashMap::new()),
            relist: Mutex::new(None),
            changes: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Moves on with every watch event applied (writes of this process and others').
    pub(crate) fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<K>> {
        read(&self.objects).get(name).cloned()
    }

    /// Every object, in name order.
    pub(crate) fn all(&self) -> Vec<Arc<K>> {
        read(&self.objects).values().cloned().collect()
    }

    /// The objects whose names start with `prefix`, in name order.
    pub(crate) fn with_prefix(&self, prefix: &str) -> Vec<Arc<K>> {
        read(&self.objects)
            .range(prefix.to_owned()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .map(|(_, object)| object.clone())
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        read(&self.objects).len()
    }

    /// An object as the API server returned it (a write's answer, a direct read, a watch
    /// event): kept unless the copy held is newer, or this process deleted it since.
    pub(crate) fn note(&self, object: K) {
        let name = name_of(&object);
        let version = version_of(&object);
        if lock(&self.deleted)
            .get(&name)
            .is_some_and(|gone| version <= *gone)
        {
            return;
        }
        let mut objects = write(&self.objects);
        if objects
            .get(&name)
            .is_none_or(|held| version_of(held.as_ref()) <= version)
        {
            objects.insert(name, Arc::new(object));
        }
    }

    /// The object is gone as of `version` (its last version, or the delete's answer).
    pub(crate) fn forget(&self, name: &str, version: u64) {
        let mut objects = write(&self.objects);
        if objects
            .get(name)
            .is_none_or(|held| version_of(held.as_ref()) <= version)
        {
            objects.remove(name);
        }
        let mut deleted = lock(&self.deleted);
        let gone = deleted.entry(name.to_owned()).or_insert(version);
        *gone = (*gone).max(version);
    }

    /// One watch event. Returns true when a full list has just come in.
    pub(crate) fn apply(&self, event: Event<K>) -> bool {
        let relisted = self.apply_event(event);
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        relisted
    }

    fn apply_event(&self, event: Event<K>) -> bool {
        match event {
            Event::Apply(object) => self.note(object),
            Event::Delete(object) => {
                let name = name_of(&object);
                self.forget(&name, version_of(&object));
                // The watch has seen the delete: nothing older can come after it.
                lock(&self.deleted).remove(&name);
            }
            Event::Init => *lock(&self.relist) = Some(BTreeMap::new()),
            Event::InitApply(object) => {
                if let Some(listed) = lock(&self.relist).as_mut() {
                    listed.insert(name_of(&object), Arc::new(object));
                }
            }
            Event::InitDone => {
                let Some(mut listed) = lock(&self.relist).take() else {
                    return false;
                };
                let newest_listed = listed.values().map(|o| version_of(o.as_ref())).max();
                let mut objects = write(&self.objects);
                // Writes answered after the list was taken are newer than all it holds.
                for (name, held) in objects.iter() {
                    let newer = newest_listed.is_some_and(|n| version_of(held.as_ref()) > n);
                    if newer
                        && listed
                            .get(name)
                            .is_none_or(|l| version_of(l.as_ref()) < version_of(held.as_ref()))
                    {
                        listed.insert(name.clone(), held.clone());
                    }
                }
                // A delete answered after the list was taken: still gone.
                let mut deleted = lock(&self.deleted);
                for (name, gone) in deleted.iter() {
                    if listed
                        .get(name)
                        .is_some_and(|l| version_of(l.as_ref()) <= *gone)
                    {
                        listed.remove(name);
                    }
                }
                deleted.clear();
                *objects = listed;
                return true;
            }
        }
        false
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use kube::runtime::watcher::Event;

    use super::Cache;
    use crate::kube::crds::{PortalQuota, PortalQuotaSpec};

    fn at(name: &str, version: &str, used: u64) -> PortalQuota {
        let mut object = PortalQuota::new(
            name,
            PortalQuotaSpec {
                held: Default::default(),
                used,
            },
        );
        object.metadata.resource_version = Some(version.into());
        object
    }

    fn used(cache: &Cache<PortalQuota>, name: &str) -> Option<u64> {
        cache.get(name).map(|o| o.spec.used)
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_one() {
        let cache = Cache::new();
        cache.note(at("q", "20", 2));
        cache.apply(Event::Apply(at("q", "10", 1)));
        assert_eq!(used(&cache, "q"), Some(2), "a late watch event is older");
        cache.apply(Event::Apply(at("q", "30", 3)));
        assert_eq!(used(&cache, "q"), Some(3));
    }

    #[test]
    fn a_deleted_object_is_not_brought_back_by_an_older_event() {
        let cache = Cache::new();
        cache.note(at("q", "10", 1));
        cache.forget("q", 11);
        cache.apply(Event::Apply(at("q", "10", 1)));
        assert_eq!(used(&cache, "q"), None);
        // Made again later: a newer version comes in.
        cache.apply(Event::Apply(at("q", "12", 5)));
        assert_eq!(used(&cache, "q"), Some(5));
    }

    #[test]
    fn a_relist_keeps_writes_newer_than_it_and_drops_what_it_lacks() {
        let cache = Cache::new();
        cache.note(at("old", "5", 1));
        cache.note(at("kept", "6", 1));
        cache.note(at("written", "50", 7));
        cache.note(at("gone", "40", 1));
        cache.forget("gone", 41);
        assert!(!cache.apply(Event::Init));
        cache.apply(Event::InitApply(at("kept", "8", 2)));
        cache.apply(Event::InitApply(at("written", "30", 6)));
        cache.apply(Event::InitApply(at("gone", "40", 1)));
        assert_eq!(
            used(&cache, "old"),
            Some(1),
            "nothing changes before the list is in"
        );
        assert!(cache.apply(Event::InitDone));
        assert_eq!(used(&cache, "old"), None, "deleted while unwatched");
        assert_eq!(used(&cache, "kept"), Some(2));
        assert_eq!(
            used(&cache, "written"),
            Some(7),
            "our write is newer than the list"
        );
        assert_eq!(
            used(&cache, "gone"),
            None,
            "our delete is newer than the list"
        );
    }
}
