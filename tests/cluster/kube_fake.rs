//! The cluster code behind a kube-fake-client `kube::Client`, as it would run with `--cluster kube`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ResourceQuota, Secret};
use kube::api::{Api, ObjectMeta, PostParams};
use portal::cluster::{Cluster, ClusterError, ClusterMode, ClusterPolicy};
use portal::policy::PolicySource;
use serde_json::json;

use crate::fake_namespaces::FakeNamespaces;

/// kube-fake-client does not serve Namespace objects themselves (its path parser reads
/// `/api/v1/namespaces/<name>` as a namespaced path), so here provisioning applies the
/// namespaced templates only (the Namespace document is covered against the embedded
/// cluster), and [`FakeNamespaces`] answers the portal's ownership reads: every friend
/// namespace is the portal's except those in `foreign`.
async fn cluster() -> Cluster {
    cluster_with_foreign(&[]).await
}

async fn cluster_with_foreign(foreign: &[&str]) -> Cluster {
    let fake = kube_fake_client::ClientBuilder::new()
        .build()
        .await
        .unwrap();
    let client = FakeNamespaces::client(fake, foreign);
    let mut policy = ClusterPolicy::load(&PolicySource::Embedded).unwrap();
    policy
        .templates
        .retain(|(_, text)| !text.contains("kind: Namespace"));
    Cluster::with_client(ClusterMode::Kube, client, policy)
}

fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn provisioning_creates_the_namespace_and_its_policies_once() {
    let c = cluster().await;
    let first = c.provision("alice").await.unwrap();
    let summary: Vec<_> = first
        .iter()
        .map(|a| (a.kind.as_str(), a.name.as_str(), a.action))
        .collect();
    assert_eq!(
        summary,
        [
            ("RoleBinding", "friend-portal", "created"),
            ("ResourceQuota", "friend-quota", "created"),
            ("LimitRange", "friend-defaults", "created"),
            ("NetworkPolicy", "friend-isolation", "created"),
        ]
    );
    let again = c.provision("alice").await.unwrap();
    assert!(
        again.iter().all(|a| a.action == "unchanged"),
        "provisioning twice changes nothing: {again:?}"
    );

    let quota: ResourceQuota = Api::namespaced(c.client.clone(), "friend-alice")
        .get("friend-quota")
        .await
        .unwrap();
    let hard = quota.spec.unwrap().hard.unwrap();
    assert_eq!(hard["services.loadbalancers"].0, "0");
    assert_eq!(hard["services.nodeports"].0, "0");
    for key in [
        "requests.cpu",
        "requests.memory",
        "pods",
        "services",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
    ] {
        assert!(hard.contains_key(key), "quota sets {key}");
    }
}

#[tokio::test]
async fn drifted_objects_are_updated() {
    let c = cluster().await;
    c.provision("alice").await.unwrap();
    let api: Api<ResourceQuota> = Api::namespaced(c.client.clone(), "friend-alice");
    let patch = json!({"spec": {"hard": {"pods": "500"}}});
    api.patch(
        "friend-quota",
        &Default::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await
    .unwrap();
    let again = c.provision("alice").await.unwrap();
    let quota = again
        .iter()
        .position(|a| a.kind == "ResourceQuota")
        .unwrap();
    assert_eq!(again[quota].action, "updated");
    assert!(
        again
            .iter()
            .enumerate()
            .all(|(i, a)| i == quota || a.action == "unchanged"),
        "{again:?}"
    );
    let hard = api
        .get("friend-quota")
        .await
        .unwrap()
        .spec
        .unwrap()
        .hard
        .unwrap();
    assert_eq!(hard["pods"].0, "20");
}

#[tokio::test]
async fn secrets_round_trip_and_system_secrets_stay_hidden() {
    let c = cluster().await;
    c.provision("alice").await.unwrap();
    let ns = "friend-alice";
    let created = c
        .create_secret(
            ns,
            "my-api-key",
            data(&[("API_KEY", "s3cret")]),
            "2026-03-01T10:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(created.keys, ["API_KEY"]);
    let duplicate = c
        .create_secret(ns, "my-api-key", data(&[("A", "b")]), "t")
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, ClusterError::Conflict(_)),
        "{duplicate:?}"
    );

    let system = Secret {
        metadata: ObjectMeta {
            name: Some("default-token".into()),
            namespace: Some(ns.into()),
            ..Default::default()
        },
        type_: Some("kubernetes.io/service-account-token".into()),
        ..Default::default()
    };
    Api::<Secret>::namespaced(c.client.clone(), ns)
        .create(&PostParams::default(), &system)
        .await
        .unwrap();

    let listed = c.list_secrets(ns).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["my-api-key"]
    );
    assert!(matches!(
        c.read_secret(ns, "default-token").await,
        Err(ClusterError::NotFound(_))
    ));
    assert!(matches!(
        c.delete_secret(ns, "default-token").await,
        Err(ClusterError::NotFound(_))
    ));
    assert!(matches!(
        c.replace_secret(ns, "default-token", data(&[("x", "y")]), "t")
            .await,
        Err(ClusterError::NotFound(_))
    ));

    let (_, values) = c.read_secret(ns, "my-api-key").await.unwrap();
    assert_eq!(values["API_KEY"], "s3cret");
    c.replace_secret(
        ns,
        "my-api-key",
        data(&[("NEW", "v")]),
        "2026-03-02T10:00:00Z",
    )
    .await
    .unwrap();
    let (info, values) = c.read_secret(ns, "my-api-key").await.unwrap();
    assert_eq!(
        values.keys().collect::<Vec<_>>(),
        ["NEW"],
        "replace swaps all data"
    );
    assert_eq!(info.updated_at, "2026-03-02T10:00:00Z");
    c.delete_secret(ns, "my-api-key").await.unwrap();
    assert!(c.list_secrets(ns).await.unwrap().is_empty());
}

