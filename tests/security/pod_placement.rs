//! Where a friend's pods may run: `nodeName`, `affinity` and a scheduler of their own never; a toleration or a
//! `nodeSelector` only as cluster.toml's `allowed_tolerations` and `allowed_node_selectors`
//! list them (none by default), so no pod of a friend reaches a tainted node (a control
//! plane's). Each refusal is a 422 naming the document and the field.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::pod_security::portal_with;
use crate::support::{ADMIN, Reply, TestPortal};

fn deployment(pod_extra: Value) -> Value {
    let mut spec = json!({"containers": [{"name": "web", "image": "nginx:alpine"}]});
    for (k, v) in pod_extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}
    })
}

async fn apply(p: &TestPortal, doc: Value) -> Reply {
    p.post("/api/friends/alice/namespace/apply", ADMIN, doc)
        .await
}

fn assert_refused(r: &Reply, field: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        r.text
    );
    let expected = format!("document 1 (Deployment web): spec.template.spec.{field}: ");
    assert!(r.message().starts_with(&expected), "{expected}: {}", r.text);
}

const CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";

#[tokio::test]
async fn pods_choose_no_node_by_default() {
    let p = portal_with(str::to_owned).await;
    p.add_friend(ADMIN, "alice").await;
    let refused = [
        (
            json!({"tolerations": [{"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}]}),
            "tolerations[0]",
        ),
        (
            json!({"tolerations": [{"operator": "Exists"}]}),
            "tolerations[0]",
        ),
        (
            json!({"nodeSelector": {CONTROL_PLANE: ""}}),
            "nodeSelector[node-role.kubernetes.io/control-plane]",
        ),
        (json!({"nodeName": "control-plane-0"}), "nodeName"),
        (json!({"schedulerName": "my-scheduler"}), "schedulerName"),
        (
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": CONTROL_PLANE, "operator": "Exists"}]}]}}}}),
            "affinity",
        ),
        (
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}]}}}),
            "affinity",
        ),
    ];
    for (extra, field) in refused {
        assert_refused(&apply(&p, deployment(extra)).await, field);
    }
    // Empty ones choose nothing.
    let r = apply(
        &p,
        deployment(
            json!({"tolerations": [], "nodeSelector": {}, "affinity": {},
                          "schedulerName": "default-scheduler"}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn an_operator_lets_pods_onto_the_nodes_it_names() {
    let p = portal_with(|toml| {
        let edited = toml
            .replace(
                "allowed_tolerations = []",
                r#"allowed_tolerations = [{ key = "pool", value = "friends", effect = "NoSchedule" }]"#,
            )
            .replace(
                "allowed_node_selectors = []",
                r#"allowed_node_selectors = ["pool=friends"]"#,
            );
        assert_ne!(edited, toml, "cluster.toml has the two settings");
        edited
    })
    .await;
    p.add_friend(ADMIN, "alice").await;
    let listed = json!({
        "tolerations": [{"key": "pool", "operator": "Equal", "value": "friends", "effect": "NoSchedule", "tolerationSeconds": 30}],
        "nodeSelector": {"pool": "friends"},
    });
    let r = apply(&p, deployment(listed)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Left out, the operator defaults to Equal, as the API server's does.
    let r = apply(
        &p,
        deployment(
            json!({"tolerations": [{"key": "pool", "value": "friends", "effect": "NoSchedule"}]}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for (extra, field) in [
        // The same key with Exists tolerates any value: not what was listed.
        (
            json!({"tolerations": [{"key": "pool", "operator": "Exists", "effect": "NoSchedule"}]}),
            "tolerations[0]",
        ),
        (
            json!({"tolerations": [{"key": "pool", "value": "friends", "effect": "NoSchedule"},
                                   {"key": CONTROL_PLANE, "effect": "NoSchedule"}]}),
            "tolerations[1]",
        ),
        (
            json!({"nodeSelector": {"pool": "friends", "kubernetes.io/hostname": "cp-0"}}),
            "nodeSelector[kubernetes.io/hostname]",
        ),
        (json!({"nodeName": "cp-0"}), "nodeName"),
    ] {
        assert_refused(&apply(&p, deployment(extra)).await, field);
    }
}
