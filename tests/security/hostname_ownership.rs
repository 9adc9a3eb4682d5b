//! Hostname ownership over real HTTP, with friends `alice` and `x-alice`, whose ids end
//! alike: alice's `shop-x` and x-alice's `shop` are both `shop-x-alice.your-domain.net`.
//! Every hostname has one owner; x-alice owns every label ending in `-x-alice`; a delete
//! of what the caller does not own is a 404 that touches nothing; exposures per friend are
//! limited; the ingress capability checks the service and port itself.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, TestPortal};
use portal::cluster::ingress::Exposure;

const SHOP: &str = "shop-x-alice.your-domain.net";

struct Two {
    p: TestPortal,
    alice: String,
    x_alice: Option<String>,
}

impl Two {
    /// A portal with alice and, when `with_x_alice`, x-alice; each has Service `web`.
    async fn start(with_x_alice: bool) -> Self {
        let p = TestPortal::start().await;
        let alice = friend(&p, "alice").await;
        let mut two = Self {
            p,
            alice,
            x_alice: None,
        };
        if with_x_alice {
            two.add_x_alice().await;
        }
        two
    }

    async fn add_x_alice(&mut self) {
        self.x_alice = Some(friend(&self.p, "x-alice").await);
    }

    fn x_alice(&self) -> &str {
        self.x_alice.as_deref().expect("x-alice exists")
    }

    async fn expose(&self, token: &str, name: &str) -> crate::support::Reply {
        let body = json!({"name": name, "service": "web", "port": 80, "domain": "your-domain.net"});
        self.p
            .post("/api/portal/namespace/expose", token, body)
            .await
    }

    async fn unexpose(&self, token: &str, name: &str) -> StatusCode {
        let path = format!("/api/portal/namespace/expose/{name}");
        self.p.delete(&path, token).await.status
    }

    /// (hostname, friend) of every DNS record.
    async fn records(&self) -> Vec<(String, String)> {
        let r = self.p.get("/api/admin/dns", ADMIN).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut records: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (text(&r["hostname"]), text(&r["friend"])))
            .collect();
        records.sort();
        records
    }

    /// The hostnames of the caller's IngressRoutes.
    async fn routes(&self, token: &str) -> Vec<String> {
        let overview = self.p.get("/api/portal/namespace", token).await.body;
        let routes = overview["ingressRoutes"].as_array().cloned();
        routes
            .unwrap_or_default()
            .iter()
            .map(|r| text(&r["hostname"]))
            .collect()
    }

    async fn owner(&self, hostname: &str) -> Option<String> {
        let store = &self.p.server.state.store;
        store
            .hostnames
            .owner(hostname)
            .await
            .unwrap()
            .map(|c| c.friend)
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn record(hostname: &str, friend: &str) -> (String, String) {
    (hostname.to_owned(), friend.to_owned())
}

/// Creates the friend (by the admin), Service `web` (ports 80, 8443) in their namespace,
/// and returns a portal session of theirs.
async fn friend(p: &TestPortal, id: &str) -> String {
    p.add_friend(ADMIN, id).await;
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80}, {"port": 8443}]}});
    let path = format!("/api/friends/{id}/namespace/apply");
    let r = p.post(&path, ADMIN, svc).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    p.session_for(ADMIN, id).await
}

