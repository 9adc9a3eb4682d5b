//! The Cloudflare provider against the stand-in API in `mock.rs`: no real network.

use std::time::Duration;

use portal::dns::{CloudflareConfig, CloudflareDns, DnsError, RecordType};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{body_json, header, method, path, query_param};

use crate::mock::*;

#[tokio::test]
async fn zone_lookup_is_cached_per_zone_name() {
    let cf = Cloudflare::start().await;
    cf.zone().await;
    cf.no_records(2).await;
    let dns = cf.dns();
    assert!(dns.list(ZONE).await.unwrap().is_empty());
    assert!(dns.list(ZONE).await.unwrap().is_empty());
    cf.verify().await;
}

#[tokio::test]
async fn create_posts_the_marked_record_with_the_bearer_token() {
    let cf = Cloudflare::start().await;
    let created = record("rec0001", "CNAME", HOST, "portal.example.net", MARKED_ALICE);
    let post = Mock::given(method("POST"))
        .and(path(RECORDS))
        .and(bearer())
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "type": "CNAME",
            "name": HOST,
            "content": "portal.example.net",
            "ttl": 1,
            "proxied": true,
            "comment": "managed-by: friend-portal; friend: alice",
        })))
        .respond_with(ok(created, 1, 1));
    cf.zone().await;
    cf.named(json!([])).await;
    cf.expect(post, 1).await;

    let record = cf.dns().create(&spec()).await.unwrap();
    assert_eq!(record.id, "rec0001");
    assert_eq!(record.spec, spec());
    assert_eq!(record.created_at.to_rfc3339(), CREATED_AT);
    cf.verify().await;
}

#[tokio::test]
async fn list_follows_pages_and_returns_only_the_portals_records() {
    let cf = Cloudflare::start().await;
    cf.zone().await;
    let page1 = json!([
        record("rec0001", "CNAME", HOST, "portal.example.net", MARKED_ALICE),
        record("rec0002", "CNAME", "www.example.net", "example.net", None),
        record("rec0003", "TXT", ZONE, "v=spf1 -all", Some("set by hand")),
    ]);
    let marked_bob = Some("managed-by: friend-portal; friend: bob");
    let clone = Some("managed-by: friend-portal-clone");
    let page2 = json!([
        record(
            "rec0004",
            "A",
            "game-bob.example.net",
            "203.0.113.7",
            marked_bob
        ),
        record("rec0005", "A", "other.example.net", "203.0.113.8", clone),
    ]);
    cf.page(1, 2, page1).await;
    cf.page(2, 2, page2).await;

    let records = cf.dns().list(ZONE).await.unwrap();
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.spec.hostname.as_str(),
                r.spec.friend.as_str(),
                r.spec.record_type,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("rec0001", HOST, "alice", RecordType::Cname),
            ("rec0004", "game-bob.example.net", "bob", RecordType::A),
        ]
    );
    assert!(records.iter().all(|r| r.spec.zone == ZONE));
    assert_eq!(records[1].spec.content, "203.0.113.7");
    assert_eq!(records[0].created_at.to_rfc3339(), CREATED_AT);
    cf.verify().await;
}

#[tokio::test]
async fn delete_removes_the_portals_record_and_leaves_others_alone() {
    let cf = Cloudflare::start().await;
    cf.zone().await;
    let ours = record(
        "recportal",
        "CNAME",
        HOST,
        "portal.example.net",
        MARKED_ALICE,
    );
    let operators = Some("the operator's");
    let theirs = record("recother", "TXT", HOST, "verification=abc", operators);
    cf.named(json!([ours, theirs])).await;
    let delete = |id: &str| Mock::given(method("DELETE")).and(path(format!("{RECORDS}/{id}")));
    let deleted = |id: &str| ok(json!({ "id": id }), 1, 1);
    let ours = delete("recportal").and(bearer());
    cf.expect(ours.respond_with(deleted("recportal")), 1).await;
    let theirs = delete("recother").respond_with(deleted("recother"));
    cf.expect(theirs, 0).await;

    assert_eq!(cf.dns().delete(ZONE, HOST, "alice").await.unwrap(), 1);
    cf.verify().await;
}

