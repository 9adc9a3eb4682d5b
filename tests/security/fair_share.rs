//! One friend cannot crowd out the others (issue 21, item 13): of a plugin's concurrent
//! slots a friend holds at most `concurrency_per_friend` (`policies/plugins.toml`; past it
//! 429 with Retry-After), and the audit log keeps each friend's newest
//! `audit_entries_per_friend` entries, so one friend's flood never drops another's.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, Reply, TestPortal, test_policies};

/// The `shared` fixture: two slots, one per friend, a guest that loops to its deadline.
const SHARED: &str = "/api/portal/fixtures/shared";

async fn portal(p: &TestPortal) -> (String, String) {
    p.add_friend(ADMIN, "alice").await;
    p.add_friend(ADMIN, "bob").await;
    let alice = p.session_for(ADMIN, "alice").await;
    let bob = p.session_for(ADMIN, "bob").await;
    (alice, bob)
}

async fn in_flight(p: &TestPortal) -> Value {
    let plugins = p.get("/api/admin/plugins", ADMIN).await.body;
    let row = plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "shared");
    row.unwrap()["in_flight"].clone()
}

/// A call to the fixture in the background.
fn call(p: &TestPortal, token: &str) -> tokio::task::JoinHandle<Reply> {
    let request = p.http.get(p.url(SHARED)).bearer_auth(token);
    tokio::spawn(async move { crate::support::reply(request.send().await.unwrap()).await })
}

/// Waits until `n` calls hold slots, or `call` has ended (refused).
async fn wait_for(p: &TestPortal, n: u64, call: &tokio::task::JoinHandle<Reply>) {
    let waited = Instant::now();
    while in_flight(p).await != n && !call.is_finished() {
        assert!(waited.elapsed() < Duration::from_secs(30), "never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_friend_holding_their_share_of_the_slots_does_not_starve_another() {
    let p = TestPortal::start().await;
    let (alice, bob) = portal(&p).await;
    let first = call(&p, &alice);
    wait_for(&p, 1, &first).await;
    // Alice asks again: her share (1) is taken, so she waits for it, then gets 429...
    let second = call(&p, &alice);
    wait_for(&p, 2, &second).await;
    // ...and the slot she could not take is bob's to use.
    let theirs = p.get(SHARED, &bob).await;
    assert_eq!(
        theirs.status,
        StatusCode::GATEWAY_TIMEOUT,
        "bob's call ran (to the fixture's deadline): {}",
        theirs.text
    );
    let refused = second.await.unwrap();
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert_eq!(refused.headers["retry-after"], "1");
    assert_eq!(refused.code(), "rate_limited");
    assert!(
        refused.message().contains("try again in 1 s"),
        "{}",
        refused.text
    );
    assert!(
        !refused.message().contains("plugin"),
        "plain words: {}",
        refused.text
    );
    assert_eq!(first.await.unwrap().status, StatusCode::GATEWAY_TIMEOUT);
    // Every slot and share is given back: alice is served again.
    assert_eq!(in_flight(&p).await, 0);
    assert_eq!(
        p.get(SHARED, &alice).await.status,
        StatusCode::GATEWAY_TIMEOUT
    );
}

async fn write_memory(p: &TestPortal, token: &str, n: usize) -> String {
    let r = p
        .put(
            "/api/portal/workspace/memory",
            token,
            json!({"content": format!("v{n}")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.headers["x-request-id"].to_str().unwrap().to_owned()
}

async fn audit_ids(p: &TestPortal, friend: &str) -> Vec<String> {
    let r = p
        .get(
            &format!("/api/admin/audit?limit=1000&friend={friend}"),
            ADMIN,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let entries = r.body.as_array().unwrap().iter();
    entries
        .map(|e| e["request_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn one_friends_flood_does_not_push_out_anothers_audit_entries() {
    let p = TestPortal::start().await;
    let (alice, bob) = portal(&p).await;
    // A log of 20 (trimmed 5 at a time): before, that bound was shared by everyone.
    p.server
        .state
        .store
        .audit
        .set_audit_bounds(portal_store::AuditBounds {
            kept: 20,
            batch: 5,
            ..Default::default()
        });
    let mut bobs = Vec::new();
    for n in 0..3 {
        bobs.push(write_memory(&p, &bob, n).await);
    }
    for n in 0..60 {
        write_memory(&p, &alice, n).await;
    }
    let kept = audit_ids(&p, "bob").await;
    for id in &bobs {
        assert!(
            kept.contains(id),
            "bob's entry {id} was pushed out by alice's flood"
        );
    }
}

#[tokio::test]
async fn each_friends_audit_entries_are_kept_to_the_policys_bound() {
    // The tests' policy with audit_entries_per_friend = 10.
    let policies = tempfile::tempdir().unwrap();
    let plugins = std::fs::read_to_string(test_policies().join("plugins.toml")).unwrap();
    let plugins = format!("audit_entries_per_friend = 10\n{plugins}");
    std::fs::write(policies.path().join("plugins.toml"), plugins).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let path = policies.path().to_owned();
    let p = TestPortal::start_tuned(dir, &data, now, move |config| {
        config.policies = portal::policy::PolicySource::Dir(path);
    })
    .await;
    let (alice, bob) = portal(&p).await;
    // Trimmed 5 at a time (rather than 1,000), so that 40 writes pass the bound.
    let store = &p.server.state.store;
    store.audit.set_audit_bounds(portal_store::AuditBounds {
        kept_per_friend: 10,
        batch: 5,
        ..Default::default()
    });
    let bobs = [write_memory(&p, &bob, 0).await];
    let mut last = String::new();
    for n in 0..40 {
        last = write_memory(&p, &alice, n).await;
    }
    let alices = audit_ids(&p, "alice").await;
    assert!(
        (10..15).contains(&alices.len()),
        "{} of alice's kept",
        alices.len()
    );
    assert_eq!(alices[0], last, "her newest kept");
    let kept = audit_ids(&p, "bob").await;
    assert_eq!(kept[0], bobs[0], "bob's kept");
}
