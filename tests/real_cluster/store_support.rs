//! What the Kubernetes-API store's tests share: clients and replicas on the portal's
//! identity in its namespace, records to write, and a race of writers over two replicas.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::future::join_all;
use portal_store::kube::KubeStore;
use portal_store::{Friend, Job, Pauses, Session, SessionKind};

use crate::control_plane::control_plane;

pub(crate) const NAMESPACE: &str = "friendportal";

pub(crate) async fn client() -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let plane = tokio::task::spawn_blocking(control_plane)
        .await
        .expect("starting the control plane");
    let kubeconfig = kube::config::Kubeconfig::read_from(&plane.portal_kubeconfig)
        .expect("the portal's kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("a client config");
    kube::Client::try_from(config).expect("a client")
}

/// A replica: a store of its own on the portal's identity.
pub(crate) async fn replica() -> Arc<KubeStore> {
    Arc::new(
        KubeStore::connect_with(client().await, NAMESPACE, Arc::new(Pauses::default()))
            .await
            .expect("the kube store connects (CRDs applied, RBAC bound)"),
    )
}

pub(crate) fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
}

pub(crate) fn friend(id: &str) -> Friend {
    Friend {
        id: id.into(),
        display_name: id.into(),
        discord_id: None,
        signal: None,
        whatsapp: None,
        preferred_channel: None,
        created_at: at(),
        updated_at: at(),
    }
}

pub(crate) fn link(friend: &str, kind: SessionKind) -> Session {
    Session {
        friend_id: friend.into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::hours(1),
        created_by: "admin".into(),
        revoked_at: None,
        kind,
        spent_at: None,
        last_used_at: None,
        browser: None,
    }
}

pub(crate) fn hash(seed: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(seed.as_bytes()).into()
}

pub(crate) fn job(friend: &str, name: &str) -> Job {
    Job {
        friend: friend.into(),
        name: name.into(),
        message: "hi".into(),
        cron: "0 9 * * *".into(),
        session: "agent:main".into(),
        tz: "UTC".into(),
        enabled: true,
        created_at: at(),
        next_run: None,
    }
}

/// Runs `n` writers, alternately on the two replicas, all at once.
pub(crate) async fn race<T, F, Fut>(
    a: &Arc<KubeStore>,
    b: &Arc<KubeStore>,
    n: usize,
    writer: F,
) -> Vec<T>
where
    F: Fn(Arc<KubeStore>, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n)
        .map(|i| tokio::spawn(writer(if i % 2 == 0 { a.clone() } else { b.clone() }, i)))
        .collect();
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("a writer panicked"))
        .collect()
}
