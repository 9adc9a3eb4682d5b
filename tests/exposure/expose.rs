use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, TestPortal};

struct Setup {
    p: TestPortal,
    agent: String,
    alice: String,
    bob: String,
}

async fn setup() -> Setup {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    p.add_friend(ADMIN, "bob").await;
    for friend in ["alice", "bob"] {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}, {"port": 8443}]}});
        let r = p
            .post(
                &format!("/api/friends/{friend}/namespace/apply"),
                ADMIN,
                svc,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let alice = p.session_for(&agent, "alice").await;
    let bob = p.session_for(ADMIN, "bob").await;
    Setup {
        p,
        agent,
        alice,
        bob,
    }
}

fn expose(name: &str) -> Value {
    json!({"name": name, "service": "web", "port": 80, "domain": "your-domain.net"})
}

async fn ingress_routes(s: &Setup, token: &str) -> Value {
    s.p.get("/api/portal/namespace", token).await.body["ingressRoutes"].clone()
}

async fn dns_hostnames(s: &Setup) -> Vec<String> {
    let r = s.p.get("/api/admin/dns", ADMIN).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hostname"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn expose_end_to_end() {
    let s = setup().await;
    assert_eq!(
        s.p.get("/api/portal/domains", &s.alice).await.body,
        json!([{"domain": "your-domain.net"}])
    );
    let r =
        s.p.post("/api/portal/namespace/expose", &s.alice, expose("My-App"))
            .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"ok": true, "hostname": "my-app-alice.your-domain.net", "url": "https://my-app-alice.your-domain.net"})
    );
    assert_eq!(
        ingress_routes(&s, &s.alice).await,
        json!([{"name": "expose-my-app", "hostname": "my-app-alice.your-domain.net", "service": "web"}])
    );
    assert_eq!(dns_hostnames(&s).await, ["my-app-alice.your-domain.net"]);
    let records = s.p.get("/api/admin/dns", ADMIN).await.body;
    assert_eq!(records[0]["record_type"], "CNAME");
    assert_eq!(records[0]["friend"], "alice");

    // The IngressRoute in the cluster is what Traefik's CRD accepts.
    use kube::api::{Api, DynamicObject};
    let resource = kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("traefik.io", "v1alpha1", "IngressRoute"),
        "ingressroutes",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(
        s.p.server.state.cluster.client.clone(),
        "friend-alice",
        &resource,
    );
    let stored = serde_json::to_value(api.get("expose-my-app").await.unwrap()).unwrap();
    let mut sent = stored.clone();
    // What the API server adds (uid, timestamps...) is not the portal's to validate.
    sent["metadata"] = json!({"name": stored["metadata"]["name"], "namespace": stored["metadata"]["namespace"], "labels": stored["metadata"]["labels"]});
    crate::crd::assert_valid(&sent);
    assert_eq!(
        stored["spec"]["routes"][0]["match"],
        "Host(`my-app-alice.your-domain.net`)"
    );
    assert_eq!(stored["spec"]["entryPoints"], json!(["websecure"]));
    assert_eq!(stored["spec"]["tls"]["certResolver"], "letsencrypt");

    assert_eq!(
        s.p.delete("/api/portal/namespace/expose/my-app", &s.alice)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(ingress_routes(&s, &s.alice).await, json!([]));
    assert!(dns_hostnames(&s).await.is_empty());
    assert_eq!(
        s.p.delete("/api/portal/namespace/expose/my-app", &s.alice)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn agents_expose_for_their_friends_only() {
    let s = setup().await;
    let r =
        s.p.post(
            "/api/friends/alice/namespace/expose",
            &s.agent,
            expose("api"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["hostname"], "api-alice.your-domain.net");
    assert_eq!(
        s.p.post("/api/friends/bob/namespace/expose", &s.agent, expose("api"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.p.delete("/api/friends/alice/namespace/expose/api", &s.agent)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn every_validation_refusal_names_the_field() {
    let s = setup().await;
    let cases = [
        (
            json!({"name": "x".repeat(21), "service": "web", "port": 80, "domain": "your-domain.net"}),
            "name",
        ),
        (
            json!({"name": "my_app", "service": "web", "port": 80, "domain": "your-domain.net"}),
            "name",
        ),
        (
            json!({"name": "-app", "service": "web", "port": 80, "domain": "your-domain.net"}),
            "name",
        ),
        (
            json!({"name": "", "service": "web", "port": 80, "domain": "your-domain.net"}),
            "name",
        ),
        (
            json!({"name": "app", "service": "nope", "port": 80, "domain": "your-domain.net"}),
            "service",
        ),
        (
            json!({"name": "app", "service": "web", "port": 81, "domain": "your-domain.net"}),
            "port",
        ),
        (
            json!({"name": "app", "service": "web", "port": 80, "domain": "evil.com"}),
            "domain",
        ),
        (
            json!({"name": "app", "service": "web", "port": 80, "domain": "bob.your-domain.net"}),
            "domain",
        ),
        (
            json!({"name": "app", "service": "web", "port": 80, "domain": "your-domain.net.evil.com"}),
            "domain",
        ),
        (
            json!({"name": "app", "service": "web", "port": 80}),
            "domain",
        ),
        (
            json!({"name": "app", "service": "web", "port": 70000, "domain": "your-domain.net"}),
            "70000",
        ),
    ];
    for (body, field) in cases {
        let r =
            s.p.post("/api/portal/namespace/expose", &s.alice, body.clone())
                .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(r.message().contains(field), "{body}: {}", r.text);
    }
    assert_eq!(ingress_routes(&s, &s.alice).await, json!([]));
    assert!(dns_hostnames(&s).await.is_empty());
    // Case and one trailing dot are forgiven.
    let r =
        s.p.post(
            "/api/portal/namespace/expose",
            &s.alice,
            json!({"name": "app", "service": "web", "port": 8443, "domain": "YOUR-DOMAIN.NET."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["hostname"], "app-alice.your-domain.net");
}

#[tokio::test]
async fn a_taken_hostname_is_a_conflict() {
    let s = setup().await;
    assert_eq!(
        s.p.post("/api/portal/namespace/expose", &s.alice, expose("app"))
            .await
            .status,
        StatusCode::CREATED
    );
    let again =
        s.p.post("/api/portal/namespace/expose", &s.alice, expose("APP"))
            .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
}

#[tokio::test]
async fn dns_failure_leaves_no_ingress_route_behind() {
    let s = setup().await;
    // Someone else's record already holds the name: the DNS step fails.
    let state = &s.p.server.state;
    let spec = state
        .exposure
        .record("alice", "app-alice.your-domain.net", "your-domain.net");
    state.dns.create(&spec).await.unwrap();
    let r =
        s.p.post("/api/portal/namespace/expose", &s.alice, expose("app"))
            .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.message().contains("nothing was exposed"), "{}", r.text);
    assert_eq!(
        ingress_routes(&s, &s.alice).await,
        json!([]),
        "the IngressRoute was removed"
    );
    // Delete after the partial failure clears the record left behind.
    assert_eq!(
        s.p.delete("/api/portal/namespace/expose/app", &s.alice)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(dns_hostnames(&s).await.is_empty());
}

#[tokio::test]
async fn alice_cannot_see_touch_or_take_bobs_exposures() {
    let s = setup().await;
    assert_eq!(
        s.p.post("/api/portal/namespace/expose", &s.bob, expose("shop"))
            .await
            .status,
        StatusCode::CREATED
    );
    // The same name for alice is her own hostname, not bob's.
    let r =
        s.p.post("/api/portal/namespace/expose", &s.alice, expose("shop"))
            .await;
    assert_eq!(r.body["hostname"], "shop-alice.your-domain.net");
    // Trying to name bob's hostname through the name field fails validation.
    let sneaky = s.p.post("/api/portal/namespace/expose", &s.alice, json!({"name": "shop-bob.your-domain.net", "service": "web", "port": 80, "domain": "your-domain.net"})).await;
    assert_eq!(sneaky.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        s.p.delete("/api/portal/namespace/expose/shop", &s.alice)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let bobs = ingress_routes(&s, &s.bob).await;
    assert_eq!(
        bobs,
        json!([{"name": "expose-shop", "hostname": "shop-bob.your-domain.net", "service": "web"}]),
        "bob's exposure is untouched"
    );
    assert!(
        dns_hostnames(&s)
            .await
            .contains(&"shop-bob.your-domain.net".to_owned())
    );
    assert!(
        !s.p.get("/api/portal/namespace", &s.alice)
            .await
            .text
            .contains("shop-bob")
    );
}
