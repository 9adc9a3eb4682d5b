//! Provisioning, workloads, logs and purge over HTTP, embedded cluster.

use reqwest::StatusCode;
use serde_json::json;

use crate::secrets::two;
use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn friends_are_provisioned_on_creation_and_provisioning_is_idempotent() {
    let t = two().await;
    let r =
        t.p.send(
            reqwest::Method::POST,
            "/api/friends/alice/namespace/provision",
            Some(&t.agent),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let actions: Vec<_> = r.body["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(actions.len(), 5);
    assert!(
        actions.iter().all(|(_, a)| a == "unchanged"),
        "created when the friend was: {actions:?}"
    );
    let health = t.p.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(health.body["cluster"], "embedded");

    use k8s_openapi::api::core::v1::Namespace;
    let ns: Namespace = kube::Api::all(t.p.server.state.cluster.client.clone())
        .get("friend-alice")
        .await
        .unwrap();
    let labels = ns.metadata.labels.unwrap();
    for mode in ["enforce", "warn", "audit"] {
        assert_eq!(
            labels[&format!("pod-security.kubernetes.io/{mode}")],
            "baseline"
        );
    }
    assert_eq!(labels["friend-portal/friend"], "alice");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "friend-portal");
}

#[tokio::test]
async fn deployments_pods_logs_and_deletion() {
    let t = two().await;
    let p = &t.p;
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}});
    assert_eq!(
        p.post("/api/friends/alice/namespace/apply", &t.agent, deploy)
            .await
            .status,
        StatusCode::OK
    );
    let pods = p.get("/api/friends/alice/namespace/pods", &t.agent).await;
    assert_eq!(pods.body.as_array().unwrap().len(), 3);
    let pod = pods.body[0]["name"].as_str().unwrap().to_owned();

    let logs = p
        .get(
            &format!("/api/friends/alice/namespace/logs/{pod}?tail=10"),
            &t.agent,
        )
        .await;
    assert_eq!(logs.status, StatusCode::OK, "{}", logs.text);
    assert_eq!(logs.body["pod"], pod.as_str());
    assert!(
        logs.body["lines"][0]
            .as_str()
            .unwrap()
            .contains("simulated"),
        "{}",
        logs.text
    );
    assert_eq!(
        p.get(
            &format!("/api/friends/alice/namespace/logs/{pod}?tail=501"),
            &t.agent
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        p.get(
            &format!("/api/friends/alice/namespace/logs/{pod}?tail=x"),
            &t.agent
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        p.get("/api/friends/alice/namespace/logs/nope", &t.agent)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        p.delete("/api/friends/alice/namespace/deployments/web", &t.agent)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        p.get("/api/friends/alice/namespace/pods", &t.agent)
            .await
            .body,
        json!([]),
        "pods go with their deployment"
    );
    assert_eq!(
        p.delete("/api/friends/alice/namespace/deployments/web", &t.agent)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bobs_namespace_is_out_of_alices_and_the_agents_reach() {
    let t = two().await;
    let p = &t.p;
    p.post("/api/friends/bob/namespace/apply", ADMIN, json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bobs-svc"}, "spec": {"ports": [{"port": 80}]}})).await;
    let alice_view = p.get("/api/portal/namespace", &t.alice).await;
    assert!(!alice_view.text.contains("bobs-svc"));
    for (method, path) in [
        (reqwest::Method::GET, "/api/friends/bob/namespace/status"),
        (reqwest::Method::GET, "/api/friends/bob/namespace/pods"),
        (
            reqwest::Method::POST,
            "/api/friends/bob/namespace/provision",
        ),
        (
            reqwest::Method::DELETE,
            "/api/friends/bob/namespace/deployments/x",
        ),
        (reqwest::Method::GET, "/api/friends/bob/namespace/logs/x"),
    ] {
        assert_eq!(
            p.send(method.clone(), path, Some(&t.agent), None)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            p.send(method, path, Some(&t.alice), None).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn purge_deletes_the_namespace_and_plain_delete_keeps_it() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "keep").await;
    p.add_friend(ADMIN, "gone").await;
    use k8s_openapi::api::core::v1::Namespace;
    let api: kube::Api<Namespace> = kube::Api::all(p.server.state.cluster.client.clone());
    assert_eq!(
        p.delete("/api/friends/keep", ADMIN).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(api.get_opt("friend-keep").await.unwrap().is_some());
    assert_eq!(
        p.delete("/api/friends/gone?purge=true", ADMIN).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(api.get_opt("friend-gone").await.unwrap().is_none());
}
