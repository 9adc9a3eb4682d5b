//! What only operators and the benchmarks may reach (issue 21, item 12): `/metrics` takes
//! the admin token (the portal's own IngressRoute publishes every path of its host), and
//! the host's native echo, the benchmarks' baseline, is served and documented only under
//! a policy that says `native_echo = true` (the tests' policy), never by the default one.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn metrics_answer_the_admin_only() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let alice = p.session_for(&agent, "alice").await;
    let anonymous = p.send(reqwest::Method::GET, "/metrics", None, None).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.text
    );
    assert!(!anonymous.text.contains("portal_"), "{}", anonymous.text);
    for token in [&agent, &alice] {
        let r = p.get("/metrics", token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert!(!r.text.contains("portal_"), "{}", r.text);
    }
    let r = p.get("/metrics", ADMIN).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("portal_http_requests"), "{:.300}", r.text);
    let doc = p.get("/api/openapi.json", ADMIN).await.body;
    assert_eq!(
        doc["paths"]["/metrics"]["get"]["x-callers"],
        json!(["admin"])
    );
}

#[tokio::test]
async fn the_default_policy_neither_routes_nor_lists_the_echo() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let p = TestPortal::start_tuned(dir, &data, now, |config| {
        config.policies = portal::policy::PolicySource::Embedded;
    })
    .await;
    p.add_friend(ADMIN, "alice").await;
    let alice = p.session_for(ADMIN, "alice").await;
    let r = p.get("/api/portal/echo", &alice).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let doc = p.get("/api/openapi.json", ADMIN).await;
    assert!(doc.body["paths"].is_object(), "{:.200}", doc.text);
    assert!(
        !doc.text.contains("/api/portal/echo"),
        "listed in production's document"
    );
    assert!(!doc.text.contains("portal.echo"));

    // The tests' policy serves it, for the benchmarks.
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let alice = p.session_for(ADMIN, "alice").await;
    let r = p.get("/api/portal/echo", &alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"], "native");
    let doc = p.get("/api/openapi.json", ADMIN).await;
    assert!(doc.body["paths"]["/api/portal/echo"]["get"].is_object());
}
