//! An exposure is an IngressRoute the real CRD schema accepts, and goes on delete.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::control_plane::eventually;
use crate::portal::KubePortal;

#[tokio::test]
async fn expose_and_unexpose_a_service() {
    let p = KubePortal::start().await;
    let f = p.friend("expo").await;
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                     "spec": {"ports": [{"port": 80}]}});
    let r = p
        .post("/api/friends/expo/namespace/apply", &f.agent, svc)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let exposed = p
        .post(
            "/api/portal/namespace/expose",
            &f.session,
            json!({"name": "my-app", "service": "web", "port": 80, "domain": "your-domain.net"}),
        )
        .await;
    assert_eq!(exposed.status, StatusCode::CREATED, "{}", exposed.body);
    assert_eq!(exposed.body["hostname"], "my-app-expo.your-domain.net");
    let route = p
        .plane
        .get_json(&[
            "ingressroute.traefik.io",
            "expose-my-app",
            "-n",
            &f.namespace,
        ])
        .expect("the IngressRoute was stored");
    assert_eq!(
        route["spec"]["routes"][0]["match"],
        "Host(`my-app-expo.your-domain.net`)"
    );
    assert_eq!(
        route["spec"]["routes"][0]["services"][0],
        json!({"name": "web", "port": 80})
    );
    assert_eq!(route["spec"]["tls"]["certResolver"], "letsencrypt");
    // The schema that accepted it is enforced: the same route with a kind the CRD does
    // not list is refused.
    let mut bogus = route.clone();
    bogus["metadata"] = json!({"name": "bogus", "namespace": f.namespace});
    bogus["spec"]["routes"][0]["kind"] = "Bogus".into();
    let refused = p
        .plane
        .admin_try(&["create", "-f", "-"], Some(&bogus.to_string()));
    assert!(!refused.ok, "the CRD schema accepted kind: Bogus");
    assert!(
        refused.stderr.contains("Unsupported value"),
        "{}",
        refused.stderr
    );
    let overview = p.get("/api/portal/namespace", &f.session).await;
    assert_eq!(
        overview.body["ingressRoutes"],
        json!([{"name": "expose-my-app", "hostname": "my-app-expo.your-domain.net", "service": "web"}])
    );

    let again = p
        .post(
            "/api/portal/namespace/expose",
            &f.session,
            json!({"name": "my-app", "service": "web", "port": 80, "domain": "your-domain.net"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let gone = p
        .delete("/api/portal/namespace/expose/my-app", &f.session)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    eventually(
        "the IngressRoute is deleted",
        Duration::from_secs(10),
        || async {
            p.plane
                .get_json(&[
                    "ingressroute.traefik.io",
                    "expose-my-app",
                    "-n",
                    &f.namespace,
                ])
                .is_none()
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        p.delete("/api/portal/namespace/expose/my-app", &f.session)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
