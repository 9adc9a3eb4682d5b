//! The store's conformance suite (`portal_store::conformance`) against the Kubernetes-API
//! backend on the real API server, each store in a namespace of its own (as the
//! cluster's admin: the portal's Role reaches only its own namespace). The same cases run
//! against sled in `store/tests/conformance_sled.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};

use portal_store::kube::KubeStore;

use crate::control_plane::control_plane;

async fn fresh() -> portal_store::Store {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let plane = tokio::task::spawn_blocking(control_plane)
        .await
        .expect("starting the control plane");
    let namespace = format!("store-conformance-{}", NEXT.fetch_add(1, Ordering::SeqCst));
    let created = {
        let namespace = namespace.clone();
        tokio::task::spawn_blocking(move || plane.admin(&["create", "namespace", &namespace]))
    };
    created.await.expect("kubectl create namespace");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kubeconfig = kube::config::Kubeconfig::read_from(&plane.admin_kubeconfig)
        .expect("the admin's kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("a client config");
    let client = kube::Client::try_from(config).expect("a client");
    KubeStore::connect(client, &namespace)
        .await
        .expect("the kube store connects in a new namespace")
        .into_store()
}

portal_store::conformance_tests!(fresh);
