//! The shipped exposure policy lists no domain: until the operator sets one, a friend is
//! offered none and an exposure is refused in plain words, with nothing created.

use chrono::{TimeZone, Utc};
use portal::policy::PolicySource;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal, test_policies};

/// A portal whose policies folder holds only the test plugins: every other policy,
/// `exposure.toml` included, is the copy the binary carries.
async fn portal_with_shipped_exposure_policy() -> TestPortal {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::copy(
        test_policies().join("plugins.toml"),
        policies.join("plugins.toml"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    TestPortal::start_tuned(dir, &data, start, |config| {
        config.policies = PolicySource::Dir(policies);
    })
    .await
}

#[tokio::test]
async fn with_no_domain_configured_nothing_can_be_exposed() {
    let p = portal_with_shipped_exposure_policy().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}});
    let r = p
        .post("/api/friends/alice/namespace/apply", ADMIN, service)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let alice = p.session_for(&agent, "alice").await;

    let domains = p.get("/api/portal/domains", &alice).await;
    assert_eq!(domains.status, StatusCode::OK, "{}", domains.text);
    assert_eq!(domains.body, json!([]), "no placeholder domain is offered");

    // The old placeholder, a domain of the friend's choosing, and a body that is not even
    // an exposure: all get the same plain answer, since none could succeed.
    for body in [
        json!({"name": "blog", "service": "web", "port": 80, "domain": "your-domain.net"}),
        json!({"name": "blog", "service": "web", "port": 80, "domain": "example.org"}),
        json!({"what": "ever"}),
    ] {
        let r = p.post("/api/portal/namespace/expose", &alice, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.code(), "exposure_not_set_up");
        assert_eq!(
            r.message(),
            "Exposing apps is not set up on this portal yet; ask the person who runs it."
        );
    }

    // Nothing was made: no IngressRoute, no DNS record.
    let ns = p.get("/api/portal/namespace", &alice).await;
    assert_eq!(ns.body["ingressRoutes"], json!([]), "{}", ns.text);
    assert_eq!(p.get("/api/admin/dns", ADMIN).await.body, json!([]));
}