#[tokio::test]
async fn secret_rules_are_checked_before_anything_is_sent() {
    let c = cluster().await;
    let ns = "friend-alice";
    for (name, d, what) in [
        ("Bad_Name", data(&[("k", "v")]), "name"),
        ("ok", BTreeMap::new(), "at least one key"),
        ("ok", data(&[("bad key", "v")]), "key 'bad key'"),
        ("ok", data(&[("..", "v")]), "key '..'"),
    ] {
        let e = c.create_secret(ns, name, d, "t").await.unwrap_err();
        assert!(
            matches!(&e, ClusterError::Invalid(m) if m.contains(what)),
            "{name}: {e:?}"
        );
    }
    let big = c
        .create_secret(ns, "big", data(&[("k", &"x".repeat(1024 * 1024))]), "t")
        .await
        .unwrap_err();
    assert!(matches!(big, ClusterError::TooLarge(_)), "{big:?}");
}

#[tokio::test]
async fn apply_and_overview_through_the_real_client_path() {
    let c = cluster().await;
    c.provision("alice").await.unwrap();
    let ns = "friend-alice";
    let docs = portal::cluster::apply::parse(
        r#"{"manifests":[
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"1"}},
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}}
        ]}"#,
        portal::cluster::apply::Format::Json,
    )
    .unwrap();
    let applied = c.apply(ns, docs.clone()).await.unwrap();
    assert_eq!(
        applied.iter().map(|a| a.action).collect::<Vec<_>>(),
        ["created", "created"]
    );
    let again = c.apply(ns, docs).await.unwrap();
    assert_eq!(
        again.iter().map(|a| a.action).collect::<Vec<_>>(),
        ["unchanged", "unchanged"]
    );
    let overview = c.overview(ns).await.unwrap();
    assert_eq!(overview["services"][0]["name"], "web");
    assert_eq!(overview["ingressRoutes"], json!([]));
}

/// A namespace of a friend's name that the portal did not make (here the portal's own, as
/// an old install named it) is neither provisioned, applied to, written nor purged.
#[tokio::test]
async fn a_namespace_the_portal_does_not_own_is_refused_and_untouched() {
    let c = cluster_with_foreign(&["friend-portal"]).await;
    let refused = c.provision("portal").await.unwrap_err();
    assert!(
        matches!(&refused, ClusterError::Conflict(m) if m.contains("friend-portal") && m.contains("not made by the portal")),
        "{refused:?}"
    );
    let quotas: Api<ResourceQuota> = Api::namespaced(c.client.clone(), "friend-portal");
    assert!(quotas.get_opt("friend-quota").await.unwrap().is_none());

    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "portal"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:alpine"}]}}}
    });
    let applied = c
        .apply("friend-portal", vec![deployment])
        .await
        .unwrap_err();
    assert!(matches!(applied, ClusterError::Conflict(_)), "{applied:?}");
    let secret = c
        .create_secret("friend-portal", "k", data(&[("A", "b")]), "t")
        .await
        .unwrap_err();
    assert!(matches!(secret, ClusterError::Conflict(_)), "{secret:?}");
    assert!(matches!(
        c.purge("portal").await,
        Err(ClusterError::Conflict(_))
    ));
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "friend-portal");
    assert!(
        secrets
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Its neighbours are unaffected.
    c.provision("alice").await.unwrap();
}

/// A friend's rollout restart through the real client path: the pod template's
/// restartedAt annotation, as kubectl sets it; refused in a namespace not the portal's.
#[tokio::test]
async fn a_rollout_restart_through_the_real_client_path() {
    let c = cluster_with_foreign(&["friend-mallory"]).await;
    c.provision("alice").await.unwrap();
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:alpine"}]}}}
    });
    c.apply("friend-alice", vec![deployment]).await.unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
        .unwrap()
        .to_utc();
    let restarted = c
        .restart_deployment("friend-alice", "web", now)
        .await
        .unwrap();
    assert_eq!(restarted["restartedAt"], "2026-03-01T10:00:00Z");
    let api: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(c.client.clone(), "friend-alice");
    let stored = api.get("web").await.unwrap();
    let annotations = stored.spec.unwrap().template.metadata.unwrap().annotations;
    assert_eq!(
        annotations.unwrap()["kubectl.kubernetes.io/restartedAt"],
        "2026-03-01T10:00:00Z"
    );
    assert!(matches!(
        c.restart_deployment("friend-alice", "nope", now).await,
        Err(ClusterError::NotFound(_))
    ));
    assert!(matches!(
        c.restart_deployment("friend-mallory", "web", now).await,
        Err(ClusterError::Conflict(_))
    ));
    // No pods here (nothing runs them): the log read says so rather than failing.
    let logs = c.deployment_logs("friend-alice", "web", 10).await.unwrap();
    assert_eq!(logs, json!({"deployment": "web", "pod": null, "lines": []}));
}
