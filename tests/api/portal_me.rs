//! `PUT /api/portal/me`: a friend chooses their preferred channel among those they have.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn a_friend_sets_their_preferred_channel() {
    let p = TestPortal::start().await;
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "alice", "display_name": "Alice",
                   "signal": "+1-555-0100", "discord_id": "123456789012345678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["preferred_channel"], "signal",
        "the first one on file"
    );
    let alice = p.session_for(ADMIN, "alice").await;
    // The page offers exactly the channels she has an id for.
    assert_eq!(
        p.get("/api/portal/me", &alice).await.body["channels"],
        json!(["signal", "discord"])
    );

    let r = p
        .put(
            "/api/portal/me",
            &alice,
            json!({"preferred_channel": "discord"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["preferred_channel"], "discord");
    assert_eq!(
        p.get("/api/portal/me", &alice).await.body["preferred_channel"],
        "discord"
    );
    assert_eq!(
        p.get("/api/friends/alice", ADMIN).await.body["preferred_channel"],
        "discord",
        "the agent sees the friend's choice"
    );

    // A channel they have no id for, an unknown one, nothing, other fields: 422, unchanged.
    for body in [
        json!({"preferred_channel": "whatsapp"}),
        json!({"preferred_channel": "carrier-pigeon"}),
        json!({"preferred_channel": null}),
        json!({}),
        json!({"preferred_channel": "signal", "display_name": "Mallory"}),
        json!({"display_name": "Mallory"}),
    ] {
        let r = p.put("/api/portal/me", &alice, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(r.code(), "invalid");
    }
    let r = p
        .put(
            "/api/portal/me",
            &alice,
            json!({"preferred_channel": "whatsapp"}),
        )
        .await;
    assert!(
        r.message().contains("signal, discord"),
        "names the channels they have: {}",
        r.text
    );
    let me = p.get("/api/portal/me", &alice).await;
    assert_eq!(me.body["preferred_channel"], "discord");
    assert_eq!(me.body["display_name"], "Alice");
}

#[tokio::test]
async fn a_friend_without_platform_ids_is_told_to_ask_for_one() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "bob").await;
    let bob = p.session_for(ADMIN, "bob").await;
    let r = p
        .put(
            "/api/portal/me",
            &bob,
            json!({"preferred_channel": "signal"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().contains("ask your agent"), "{}", r.text);
}

#[tokio::test]
async fn only_friends_set_their_channel() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    for token in [ADMIN, agent.as_str()] {
        let r = p
            .put(
                "/api/portal/me",
                token,
                json!({"preferred_channel": "signal"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn me_says_when_the_agent_last_wrote_its_notes() {
    let p = TestPortal::start().await;
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "alice", "display_name": "Alice"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let alice = p.session_for(ADMIN, "alice").await;
    let me = p.get("/api/portal/me", &alice).await;
    assert_eq!(me.body["notes_updated_at"], json!(null), "no notes yet");

    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let r = p
        .put(
            "/api/friends/alice/workspace/friend-notes",
            ADMIN,
            json!({"content": "# Notes\n\nLikes tea."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let me = p.get("/api/portal/me", &alice).await;
    let at = me.body["notes_updated_at"]
        .as_str()
        .unwrap_or_else(|| panic!("a time: {}", me.text));
    let at = chrono::DateTime::parse_from_rfc3339(at).expect("RFC 3339");
    assert!(at >= before, "{at} is the write's time, not older");
}
