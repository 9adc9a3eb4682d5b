//! `GET /api/portal/sessions` and `DELETE /api/portal/sessions/:id`: a friend sees their
//! sessions (never a token) and ends any of them; another friend's are out of reach.

use chrono::Duration;
use reqwest::StatusCode;

use crate::links::{exchange_as, opened_session};
use crate::support::{ADMIN, TestPortal};

const FIREFOX_MAC: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0";

#[tokio::test]
async fn a_friend_sees_their_sessions_and_which_is_this_one() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    p.add_friend(ADMIN, "bob").await;
    let phone = opened_session(&p, "alice").await;
    p.clock.advance(Duration::minutes(5));
    let laptop_link = p.link_for(ADMIN, "alice").await;
    let laptop = exchange_as(&p, &laptop_link, FIREFOX_MAC).await.body["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let unopened = p.link_for(ADMIN, "alice").await;
    opened_session(&p, "bob").await;

    p.clock.advance(Duration::minutes(2));
    let r = p.get("/api/portal/sessions", &phone).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.body.as_array().unwrap();
    assert_eq!(
        list.len(),
        3,
        "phone, laptop, the unopened link: {}",
        r.text
    );
    // Oldest first; the laptop's session and the link were made in the same instant.
    let phone_view = &list[0];
    let find = |kind: &str| {
        list.iter()
            .find(|s| s["kind"] == kind && s["current"] == false)
    };
    let (laptop_view, link_view) = (find("session").unwrap(), find("link").unwrap());
    assert_eq!(phone_view["browser"], "Chrome on Android");
    assert_eq!(phone_view["kind"], "session");
    assert_eq!(phone_view["current"], true);
    assert_eq!(phone_view["created_at"], "2026-03-01T10:00:00Z");
    assert_eq!(
        phone_view["last_used_at"], "2026-03-01T10:07:00Z",
        "this request"
    );
    assert_eq!(laptop_view["browser"], "Firefox on Mac");
    assert_eq!(laptop_view["last_used_at"], "2026-03-01T10:05:00Z");
    assert_eq!(link_view["browser"], serde_json::Value::Null);
    assert_eq!(link_view["last_used_at"], serde_json::Value::Null);
    assert_eq!(link_view["expires_at"], "2026-03-08T10:05:00Z");
    let ids: std::collections::BTreeSet<&str> =
        list.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    for token in [&phone, &laptop, &laptop_link, &unopened] {
        assert!(!r.text.contains(token.as_str()), "a token in the list");
    }

    // The laptop sees the same sessions, itself as the current one; spent links are gone.
    let r = p.get("/api/portal/sessions", &laptop).await;
    let current: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == true)
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(current, [laptop_view["id"].clone()]);
}

#[tokio::test]
async fn a_friend_ends_a_session_but_not_another_friends() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    p.add_friend(ADMIN, "bob").await;
    let phone = opened_session(&p, "alice").await;
    let laptop = opened_session(&p, "alice").await;
    let bob = opened_session(&p, "bob").await;
    let id_of = |list: &serde_json::Value, current: bool| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == current)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let bobs_id = id_of(&p.get("/api/portal/sessions", &bob).await.body, true);
    let r = p
        .delete(&format!("/api/portal/sessions/{bobs_id}"), &phone)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(p.get("/api/portal/me", &bob).await.status, StatusCode::OK);
    let r = p.delete("/api/portal/sessions/not-an-id", &phone).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The phone ends the laptop.
    let laptop_id = id_of(&p.get("/api/portal/sessions", &phone).await.body, false);
    let r = p
        .delete(&format!("/api/portal/sessions/{laptop_id}"), &phone)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let ended = p.get("/api/portal/me", &laptop).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ended.code(), "session_revoked");
    let r = p
        .delete(&format!("/api/portal/sessions/{laptop_id}"), &phone)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "ended already");
    assert_eq!(
        p.get("/api/portal/sessions", &phone)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // An unopened link can be ended too: it can no longer be opened.
    let link = p.link_for(ADMIN, "alice").await;
    let list = p.get("/api/portal/sessions", &phone).await.body;
    let link_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "link")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    p.delete(&format!("/api/portal/sessions/{link_id}"), &phone)
        .await;
    assert_eq!(
        crate::links::exchange(&p, &link).await.code(),
        "link_revoked"
    );

    // Ending the current one signs out.
    let phone_id = id_of(&p.get("/api/portal/sessions", &phone).await.body, true);
    let r = p
        .delete(&format!("/api/portal/sessions/{phone_id}"), &phone)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        p.get("/api/portal/me", &phone).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn only_friends_list_sessions() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    for token in [ADMIN, agent.as_str()] {
        assert_eq!(
            p.get("/api/portal/sessions", token).await.status,
            StatusCode::FORBIDDEN
        );
    }
}
