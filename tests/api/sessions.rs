use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn magic_link_opens_the_portal() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let r = p
        .post(
            "/api/auth/portal-session",
            &agent,
            json!({"friend_id": "alice"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["session_token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits, base64url");
    assert_eq!(
        r.body["portal_url"],
        format!("{}/portal?s={token}", p.server.url())
    );
    assert_eq!(
        r.body["expires_at"], "2026-03-08T10:00:00Z",
        "an unopened link lasts 7 days (policies/sessions.toml)"
    );

    let me = p.get("/api/portal/me", token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], "alice");
    assert_eq!(me.body["namespace"], "friend-alice");
    assert_eq!(me.body["stats"], json!({"logs": 0, "secrets": 0}));

    let agents = p.get("/api/portal/agents", token).await;
    assert_eq!(
        agents.body,
        json!([{"agent_id": "main", "display_name": "Agent main", "since": "2026-03-01T10:00:00Z",
                "sessions": [{"session": "agent:main:direct:channel:alice", "label": "Direct chat with Agent main"}]}])
    );
}

#[tokio::test]
async fn me_counts_log_files() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let logs = p.dir.path().join("workspace/friends/alice/logs");
    std::fs::create_dir_all(&logs).unwrap();
    for i in 0..3 {
        std::fs::write(logs.join(format!("{i}.log")), "x").unwrap();
    }
    let token = p.session_for(ADMIN, "alice").await;
    assert_eq!(
        p.get("/api/portal/me", &token).await.body["stats"]["logs"],
        3
    );
}

#[tokio::test]
async fn session_refusals() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let other = p.add_agent("other").await;
    p.add_friend(&main, "alice").await;
    let unknown = p
        .post(
            "/api/auth/portal-session",
            &main,
            json!({"friend_id": "nobody"}),
        )
        .await;
    // To an agent, a friend that does not exist reads as one that is not theirs: agents
    // cannot tell which ids are taken. The admin hears 404.
    assert_eq!(unknown.status, StatusCode::FORBIDDEN, "{}", unknown.text);
    let by_admin = p
        .post(
            "/api/auth/portal-session",
            ADMIN,
            json!({"friend_id": "nobody"}),
        )
        .await;
    assert_eq!(by_admin.status, StatusCode::NOT_FOUND);
    let stranger = p
        .post(
            "/api/auth/portal-session",
            &other,
            json!({"friend_id": "alice"}),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    let friend = p.session_for(&main, "alice").await;
    let by_friend = p
        .post(
            "/api/auth/portal-session",
            &friend,
            json!({"friend_id": "alice"}),
        )
        .await;
    assert_eq!(by_friend.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn portal_refuses_admin_and_agent_tokens() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    for token in [ADMIN, agent.as_str()] {
        for path in ["/api/portal/me", "/api/portal/agents"] {
            assert_eq!(
                p.get(path, token).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn missing_unknown_and_malformed_tokens_get_401() {
    let p = TestPortal::start().await;
    let none = p
        .send(reqwest::Method::GET, "/api/portal/me", None, None)
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.code(), "unauthenticated");
    let unknown = p.get("/api/portal/me", "not-a-real-token").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.code(), "unknown_token");
    let malformed = p
        .http
        .get(p.url("/api/friends"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_expire_after_thirty_days() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let link = p.link_for(ADMIN, "alice").await;
    let r = p
        .send(
            reqwest::Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"link_token": link})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["expires_at"], "2026-03-31T10:00:00Z", "30 days");
    let token = r.body["session_token"].as_str().unwrap().to_owned();
    p.clock.advance(Duration::days(30) - Duration::seconds(1));
    assert_eq!(p.get("/api/portal/me", &token).await.status, StatusCode::OK);
    p.clock.advance(Duration::seconds(1));
    let expired = p.get("/api/portal/me", &token).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.code(), "session_expired");
}

#[tokio::test]
async fn logout_revokes_only_that_session() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let laptop = p.session_for(ADMIN, "alice").await;
    let phone = p.session_for(ADMIN, "alice").await;
    assert_eq!(
        p.delete("/api/portal/session", &laptop).await.status,
        StatusCode::NO_CONTENT
    );
    let revoked = p.get("/api/portal/me", &laptop).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.code(), "session_revoked");
    assert_eq!(p.get("/api/portal/me", &phone).await.status, StatusCode::OK);
}

#[tokio::test]
async fn agent_revokes_all_of_a_friends_sessions() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    p.add_friend(&agent, "bob").await;
    let a1 = p.session_for(&agent, "alice").await;
    let a2 = p.session_for(&agent, "alice").await;
    let b = p.session_for(&agent, "bob").await;
    let r = p.delete("/api/friends/alice/sessions", &agent).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["revoked"], 2);
    for t in [&a1, &a2] {
        assert_eq!(
            p.get("/api/portal/me", t).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(p.get("/api/portal/me", &b).await.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_friend_ends_their_sessions() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let token = p.session_for(ADMIN, "alice").await;
    p.delete("/api/friends/alice", ADMIN).await;
    assert_eq!(
        p.get("/api/portal/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn at_most_ten_links_per_friend_per_hour() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    p.add_friend(ADMIN, "bob").await;
    for _ in 0..10 {
        p.session_for(ADMIN, "alice").await;
        p.clock.advance(Duration::minutes(1));
    }
    let limited = p
        .post(
            "/api/auth/portal-session",
            ADMIN,
            json!({"friend_id": "alice"}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    // The first link was made 10 minutes ago: the window reopens in 50 minutes.
    assert_eq!(limited.headers["retry-after"], "3000");
    // Other friends are not affected.
    p.session_for(ADMIN, "bob").await;
    p.clock.advance(Duration::minutes(50));
    p.session_for(ADMIN, "alice").await;
}
