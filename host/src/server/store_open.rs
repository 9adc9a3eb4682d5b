//! Where the portal's state is kept (`--store`): the embedded sled database in the data
//! dir (one process), or custom resources in the portal's own namespace of the cluster it
//! runs on (any number of processes). See README, "Scaling out".

use anyhow::Context;
use portal_store::Store;

use crate::cluster::{ClusterMode, ClusterPolicy};
use crate::config::{ServeConfig, StoreMode};
use crate::dns::DnsMode;
use crate::leader::Leadership;
use crate::leader::lease::{Elector, LeaseConfig};

/// The local DNS records' database beside a kube store: a few records per friend.
const LOCAL_TREES_CACHE_BYTES: u64 = 16 << 20;

/// Opens the store `config` names. `kube` is the real cluster's client, which
/// `--store kube` needs (and with it `--cluster kube`).
pub async fn open_store(
    config: &ServeConfig,
    kube: Option<&kube::Client>,
) -> anyhow::Result<Store> {
    match config.store {
        StoreMode::Sled => {
            let dir = config.store_dir();
            portal_store::open_embedded(&dir, config.store_cache_bytes)
                .with_context(|| format!("cannot open the store in {}", dir.display()))
        }
        StoreMode::Kube => {
            let client = kube
                .filter(|_| config.cluster == ClusterMode::Kube)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--store kube keeps the state in the cluster the portal manages: \
                         it needs --cluster kube"
                    )
                })?;
            let namespace = ClusterPolicy::load(&config.policies)?.portal_namespace;
            Ok(
                portal_store::kube::KubeStore::connect(client.clone(), &namespace)
                    .await
                    .with_context(|| format!("cannot open the store in namespace {namespace}"))?
                    .into_store(),
            )
        }
    }
}

/// Gives a store without trees for the single-node simulations the ones `portal serve`
/// needs: with `--dns local`, a database in `<data-dir>/local` for its records (local DNS
/// is a stand-in that publishes nothing; README: with several replicas, use Cloudflare).
pub fn attach_local_trees(store: &mut Store, config: &ServeConfig) -> anyhow::Result<()> {
    if store.local.is_some() || config.dns != DnsMode::Local {
        return Ok(());
    }
    let dir = config.data_dir.join("local");
    store.local = Some(
        portal_store::open_local(&dir, LOCAL_TREES_CACHE_BYTES)
            .with_context(|| format!("cannot open {}", dir.display()))?,
    );
    Ok(())
}

/// The Lease replicas sharing a kube store elect the scheduler's leader by.
pub const SCHEDULER_LEASE: &str = "friend-portal-scheduler";

/// Who fires cron jobs: with the embedded store, this process alone; with a kube store,
/// the replica holding [`SCHEDULER_LEASE`] in the portal's namespace.
pub fn elect_leader(
    config: &ServeConfig,
    kube: Option<&kube::Client>,
) -> anyhow::Result<(Option<Elector>, Leadership)> {
    let Some(client) = kube.filter(|_| config.store == StoreMode::Kube) else {
        return Ok((None, Leadership::always()));
    };
    let lease = LeaseConfig {
        namespace: ClusterPolicy::load(&config.policies)?.portal_namespace,
        name: SCHEDULER_LEASE.to_owned(),
        identity: config.scheduler.replica.clone(),
        timings: config.scheduler.leader,
    };
    let (elector, leadership) = Elector::start(client.clone(), lease);
    Ok((Some(elector), leadership))
}
