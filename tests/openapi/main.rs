//! `GET /api/openapi.json`: a structurally valid OpenAPI 3.0 document (it deserializes as
//! one, every reference resolves, every path parameter is declared, operation ids are
//! unique), true to the router (every host route and every policy route is in it, and every
//! operation in it is routed), and true to the host's answers (real responses validate
//! against the schemas documented for their status).
//!
//! The tests are split by feature: the document's structure and its agreement with the
//! router in `structure`, the answers against their schemas in `responses`.

#[path = "../support/mod.rs"]
mod support;

mod responses;
mod structure;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::TestPortal;

/// The served document, answered 200 as JSON.
async fn document(p: &TestPortal) -> Value {
    let r = p.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    r.body
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = doc
                .pointer(r.strip_prefix('#').expect("a local reference"))
                .unwrap_or_else(|| panic!("{r} does not resolve"));
            resolve(doc, target)
        }
        None => value,
    }
}
