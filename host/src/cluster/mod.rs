//! Kubernetes: the client (a real cluster, or the embedded one behind the same
//! `kube::Client`), provisioning of friends' namespaces, and the operations the
//! `secrets` and `cluster` capabilities perform, each inside one friend's namespace.

pub mod apply;
pub mod embedded;
mod error;
pub mod ingress;
mod kinds;
mod merge;
pub mod overview;
mod ownership;
pub mod policy;
mod provision;
mod pss;
pub mod quantity;
pub mod secrets;

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
}

impl Cluster {
    /// A cluster over any client: tests pass kube-fake-client's.
    pub fn with_client(mode: ClusterMode, client: kube::Client, policy: ClusterPolicy) -> Self {
        Self {
            mode,
            client,
            policy: Arc::new(policy),
            embedded: None,
        }
    }

    /// On shutdown: the embedded cluster lets go of the store.
    pub fn close(&self) {
        if let Some(api) = &self.embedded {
            api.close();
        }
    }
}

/// Connects in the configured mode, with the policy from the same place as the plugins'.
pub fn connect(
    mode: ClusterMode,
    store: &crate::store::Store,
    clock: SharedClock,
    policies: &crate::policy::PolicySource,
) -> anyhow::Result<Cluster> {
    let policy = ClusterPolicy::load(policies)?;
    let mut embedded = None;
    let client = match mode {
        ClusterMode::Embedded => {
            let api = embedded::EmbeddedApi::new(store, clock)?;
            embedded = Some(api.clone());
            kube::Client::new(api, "default")
        }
        // Reading the kubeconfig is async; start-up is not, and runs on the multi-thread runtime.
        ClusterMode::Kube => tokio::task::block_in_place(|| {
            // kube's TLS asks rustls for the process's provider, which rustls cannot pick
            // when a build links both ring and aws-lc-rs (as `cargo test` does: a
            // dev-dependency enables kube's default aws-lc-rs): say which. An error only
            // means one is installed already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            tokio::runtime::Handle::current().block_on(async {
                let config = kube::Config::infer().await?;
                anyhow::Ok(kube::Client::try_from(config)?)
            })
        })
        .map_err(|e| {
            anyhow::anyhow!("cannot reach Kubernetes (kubeconfig or in-cluster config): {e}")
        })?,
    };
    Ok(Cluster {
        embedded,
        ..Cluster::with_client(mode, client, policy)
    })
}
