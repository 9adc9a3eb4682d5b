//! Rule 1: the portal acts only in namespaces it made for the same friend. One that exists
//! under a friend's namespace name without the portal's labels for that friend (the
//! portal's own, another system's, a leftover) is refused with 409 and left as it was.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ObjectMeta, PostParams};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, TestPortal};

async fn make_namespace(p: &TestPortal, name: &str, labels: &[(&str, &str)]) {
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(p.server.state.cluster.client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
}

/// What lives in the foreign namespace, to see it untouched afterwards.
async fn plant(p: &TestPortal, namespace: &str) {
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("portal-config".into()),
            ..Default::default()
        },
        data: Some([("owner".to_owned(), "the portal itself".to_owned())].into()),
        ..Default::default()
    };
    Api::<ConfigMap>::namespaced(p.server.state.cluster.client.clone(), namespace)
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
}

/// `owner`: the friend label the namespace had before, if any.
async fn untouched(p: &TestPortal, namespace: &str, owner: Option<&str>) {
    let client = p.server.state.cluster.client.clone();
    let cm = Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .get("portal-config")
        .await
        .unwrap();
    assert_eq!(cm.data.unwrap()["owner"], "the portal itself");
    let ns = Api::<Namespace>::all(client.clone())
        .get(namespace)
        .await
        .unwrap();
    let labels = ns.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels.get("friend-portal/friend").map(String::as_str),
        owner,
        "{labels:?}"
    );
    let deployments = Api::<Deployment>::namespaced(client, namespace)
        .list(&Default::default())
        .await
        .unwrap();
    assert!(deployments.items.is_empty());
}

#[tokio::test]
async fn a_friend_id_whose_namespace_exists_unowned_is_refused() {
    let p = TestPortal::start().await;
    make_namespace(&p, "friend-portal", &[("app", "friend-portal")]).await;
    plant(&p, "friend-portal").await;
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "portal", "display_name": "P"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.message().contains("friend-portal"), "{}", r.text);
    assert_eq!(
        p.get("/api/friends/portal", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
    untouched(&p, "friend-portal", None).await;
}

/// A namespace whose labels name another friend (or nobody) is not adopted by provisioning,
/// applied to, or purged, even for a friend that exists.
#[tokio::test]
async fn provisioning_apply_and_purge_refuse_a_namespace_that_is_not_the_friends() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "mallory").await;
    // The namespace goes, and another system makes one of the same name.
    let client = p.server.state.cluster.client.clone();
    Api::<Namespace>::all(client.clone())
        .delete("friend-mallory", &Default::default())
        .await
        .unwrap();
    make_namespace(
        &p,
        "friend-mallory",
        &[
            ("app.kubernetes.io/managed-by", "friend-portal"),
            ("friend-portal/friend", "x-mallory"),
        ],
    )
    .await;
    plant(&p, "friend-mallory").await;

    let provision = p
        .send(
            reqwest::Method::POST,
            "/api/friends/mallory/namespace/provision",
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(provision.status, StatusCode::CONFLICT, "{}", provision.text);
    assert!(
        provision.message().contains("not made by the portal"),
        "{}",
        provision.text
    );

    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}});
    let apply = p
        .post("/api/friends/mallory/namespace/apply", ADMIN, deploy)
        .await;
    assert_eq!(apply.status, StatusCode::CONFLICT, "{}", apply.text);

    let purge = p.delete("/api/friends/mallory?purge=true", ADMIN).await;
    assert_eq!(purge.status, StatusCode::CONFLICT, "{}", purge.text);
    assert_eq!(
        p.get("/api/friends/mallory", ADMIN).await.status,
        StatusCode::OK
    );
    untouched(&p, "friend-mallory", Some("x-mallory")).await;
}

/// `deploy/` never puts the portal where a friend's namespace could be: no namespace it
/// names or creates begins with `friend-`.
#[test]
fn the_portals_own_namespace_is_not_a_friends() {
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut seen = 0;
    for entry in std::fs::read_dir(&deploy).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        for doc in documents.iter().filter(|d| !d.is_null()) {
            let mut names = vec![doc["metadata"]["namespace"].clone()];
            if doc["kind"] == "Namespace" {
                names.push(doc["metadata"]["name"].clone());
            }
            for subject in doc["subjects"].as_array().into_iter().flatten() {
                names.push(subject["namespace"].clone());
            }
            for name in names.iter().filter_map(Value::as_str) {
                seen += 1;
                assert!(
                    !name.starts_with("friend-"),
                    "{}: namespace '{name}' begins with friend-",
                    path.display()
                );
            }
        }
    }
    assert!(seen >= 2, "deploy/ names the portal's namespace");
}
