//! A friend's own apps over HTTP (embedded cluster): the newest pod's log, limited as the
//! agent's logs route, and a rollout restart the cluster honours; another friend's app of
//! the same name is out of reach (404), and so is a namespace the portal does not own.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use reqwest::StatusCode;
use serde_json::json;

use crate::secrets::{Two, two};
use crate::support::ADMIN;

const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

fn web(replicas: u32) -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}})
}

async fn deploy(t: &Two, friend: &str, replicas: u32) {
    let r =
        t.p.post(
            &format!("/api/friends/{friend}/namespace/apply"),
            ADMIN,
            web(replicas),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn deployment(t: &Two, friend: &str) -> Deployment {
    let api: Api<Deployment> = Api::namespaced(
        t.p.server.state.cluster.client.clone(),
        &format!("friend-{friend}"),
    );
    api.get("web").await.unwrap()
}

fn restarted_at(d: &Deployment) -> Option<String> {
    d.spec
        .as_ref()?
        .template
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(RESTARTED_AT)
        .cloned()
}

async fn pod_names(t: &Two, friend: &str) -> Vec<String> {
    let pods =
        t.p.get(&format!("/api/friends/{friend}/namespace/pods"), ADMIN)
            .await;
    let mut names: Vec<String> = pods
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

const LOGS: &str = "/api/portal/namespace/deployments/web/logs";
const RESTART: &str = "/api/portal/namespace/deployments/web/restart";

#[tokio::test]
async fn a_friend_reads_their_apps_log_within_the_agents_limits() {
    let t = two().await;
    deploy(&t, "alice", 2).await;
    let pods = pod_names(&t, "alice").await;

    let r = t.p.get(&format!("{LOGS}?tail=10"), &t.alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["deployment"], "web");
    let pod = r.body["pod"].as_str().unwrap();
    assert!(pods.iter().any(|p| p == pod), "{pod} of {pods:?}");
    assert!(
        r.body["lines"][0].as_str().unwrap().contains(pod),
        "the pod's own log: {}",
        r.text
    );
    assert_eq!(
        t.p.get(LOGS, &t.alice).await.status,
        StatusCode::OK,
        "default tail"
    );

    // The agent's route's limits: 1-500 lines.
    for tail in ["0", "501", "x"] {
        let r = t.p.get(&format!("{LOGS}?tail={tail}"), &t.alice).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "tail={tail}: {}", r.text);
        assert!(r.message().contains("1 to 500"), "{}", r.text);
    }
    let r = t.p.get(&format!("{LOGS}?tail=500"), &t.alice).await;
    assert_eq!(r.status, StatusCode::OK);

    let r =
        t.p.get("/api/portal/namespace/deployments/nope/logs", &t.alice)
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn a_restart_replaces_the_pods_and_shows_on_the_deployment() {
    let t = two().await;
    deploy(&t, "alice", 2).await;
    let before = pod_names(&t, "alice").await;
    assert_eq!(restarted_at(&deployment(&t, "alice").await), None);
    let overview = t.p.get("/api/portal/namespace", &t.alice).await;
    assert_eq!(
        overview.body["deployments"][0]["restartedAt"],
        json!(null),
        "{}",
        overview.text
    );

    let r = t.p.post(RESTART, &t.alice, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"name": "web", "restartedAt": "2026-03-01T10:00:00Z"})
    );
    assert_eq!(
        restarted_at(&deployment(&t, "alice").await).as_deref(),
        Some("2026-03-01T10:00:00Z")
    );
    // The page's card says when: the overview carries it (null before any restart).
    let overview = t.p.get("/api/portal/namespace", &t.alice).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.text);
    assert_eq!(
        overview.body["deployments"][0]["restartedAt"], "2026-03-01T10:00:00Z",
        "{}",
        overview.text
    );
    let after = pod_names(&t, "alice").await;
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "every pod replaced: {before:?} -> {after:?}"
    );

    let r =
        t.p.post(
            "/api/portal/namespace/deployments/nope/restart",
            &t.alice,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r =
        t.p.post(
            "/api/portal/namespace/deployments/Not_A-Name/restart",
            &t.alice,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn another_friends_app_is_not_found() {
    let t = two().await;
    deploy(&t, "alice", 1).await;
    // Bob has no app called web: alice's is not his to read or restart.
    let r = t.p.get(LOGS, &t.bob).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = t.p.post(RESTART, &t.bob, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(restarted_at(&deployment(&t, "alice").await), None);

    // With a web of his own, his restart touches his alone.
    deploy(&t, "bob", 1).await;
    let r = t.p.post(RESTART, &t.bob, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(restarted_at(&deployment(&t, "bob").await).is_some());
    assert_eq!(restarted_at(&deployment(&t, "alice").await), None);
    let r = t.p.get(LOGS, &t.bob).await;
    assert!(
        !r.text.contains("friend-alice") && r.body["pod"].is_string(),
        "{}",
        r.text
    );
    let alice_pods = pod_names(&t, "alice").await;
    assert!(!alice_pods.iter().any(|p| r.text.contains(p.as_str())));
}

#[tokio::test]
async fn a_namespace_the_portal_does_not_own_is_left_alone() {
    let t = two().await;
    deploy(&t, "alice", 1).await;
    // Someone takes the portal's labels off alice's namespace: it is no longer provably hers.
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> =
        Api::all(t.p.server.state.cluster.client.clone());
    let unlabel = json!({"metadata": {"labels": {"app.kubernetes.io/managed-by": "someone-else"}}});
    namespaces
        .patch(
            "friend-alice",
            &PatchParams::default(),
            &Patch::Merge(&unlabel),
        )
        .await
        .unwrap();
    let r = t.p.post(RESTART, &t.alice, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(restarted_at(&deployment(&t, "alice").await), None);
    let r = t.p.get(LOGS, &t.alice).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

#[tokio::test]
async fn the_friends_agent_reads_the_log_and_restarts_the_app_as_well() {
    let t = two().await;
    deploy(&t, "alice", 1).await;
    deploy(&t, "bob", 1).await;
    let alice_app = "/api/friends/alice/namespace/deployments/web";
    let r = t.p.get(&format!("{alice_app}/logs?tail=5"), &t.agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["deployment"], "web");
    let r =
        t.p.post(&format!("{alice_app}/restart"), &t.agent, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(restarted_at(&deployment(&t, "alice").await).is_some());

    // Bob is no friend of this agent: his app is out of its reach, and untouched.
    let bob_app = "/api/friends/bob/namespace/deployments/web";
    let r =
        t.p.post(&format!("{bob_app}/restart"), &t.agent, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = t.p.get(&format!("{bob_app}/logs"), &t.agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(restarted_at(&deployment(&t, "bob").await), None);
    // The admin may.
    let r =
        t.p.post(&format!("{bob_app}/restart"), ADMIN, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(restarted_at(&deployment(&t, "bob").await).is_some());
}
