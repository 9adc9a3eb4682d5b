//! Other friends' ids (issue 21, item 8): an agent asking about a friend who is not theirs
//! hears the same whether or not that friend exists, so it cannot list which ids are
//! taken; the admin still hears 404 for one that does not exist. (The exposure refusals,
//! which name no other friend either, are in `hostname_ownership.rs`.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, Reply, TestPortal};

/// Each way an agent names a friend: (method, path with `{id}`, body with `{id}`).
fn probes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/friends/{id}", None),
        (
            Method::PUT,
            "/api/friends/{id}",
            Some(json!({"display_name": "X"})),
        ),
        (Method::DELETE, "/api/friends/{id}", None),
        (Method::DELETE, "/api/friends/{id}/sessions", None),
        (Method::GET, "/api/friends/{id}/secrets", None),
        (Method::GET, "/api/friends/{id}/workspace/memory", None),
        (
            Method::POST,
            "/api/auth/portal-session",
            Some(json!({"friend_id": "{id}"})),
        ),
    ]
}

async fn ask(
    p: &TestPortal,
    token: &str,
    probe: &(Method, &str, Option<Value>),
    id: &str,
) -> Reply {
    let (method, path, body) = probe;
    let body = body
        .as_ref()
        .map(|b| serde_json::from_str(&b.to_string().replace("{id}", id)).unwrap());
    p.send(method.clone(), &path.replace("{id}", id), Some(token), body)
        .await
}

#[tokio::test]
async fn an_agent_cannot_tell_whether_a_friend_who_is_not_theirs_exists() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let other = p.add_agent("other").await;
    p.add_friend(&main, "alice").await;
    for probe in probes() {
        let existing = ask(&p, &other, &probe, "alice").await;
        let missing = ask(&p, &other, &probe, "nobody").await;
        let what = format!("{} {}", probe.0, probe.1);
        assert_eq!(
            existing.status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            existing.text
        );
        assert_eq!(missing.status, existing.status, "{what}: {}", missing.text);
        assert_eq!(missing.code(), existing.code(), "{what}");
        assert_eq!(
            missing.message().replace("nobody", "ID"),
            existing.message().replace("alice", "ID"),
            "{what}: the same words"
        );
    }
    // Nothing of alice changed, and the admin still tells a missing friend apart.
    assert_eq!(
        p.get("/api/friends/alice", ADMIN).await.body["display_name"],
        "ALICE"
    );
    assert_eq!(
        p.get("/api/friends/nobody", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
    // Her own agent is answered as before.
    assert_eq!(
        p.get("/api/friends/alice", &main).await.status,
        StatusCode::OK
    );
}
