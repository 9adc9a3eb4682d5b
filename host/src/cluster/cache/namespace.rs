//! One friend namespace's watches: a reflector per kind the overview and the secrets list
//! read, each with its health, and the portal's own writes the stores must show.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, ResourceQuota, Secret, Service};
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{self, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;

use super::expect::{CachedKind, Expectation};
use crate::cluster::kinds::api_resource;
use crate::cluster::secrets::{MANAGED_BY, MANAGER};

#[derive(Default)]
struct Health {
    /// The first full list is in the store.
    synced: AtomicBool,
    /// The last thing the watch said was an error (it retries with backoff); the store
    /// may be missing changes until it has listed or watched again.
    failing: AtomicBool,
}

/// One kind's store and how its watch is doing.
pub struct Watched<K: 'static + Resource + Clone>
where
    K::DynamicType: Eq + Hash + Clone,
{
    store: Store<K>,
    health: Arc<Health>,
    task: tokio::task::AbortHandle,
}

impl<K> Watched<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Eq + Hash + Clone + Send + Sync,
{
    fn start(api: Api<K>, config: watcher::Config, writer: Writer<K>) -> Self {
        let store = writer.as_reader();
        let health = Arc::new(Health::default());
        let seen = health.clone();
        let events = reflector::reflector(writer, watcher(api, config).default_backoff());
        let task = tokio::spawn(events.for_each(move |event| {
            match event {
                // Only a finished list, or a change watched after it, brings the store up
                // to date; an Init alone does not.
                Ok(watcher::Event::InitDone) => {
                    seen.synced.store(true, Ordering::Release);
                    seen.failing.store(false, Ordering::Release);
                }
                Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_)) => {
                    seen.failing.store(false, Ordering::Release);
                }
                Ok(_) => {}
                Err(_) => seen.failing.store(true, Ordering::Release),
            }
            futures::future::ready(())
        }))
        .abort_handle();
        Self {
            store,
            health,
            task,
        }
    }

    pub fn ready(&self) -> bool {
        self.health.synced.load(Ordering::Acquire) && !self.health.failing.load(Ordering::Acquire)
    }

    /// The objects, by name (as a list from the API server comes).
    pub fn items(&self) -> Vec<K> {
        let mut items: Vec<K> = self.store.state().iter().map(|o| (**o).clone()).collect();
        items.sort_by(|a, b| a.meta().name.cmp(&b.meta().name));
        items
    }

    fn version_of(&self, name: &str) -> Option<String> {
        self.store
            .state()
            .iter()
            .find(|o| o.meta().name.as_deref() == Some(name))
            .and_then(|o| o.meta().resource_version.clone())
    }
}

impl<K: Resource + Clone> Drop for Watched<K>
where
    K::DynamicType: Eq + Hash + Clone,
{
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub struct NamespaceWatch {
    pub pods: Watched<Pod>,
    pub services: Watched<Service>,
    pub deployments: Watched<Deployment>,
    pub quotas: Watched<ResourceQuota>,
    pub routes: Watched<DynamicObject>,
    /// Only the portal's own secrets: the watch never carries other Secrets' data.
    pub secrets: Watched<Secret>,
    pending: Mutex<Vec<Expectation>>,
    last_used: Mutex<Instant>,
}

impl NamespaceWatch {
    /// Starts every watch of `namespace`; the stores fill in the background.
    pub fn start(client: &Client, namespace: &str) -> Option<Self> {
        let (route_resource, _) = api_resource("IngressRoute")?;
        let all = watcher::Config::default;
        Some(Self {
            pods: Watched::start(
                Api::namespaced(client.clone(), namespace),
                all(),
                Writer::default(),
            ),
            services: Watched::start(
                Api::namespaced(client.clone(), namespace),
                all(),
                Writer::default(),
            ),
            deployments: Watched::start(
                Api::namespaced(client.clone(), namespace),
                all(),
                Writer::default(),
            ),
            quotas: Watched::start(
                Api::namespaced(client.clone(), namespace),
                all(),
                Writer::default(),
            ),
            routes: Watched::start(
                Api::namespaced_with(client.clone(), namespace, &route_resource),
                all(),
                Writer::new(route_resource),
            ),
            secrets: Watched::start(
                Api::namespaced(client.clone(), namespace),
                all().labels(&format!("{MANAGED_BY}={MANAGER}")),
                Writer::default(),
            ),
            pending: Mutex::new(Vec::new()),
            last_used: Mutex::new(Instant::now()),
        })
    }

    /// The overview may be answered from here.
    pub fn overview_ready(&self) -> bool {
        self.pods.ready()
            && self.services.ready()
            && self.deployments.ready()
            && self.quotas.ready()
            && self.routes.ready()
            && self.writes_shown()
    }

    pub fn pods_ready(&self) -> bool {
        self.pods.ready() && self.writes_shown()
    }

    pub fn routes_ready(&self) -> bool {
        self.routes.ready() && self.writes_shown()
    }

    pub fn secrets_ready(&self) -> bool {
        self.secrets.ready() && self.writes_shown()
    }

    /// Reads go direct until the stores show this write.
    pub fn expect(&self, expectation: Expectation) {
        lock(&self.pending).push(expectation);
    }

    fn writes_shown(&self) -> bool {
        let now = Instant::now();
        let mut pending = lock(&self.pending);
        pending.retain(|e| !e.met_by(self.version_of(e.kind, &e.name).as_deref(), now));
        pending.is_empty()
    }

    fn version_of(&self, kind: CachedKind, name: &str) -> Option<String> {
        match kind {
            CachedKind::Pod => self.pods.version_of(name),
            CachedKind::Service => self.services.version_of(name),
            CachedKind::Deployment => self.deployments.version_of(name),
            CachedKind::ResourceQuota => self.quotas.version_of(name),
            CachedKind::IngressRoute => self.routes.version_of(name),
            CachedKind::Secret => self.secrets.version_of(name),
        }
    }

    pub fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    pub fn last_used(&self) -> Instant {
        *lock(&self.last_used)
    }
}

/// A panic elsewhere while holding the lock leaves plain data behind: keep using it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
