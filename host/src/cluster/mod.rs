//! Kubernetes: the client (a real cluster, or the embedded one behind the same
//! `kube::Client`), provisioning of friends' namespaces, and the operations the
//! `secrets` and `cluster` capabilities perform, each inside one friend's namespace.

pub mod apply;
pub mod cache;
pub mod counting;
mod egress;
pub mod embedded;
mod error;
pub mod ingress;
mod kinds;
mod listing;
mod merge;
pub mod overview;
mod ownership;
pub mod policy;
mod provision;
mod pss;
pub mod quantity;
pub mod secrets;
mod workloads;

use std::sync::Arc;

pub use error::ClusterError;
pub use ownership::NamespaceState;
pub use policy::ClusterPolicy;
pub use provision::Applied;

use crate::clock::SharedClock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClusterMode {
    /// A simulated API server inside the process, persisted in the data dir.
    Embedded,
    /// A real cluster: the kubeconfig, or the in-cluster service account.
    Kube,
}

impl ClusterMode {
    pub fn name(self) -> &'static str {
        match self {
            ClusterMode::Embedded => "embedded",
            ClusterMode::Kube => "kube",
        }
    }
}

pub struct Cluster {
    pub mode: ClusterMode,
    pub client: kube::Client,
    pub policy: Arc<ClusterPolicy>,
    embedded: Option<embedded::EmbeddedApi>,
    /// Kube mode only: the embedded API is in-process and has no watch.
    cache: Option<cache::WatchCache>,
}

impl Cluster {
    /// A cluster over any client: tests pass kube-fake-client's.
    pub fn with_client(mode: ClusterMode, client: kube::Client, policy: ClusterPolicy) -> Self {
        Self {
            mode,
            client,
            policy: Arc::new(policy),
            embedded: None,
            cache: None,
        }
    }

    /// Serves the overview and the secrets list from watch caches (see `cache`).
    pub fn with_watch_cache(mut self) -> Self {
        self.cache = Some(cache::WatchCache::new(self.client.clone()));
        self
    }

    /// The namespace's watches, when this cluster caches: `None` means read direct.
    fn watched(&self, namespace: &str) -> Option<std::sync::Arc<cache::NamespaceWatch>> {
        self.cache.as_ref()?.namespace(namespace)
    }

    /// After the portal created or replaced an object of a kind the cache holds.
    fn wrote_object(&self, namespace: &str, kind: &str, written: &kube::api::DynamicObject) {
        let (Some(kind), Some(name), Some(version)) = (
            cache::CachedKind::of(kind),
            &written.metadata.name,
            &written.metadata.resource_version,
        ) else {
            return;
        };
        let want = cache::Want::Version(version.clone());
        self.wrote(namespace, cache::Expectation::new(kind, name, want));
    }

    /// A purged friend's namespace is no longer watched.
    fn stop_watching(&self, namespace: &str) {
        if let Some(cache) = &self.cache {
            cache.forget(namespace);
        }
    }

    /// After a write the portal made: the next read shows it.
    fn wrote(&self, namespace: &str, expectation: cache::Expectation) {
        if let Some(cache) = &self.cache {
            cache.expect(namespace, expectation);
        }
    }

    /// On shutdown: the embedded cluster lets go of the store.
    pub fn close(&self) {
        if let Some(api) = &self.embedded {
            api.close();
        }
    }
}

/// A client for a real cluster (the kubeconfig, or the in-cluster service account), every
/// request counted in `kube_requests`. One per process: the cluster and a `--store kube`
/// share it.
pub async fn kube_client(kube_requests: counting::KubeRequests) -> anyhow::Result<kube::Client> {
    // kube's TLS asks rustls for the process's provider, which rustls cannot pick when a
    // build links both ring and aws-lc-rs (as `cargo test` does: a dev-dependency enables
    // kube's default aws-lc-rs): say which. An error only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let connect = async {
        let config = kube::Config::infer().await?;
        let client = kube::client::ClientBuilder::try_from(config)?
            .with_layer(&counting::layer(kube_requests))
            .build();
        anyhow::Ok(client)
    };
    connect.await.map_err(|e| {
        anyhow::anyhow!("cannot reach Kubernetes (kubeconfig or in-cluster config): {e}")
    })
}

/// Connects in the configured mode, with the policy from the same place as the plugins'.
/// `kube` is the real cluster's client ([`kube_client`]), which kube mode needs.
pub fn connect(
    mode: ClusterMode,
    store: &portal_store::Store,
    kube: Option<kube::Client>,
    clock: SharedClock,
    policies: &crate::policy::PolicySource,
) -> anyhow::Result<Cluster> {
    let policy = ClusterPolicy::load(policies)?;
    let mut embedded = None;
    let client = match (mode, kube) {
        (ClusterMode::Embedded, _) => {
            let api = embedded::EmbeddedApi::new(store, clock)?;
            embedded = Some(api.clone());
            kube::Client::new(api, "default")
        }
        (ClusterMode::Kube, Some(client)) => client,
        (ClusterMode::Kube, None) => anyhow::bail!("--cluster kube needs a Kubernetes client"),
    };
    let cluster = Cluster {
        embedded,
        ..Cluster::with_client(mode, client, policy)
    };
    Ok(match mode {
        ClusterMode::Kube => cluster.with_watch_cache(),
        ClusterMode::Embedded => cluster,
    })
}
