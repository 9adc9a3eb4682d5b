//! What only a real cluster shows about the tenant boundary: a namespace the portal did
//! not make is refused, and the portal's own identity reads Secrets in friends'
//! namespaces and nowhere else.

use reqwest::StatusCode;
use serde_json::json;

use crate::child::ADMIN;
use crate::portal::KubePortal;

#[tokio::test]
async fn an_existing_namespace_the_portal_does_not_own_is_refused() {
    let p = KubePortal::start().await;
    let plane = p.plane;
    plane.admin(&["create", "namespace", "friend-portal"]);
    plane.admin(&[
        "create",
        "configmap",
        "portal-config",
        "-n",
        "friend-portal",
        "--from-literal=owner=someone-else",
    ]);
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "portal", "display_name": "Portal"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.message().contains("was not made by the portal"),
        "{}",
        r.body
    );
    assert_eq!(
        p.get("/api/friends/portal", ADMIN).await.status,
        StatusCode::NOT_FOUND,
        "no friend was made"
    );
    let ns = plane
        .get_json(&["namespace", "friend-portal"])
        .expect("still there");
    assert!(
        ns["metadata"]["labels"]["friend-portal/friend"].is_null(),
        "{}",
        ns["metadata"]["labels"]
    );
    assert!(
        plane
            .get_json(&["rolebinding", "friend-portal", "-n", "friend-portal"])
            .is_none(),
        "no RoleBinding was made in it"
    );
    let cm = plane
        .get_json(&["configmap", "portal-config", "-n", "friend-portal"])
        .expect("the configmap is untouched");
    assert_eq!(cm["data"]["owner"], "someone-else");
    // Nor can the portal reach into it: no RoleBinding, so no rights there.
    assert!(!plane.portal_can("get", "configmaps", "friend-portal"));
}

#[tokio::test]
async fn the_portals_identity_reads_secrets_only_in_friends_namespaces() {
    let p = KubePortal::start().await;
    let plane = p.plane;
    p.friend("bound").await;
    assert!(plane.portal_can("get", "secrets", "friend-bound"));
    assert!(plane.portal_can("create", "secrets", "friend-bound"));
    plane.admin(&["create", "namespace", "friend-stranger"]);
    for namespace in ["default", "kube-system", "friendportal", "friend-stranger"] {
        for verb in ["get", "list", "create"] {
            assert!(
                !plane.portal_can(verb, "secrets", namespace),
                "the portal may {verb} secrets in {namespace}"
            );
        }
    }
    let all = plane.kubectl_as(
        &plane.portal_kubeconfig,
        &["get", "secrets", "--all-namespaces"],
        None,
    );
    assert!(!all.ok, "listed secrets cluster-wide: {}", all.stdout);
    assert!(all.stderr.contains("Forbidden"), "{}", all.stderr);
    // RBAC lets it create namespaces; the admission policy keeps them to friend-*.
    let outside = plane.kubectl_as(
        &plane.portal_kubeconfig,
        &["create", "namespace", "not-a-friend"],
        None,
    );
    assert!(!outside.ok, "made a namespace outside friend-*");
    assert!(
        outside
            .stderr
            .contains("only create, change or delete namespaces named friend-*"),
        "{}",
        outside.stderr
    );
}