#[tokio::test]
async fn delete_never_touches_another_friends_record() {
    // alice's `shop-x` and x-alice's `shop` are the same name: only the friend a record
    // is marked for may delete it, whatever name the caller asks for.
    let cf = Cloudflare::start().await;
    cf.zone().await;
    let marked_x_alice = Some("managed-by: friend-portal; friend: x-alice");
    let theirs = record(
        "recxalice",
        "CNAME",
        HOST,
        "portal.example.net",
        marked_x_alice,
    );
    let unmarked = record(
        "recbare",
        "CNAME",
        HOST,
        "portal.example.net",
        Some("managed-by: friend-portal"),
    );
    cf.named(json!([theirs, unmarked])).await;
    let delete = Mock::given(method("DELETE")).respond_with(ok(json!({}), 1, 1));
    cf.expect(delete, 0).await;

    let dns = cf.dns();
    assert_eq!(dns.delete(ZONE, HOST, "alice").await.unwrap(), 0);
    assert_eq!(dns.delete(ZONE, HOST, "").await.unwrap(), 0);
    cf.verify().await;
}

#[tokio::test]
async fn list_pages_by_total_count_when_total_pages_is_absent() {
    let cf = Cloudflare::start().await;
    cf.zone().await;
    let first: Vec<Value> = (0..100)
        .map(|i| {
            record(
                &format!("r{i}"),
                "CNAME",
                &format!("a{i}-bob.example.net"),
                "portal.example.net",
                Some("managed-by: friend-portal; friend: bob"),
            )
        })
        .collect();
    let second = json!([record(
        "rlast",
        "CNAME",
        HOST,
        "portal.example.net",
        MARKED_ALICE
    )]);
    for (page, records) in [(1, json!(first)), (2, second)] {
        let list = Mock::given(method("GET"))
            .and(path(RECORDS))
            .and(query_param("page", page.to_string()))
            .respond_with(ok_without_total_pages(records, page, 101));
        cf.expect(list, 1).await;
    }

    let records = cf.dns().list(ZONE).await.unwrap();
    assert_eq!(records.len(), 101);
    assert_eq!(records[100].spec.friend, "alice");
    cf.verify().await;
}

#[tokio::test]
async fn cloudflares_own_words_are_passed_on() {
    let cf = Cloudflare::start().await;
    let post = Mock::given(method("POST"))
        .and(path(RECORDS))
        .respond_with(refusal(400, 81057, "Record already exists."));
    cf.zone().await;
    cf.named(json!([])).await;
    cf.expect(post, 1).await;

    let err = cf.dns().create(&spec()).await.unwrap_err();
    assert_eq!(
        err,
        DnsError::Refused("Cloudflare refused: 81057: Record already exists.".into())
    );
    cf.verify().await;
}

#[tokio::test]
async fn a_bad_token_is_refused_without_showing_it() {
    let cf = Cloudflare::start().await;
    cf.zone_answers(refusal(403, 10000, "Authentication error"), 1)
        .await;

    let err = cf.dns().list(ZONE).await.unwrap_err();
    assert_eq!(
        err,
        DnsError::Refused("Cloudflare refused: 10000: Authentication error".into())
    );
    assert_no_token(&err);
    cf.verify().await;
}

#[tokio::test]
async fn rate_limiting_is_retried_after_retry_after() {
    let cf = Cloudflare::start().await;
    let limited = refusal(429, 10013, "Rate limited").insert_header("retry-after", "0");
    cf.zone_answers(limited, 1).await;
    cf.zone().await;
    cf.no_records(1).await;

    assert!(cf.dns().list(ZONE).await.unwrap().is_empty());
    cf.verify().await;
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let cf = Cloudflare::start().await;
    cf.zone_answers(refusal(503, 10500, "Service temporarily unavailable"), 3)
        .await;

    let err = cf.dns().list(ZONE).await.unwrap_err();
    let DnsError::Unavailable(message) = &err else {
        panic!("expected Unavailable, got {err:?}")
    };
    assert!(message.contains("503"), "{message}");
    assert!(
        message.contains("Service temporarily unavailable"),
        "{message}"
    );
    assert!(message.contains("3 attempts"), "{message}");
    assert_no_token(&err);
    cf.verify().await;
}

