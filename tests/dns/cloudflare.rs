//! The Cloudflare provider against a wiremock server on 127.0.0.1: no real network.

use std::time::Duration;

use portal::dns::{CloudflareConfig, CloudflareDns, DnsError, RecordSpec, RecordType};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "cf-test-token-s3cret";
const ZONE: &str = "example.net";
const ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const RECORDS: &str = "/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records";
const HOST: &str = "my-app-alice.example.net";

fn config(server: &MockServer) -> CloudflareConfig {
    CloudflareConfig {
        api_base: server.uri(),
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
        ..CloudflareConfig::new(TOKEN)
    }
}

fn dns(server: &MockServer) -> CloudflareDns {
    CloudflareDns::new(config(server))
}

fn ok(result: Value, page: u32, total_pages: u32) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
        "result_info": {"page": page, "per_page": 100, "total_pages": total_pages},
    }))
}

fn refusal(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null,
    }))
}

fn record(id: &str, kind: &str, name: &str, content: &str, comment: Option<&str>) -> Value {
    json!({
        "id": id,
        "zone_id": ZONE_ID,
        "zone_name": ZONE,
        "type": kind,
        "name": name,
        "content": content,
        "proxied": false,
        "ttl": 1,
        "comment": comment,
        "created_on": "2024-05-06T07:08:09.123456Z",
        "modified_on": "2024-05-06T07:08:09.123456Z",
    })
}

const MARKED_ALICE: Option<&str> = Some("managed-by: friend-portal; friend: alice");

async fn mount_zone(server: &MockServer, expected_calls: u64) {
    Mock::given(method("GET"))
        .and(path("/zones"))
        .and(query_param("name", ZONE))
        .and(query_param("status", "active"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(
            json!([{"id": ZONE_ID, "name": ZONE, "status": "active"}]),
            1,
            1,
        ))
        .expect(expected_calls)
        .mount(server)
        .await;
}

async fn mount_named(server: &MockServer, records: Value) {
    Mock::given(method("GET"))
        .and(path(RECORDS))
        .and(query_param("name", HOST))
        .respond_with(ok(records, 1, 1))
        .mount(server)
        .await;
}

fn spec() -> RecordSpec {
    RecordSpec {
        hostname: HOST.into(),
        zone: ZONE.into(),
        record_type: RecordType::Cname,
        content: "portal.example.net".into(),
        proxied: true,
        ttl: 1,
        friend: "alice".into(),
    }
}

fn assert_no_token(err: &DnsError) {
    assert!(!err.to_string().contains(TOKEN), "token leaked: {err}");
    assert!(!format!("{err:?}").contains(TOKEN), "token leaked: {err:?}");
}

#[tokio::test]
async fn zone_lookup_is_cached_per_zone_name() {
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(RECORDS))
        .respond_with(ok(json!([]), 1, 1))
        .expect(2)
        .mount(&server)
        .await;
    let dns = dns(&server);
    assert!(dns.list(ZONE).await.unwrap().is_empty());
    assert!(dns.list(ZONE).await.unwrap().is_empty());
    server.verify().await;
}

#[tokio::test]
async fn create_posts_the_marked_record_with_the_bearer_token() {
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    mount_named(&server, json!([])).await;
    let created = record("rec0001", "CNAME", HOST, "portal.example.net", MARKED_ALICE);
    Mock::given(method("POST"))
        .and(path(RECORDS))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "type": "CNAME",
            "name": HOST,
            "content": "portal.example.net",
            "ttl": 1,
            "proxied": true,
            "comment": "managed-by: friend-portal; friend: alice",
        })))
        .respond_with(ok(created, 1, 1))
        .expect(1)
        .mount(&server)
        .await;

    let record = dns(&server).create(&spec()).await.unwrap();
    assert_eq!(record.id, "rec0001");
    assert_eq!(record.spec, spec());
    assert_eq!(
        record.created_at.to_rfc3339(),
        "2024-05-06T07:08:09.123456+00:00"
    );
    server.verify().await;
}

#[tokio::test]
async fn list_follows_pages_and_returns_only_the_portals_records() {
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    let page1 = json!([
        record("rec0001", "CNAME", HOST, "portal.example.net", MARKED_ALICE),
        record("rec0002", "CNAME", "www.example.net", "example.net", None),
        record(
            "rec0003",
            "TXT",
            "example.net",
            "v=spf1 -all",
            Some("set by hand")
        ),
    ]);
    let page2 = json!([
        record(
            "rec0004",
            "A",
            "game-bob.example.net",
            "203.0.113.7",
            Some("managed-by: friend-portal; friend: bob")
        ),
        record(
            "rec0005",
            "A",
            "other.example.net",
            "203.0.113.8",
            Some("managed-by: friend-portal-clone")
        ),
    ]);
    for (page, records) in [("1", page1), ("2", page2)] {
        Mock::given(method("GET"))
            .and(path(RECORDS))
            .and(query_param("per_page", "100"))
            .and(query_param("page", page))
            .and(query_param_is_missing("name"))
            .respond_with(ok(records, page.parse().unwrap(), 2))
            .expect(1)
            .mount(&server)
            .await;
    }

    let records = dns(&server).list(ZONE).await.unwrap();
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
    assert_eq!(
        records[0].created_at.to_rfc3339(),
        "2024-05-06T07:08:09.123456+00:00"
    );
    server.verify().await;
}

