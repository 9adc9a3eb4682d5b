use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn mutations_are_audited_without_secrets() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    p.add_friend(&agent, "bob").await;
    let session = p.session_for(&agent, "alice").await;
    p.delete("/api/portal/session", &session).await;
    p.get("/api/friends/alice", &agent).await; // reads are not audited

    let all = p.get("/api/admin/audit", ADMIN).await;
    assert_eq!(all.status, StatusCode::OK);
    let entries = all.body.as_array().unwrap();
    let actions: Vec<_> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "DELETE /api/portal/session",
            "POST /api/auth/exchange",
            "POST /api/auth/portal-session",
            "POST /api/friends",
            "POST /api/friends",
            "POST /api/agents"
        ],
        "newest first"
    );
    assert_eq!(entries[0]["caller"], "friend:alice");
    // Opening the link is the friend's act, though no token was presented for it.
    assert_eq!(entries[1]["caller"], "friend:alice");
    assert_eq!(entries[1]["request_id"].as_str().unwrap().len(), 16);
    assert_eq!(entries[2]["caller"], "agent:main");
    assert_eq!(entries[2]["subject"], "alice");
    assert_eq!(entries[2]["status"], 201);
    assert_eq!(entries[2]["request_id"].as_str().unwrap().len(), 16);
    assert!(
        !all.text.contains(&session) && !all.text.contains(&agent),
        "no token in the audit log"
    );

    let alice = p.get("/api/admin/audit?friend=alice&limit=2", ADMIN).await;
    let actions: Vec<_> = alice
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["DELETE /api/portal/session", "POST /api/auth/exchange"]
    );

    assert_eq!(
        p.get("/api/admin/audit?limit=0", ADMIN).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        p.get("/api/admin/audit?limit=abc", ADMIN).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    p.get("/api/friends/alice", ADMIN).await;
    p.get("/api/friends/nobody", ADMIN).await;
    let r = p
        .http
        .get(p.url("/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        text.contains(
            r#"portal_http_requests_total{method="GET",route="/api/friends/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"portal_http_requests_total{method="GET",route="/api/friends/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("portal_http_request_duration_seconds_bucket"),
        "{text}"
    );
    let _ = json!({});
}
