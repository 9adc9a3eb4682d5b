//! One kind of the store's custom resources in the portal's namespace: reads from a
//! watch-fed [`Cache`], and the writes every invariant is built from, each kept by the API
//! server's own concurrency control: create-if-absent (409 AlreadyExists), replace and
//! delete on `metadata.resourceVersion` (409 Conflict: someone wrote first), and
//! [`Objects::update`], the read-change-replace loop that re-reads and retries on a
//! conflict a bounded number of times.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, DeleteParams, ListParams, PostParams, Preconditions};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cache::{Cache, version_of};
use crate::{Pauses, StoreError, StoreResult};

/// How often a write that keeps losing its race re-reads and tries again.
const ATTEMPTS: u32 = 50;
/// How long `connect` waits for a kind's first full list.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) trait Kind:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
}

impl<K> Kind for K where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// What a change made of the object it was given.
pub(crate) enum Step<T> {
    /// Write the changed object, then answer `T`.
    Write(T),
    /// Nothing to write: answer `T`.
    Keep(T),
}

/// How a conditional replace ended.
pub(crate) enum Replaced<K> {
    Done(K),
    /// Someone wrote the object since the version given.
    Stale,
    Gone,
}

/// How a conditional delete ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Removed {
    Deleted,
    Absent,
    /// The object changed since the version given: nothing was deleted.
    Stale,
}

pub(crate) struct Objects<K: Kind> {
    api: Api<K>,
    cache: Arc<Cache<K>>,
    watch: tokio::task::AbortHandle,
}

impl<K: Kind> Drop for Objects<K> {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

fn kind_name<K: Kind>() -> String {
    K::kind(&()).into_owned()
}

pub(crate) fn backend(e: kube::Error) -> StoreError {
    StoreError::backend(e)
}

/// The API server's status code and reason for a refused request.
fn refusal(e: &kube::Error) -> Option<(u16, &str)> {
    match e {
        kube::Error::Api(status) => Some((status.code, status.reason.as_str())),
        _ => None,
    }
}

/// A short pause before trying again, different for each racer so they spread out.
async fn back_off(attempt: u32) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let spread = u64::from(attempt.min(10) * 4 + 2);
    tokio::time::sleep(Duration::from_millis(u64::from(nanos) % spread)).await;
}

