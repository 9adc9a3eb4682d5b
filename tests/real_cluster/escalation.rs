//! The portal's own token used as whoever steals it would: every road from its rights
//! (namespaces, RoleBindings of the tenant role, Deployments in friends' namespaces) to a
//! privileged pod is refused by the real API server, through deploy/admission-policy.yaml
//! and Pod Security admission. Each call here is made with the portal's TokenRequest token.

use std::time::Duration;

use serde_json::{Value, json};

use crate::control_plane::{ControlPlane, Kubectl, eventually};
use crate::portal::KubePortal;

/// kubectl as the portal's ServiceAccount.
fn as_portal(plane: &ControlPlane, args: &[&str], stdin: Option<&str>) -> Kubectl {
    plane.kubectl_as(&plane.portal_kubeconfig, args, stdin)
}

/// Asserts the call was refused, and says by what.
fn refused(out: &Kubectl, what: &str, because: &str) {
    assert!(!out.ok, "{what} was allowed: {}", out.stdout);
    assert!(
        out.stderr.contains(because),
        "{what}: refused, but not for '{because}': {}",
        out.stderr
    );
}

/// A friend's Namespace as provisioning makes it, with the Pod Security labels given.
fn friend_namespace(id: &str, pod_security: &[(&str, &str)]) -> String {
    let mut labels = json!({
        "app.kubernetes.io/managed-by": "friend-portal",
        "friend-portal/friend": id,
    });
    for (mode, level) in pod_security {
        labels[format!("pod-security.kubernetes.io/{mode}")] = json!(level);
    }
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": format!("friend-{id}"), "labels": labels}})
    .to_string()
}

fn labels_of(plane: &ControlPlane, namespace: &str) -> Value {
    plane
        .get_json(&["namespace", namespace])
        .expect("the namespace is there")["metadata"]["labels"]
        .clone()
}

const HELD: &str = "holds Pod Security at baseline";

#[test]
fn a_friend_namespace_labelled_privileged_is_refused() {
    let plane = crate::control_plane::control_plane();
    let privileged = friend_namespace(
        "evil",
        &[
            ("enforce", "privileged"),
            ("warn", "privileged"),
            ("audit", "privileged"),
        ],
    );
    let out = as_portal(plane, &["create", "-f", "-"], Some(&privileged));
    refused(&out, "friend-evil labelled privileged", HELD);
    let unlabelled = friend_namespace("evil", &[]);
    let out = as_portal(plane, &["create", "-f", "-"], Some(&unlabelled));
    refused(&out, "friend-evil without Pod Security labels", HELD);
    let pinned_old = friend_namespace(
        "evil",
        &[
            ("enforce", "baseline"),
            ("warn", "baseline"),
            ("audit", "baseline"),
            ("enforce-version", "v1.0"),
        ],
    );
    let out = as_portal(plane, &["create", "-f", "-"], Some(&pinned_old));
    refused(&out, "friend-evil pinned to an old policy version", HELD);
    assert!(plane.get_json(&["namespace", "friend-evil"]).is_none());
    // What provisioning makes is let through: the refusals are about the labels.
    let as_provisioned = friend_namespace(
        "evil",
        &[
            ("enforce", "baseline"),
            ("warn", "baseline"),
            ("audit", "baseline"),
        ],
    );
    let out = as_portal(plane, &["create", "-f", "-"], Some(&as_provisioned));
    assert!(
        out.ok,
        "a namespace as provisioning makes it: {}",
        out.stderr
    );
    plane.admin(&["delete", "namespace", "friend-evil", "--wait=false"]);
}

