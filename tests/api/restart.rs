use reqwest::StatusCode;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn everything_survives_a_restart() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let session = p.session_for(&agent, "alice").await;

    let p = p.restart().await;
    assert_eq!(
        p.get("/api/friends/alice", &agent).await.status,
        StatusCode::OK,
        "agent token still works"
    );
    assert_eq!(
        p.get("/api/portal/me", &session).await.body["id"],
        "alice",
        "session still works"
    );
    assert_eq!(p.get("/api/agents", ADMIN).await.body[0]["id"], "main");
    assert!(
        p.get("/api/admin/audit", ADMIN)
            .await
            .body
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
}