#[tokio::test]
async fn an_unreachable_api_is_retried_then_reported_unavailable() {
    // A port that was just free on the loopback: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = CloudflareConfig {
        api_base: format!("http://127.0.0.1:{port}"),
        max_attempts: 2,
        backoff_base: Duration::from_millis(10),
        ..CloudflareConfig::new(TOKEN)
    };
    let err = CloudflareDns::new(config).list(ZONE).await.unwrap_err();
    let DnsError::Unavailable(message) = &err else {
        panic!("expected Unavailable, got {err:?}")
    };
    assert!(message.contains("could not reach Cloudflare"), "{message}");
    assert!(message.contains("2 attempts"), "{message}");
    assert_no_token(&err);
}

#[tokio::test]
async fn create_leaves_a_record_the_portal_did_not_make_alone() {
    let cf = Cloudflare::start().await;
    let by_hand = record("rechand", "CNAME", HOST, "elsewhere.example.org", None);
    cf.zone().await;
    cf.named(json!([by_hand])).await;
    cf.no_post().await;

    let err = cf.dns().create(&spec()).await.unwrap_err();
    let DnsError::Conflict(message) = &err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains(HOST), "{message}");
    assert!(
        message.contains("was not created by the portal; left alone"),
        "{message}"
    );
    cf.verify().await;
}

#[tokio::test]
async fn create_refuses_a_hostname_the_portal_already_uses() {
    let cf = Cloudflare::start().await;
    let marked_bob = Some("managed-by: friend-portal; friend: bob");
    let bobs = record("recbob", "CNAME", HOST, "portal.example.net", marked_bob);
    cf.zone().await;
    cf.named(json!([bobs])).await;
    cf.no_post().await;

    let err = cf.dns().create(&spec()).await.unwrap_err();
    let DnsError::Conflict(message) = &err else {
        panic!("expected Conflict, got {err:?}")
    };
    // Refused without overwriting, and without naming the other friend.
    assert!(
        message.contains("already taken") && message.contains("another friend's"),
        "{message}"
    );
    assert!(!message.contains("bob"), "{message}");
    cf.verify().await;
}

#[tokio::test]
async fn an_unknown_zone_is_refused_by_name() {
    let cf = Cloudflare::start().await;
    let lookup = Mock::given(method("GET"))
        .and(path("/zones"))
        .and(query_param("name", "nope.example"))
        .respond_with(ok(json!([]), 1, 0));
    cf.expect(lookup, 1).await;

    let err = cf.dns().list("nope.example").await.unwrap_err();
    assert_eq!(
        err,
        DnsError::Refused(
            "the Cloudflare token cannot see zone nope.example, or it does not exist".into()
        )
    );
    cf.verify().await;
}

#[test]
fn the_token_comes_from_the_environment_or_a_file_and_is_never_shown() {
    let from_env = CloudflareConfig::from_sources(Some(format!("  {TOKEN}\n")), None).unwrap();
    assert_eq!(from_env.token, TOKEN);
    assert!(!format!("{from_env:?}").contains(TOKEN));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cloudflare-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let from_file = CloudflareConfig::from_sources(Some("  ".into()), Some(&file)).unwrap();
    assert_eq!(from_file.token, TOKEN);
    assert_eq!(from_file.api_base, "https://api.cloudflare.com/client/v4");

    let neither = CloudflareConfig::from_sources(None, None)
        .unwrap_err()
        .to_string();
    assert!(neither.contains("PORTAL_CLOUDFLARE_TOKEN"), "{neither}");

    std::fs::write(&file, "\n").unwrap();
    let empty = CloudflareConfig::from_sources(None, Some(&file))
        .unwrap_err()
        .to_string();
    assert!(empty.contains("empty"), "{empty}");
}
