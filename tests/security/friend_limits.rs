//! Per-friend limits on what all friends share: manual cron runs (a burst, then 429 with
//! Retry-After), plugin kv bytes (refused past the plugin's budget, also after a restart),
//! and the audit log (kept to a bound, oldest dropped).

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, Reply, TestPortal};

/// A portal with agent `main` and its friends alice and bob; their session tokens.
async fn portal() -> (TestPortal, String, String) {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    p.add_friend(&agent, "bob").await;
    let alice = p.session_for(&agent, "alice").await;
    let bob = p.session_for(&agent, "bob").await;
    (p, alice, bob)
}

async fn add_job(p: &TestPortal, token: &str, friend: &str, name: &str) {
    let job = json!({"name": name, "message": "ping", "cron": "0 9 * * *",
                     "session": format!("agent:main:direct:channel:{friend}")});
    let r = p.post("/api/portal/workspace/crons", token, job).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn run(p: &TestPortal, token: &str, name: &str) -> Reply {
    p.post(
        &format!("/api/portal/workspace/crons/{name}/run"),
        token,
        json!({}),
    )
    .await
}

#[tokio::test]
async fn manual_cron_runs_past_the_burst_get_429_with_retry_after() {
    let (p, alice, bob) = portal().await;
    add_job(&p, &alice, "alice", "one").await;
    add_job(&p, &alice, "alice", "two").await;
    add_job(&p, &bob, "bob", "one").await;
    // The burst (5 in crons.toml) counts every job of the friend together.
    for name in ["one", "two", "one", "two", "one"] {
        let r = run(&p, &alice, name).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    }
    let r = run(&p, &alice, "two").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.code(), "rate_limited", "{}", r.text);
    assert!(r.message().contains("60 s"), "{}", r.message());
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("60")
    );
    assert!(
        r.body["error"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    p.server.state.scheduler.settle().await;
    let outbox = p.get("/api/admin/outbox?friend=alice", ADMIN).await;
    assert_eq!(
        outbox.body.as_array().unwrap().len(),
        5,
        "the refused run never ran"
    );

    // Another friend has a burst of their own.
    let r = run(&p, &bob, "one").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);

    // Time gives the allowance back: one run per minute.
    p.clock.advance(Duration::seconds(30));
    let r = run(&p, &alice, "one").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("30")
    );
    p.clock.advance(Duration::seconds(30));
    assert_eq!(run(&p, &alice, "one").await.status, StatusCode::ACCEPTED);
    assert_eq!(
        run(&p, &alice, "one").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn kv_put(p: &TestPortal, token: &str, key: &str, bytes: usize) -> Reply {
    let response = p
        .http
        .put(p.url(&format!("/api/portal/hello/kv/{key}")))
        .bearer_auth(token)
        .body(vec![b'x'; bytes])
        .send()
        .await
        .unwrap();
    crate::support::reply(response).await
}

fn kv_full(r: &Reply) {
    assert!(r.status.is_server_error(), "{} {}", r.status, r.text);
    assert!(r.message().contains("kv is full"), "{}", r.text);
}

/// The hello fixture's kv, 1 MiB per friend (the default `kv_bytes_per_friend`).
#[tokio::test]
async fn plugin_kv_bytes_are_bounded_per_friend_across_overwrites_and_restarts() {
    let (p, alice, bob) = portal().await;
    const VALUE: usize = 200 * 1024;
    for key in ["k1", "k2", "k3", "k4", "k5"] {
        let r = kv_put(&p, &alice, key, VALUE).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{key}: {}", r.text);
    }
    kv_full(&kv_put(&p, &alice, "k6", VALUE).await);
    let r = p.get("/api/portal/hello/kv/k6", &alice).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "nothing of the refused write"
    );
    // Bob's budget is his own.
    let r = kv_put(&p, &bob, "k1", VALUE).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Overwriting with less gives the room back.
    let r = kv_put(&p, &alice, "k1", 1).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = kv_put(&p, &alice, "k6", VALUE).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    kv_full(&kv_put(&p, &alice, "k7", VALUE).await);

    // The totals are kept on disk: a restart neither forgets nor double-counts them.
    let p = p.restart().await;
    kv_full(&kv_put(&p, &alice, "k7", VALUE).await);
    let r = kv_put(&p, &alice, "k2", 1).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = kv_put(&p, &alice, "k7", VALUE).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn the_audit_log_keeps_the_newest_entries_only() {
    let (p, alice, _bob) = portal().await;
    // Each friend's newest 20, trimmed 5 at a time (alice's are all about her).
    p.server
        .state
        .store
        .audit
        .set_audit_bounds(portal_store::AuditBounds {
            kept: 20,
            kept_per_friend: 20,
            batch: 5,
            ..Default::default()
        });
    let mut last_request = String::new();
    for n in 0..40 {
        let r = p
            .put(
                "/api/portal/workspace/memory",
                &alice,
                json!({"content": format!("v{n}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        last_request = r.headers["x-request-id"].to_str().unwrap().to_owned();
    }
    for query in ["", "&friend=alice"] {
        let r = p
            .get(&format!("/api/admin/audit?limit=1000{query}"), ADMIN)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let entries = r.body.as_array().unwrap();
        let alices = entries.iter().filter(|e| e["subject"] == "alice").count();
        assert!(
            (20..25).contains(&alices),
            "{query}: {alices} of alice's kept"
        );
        assert_eq!(
            entries[0]["request_id"],
            last_request.as_str(),
            "newest kept"
        );
    }
}
