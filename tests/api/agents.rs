use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn admin_registers_lists_and_revokes_agents() {
    let p = TestPortal::start().await;
    let token = p.add_agent("main").await;
    assert_eq!(token.len(), 43);

    let list = p.get("/api/agents", ADMIN).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body[0]["id"], "main");
    assert!(!list.text.contains(&token), "the token is shown only once");

    // The agent's token works...
    assert_eq!(p.get("/api/friends", &token).await.status, StatusCode::OK);
    // ...until it is revoked.
    assert_eq!(
        p.delete("/api/agents/main", ADMIN).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        p.get("/api/friends", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        p.delete("/api/agents/main", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn agent_registration_is_validated_and_unique() {
    let p = TestPortal::start().await;
    p.add_agent("main").await;
    let dup = p.post("/api/agents", ADMIN, json!({"id": "main"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad = p
        .post("/api/agents", ADMIN, json!({"id": "Main Agent"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.message().starts_with("id:"), "{}", bad.text);
}

#[tokio::test]
async fn only_the_admin_manages_agents() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let friend = p.session_for(&agent, "alice").await;
    for token in [&agent, &friend] {
        assert_eq!(
            p.get("/api/agents", token).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            p.post("/api/agents", token, json!({"id": "x"}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            p.delete("/api/agents/main", token).await.status,
            StatusCode::FORBIDDEN
        );
    }
}