impl<K: Kind> Objects<K> {
    /// Lists the kind (a clear error if the CRD is missing or RBAC refuses), then watches
    /// it; returns once the cache holds a full list.
    pub(crate) async fn start(client: Client, namespace: &str) -> StoreResult<Self> {
        let api: Api<K> = Api::namespaced(client, namespace);
        api.list_metadata(&ListParams::default().limit(1))
            .await
            .map_err(|e| {
                StoreError::backend(format!(
                    "cannot list {} in namespace {namespace} (are deploy/crds applied and \
                     deploy/rbac.yaml's Role bound?): {e}",
                    kind_name::<K>()
                ))
            })?;
        let cache = Arc::new(Cache::new());
        let (synced_tx, mut synced_rx) = tokio::sync::watch::channel(false);
        let fed = cache.clone();
        let events = watcher(api.clone(), watcher::Config::default()).default_backoff();
        let watch = tokio::spawn(async move {
            let mut events = std::pin::pin!(events);
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => {
                        if fed.apply(event) {
                            let _ = synced_tx.send(true);
                        }
                    }
                    Err(e) => tracing::warn!(kind = %kind_name::<K>(), error = %e,
                        "store watch failed; it retries, reads may be behind until then"),
                }
            }
        })
        .abort_handle();
        let objects = Self { api, cache, watch };
        match tokio::time::timeout(SYNC_TIMEOUT, synced_rx.wait_for(|synced| *synced)).await {
            Ok(Ok(_)) => Ok(objects),
            _ => Err(StoreError::backend(format!(
                "the watch of {} did not list in {SYNC_TIMEOUT:?}",
                kind_name::<K>()
            ))),
        }
    }

    pub(crate) fn cached(&self, name: &str) -> Option<Arc<K>> {
        self.cache.get(name)
    }

    pub(crate) fn all(&self) -> Vec<Arc<K>> {
        self.cache.all()
    }

    /// The cached objects whose names start with `prefix`, in name order.
    pub(crate) fn with_prefix(&self, prefix: &str) -> Vec<Arc<K>> {
        self.cache.with_prefix(prefix)
    }

    /// Moves on with every watch event (see [`Cache::changes`]).
    pub(crate) fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.cache.changes()
    }

    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }

    /// The object as the API server has it now.
    pub(crate) async fn fetch(&self, name: &str) -> StoreResult<Option<K>> {
        let found = self.api.get_opt(name).await.map_err(backend)?;
        if let Some(object) = &found {
            self.cache.note(object.clone());
        }
        Ok(found)
    }

    /// The cached object, or the API server's when the cache has none (made by another
    /// replica an instant ago): for writes that must not take "absent" from a cache.
    pub(crate) async fn current(&self, name: &str) -> StoreResult<Option<K>> {
        match self.cache.get(name) {
            Some(object) => Ok(Some((*object).clone())),
            None => self.fetch(name).await,
        }
    }

    /// The objects carrying `selector`'s labels, as the API server has them now (a
    /// consistent read, for operations that must see everything made before it).
    pub(crate) async fn list_direct(&self, selector: &str) -> StoreResult<Vec<K>> {
        let listed = self
            .api
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(backend)?;
        for object in &listed.items {
            self.cache.note(object.clone());
        }
        Ok(listed.items)
    }

    /// Creates the object unless one of its name exists (`None` then).
    pub(crate) async fn create(&self, object: &K) -> StoreResult<Option<K>> {
        match self.api.create(&PostParams::default(), object).await {
            Ok(made) => {
                self.cache.note(made.clone());
                Ok(Some(made))
            }
            Err(e) if refusal(&e).is_some_and(|(code, _)| code == 409) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    /// Replaces the object if it is still at the resourceVersion it carries.
    pub(crate) async fn replace(&self, object: &K) -> StoreResult<Replaced<K>> {
        let name = object.meta().name.clone().unwrap_or_default();
        match self
            .api
            .replace(&name, &PostParams::default(), object)
            .await
        {
            Ok(made) => {
                self.cache.note(made.clone());
                Ok(Replaced::Done(made))
            }
            Err(e) => match refusal(&e) {
                Some((409, _)) => Ok(Replaced::Stale),
                Some((404, _)) => {
                    self.cache.forget(&name, version_of(object));
                    Ok(Replaced::Gone)
                }
                _ => Err(backend(e)),
            },
        }
    }

    /// Deletes the object; with `at`, only if it is still at that version.
    pub(crate) async fn delete(&self, name: &str, at: Option<&K>) -> StoreResult<Removed> {
        let params = DeleteParams {
            preconditions: at.map(|object| Preconditions {
                resource_version: object.meta().resource_version.clone(),
                uid: object.meta().uid.clone(),
            }),
            ..DeleteParams::default()
        };
        match self.api.delete(name, &params).await {
            Ok(answer) => {
                // The API server answers a delete with the object, or only with a Status
                // (then the version we hold stands for it): either way it leaves the cache
                // now, not when the watch's delete event comes in.
                let held = self.cache.get(name).map(|held| version_of(held.as_ref()));
                let version = answer
                    .left()
                    .as_ref()
                    .map(version_of)
                    .or(at.map(version_of))
                    .into_iter()
                    .chain(held)
                    .max()
                    .unwrap_or(0);
                self.cache.forget(name, version);
                Ok(Removed::Deleted)
            }
            Err(e) => match refusal(&e) {
                Some((409, _)) => Ok(Removed::Stale),
                Some((404, _)) => {
                    if let Some(held) = self.cache.get(name) {
                        self.cache.forget(name, version_of(held.as_ref()));
                    }
                    Ok(Removed::Absent)
                }
                _ => Err(backend(e)),
            },
        }
    }

    /// Read, change, replace on the version read; on a conflict, read the API server's
    /// copy and try again, at most [`ATTEMPTS`] times (`Contended` then). `None` when
    /// there is no such object. `change` may run several times: it must start from the
    /// object it is given each time.
    pub(crate) async fn update<T>(
        &self,
        name: &str,
        change: impl FnMut(&mut K) -> StoreResult<Step<T>>,
    ) -> StoreResult<Option<T>> {
        self.update_pausing(name, None, change).await
    }

    /// [`Objects::update`], stopping at `pause` (tests) between the change and its write.
    pub(crate) async fn update_pausing<T>(
        &self,
        name: &str,
        pause: Option<(&Pauses, &'static str)>,
        mut change: impl FnMut(&mut K) -> StoreResult<Step<T>>,
    ) -> StoreResult<Option<T>> {
        let mut current = self.current(name).await?;
        for attempt in 0..ATTEMPTS {
            let Some(mut object) = current else {
                return Ok(None);
            };
            let answer = match change(&mut object)? {
                Step::Keep(answer) => return Ok(Some(answer)),
                Step::Write(answer) => answer,
            };
            if let Some((pauses, point)) = pause {
                pauses.point(point).await;
            }
            match self.replace(&object).await? {
                Replaced::Done(_) => return Ok(Some(answer)),
                Replaced::Gone => return Ok(None),
                Replaced::Stale => {
                    back_off(attempt).await;
                    current = self.fetch(name).await?;
                }
            }
        }
        Err(StoreError::Contended(format!(
            "{} {name}",
            kind_name::<K>().to_lowercase()
        )))
    }

    /// Deletes the object if `doomed` says so of its current version, re-reading when it
    /// changed meanwhile. Whether it deleted it.
    pub(crate) async fn delete_if(
        &self,
        name: &str,
        mut doomed: impl FnMut(&K) -> bool,
    ) -> StoreResult<bool> {
        let mut current = self.current(name).await?;
        for attempt in 0..ATTEMPTS {
            let Some(object) = current else {
                return Ok(false);
            };
            if !doomed(&object) {
                return Ok(false);
            }
            match self.delete(name, Some(&object)).await? {
                Removed::Deleted => return Ok(true),
                Removed::Absent => return Ok(false),
                Removed::Stale => {
                    back_off(attempt).await;
                    current = self.fetch(name).await?;
                }
            }
        }
        Err(StoreError::Contended(format!(
            "{} {name}",
            kind_name::<K>().to_lowercase()
        )))
    }
}