#[tokio::test]
async fn the_pod_security_labels_of_a_friends_namespace_stay() {
    let p = KubePortal::start().await;
    let plane = p.plane;
    let f = p.friend("held").await;
    let ns = f.namespace.as_str();
    for (label, what) in [
        (
            "pod-security.kubernetes.io/enforce=privileged",
            "patching enforce=privileged",
        ),
        (
            "pod-security.kubernetes.io/enforce-",
            "removing the enforce label",
        ),
        (
            "pod-security.kubernetes.io/enforce-version=v1.0",
            "pinning an old policy version",
        ),
    ] {
        let out = as_portal(
            plane,
            &["label", "namespace", ns, label, "--overwrite"],
            None,
        );
        refused(&out, what, HELD);
    }
    // A whole-object update: the portal's role has no `update` on namespaces at all.
    let mut object = plane.get_json(&["namespace", ns]).expect("the namespace");
    object["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = json!("privileged");
    let out = as_portal(plane, &["replace", "-f", "-"], Some(&object.to_string()));
    refused(&out, "replacing the namespace", "forbidden");
    let labels = labels_of(plane, ns);
    for mode in ["enforce", "warn", "audit"] {
        assert_eq!(
            labels[format!("pod-security.kubernetes.io/{mode}")],
            "baseline",
            "{labels}"
        );
    }
    assert!(
        labels["pod-security.kubernetes.io/enforce-version"].is_null(),
        "{labels}"
    );
}

#[tokio::test]
async fn the_ownership_labels_of_a_friends_namespace_stay() {
    let p = KubePortal::start().await;
    let plane = p.plane;
    let f = p.friend("owned").await;
    let ns = f.namespace.as_str();
    for label in [
        "app.kubernetes.io/managed-by-",
        "friend-portal/friend-",
        "friend-portal/friend=mallory",
        "app.kubernetes.io/managed-by=helm",
    ] {
        let out = as_portal(
            plane,
            &["label", "namespace", ns, label, "--overwrite"],
            None,
        );
        refused(&out, label, "keeps the portal's ownership labels");
    }
    let labels = labels_of(plane, ns);
    assert_eq!(labels["app.kubernetes.io/managed-by"], "friend-portal");
    assert_eq!(labels["friend-portal/friend"], "owned");
}

#[tokio::test]
async fn the_tenant_role_is_bound_to_the_portal_and_no_one_else() {
    let p = KubePortal::start().await;
    let plane = p.plane;
    let f = p.friend("binds").await;
    let ns = f.namespace.as_str();
    let own = "only to its own ServiceAccount";
    for (subject, what) in [
        ("--group=system:authenticated", "every authenticated user"),
        ("--group=system:serviceaccounts", "every ServiceAccount"),
        ("--serviceaccount=default:default", "another ServiceAccount"),
        (
            "--serviceaccount=friendportal:default",
            "another ServiceAccount of the portal's namespace",
        ),
        ("--user=mallory", "a user"),
    ] {
        let out = as_portal(
            plane,
            &[
                "create",
                "rolebinding",
                "open",
                "-n",
                ns,
                "--clusterrole=friend-portal-tenant",
                subject,
            ],
            None,
        );
        refused(&out, &format!("binding the tenant role to {what}"), own);
    }
    // Nor by adding a subject to the binding provisioning made.
    let add = json!([{"op": "add", "path": "/subjects/-",
        "value": {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:authenticated"}}]);
    let out = as_portal(
        plane,
        &[
            "patch",
            "rolebinding",
            "friend-portal",
            "-n",
            ns,
            "--type=json",
            "-p",
            &add.to_string(),
        ],
        None,
    );
    refused(
        &out,
        "adding system:authenticated to the portal's binding",
        own,
    );
    assert!(plane.get_json(&["rolebinding", "open", "-n", ns]).is_none());
    let binding = plane
        .get_json(&["rolebinding", "friend-portal", "-n", ns])
        .expect("the portal's binding");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "ServiceAccount", "name": "friend-portal", "namespace": "friendportal"}])
    );
    // And not to itself in a friend-* namespace it did not make: no rights there.
    plane.admin(&["create", "namespace", "friend-unowned"]);
    let out = as_portal(
        plane,
        &[
            "create",
            "rolebinding",
            "friend-portal",
            "-n",
            "friend-unowned",
            "--clusterrole=friend-portal-tenant",
            "--serviceaccount=friendportal:friend-portal",
        ],
        None,
    );
    refused(
        &out,
        "binding itself in friend-unowned",
        "in a namespace it made",
    );
    assert!(!plane.portal_can("get", "secrets", "friend-unowned"));
}

/// A Deployment whose pod is privileged and mounts the node's `/`.
fn privileged_deployment(namespace: &str) -> String {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "rootkit", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "rootkit"}},
            "template": {
                "metadata": {"labels": {"app": "rootkit"}},
                "spec": {
                    "containers": [{
                        "name": "c", "image": "registry.k8s.io/pause",
                        "securityContext": {"privileged": true},
                        "volumeMounts": [{"name": "host", "mountPath": "/host"}],
                    }],
                    "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
                },
            },
        },
    })
    .to_string()
}

#[tokio::test]
async fn a_privileged_deployment_in_a_friends_namespace_gets_no_pod() {
    let p = KubePortal::start().await;
    let plane = p.plane;
    let f = p.friend("rootkit").await;
    let ns = f.namespace.clone();
    // The attacker's first move, which the admission policy refuses.
    let out = as_portal(
        plane,
        &[
            "label",
            "namespace",
            &ns,
            "pod-security.kubernetes.io/enforce=privileged",
            "--overwrite",
        ],
        None,
    );
    refused(&out, "relabelling before the Deployment", HELD);
    // The tenant role may create Deployments: the API server accepts it (with a warning)...
    let out = as_portal(
        plane,
        &["create", "-f", "-"],
        Some(&privileged_deployment(&ns)),
    );
    assert!(out.ok, "creating the Deployment: {}", out.stderr);
    // ...and Pod Security refuses its ReplicaSet's pods.
    let failure = eventually(
        "the ReplicaSet reports its pods refused",
        Duration::from_secs(60),
        || async {
            let sets = plane.get_json(&["replicasets", "-n", &ns, "-l", "app=rootkit"])?;
            sets["items"].as_array()?.iter().find_map(|rs| {
                rs["status"]["conditions"]
                    .as_array()?
                    .iter()
                    .find(|c| c["type"] == "ReplicaFailure")
                    .map(|c| c["message"].as_str().unwrap_or_default().to_owned())
            })
        },
    )
    .await;
    assert!(
        failure.contains("violates PodSecurity \"baseline:latest\"")
            && failure.contains("privileged")
            && failure.contains("hostPath"),
        "{failure}"
    );
    // kubectl prints nothing at all for an empty list with --ignore-not-found.
    let pods = plane.get_json(&["pods", "-n", &ns]);
    let none = pods
        .as_ref()
        .is_none_or(|list| list["items"].as_array().is_some_and(Vec::is_empty));
    assert!(none, "a pod was made: {pods:?}");
}