#[tokio::test]
async fn delete_removes_the_portals_record_and_leaves_others_alone() {
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    mount_named(
        &server,
        json!([
            record(
                "recportal",
                "CNAME",
                HOST,
                "portal.example.net",
                MARKED_ALICE
            ),
            record(
                "recother",
                "TXT",
                HOST,
                "verification=abc",
                Some("the operator's")
            ),
        ]),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{RECORDS}/recportal")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(json!({"id": "recportal"}), 1, 1))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{RECORDS}/recother")))
        .respond_with(ok(json!({"id": "recother"}), 1, 1))
        .expect(0)
        .mount(&server)
        .await;

    assert_eq!(dns(&server).delete(ZONE, HOST).await.unwrap(), 1);
    server.verify().await;
}

#[tokio::test]
async fn cloudflares_own_words_are_passed_on() {
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    mount_named(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path(RECORDS))
        .respond_with(refusal(400, 81057, "Record already exists."))
        .expect(1)
        .mount(&server)
        .await;

    let err = dns(&server).create(&spec()).await.unwrap_err();
    assert_eq!(
        err,
        DnsError::Refused("Cloudflare refused: 81057: Record already exists.".into())
    );
    server.verify().await;
}

#[tokio::test]
async fn a_bad_token_is_refused_without_showing_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .respond_with(refusal(403, 10000, "Authentication error"))
        .expect(1)
        .mount(&server)
        .await;

    let err = dns(&server).list(ZONE).await.unwrap_err();
    assert_eq!(
        err,
        DnsError::Refused("Cloudflare refused: 10000: Authentication error".into())
    );
    assert_no_token(&err);
    server.verify().await;
}

#[tokio::test]
async fn rate_limiting_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .respond_with(refusal(429, 10013, "Rate limited").insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_zone(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(RECORDS))
        .respond_with(ok(json!([]), 1, 1))
        .expect(1)
        .mount(&server)
        .await;

    assert!(dns(&server).list(ZONE).await.unwrap().is_empty());
    server.verify().await;
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .respond_with(refusal(503, 10500, "Service temporarily unavailable"))
        .expect(3)
        .mount(&server)
        .await;

    let err = dns(&server).list(ZONE).await.unwrap_err();
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
    server.verify().await;
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
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    mount_named(
        &server,
        json!([record(
            "rechand",
            "CNAME",
            HOST,
            "elsewhere.example.org",
            None
        )]),
    )
    .await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({}), 1, 1))
        .expect(0)
        .mount(&server)
        .await;

    let err = dns(&server).create(&spec()).await.unwrap_err();
    let DnsError::Conflict(message) = &err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(message.contains(HOST), "{message}");
    assert!(
        message.contains("was not created by the portal; left alone"),
        "{message}"
    );
    server.verify().await;
}

#[tokio::test]
async fn create_refuses_a_hostname_the_portal_already_uses() {
    let server = MockServer::start().await;
    mount_zone(&server, 1).await;
    let marked_bob = Some("managed-by: friend-portal; friend: bob");
    mount_named(
        &server,
        json!([record(
            "recbob",
            "CNAME",
            HOST,
            "portal.example.net",
            marked_bob
        )]),
    )
    .await;
    Mock::given(method("POST"))
        .respond_with(ok(json!({}), 1, 1))
        .expect(0)
        .mount(&server)
        .await;

    let err = dns(&server).create(&spec()).await.unwrap_err();
    let DnsError::Conflict(message) = &err else {
        panic!("expected Conflict, got {err:?}")
    };
    assert!(
        message.contains("already taken") && message.contains("bob"),
        "{message}"
    );
    server.verify().await;
}

#[tokio::test]
async fn an_unknown_zone_is_refused_by_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zones"))
        .and(query_param("name", "nope.example"))
        .respond_with(ok(json!([]), 1, 0))
        .expect(1)
        .mount(&server)
        .await;

    let err = dns(&server).list("nope.example").await.unwrap_err();
    assert_eq!(
        err,
        DnsError::Refused(
            "the Cloudflare token cannot see zone nope.example, or it does not exist".into()
        )
    );
    server.verify().await;
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
