//! Links that work once: a magic link's token is exchanged for a browser's own session
//! and is spent; an unopened link expires; each refusal has its own code.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, Reply, TestPortal};

pub const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";

pub async fn exchange(p: &TestPortal, link: &str) -> Reply {
    exchange_as(p, link, ANDROID_CHROME).await
}

pub async fn exchange_as(p: &TestPortal, link: &str, user_agent: &str) -> Reply {
    let r = p
        .http
        .post(p.url("/api/auth/exchange"))
        .header("user-agent", user_agent)
        .json(&json!({"link_token": link}))
        .send()
        .await
        .unwrap();
    crate::support::reply(r).await
}

/// A fresh session for the friend, made the way the page makes one.
pub async fn opened_session(p: &TestPortal, friend: &str) -> String {
    let link = p.link_for(ADMIN, friend).await;
    let r = exchange(p, &link).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["session_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_link_works_until_it_is_exchanged_once() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let link = p.link_for(ADMIN, "alice").await;
    // Pages that do not exchange yet use the link's token as a bearer.
    assert_eq!(p.get("/api/portal/me", &link).await.status, StatusCode::OK);

    let r = exchange(&p, &link).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body["session_token"].as_str().unwrap();
    assert_eq!(session.len(), 43, "256 bits, base64url");
    assert_ne!(session, link);
    assert_eq!(r.body["expires_at"], "2026-03-31T10:00:00Z", "30 days");
    let me = p.get("/api/portal/me", session).await;
    assert_eq!(me.body["id"], "alice", "{}", me.text);

    // Spent: as a bearer, and for a second exchange.
    let again = p.get("/api/portal/me", &link).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.code(), "link_used");
    let second = exchange(&p, &link).await;
    assert_eq!(second.status, StatusCode::UNAUTHORIZED, "{}", second.text);
    assert_eq!(second.code(), "link_used");
    assert!(second.message().contains("Ask your agent for a new link"));
    assert_eq!(
        p.get("/api/portal/me", session).await.status,
        StatusCode::OK
    );

    // The exchange is audited as the friend's, without the token.
    let audit = p.get("/api/admin/audit?friend=alice", ADMIN).await;
    assert!(
        audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "POST /api/auth/exchange" && e["caller"] == "friend:alice"),
        "{}",
        audit.text
    );
    assert!(!audit.text.contains(&link) && !audit.text.contains(session));
}

#[tokio::test]
async fn two_exchanges_at_once_make_one_session() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let link = p.link_for(ADMIN, "alice").await;
    let (a, b) = tokio::join!(exchange(&p, &link), exchange(&p, &link));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::UNAUTHORIZED]);
}

#[tokio::test]
async fn an_unopened_link_expires_after_the_policys_days() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let early = p.link_for(ADMIN, "alice").await;
    let late = p.link_for(ADMIN, "alice").await;
    p.clock.advance(Duration::days(7) - Duration::seconds(1));
    let r = exchange(&p, &early).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body["session_token"].as_str().unwrap().to_owned();

    p.clock.advance(Duration::seconds(1));
    let r = exchange(&p, &late).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), "link_expired");
    assert_eq!(
        p.get("/api/portal/me", &late).await.code(),
        "session_expired",
        "nor does it work as a bearer"
    );
    // The session made from the link lasts its own 30 days.
    assert_eq!(
        p.get("/api/portal/me", &session).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn each_refused_link_has_its_own_code() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let unknown = exchange(&p, "no-such-link-0123456789").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.code(), "link_unknown");

    // A session's own token is no link.
    let session = opened_session(&p, "alice").await;
    assert_eq!(exchange(&p, &session).await.code(), "link_unknown");

    let revoked = p.link_for(ADMIN, "alice").await;
    p.delete("/api/friends/alice/sessions", ADMIN).await;
    assert_eq!(exchange(&p, &revoked).await.code(), "link_revoked");

    let revoked_message = exchange(&p, &revoked).await.message().to_owned();
    assert_ne!(
        unknown.message(),
        revoked_message,
        "each says what happened"
    );
    for message in [unknown.message(), revoked_message.as_str()] {
        assert!(
            message.ends_with("Ask your agent for a new link."),
            "{message}"
        );
    }

    let malformed = p
        .send(
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"link_token": "x", "friend_id": "alice"})),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn opening_links_does_not_use_up_the_hourly_allowance() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    for _ in 0..5 {
        opened_session(&p, "alice").await;
    }
    for _ in 0..5 {
        p.link_for(ADMIN, "alice").await;
    }
    let limited = p
        .post(
            "/api/auth/portal-session",
            ADMIN,
            json!({"friend_id": "alice"}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "ten links");
}

/// The operator's `sessions.toml` sets the three numbers: how long a link and a session
/// last, and how many links a friend may be sent an hour.
#[tokio::test]
async fn the_session_settings_come_from_the_policy() {
    use chrono::{TimeZone, Utc};
    use portal::policy::PolicySource;
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(
        policies.join("sessions.toml"),
        "link_days = 1\nsession_days = 2\nlinks_per_hour = 2\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let p = TestPortal::start_tuned(dir, &data, start, |config| {
        config.policies = PolicySource::Dir(policies);
    })
    .await;
    p.add_friend(ADMIN, "alice").await;

    // Two links an hour, then 429.
    let first = p.link_for(ADMIN, "alice").await;
    let _second = p.link_for(ADMIN, "alice").await;
    let third = p
        .post(
            "/api/auth/portal-session",
            ADMIN,
            json!({"friend_id": "alice"}),
        )
        .await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        third.text
    );
    assert!(
        third.message().contains("at most 2 portal links"),
        "{}",
        third.text
    );

    // The session lasts two days: still working after 47 hours, gone after 49.
    let r = exchange(&p, &first).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body["session_token"].as_str().unwrap().to_owned();
    let expires: chrono::DateTime<Utc> = r.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, start + Duration::days(2));
    p.clock.advance(Duration::hours(47));
    assert_eq!(
        p.get("/api/portal/me", &session).await.status,
        StatusCode::OK
    );
    p.clock.advance(Duration::hours(2));
    let late = p.get("/api/portal/me", &session).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED, "{}", late.text);
}

/// A link opened (spent) is still known as used for a day; the hourly sweep then removes
/// it from the store, and the session it opened stays.
#[tokio::test]
async fn ended_links_are_swept_from_the_store_a_day_after_they_ended() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let link = p.link_for(ADMIN, "alice").await;
    let r = exchange(&p, &link).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = r.body["session_token"].as_str().unwrap().to_owned();
    let state = &p.server.state;
    let sweep = || portal::server::housekeeping::sweep_ended_sessions(state);
    assert_eq!(sweep().await, 0, "ended just now: kept");
    p.clock.advance(Duration::hours(23));
    assert_eq!(sweep().await, 0, "kept for a day");
    assert_eq!(p.get("/api/portal/me", &link).await.code(), "link_used");

    p.clock.advance(Duration::hours(1) + Duration::seconds(1));
    assert_eq!(sweep().await, 1, "the spent link goes");
    let gone = p.get("/api/portal/me", &link).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    assert_ne!(gone.code(), "link_used", "no longer on record");
    let me = p.get("/api/portal/me", &session).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(sweep().await, 0);
}
