//! The embedded cluster fills in what a real API server does (tests/real_cluster showed the
//! differences), and the portal's apply does not mistake those defaults for a change.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::secrets::two;

fn manifests(port: u16) -> Value {
    json!({"manifests": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "web", "image": "nginx:alpine",
                                                        "ports": [{"containerPort": 80}]}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": port}]}},
    ]})
}

#[tokio::test]
async fn reapplying_is_unchanged_although_the_server_filled_in_defaults() {
    let t = two().await;
    let path = "/api/friends/alice/namespace/apply";
    let first = t.p.post(path, &t.agent, manifests(80)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    use k8s_openapi::api::apps::v1::Deployment;
    let stored = kube::Api::<Deployment>::namespaced(
        t.p.server.state.cluster.client.clone(),
        "friend-alice",
    )
    .get("web")
    .await
    .unwrap();
    let stored = serde_json::to_value(stored).unwrap();
    let container = &stored["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    assert_eq!(container["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(container["ports"][0]["protocol"], "TCP");
    assert_eq!(
        stored["spec"]["template"]["spec"]["restartPolicy"],
        "Always"
    );
    assert_eq!(stored["spec"]["strategy"]["type"], "RollingUpdate");

    let again = t.p.post(path, &t.agent, manifests(80)).await;
    assert_eq!(
        again.body["applied"],
        json!([{"kind": "Deployment", "name": "web", "action": "unchanged"},
               {"kind": "Service", "name": "web", "action": "unchanged"}]),
        "{}",
        again.text
    );
}

#[tokio::test]
async fn a_replaced_service_keeps_its_cluster_ip() {
    let t = two().await;
    let path = "/api/friends/alice/namespace/apply";
    assert_eq!(
        t.p.post(path, &t.agent, manifests(80)).await.status,
        StatusCode::OK
    );
    let before = t.p.get("/api/portal/namespace", &t.alice).await.body["services"][0].clone();
    let changed = t.p.post(path, &t.agent, manifests(8080)).await;
    assert_eq!(
        changed.body["applied"][1]["action"], "configured",
        "{}",
        changed.text
    );
    let after = t.p.get("/api/portal/namespace", &t.alice).await.body["services"][0].clone();
    assert_eq!(after["ports"][0]["port"], 8080);
    assert!(before["clusterIP"].is_string());
    assert_eq!(after["clusterIP"], before["clusterIP"]);
}
