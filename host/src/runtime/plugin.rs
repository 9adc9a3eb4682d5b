//! A plugin: its policy, the version serving now (swapped atomically), its concurrency
//! permits (with each friend's share of them) and its statistics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{ComponentExportIndex, TypedFunc};
use wasmtime::{AsContextMut, Engine};

use super::bindings::AllCapabilitiesPre;
use super::bindings::friend::portal::types::{Request, Response};
use super::compile::ArtifactCache;
use super::describe::PluginDocs;
use super::grants;
use super::plugin_metrics::PluginMetrics;
use super::stats::PluginStats;
use super::store_data::StoreData;
use crate::policy::PluginPolicy;

/// One compiled, linked, validated build of a plugin, ready to instantiate per request.
pub struct Version {
    pub sha256: String,
    pub pre: AllCapabilitiesPre<StoreData>,
    /// `friend:portal/handler#handle`, found and type-checked once at load. The
    /// generated bindings look it up and type-check it again in every instance.
    handle: ComponentExportIndex,
    pub loaded_at: DateTime<Utc>,
    /// What `describe` answered, asked on first need; `None` when it failed (a version
    /// answers the same every time, so it is not asked again).
    pub docs: tokio::sync::OnceCell<Option<Arc<PluginDocs>>>,
}

pub struct Plugin {
    pub policy: PluginPolicy,
    current: ArcSwap<Version>,
    pub(crate) permits: Semaphore,
    /// Each friend calling now: their share of the permits (`concurrency_per_friend`), so
    /// one friend cannot hold them all. Dropped when the friend has no call left.
    friend_shares: Mutex<HashMap<String, Arc<Semaphore>>>,
    pub stats: PluginStats,
    pub(crate) metrics: PluginMetrics,
    /// Installs and rollbacks of one plugin happen one at a time.
    pub(crate) swap_lock: tokio::sync::Mutex<()>,
}

impl Plugin {
    pub fn new(policy: PluginPolicy, version: Version, metrics: PluginMetrics) -> Self {
        Self {
            metrics,
            permits: Semaphore::new(policy.concurrency),
            friend_shares: Mutex::new(HashMap::new()),
            policy,
            current: ArcSwap::from_pointee(version),
            stats: PluginStats::default(),
            swap_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn name(&self) -> &str {
        &self.policy.name
    }

    /// Calls holding a permit now: what is taken of the policy's concurrency.
    pub fn in_flight(&self) -> usize {
        self.policy
            .concurrency
            .saturating_sub(self.permits.available_permits())
    }

    /// One of `friend`'s share of the slots, waiting at most `wait` for one; `None` when
    /// all of the friend's are still taken by then.
    pub(crate) async fn friend_slot(&self, friend: &str, wait: Duration) -> Option<FriendSlot<'_>> {
        let share = self
            .shares()
            .entry(friend.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.policy.concurrency_per_friend)))
            .clone();
        let acquired = tokio::time::timeout(wait, share.acquire_owned()).await;
        let slot = FriendSlot {
            plugin: self,
            friend: friend.to_owned(),
            permit: acquired.ok().and_then(Result::ok),
        };
        if slot.permit.is_some() {
            Some(slot)
        } else {
            None // dropping the slot forgets an idle share
        }
    }

    /// How many friends have a call running or waiting now.
    pub fn friends_calling(&self) -> usize {
        self.shares().len()
    }

    fn shares(&self) -> MutexGuard<'_, HashMap<String, Arc<Semaphore>>> {
        self.friend_shares
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The version serving now. A request keeps the `Arc` it took, so a swap never
    /// changes the code under a request in flight.
    pub fn current(&self) -> Arc<Version> {
        self.current.load_full()
    }

    /// Makes `version` current; returns the one it replaced.
    pub(crate) fn swap(&self, version: Version) -> Arc<Version> {
        self.current.swap(Arc::new(version))
    }
}

/// A call's hold on one of its friend's share of the slots.
pub(crate) struct FriendSlot<'a> {
    plugin: &'a Plugin,
    friend: String,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for FriendSlot<'_> {
    fn drop(&mut self) {
        self.permit.take();
        // Nobody else holds or waits on the share (each clones it under this lock): forget
        // it, so the map holds only friends calling now.
        let mut shares = self.plugin.shares();
        if shares
            .get(&self.friend)
            .is_some_and(|share| Arc::strong_count(share) == 1)
        {
            shares.remove(&self.friend);
        }
    }
}

