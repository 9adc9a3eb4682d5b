//! HTTP conventions every route shares.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn health_and_request_ids() {
    let p = TestPortal::start().await;
    let r = p.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["version"], env!("CARGO_PKG_VERSION"));
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 16);
}

#[tokio::test]
async fn unknown_route_and_wrong_method_are_json() {
    let p = TestPortal::start().await;
    let r = p.get("/api/nope", ADMIN).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = p
        .send(reqwest::Method::PATCH, "/api/friends", Some(ADMIN), None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
    assert!(
        r.body["error"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn malformed_json_is_400_and_names_the_problem() {
    let p = TestPortal::start().await;
    let r = p
        .http
        .post(p.url("/api/friends"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body("{\"id\": \"alice\",")
        .send()
        .await
        .unwrap();
    let r = crate::support::reply(r).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("malformed JSON"), "{}", r.text);
    assert!(r.message().contains("line 1"), "names where: {}", r.text);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let p = TestPortal::start().await;
    let r = p
        .http
        .post(p.url("/api/friends"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn oversize_bodies_get_413() {
    let p = TestPortal::start().await;
    let big = json!({"id": "alice", "display_name": "x".repeat(2 * 1024 * 1024)});
    let r = p.post("/api/friends", ADMIN, big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "too_large");
}

#[tokio::test]
async fn deeply_nested_json_is_refused_cleanly() {
    let p = TestPortal::start().await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = p
        .http
        .post(p.url("/api/friends"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .unwrap();
    let r = crate::support::reply(r).await;
    assert!(matches!(r.status.as_u16(), 400 | 422), "{}", r.text);
    // Nested where the schema takes any JSON: serde's recursion limit answers 400.
    let deep = format!(
        "{{\"id\":\"alice\",\"display_name\":\"A\",\"x\":{}1{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let r = p
        .http
        .post(p.url("/api/friends"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 400 | 422));
    assert_eq!(
        p.get("/api/friends", ADMIN).await.body,
        serde_json::json!([])
    );
}
