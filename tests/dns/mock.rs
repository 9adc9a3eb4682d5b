//! A stand-in for the Cloudflare API v4 on 127.0.0.1 (wiremock), shaped after Cloudflare's
//! published schema for DNS records (`comment`, `created_on`, the list's `result_info`).

use std::time::Duration;

use portal::dns::{CloudflareConfig, CloudflareDns, DnsError, RecordSpec, RecordType};
use serde_json::{Value, json};
use wiremock::matchers::{
    HeaderExactMatcher, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const TOKEN: &str = "cf-test-token-s3cret";
pub const ZONE: &str = "example.net";
pub const ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";
pub const RECORDS: &str = "/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records";
pub const HOST: &str = "my-app-alice.example.net";
pub const MARKED_ALICE: Option<&str> = Some("managed-by: friend-portal; friend: alice");
pub const CREATED_AT: &str = "2024-05-06T07:08:09.123456+00:00";

/// A stand-in for the Cloudflare API v4: a wiremock server and the mocks a test mounts.
pub struct Cloudflare(pub MockServer);

impl Cloudflare {
    pub async fn start() -> Self {
        Self(MockServer::start().await)
    }

    /// A client of this API that retries 3 times, quickly.
    pub fn dns(&self) -> CloudflareDns {
        CloudflareDns::new(CloudflareConfig {
            api_base: self.0.uri(),
            max_attempts: 3,
            backoff_base: Duration::from_millis(10),
            ..CloudflareConfig::new(TOKEN)
        })
    }

    /// Mounts `mock`, which must be called exactly `times` times.
    pub async fn expect(&self, mock: Mock, times: u64) {
        mock.expect(times).mount(&self.0).await;
    }

    /// The lookup of [`ZONE`] by name, with the token, answered with its id: called once,
    /// as the id is cached.
    pub async fn zone(&self) {
        let lookup = Mock::given(method("GET"))
            .and(path("/zones"))
            .and(query_param("name", ZONE))
            .and(query_param("status", "active"))
            .and(bearer())
            .respond_with(ok(
                json!([{"id": ZONE_ID, "name": ZONE, "status": "active"}]),
                1,
                1,
            ));
        self.expect(lookup, 1).await;
    }

    /// The first `times` zone lookups, whatever the zone, are answered with `response`.
    pub async fn zone_answers(&self, response: ResponseTemplate, times: u64) {
        let lookup = Mock::given(method("GET")).and(path("/zones"));
        self.expect(lookup.respond_with(response).up_to_n_times(times), times)
            .await;
    }

    /// The search for records named [`HOST`] finds `records`.
    pub async fn named(&self, records: Value) {
        Mock::given(method("GET"))
            .and(path(RECORDS))
            .and(query_param("name", HOST))
            .respond_with(ok(records, 1, 1))
            .mount(&self.0)
            .await;
    }

    /// The zone's record list is asked for `times` times, and is empty.
    pub async fn no_records(&self, times: u64) {
        let list = Mock::given(method("GET")).and(path(RECORDS));
        self.expect(list.respond_with(ok(json!([]), 1, 1)), times)
            .await;
    }

    /// Page `page` of `pages` of the whole record list holds `records`; asked for once.
    pub async fn page(&self, page: u32, pages: u32, records: Value) {
        let list = Mock::given(method("GET"))
            .and(path(RECORDS))
            .and(query_param("per_page", "100"))
            .and(query_param("page", page.to_string()))
            .and(query_param_is_missing("name"))
            .respond_with(ok(records, page, pages));
        self.expect(list, 1).await;
    }

    /// Fails verification if anything at all is POSTed.
    pub async fn no_post(&self) {
        let post = Mock::given(method("POST")).respond_with(ok(json!({}), 1, 1));
        self.expect(post, 0).await;
    }

    pub async fn verify(&self) {
        self.0.verify().await;
    }
}

/// The `Authorization` header carrying [`TOKEN`].
pub fn bearer() -> HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
}

/// A success envelope. `result_info` carries what Cloudflare's published schema for a list
/// names (`page`, `per_page`, `count`, `total_count`) and the `total_pages` its answers
/// also carry; [`ok_without_total_pages`] leaves that one out.
pub fn ok(result: Value, page: u32, total_pages: u32) -> ResponseTemplate {
    let mut body = envelope(result, page, u64::from(total_pages) * 100);
    body["result_info"]["total_pages"] = json!(total_pages);
    ResponseTemplate::new(200).set_body_json(body)
}

pub fn ok_without_total_pages(result: Value, page: u32, total_count: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(envelope(result, page, total_count))
}

pub fn envelope(result: Value, page: u32, total_count: u64) -> Value {
    let count = result.as_array().map_or(1, Vec::len);
    json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
        "result_info": {"page": page, "per_page": 100, "count": count, "total_count": total_count},
    })
}

pub fn refusal(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "success": false,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": null,
    }))
}

pub fn record(id: &str, kind: &str, name: &str, content: &str, comment: Option<&str>) -> Value {
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

pub fn spec() -> RecordSpec {
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

pub fn assert_no_token(err: &DnsError) {
    assert!(!err.to_string().contains(TOKEN), "token leaked: {err}");
    assert!(!format!("{err:?}").contains(TOKEN), "token leaked: {err:?}");
}
