//! A new friend's namespace, made by the portal as its ServiceAccount: everything the
//! templates in policies/namespace/ hold, and provisioning again changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::portal::KubePortal;

/// `POST /api/friends/prov/namespace/provision`: must answer 200.
async fn provision(p: &KubePortal, agent: &str) -> serde_json::Value {
    let r = p
        .call(
            Method::POST,
            "/api/friends/prov/namespace/provision",
            agent,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

#[tokio::test]
async fn creation_provisions_the_namespace_as_the_service_account() {
    let p = KubePortal::start().await;
    let who = p.plane.kubectl_as(
        &p.plane.portal_kubeconfig,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
        None,
    );
    assert_eq!(
        who.stdout, "system:serviceaccount:friendportal:friend-portal",
        "the portal's kubeconfig is the ServiceAccount's token: {}",
        who.stderr
    );
    let f = p.friend("prov").await;
    let ns = p
        .plane
        .get_json(&["namespace", &f.namespace])
        .expect("the namespace was made");
    let labels = &ns["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "friend-portal");
    assert_eq!(labels["friend-portal/friend"], "prov");
    for mode in ["enforce", "warn", "audit"] {
        assert_eq!(
            labels[format!("pod-security.kubernetes.io/{mode}")],
            "baseline",
            "{labels}"
        );
    }
    let binding = p
        .plane
        .get_json(&["rolebinding", "friend-portal", "-n", &f.namespace])
        .expect("the portal's RoleBinding");
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "friend-portal-tenant"})
    );
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "friend-portal", "namespace": "friendportal"}])
    );
    let quota = p
        .plane
        .get_json(&["resourcequota", "friend-quota", "-n", &f.namespace])
        .expect("the quota");
    assert_eq!(quota["spec"]["hard"]["pods"], "20");
    assert_eq!(quota["spec"]["hard"]["services.loadbalancers"], "0");
    let limits = p
        .plane
        .get_json(&["limitrange", "friend-defaults", "-n", &f.namespace])
        .expect("the limit range");
    assert_eq!(limits["spec"]["limits"][0]["defaultRequest"]["cpu"], "100m");
    let policy = p
        .plane
        .get_json(&["networkpolicy", "friend-isolation", "-n", &f.namespace])
        .expect("the network policy");
    assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    // Egress: its own namespace, DNS in kube-system, and every address but the cluster's
    // own ranges and link-local (cloud metadata), as cluster.toml lists them.
    assert_eq!(
        policy["spec"]["egress"],
        json!([
            {"to": [{"podSelector": {}}]},
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
             "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {"to": [
                {"ipBlock": {"cidr": "0.0.0.0/0", "except": [
                    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]}},
                {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe80::/10"]}},
            ]},
        ]),
        "{policy}"
    );

    // Provisioning again: everything is as the templates say.
    let again = provision(&p, &f.agent).await;
    let applied = again["applied"].as_array().expect("a list");
    assert_eq!(applied.len(), 5, "{again}");
    assert!(
        applied.iter().all(|a| a["action"] == "unchanged"),
        "the real API server's defaults must not read as drift: {again}"
    );

    // Drift an operator made is put back, through a patch the tenant role allows.
    p.plane.admin(&[
        "patch",
        "resourcequota",
        "friend-quota",
        "-n",
        &f.namespace,
        "--type=merge",
        "-p",
        r#"{"spec":{"hard":{"pods":"99"}}}"#,
    ]);
    let repaired = provision(&p, &f.agent).await;
    let actions: Vec<_> = repaired["applied"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or(""),
                a["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        actions.contains(&("ResourceQuota", "updated"))
            && actions.iter().filter(|(_, a)| *a == "unchanged").count() == 4,
        "{actions:?}"
    );
    let quota = p
        .plane
        .get_json(&["resourcequota", "friend-quota", "-n", &f.namespace])
        .expect("the quota");
    assert_eq!(quota["spec"]["hard"]["pods"], "20");

    // A Pod Security label taken off the namespace is put back: the namespace `patch` the
    // portal keeps in its ClusterRole, which the admission policy lets through because the
    // result holds the labels at the template's level.
    p.plane.admin(&[
        "label",
        "namespace",
        &f.namespace,
        "pod-security.kubernetes.io/warn-",
    ]);
    let repaired = provision(&p, &f.agent).await;
    assert!(
        repaired["applied"]
            .as_array()
            .expect("a list")
            .iter()
            .any(|a| a["kind"] == "Namespace" && a["action"] == "updated"),
        "{repaired}"
    );
    let ns = p
        .plane
        .get_json(&["namespace", &f.namespace])
        .expect("the namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/warn"], "baseline",
        "{ns}"
    );
}
