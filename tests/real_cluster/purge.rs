//! Purge deletes the namespace; a real one is Terminating until the namespace controller
//! has emptied it. Until it is gone the id cannot be taken again (409, saying so); then it can,
//! and the new friend starts empty.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::child::ADMIN;
use crate::control_plane::eventually;
use crate::portal::KubePortal;

#[tokio::test]
async fn purge_deletes_the_namespace_and_frees_the_id_once_it_is_gone() {
    let p = KubePortal::start().await;
    let f = p.friend("purg").await;
    let secret = p
        .post(
            "/api/portal/secrets",
            &f.session,
            json!({"name": "old", "data": {"K": "v"}}),
        )
        .await;
    assert_eq!(secret.status, StatusCode::CREATED, "{}", secret.body);
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}});
    let r = p
        .post("/api/friends/purg/namespace/apply", &f.agent, deploy)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // An object with a finalizer keeps the namespace Terminating until the test lets go,
    // as a slow controller's would.
    let hold = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "hold", "namespace": f.namespace, "finalizers": ["example.com/hold"]}});
    p.plane
        .admin_try(&["create", "-f", "-"], Some(&hold.to_string()))
        .ok
        .then_some(())
        .expect("the held ConfigMap");

    let purged = p.delete("/api/friends/purg?purge=true", ADMIN).await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT, "{}", purged.body);
    let ns = p.plane.get_json(&["namespace", &f.namespace]);
    let terminating = ns.as_ref().map(|ns| ns["status"]["phase"].clone());
    assert_eq!(terminating, Some(json!("Terminating")), "{ns:?}");
    let early = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "purg", "display_name": "Again"}),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(
        early.message().contains("still being deleted"),
        "{}",
        early.body
    );

    p.plane.admin(&[
        "patch",
        "configmap",
        "hold",
        "-n",
        &f.namespace,
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    eventually("the namespace is gone", Duration::from_secs(60), || async {
        p.plane
            .get_json(&["namespace", &f.namespace])
            .is_none()
            .then_some(())
    })
    .await;
    let agent = p.add_agent("second").await;
    p.add_friend(&agent, "purg").await;
    let session = p.session_for(&agent, "purg").await;
    assert_eq!(p.get("/api/portal/secrets", &session).await.body, json!([]));
    assert!(
        p.plane
            .get_json(&["rolebinding", "friend-portal", "-n", &f.namespace])
            .is_some(),
        "the new namespace is provisioned"
    );
}
