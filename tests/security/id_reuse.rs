//! Rule 3: a re-used friend id inherits nothing. A friend deleted without `purge=true`
//! leaves their namespace and their plugins' data behind, so their id stays retired: a new
//! friend cannot take it (409 naming purge=true) until an admin purges what was kept.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

async fn put_note(p: &TestPortal, token: &str, value: &str) -> StatusCode {
    p.http
        .put(p.url("/api/portal/hello/kv/note"))
        .bearer_auth(token)
        .body(value.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_reused_id_is_refused_until_purged_and_then_starts_empty() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "carol").await;
    let old = p.session_for(&agent, "carol").await;
    let secret = json!({"name": "bank-login", "data": {"PASSWORD": "old carol's password"}});
    let r = p.post("/api/portal/secrets", &old, secret).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        put_note(&p, &old, "old carol's note").await,
        StatusCode::NO_CONTENT
    );

    let r = p.delete("/api/friends/carol", &agent).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // The id is retired: refused to a new friend, by agent and admin alike.
    for token in [agent.as_str(), ADMIN] {
        let r = p
            .post(
                "/api/friends",
                token,
                json!({"id": "carol", "display_name": "New Carol"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.message().contains("purge=true"), "{}", r.text);
    }
    // Only an admin can purge a retired id; an agent's friendship ended with the friend,
    // so it hears what it hears of any friend not its own (tenant_names.rs).
    let r = p.delete("/api/friends/carol?purge=true", &agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // A plain delete of a retired id is still "no such friend".
    assert_eq!(
        p.delete("/api/friends/carol", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );

    let r = p.delete("/api/friends/carol?purge=true", ADMIN).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    p.add_friend(&agent, "carol").await;
    let new = p.session_for(&agent, "carol").await;

    let secrets = p.get("/api/portal/secrets", &new).await;
    assert_eq!(secrets.status, StatusCode::OK, "{}", secrets.text);
    assert_eq!(secrets.body, json!([]), "{}", secrets.text);
    assert!(!secrets.text.contains("bank-login"));
    let note = p.get("/api/portal/hello/kv/note", &new).await;
    assert_eq!(note.status, StatusCode::NOT_FOUND, "{}", note.text);
    // The old session died with the old friend.
    assert_eq!(
        p.get("/api/portal/secrets", &old).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Purging a live friend frees the id at once.
#[tokio::test]
async fn a_purged_id_is_free_and_empty() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "dora").await;
    let old = p.session_for(ADMIN, "dora").await;
    assert_eq!(put_note(&p, &old, "dora's").await, StatusCode::NO_CONTENT);
    let r = p.delete("/api/friends/dora?purge=true", ADMIN).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    p.add_friend(ADMIN, "dora").await;
    let new = p.session_for(ADMIN, "dora").await;
    assert_eq!(
        p.get("/api/portal/hello/kv/note", &new).await.status,
        StatusCode::NOT_FOUND
    );
}
