//! The Kubernetes-API backend: the portal's state as custom resources ([`crds`]) in its
//! own namespace. Every invariant a sled transaction keeps is kept here by the API
//! server's concurrency control (create-if-absent, replace and delete on
//! `resourceVersion`, see [`objects`]); reads come from watch-fed caches that hold the
//! portal's own writes at once, so a page load costs the API server nothing.

mod audit;
mod cache;
pub mod crds;
mod crons;
mod directory;
mod hostnames;
mod kv;
mod names;
mod objects;
mod outbox;
mod platform_ids;
mod quota;
mod records;
mod releases;
mod sessions;

use std::sync::{Arc, Mutex};

use crate::domain::AuditBounds;
use crate::{Pauses, Store, StoreResult};
use crds::{
    AuditChunk, HostnameClaim, KvEntry, OutboxChunk, PlatformId, PluginRelease, PortalAgent,
    PortalFriend, PortalJob, PortalQuota, PortalReplica, PortalSession,
};
use objects::Objects;

/// The store kept in the cluster. One per replica; any number of replicas may share a
/// namespace.
pub struct KubeStore {
    friends: Objects<PortalFriend>,
    agents: Objects<PortalAgent>,
    platform_ids: Objects<PlatformId>,
    sessions: Objects<PortalSession>,
    hostnames: Objects<HostnameClaim>,
    quotas: Objects<PortalQuota>,
    kv: Objects<KvEntry>,
    jobs: Objects<PortalJob>,
    outbox: Objects<OutboxChunk>,
    audit: Objects<AuditChunk>,
    releases: Objects<PluginRelease>,
    replicas: Objects<PortalReplica>,
    pauses: Arc<Pauses>,
    audit_bounds: Mutex<AuditBounds>,
}

impl KubeStore {
    /// Watches every store kind in `namespace`; returns once each cache holds a full list.
    pub async fn connect(client: kube::Client, namespace: &str) -> StoreResult<Self> {
        Self::connect_with(client, namespace, Arc::default()).await
    }

    /// As [`KubeStore::connect`], stopping at `pauses` (tests).
    pub async fn connect_with(
        client: kube::Client,
        namespace: &str,
        pauses: Arc<Pauses>,
    ) -> StoreResult<Self> {
        let c = || client.clone();
        let (friends, agents, platform_ids, sessions, hostnames) = tokio::try_join!(
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
        )?;
        let (quotas, kv, jobs, outbox, audit) = tokio::try_join!(
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
        )?;
        let (releases, replicas) = tokio::try_join!(
            Objects::start(c(), namespace),
            Objects::start(c(), namespace),
        )?;
        Ok(Self {
            friends,
            agents,
            platform_ids,
            sessions,
            hostnames,
            quotas,
            kv,
            jobs,
            outbox,
            audit,
            releases,
            replicas,
            pauses,
            audit_bounds: Mutex::new(AuditBounds::default()),
        })
    }

    /// The store handles, all this backend.
    pub fn into_store(self) -> Store {
        let pauses = self.pauses.clone();
        Store::new(Arc::new(self), pauses, "kube")
    }

    /// The points this store's operations stop at when a test arms them.
    pub fn pauses(&self) -> &Arc<Pauses> {
        &self.pauses
    }

    async fn pause(&self, point: &'static str) {
        self.pauses.point(point).await;
    }
}