impl Version {
    /// A fresh instance in `store`, and its `handle`.
    pub async fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = StoreData>,
    ) -> wasmtime::Result<TypedFunc<(&Request,), (Response,)>> {
        let instance = self
            .pre
            .instance_pre()
            .instantiate_async(&mut store)
            .await?;
        let func = instance
            .get_func(&mut store, self.handle)
            .ok_or_else(|| wasmtime::format_err!("the instance has no `handle` export"))?;
        // SAFETY: `handle` was type-checked against these parameter and result types
        // when this version was loaded (`handle_export`), and every instance of the
        // same `InstancePre` has the same export at that index.
        Ok(unsafe { TypedFunc::new_unchecked(func) })
    }
}

/// Finds `friend:portal/handler#handle` and checks it has the type the host calls.
fn handle_export(pre: &AllCapabilitiesPre<StoreData>) -> wasmtime::Result<ComponentExportIndex> {
    let instance_pre = pre.instance_pre();
    let component = instance_pre.component();
    let (_, interface) = component
        .get_export(None, "friend:portal/handler@0.1.0")
        .ok_or_else(|| wasmtime::format_err!("no export friend:portal/handler@0.1.0"))?;
    let (item, index) = component
        .get_export(Some(&interface), "handle")
        .ok_or_else(|| wasmtime::format_err!("friend:portal/handler has no `handle`"))?;
    match item {
        ComponentItem::ComponentFunc(func) => {
            func.typecheck::<(&Request,), (Response,)>(&instance_pre.instance_type())?;
            Ok(index)
        }
        _ => Err(wasmtime::format_err!("`handle` is not a function")),
    }
}

/// Why a component cannot serve as a plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no plugin named '{0}' in the policy")]
    UnknownPlugin(String),
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error("{0}")]
    Refused(String),
    #[error("plugin '{0}' has no earlier version to roll back to")]
    NothingToRollBack(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Compiles (or takes from the cache), checks imports against the grants, links only
/// the granted interfaces and pre-instantiates. CPU-heavy: call off the request path.
pub fn prepare(
    engine: &Engine,
    cache: &ArtifactCache,
    policy: &PluginPolicy,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Version, LoadError> {
    match wasm_layer(bytes) {
        Some(1) => {}
        Some(_) => {
            return Err(LoadError::NotAComponent(
                "this is a core module; build it for wasm32-wasip2 (or wrap it with `wasm-tools component new`)".into(),
            ));
        }
        None => {
            return Err(LoadError::NotAComponent(
                "the bytes do not start with the WebAssembly header".into(),
            ));
        }
    }
    let sha256 = super::compile::sha256_hex(bytes);
    let component = cache
        .load(engine, bytes, &sha256)
        .map_err(|e| LoadError::NotAComponent(format!("{e:#}")))?;
    grants::check_imports(engine, &component, &policy.name, &policy.grants)
        .map_err(LoadError::Refused)?;
    let linker =
        grants::linker(engine, &policy.grants).map_err(|e| LoadError::Refused(format!("{e:#}")))?;
    let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
        LoadError::Refused(format!("plugin '{}' cannot be linked: {e:#}", policy.name))
    })?;
    let pre = AllCapabilitiesPre::new(instance_pre).map_err(|e| {
        LoadError::Refused(format!(
            "plugin '{}' does not export friend:portal/handler@0.1.0 (build it from a world with `export handler`): {e:#}",
            policy.name
        ))
    })?;
    let handle = handle_export(&pre)
        .map_err(|e| LoadError::Refused(format!("plugin '{}': {e:#}", policy.name)))?;
    Ok(Version {
        sha256,
        pre,
        handle,
        loaded_at: now,
        docs: tokio::sync::OnceCell::new(),
    })
}

/// The binary format's layer field: 0 for a core module, 1 for a component.
fn wasm_layer(bytes: &[u8]) -> Option<u16> {
    (bytes.len() >= 8 && bytes.starts_with(b"\0asm"))
        .then(|| u16::from_le_bytes([bytes[6], bytes[7]]))
}