#[tokio::test]
async fn a_name_shaped_like_another_friends_hostname_is_refused() {
    let two = Two::start(true).await;
    let r = two.expose(&two.alice, "shop-x").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // Said as a taken hostname is, naming no other friend (issue 21, item 8).
    let message = r.message();
    assert_eq!(
        message,
        format!("{SHOP} belongs to another friend; choose another name")
    );
    assert!(two.routes(&two.alice).await.is_empty(), "no IngressRoute");
    assert!(two.records().await.is_empty(), "no DNS record");
    assert_eq!(two.owner(SHOP).await, None);
    // Any case of the name, and the agent's route, the same.
    let r = two.expose(&two.alice, "Shop-X").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let body = json!({"name": "shop-x", "service": "web", "port": 80, "domain": "your-domain.net"});
    let r = two
        .p
        .post("/api/friends/alice/namespace/expose", ADMIN, body)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // The hostname is x-alice's to take; alice's other names are hers.
    let r = two.expose(two.x_alice(), "shop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["hostname"], SHOP);
    let r = two.expose(&two.alice, "shop-y").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(two.owner(SHOP).await.as_deref(), Some("x-alice"));
}

#[tokio::test]
async fn the_first_claim_keeps_its_hostname() {
    // alice exposes shop-x before x-alice exists: the hostname is hers.
    let mut two = Two::start(false).await;
    let r = two.expose(&two.alice, "shop-x").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    two.add_x_alice().await;
    let before = vec![record(SHOP, "alice")];
    assert_eq!(two.records().await, before);

    // x-alice can neither take it, nor change it, nor delete it.
    let r = two.expose(two.x_alice(), "shop").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(
        r.message(),
        format!("{SHOP} belongs to another friend; choose another name"),
        "the same words as a name shaped like another friend's"
    );
    assert!(
        two.routes(two.x_alice()).await.is_empty(),
        "no route for x-alice"
    );
    assert_eq!(
        two.unexpose(two.x_alice(), "shop").await,
        StatusCode::NOT_FOUND
    );
    let by_agent = two
        .p
        .delete("/api/friends/x-alice/namespace/expose/shop", ADMIN)
        .await;
    assert_eq!(by_agent.status, StatusCode::NOT_FOUND, "{}", by_agent.text);
    assert_eq!(two.records().await, before, "alice's record is untouched");
    assert_eq!(two.routes(&two.alice).await, [SHOP]);
    assert_eq!(two.owner(SHOP).await.as_deref(), Some("alice"));

    // alice still deletes her own; while x-alice exists she cannot make it again.
    assert_eq!(
        two.unexpose(&two.alice, "shop-x").await,
        StatusCode::NO_CONTENT
    );
    assert!(two.records().await.is_empty());
    assert_eq!(two.owner(SHOP).await, None);
    let r = two.expose(&two.alice, "shop-x").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = two.expose(two.x_alice(), "shop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(two.records().await, [record(SHOP, "x-alice")]);
}

#[tokio::test]
async fn a_delete_of_another_friends_hostname_touches_nothing() {
    let two = Two::start(true).await;
    let r = two.expose(two.x_alice(), "shop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let records = vec![record(SHOP, "x-alice")];

    for (path, token) in [
        ("/api/portal/namespace/expose/shop-x", two.alice.as_str()),
        ("/api/portal/namespace/expose/SHOP-X", two.alice.as_str()),
        ("/api/friends/alice/namespace/expose/shop-x", ADMIN),
    ] {
        let r = two.p.delete(path, token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert_eq!(two.records().await, records, "{path}: x-alice's record");
        assert_eq!(two.routes(two.x_alice()).await, [SHOP], "{path}: route");
        assert_eq!(two.owner(SHOP).await.as_deref(), Some("x-alice"), "{path}");
    }

    // A record made before ownership was recorded has no claim: the DNS provider itself
    // deletes only the caller's own records.
    let state = &two.p.server.state;
    let legacy = "blog-x-alice.your-domain.net";
    let spec = state.exposure.record("x-alice", legacy, "your-domain.net");
    state.dns.create(&spec).await.unwrap();
    assert_eq!(
        two.unexpose(&two.alice, "blog-x").await,
        StatusCode::NOT_FOUND
    );
    assert!(two.records().await.contains(&record(legacy, "x-alice")));
}

#[tokio::test]
async fn exposures_per_friend_are_limited() {
    let two = Two::start(true).await;
    for i in 0..10 {
        let r = two.expose(&two.alice, &format!("app{i}")).await;
        assert_eq!(r.status, StatusCode::CREATED, "app{i}: {}", r.text);
    }
    let r = two.expose(&two.alice, "app10").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let message = r.message();
    assert!(message.contains("10 exposures"), "{message}");
    assert!(message.contains("max_exposures_per_friend"), "{message}");
    assert_eq!(two.routes(&two.alice).await.len(), 10, "no 11th route");
    assert_eq!(two.records().await.len(), 10, "no 11th record");
    assert_eq!(two.owner("app10-alice.your-domain.net").await, None);

    // Another friend is not held back by alice's count; a delete makes room.
    let r = two.expose(two.x_alice(), "app").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        two.unexpose(&two.alice, "app3").await,
        StatusCode::NO_CONTENT
    );
    let r = two.expose(&two.alice, "app10").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn the_ingress_capability_checks_service_and_port() {
    let two = Two::start(true).await;
    let cases = [
        ("nope", 80, "service: no service 'nope'"),
        ("Web_1", 80, "service:"),
        (
            "web",
            81,
            "port: service 'web' has no port 81 (it has: 80, 8443)",
        ),
    ];
    for (service, port, said) in cases {
        let body =
            json!({"name": "app", "service": service, "port": port, "domain": "your-domain.net"});
        let r = two
            .p
            .post("/api/portal/namespace/expose", &two.alice, body)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{service}:{port}: {}",
            r.text
        );
        assert!(r.message().contains(said), "{}", r.text);
    }
    assert!(two.routes(&two.alice).await.is_empty());
    assert!(two.records().await.is_empty());
    assert_eq!(two.owner("app-alice.your-domain.net").await, None);

    // Below any plugin: the cluster side of the capability refuses on its own, and a
    // Service of another namespace is not one of the friend's.
    let state = &two.p.server.state;
    let traefik = &state.exposure.traefik;
    let api = kube::Api::<k8s_openapi::api::core::v1::Service>::namespaced(
        state.cluster.client.clone(),
        "friend-x-alice",
    );
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "only-x"},
        "spec": {"ports": [{"port": 9000}]}});
    api.create(&Default::default(), &serde_json::from_value(svc).unwrap())
        .await
        .unwrap();
    for (service, port) in [("nope", 80), ("web", 81), ("only-x", 9000), ("../web", 80)] {
        let exposure = Exposure {
            name: "direct".into(),
            hostname: "direct-alice.your-domain.net".into(),
            service: service.into(),
            port,
        };
        let created = state
            .cluster
            .create_exposure("friend-alice", &exposure, traefik)
            .await;
        assert!(created.is_err(), "{service}:{port} was routed");
    }
    assert!(two.routes(&two.alice).await.is_empty());
}

#[tokio::test]
async fn a_purged_friend_leaves_no_hostname_behind() {
    let two = Two::start(true).await;
    let r = two.expose(two.x_alice(), "shop").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = two.p.delete("/api/friends/x-alice?purge=true", ADMIN).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(two.records().await.is_empty(), "x-alice's record went");
    assert_eq!(two.owner(SHOP).await, None, "and so did the claim");
    // With x-alice gone, the name is alice's to take.
    let r = two.expose(&two.alice, "shop-x").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(two.owner(SHOP).await.as_deref(), Some("alice"));
}
