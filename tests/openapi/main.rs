//! `GET /api/openapi.json`: a structurally valid OpenAPI 3.0 document (it deserializes as
//! one, every reference resolves, every path parameter is declared, operation ids are
//! unique), true to the router (every host route and every policy route is in it, and every
//! operation in it is routed), and true to the host's answers (real responses validate
//! against the schemas documented for their status).

#[path = "../support/mod.rs"]
mod support;

use std::collections::{BTreeSet, HashSet};

use portal::api::NATIVE_ROUTES;
use portal::api::openapi::{OPENAPI_VERSION, PLUGIN_ERROR_STATUSES, path_params};
use portal::auth::CallerKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{ADMIN, Reply, TestPortal};

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

fn kinds(callers: &[CallerKind]) -> Vec<&'static str> {
    callers
        .iter()
        .map(|k| match k {
            CallerKind::Admin => "admin",
            CallerKind::Agent => "agent",
            CallerKind::Friend => "friend",
        })
        .collect()
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

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op));
        }
    }
    out
}

#[tokio::test]
async fn the_document_is_openapi_3() {
    let p = TestPortal::start().await;
    let doc = document(&p).await;
    assert_eq!(doc["openapi"], OPENAPI_VERSION);

    // It deserializes as an OpenAPI 3.0 document, and every operation in it does.
    let typed: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("not an OpenAPI 3.0 document: {e}"));
    assert!(typed.openapi.starts_with("3.0"));
    assert_eq!(typed.operations().count(), operations(&doc).len());
    let schemes = &typed.components.as_ref().unwrap().security_schemes;
    for name in ["admin", "agent", "friend"] {
        match schemes.get(name) {
            Some(openapiv3::ReferenceOr::Item(openapiv3::SecurityScheme::HTTP {
                scheme, ..
            })) => assert_eq!(scheme, "bearer"),
            other => panic!("security scheme {name}: {other:?}"),
        }
    }

    // Every reference resolves.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "{} references", all.len());
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }

    let mut ids = HashSet::new();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        let id = op["operationId"].as_str().unwrap();
        assert!(ids.insert(id.to_owned()), "{what}: operationId {id} twice");
        // Every template parameter is declared, and nothing else is in the path.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{what}");
                p["name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(declared, path_params(&path).into_iter().collect(), "{what}");
        // Security: one requirement per kind of caller, each a declared scheme.
        let callers: Vec<&str> = op["x-callers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let security: Vec<&str> = op["security"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_object().unwrap().keys().next().unwrap().as_str())
            .collect();
        assert_eq!(callers, security, "{what}");
        for s in security {
            assert!(
                doc["components"]["securitySchemes"][s].is_object(),
                "{what}: {s}"
            );
        }
        // Every operation says what it answers, errors with the common shape.
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{what}: no success"
        );
        for (status, response) in responses {
            let response = resolve(&doc, response);
            assert!(response["description"].is_string(), "{what} {status}");
            if status.starts_with('4') || status.starts_with('5') {
                let schema = resolve(&doc, &response["content"]["application/json"]["schema"]);
                assert_eq!(
                    schema["required"],
                    json!(["error"]),
                    "{what} {status}: {schema}"
                );
            }
        }
        for status in ["401", "500", "504"] {
            assert!(responses.contains_key(status), "{what}: no {status}");
        }
    }
}

/// The host's routes are the table's, the plugins' are the policy's; nothing is missing,
/// nothing extra, and the router serves every documented operation.
#[tokio::test]
async fn every_route_is_documented_and_routed() {
    let p = TestPortal::start().await;
    let doc = document(&p).await;
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, path, _)| (m, path))
        .collect();

    let mut expected = BTreeSet::new();
    for route in NATIVE_ROUTES {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        assert_eq!(op["operationId"], route.operation_id);
        assert_eq!(op["x-callers"], json!(kinds(route.callers)));
        if route.callers.is_empty() {
            assert_eq!(op["security"], json!([]), "{}: public", route.path);
        }
        expected.insert((route.method.to_string(), route.path.to_owned()));
    }
    assert!(expected.contains(&("GET".into(), "/api/openapi.json".into())));

    let policy = portal::policy::PolicySource::Dir(support::test_policies())
        .load_plugins()
        .unwrap();
    let mut plugin_routes = 0;
    for plugin in policy.plugins.values() {
        for route in &plugin.routes {
            let path = route.axum_path();
            let op = &doc["paths"][&path][route.method.as_str().to_lowercase()];
            assert!(
                op.is_object(),
                "{} {} is not documented",
                route.method,
                route.path
            );
            assert_eq!(op["x-plugin"], plugin.name.as_str());
            assert_eq!(op["x-route"], route.name.as_str());
            assert_eq!(op["x-callers"], json!(kinds(&route.callers)));
            let statuses: BTreeSet<String> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            let mut want: BTreeSet<String> =
                PLUGIN_ERROR_STATUSES.iter().map(u16::to_string).collect();
            want.extend(["2XX".to_owned(), "204".to_owned()]);
            assert_eq!(statuses, want, "{} {}", route.method, route.path);
            expected.insert((route.method.to_string(), path));
            plugin_routes += 1;
        }
    }
    assert!(plugin_routes > 5);
    assert_eq!(documented, expected, "the document's operations");

    // Each documented operation is routed: without a token it gets the route's own answer
    // (401, or 200 for a public route), never the router's 404 or 405.
    for (method, path) in &documented {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let r = p.send(method.parse().unwrap(), &concrete, None, None).await;
        assert!(
            r.status == StatusCode::UNAUTHORIZED || r.status == StatusCode::OK,
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
    }
    // And an undocumented one is not.
    let r = p.send(Method::GET, "/api/nothing-here", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// OpenAPI 3.0's `nullable` as JSON Schema: `"type": [t, "null"]`, or `null` allowed beside.
fn json_schema(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out: serde_json::Map<String, Value> =
                m.iter().map(|(k, v)| (k.clone(), json_schema(v))).collect();
            if out.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(t) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = out.get_mut("enum") {
                        e.push(Value::Null);
                    }
                } else {
                    return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

/// What is wrong with a body answered with `status` by an operation, against the schema the
/// document gives for that status (nothing: an empty list).
fn violations(
    doc: &Value,
    method: &str,
    path: &str,
    status: StatusCode,
    body: &Value,
    text: &str,
) -> Vec<String> {
    let what = format!("{method} {path} -> {status}");
    let op = &doc["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "{what}: not documented");
    let range = format!("{}XX", &status.as_str()[..1]);
    let response = op["responses"]
        .get(status.as_str())
        .or_else(|| op["responses"].get(&range))
        .unwrap_or_else(|| panic!("{what}: status not documented: {text}"));
    let response = resolve(doc, response);
    let Some(content) = response.get("content") else {
        return if text.is_empty() {
            vec![]
        } else {
            vec![format!("documented without a body: {text}")]
        };
    };
    let schema = &content["application/json"]["schema"];
    assert!(schema.is_object(), "{what}: no JSON schema");
    // The schema with the document's components beside it, so its references resolve.
    let root = json_schema(&json!({
        "allOf": [schema],
        "components": doc["components"],
    }));
    let validator = jsonschema::draft4::new(&root).unwrap_or_else(|e| panic!("{what}: {e}"));
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Checks a reply against the schema its operation documents for its status.
fn check(doc: &Value, method: &str, path: &str, r: &Reply) {
    assert!(
        r.headers.contains_key("x-request-id"),
        "{method} {path}: no x-request-id"
    );
    let errors = violations(doc, method, path, r.status, &r.body, &r.text);
    assert!(
        errors.is_empty(),
        "{method} {path} -> {}: the body does not match its schema:\n{}\nbody: {}",
        r.status,
        errors.join("\n"),
        r.text
    );
}

/// The check itself: bodies that break their schema are caught.
#[tokio::test]
async fn the_check_catches_what_breaks_a_schema() {
    let p = TestPortal::start().await;
    let doc = document(&p).await;
    let ok = StatusCode::OK;
    let friend = json!({"id": "a", "display_name": "A", "namespace": "friend-a",
        "created_at": "2026-03-01T10:00:00Z", "updated_at": "2026-03-01T10:00:00Z", "signal": null});
    assert_eq!(
        violations(&doc, "GET", "/api/friends/{id}", ok, &friend, "{}"),
        Vec::<String>::new()
    );
    let mut no_namespace = friend.clone();
    no_namespace.as_object_mut().unwrap().remove("namespace");
    assert_eq!(
        violations(&doc, "GET", "/api/friends/{id}", ok, &no_namespace, "{}").len(),
        1
    );
    let mut wrong_type = friend.clone();
    wrong_type["agents"] = json!([{"agent_id": 1}]);
    assert!(!violations(&doc, "GET", "/api/friends/{id}", ok, &wrong_type, "{}").is_empty());
    let error = json!({"error": {"code": "not_found", "message": "no", "request_id": "1"}});
    let not_found = StatusCode::NOT_FOUND;
    assert!(violations(&doc, "GET", "/api/friends/{id}", not_found, &error, "{}").is_empty());
    assert!(
        !violations(
            &doc,
            "GET",
            "/api/friends/{id}",
            not_found,
            &json!({"error": "no"}),
            "{}"
        )
        .is_empty()
    );
    // A plugin's 2xx is its own JSON; its errors have the common shape.
    assert!(
        violations(
            &doc,
            "GET",
            "/api/portal/secrets",
            ok,
            &json!([1, "x"]),
            "{}"
        )
        .is_empty()
    );
    assert!(
        !violations(
            &doc,
            "GET",
            "/api/portal/secrets",
            not_found,
            &json!({}),
            "{}"
        )
        .is_empty()
    );
}

#[tokio::test]
async fn real_responses_match_their_schemas() {
    let p = TestPortal::start().await;
    let doc = document(&p).await;
    let agent = p.add_agent("main").await;
    let r = p
        .post(
            "/api/friends",
            &agent,
            json!({"id": "alice", "display_name": "Alice", "signal": "+15550001111"}),
        )
        .await;
    check(&doc, "POST", "/api/friends", &r);
    let r = p
        .post(
            "/api/auth/portal-session",
            &agent,
            json!({"friend_id": "alice"}),
        )
        .await;
    check(&doc, "POST", "/api/auth/portal-session", &r);
    let friend = r.body["session_token"].as_str().unwrap().to_owned();
    let r = p
        .post(
            "/api/portal/secrets",
            &friend,
            json!({"name": "api-key", "data": {"token": "s3cret"}}),
        )
        .await;
    check(&doc, "POST", "/api/portal/secrets", &r);

    let r = p.post("/api/agents", ADMIN, json!({"id": "second"})).await;
    check(&doc, "POST", "/api/agents", &r);
    let r = p.post("/api/agents", ADMIN, json!({"id": "second"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    check(&doc, "POST", "/api/agents", &r);

    // (method, template, concrete path, token)
    let gets: &[(&str, &str, &str)] = &[
        ("/api/friends/{id}", "/api/friends/alice", ADMIN),
        ("/api/friends/{id}", "/api/friends/alice", agent.as_str()),
        ("/api/friends/{id}", "/api/friends/nobody", agent.as_str()),
        ("/api/friends", "/api/friends", agent.as_str()),
        ("/api/agents", "/api/agents", ADMIN),
        ("/api/agents", "/api/agents", agent.as_str()),
        ("/api/portal/me", "/api/portal/me", friend.as_str()),
        ("/api/portal/me", "/api/portal/me", ADMIN),
        ("/api/portal/agents", "/api/portal/agents", friend.as_str()),
        ("/api/portal/echo", "/api/portal/echo", friend.as_str()),
        ("/api/admin/audit", "/api/admin/audit?limit=5", ADMIN),
        ("/api/admin/audit", "/api/admin/audit?limit=0", ADMIN),
        ("/api/admin/audit", "/api/admin/audit?limit=x", ADMIN),
        ("/api/admin/outbox", "/api/admin/outbox", ADMIN),
        ("/api/admin/dns", "/api/admin/dns", ADMIN),
        ("/api/admin/plugins", "/api/admin/plugins", ADMIN),
        ("/healthz", "/healthz", ADMIN),
        ("/healthz", "/healthz", "not-a-token"),
        (
            "/api/portal/secrets",
            "/api/portal/secrets",
            friend.as_str(),
        ),
        (
            "/api/portal/secrets/{name}",
            "/api/portal/secrets/api-key",
            friend.as_str(),
        ),
        (
            "/api/portal/secrets/{name}",
            "/api/portal/secrets/nothing",
            friend.as_str(),
        ),
        (
            "/api/friends/{id}/secrets",
            "/api/friends/alice/secrets",
            friend.as_str(),
        ),
        (
            "/api/friends/{id}/secrets",
            "/api/friends/nobody/secrets",
            ADMIN,
        ),
        (
            "/api/portal/workspace/memory",
            "/api/portal/workspace/memory",
            friend.as_str(),
        ),
    ];
    for (template, path, token) in gets {
        let r = p.get(path, token).await;
        check(&doc, "GET", template, &r);
    }
    let r = p
        .put(
            "/api/friends/alice",
            &agent,
            json!({"display_name": "Alice A.", "whatsapp": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    check(&doc, "PUT", "/api/friends/{id}", &r);
    let r = p
        .put("/api/friends/alice", &agent, json!({"nickname": "al"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    check(&doc, "PUT", "/api/friends/{id}", &r);
    // A struct's fields as an array are not an object: 422, as documented.
    let r = p
        .put("/api/friends/alice", &agent, json!([null, null]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    check(&doc, "PUT", "/api/friends/{id}", &r);
    let r = p.send(Method::POST, "/api/agents", Some(ADMIN), None).await;
    check(&doc, "POST", "/api/agents", &r);
    let r = p.delete("/api/friends/alice/sessions", &agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    check(&doc, "DELETE", "/api/friends/{id}/sessions", &r);
    let r = p.get("/api/portal/me", &friend).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    check(&doc, "GET", "/api/portal/me", &r);
    let r = p.delete("/api/agents/second", ADMIN).await;
    check(&doc, "DELETE", "/api/agents/{id}", &r);
    let r = p.get("/metrics", ADMIN).await;
    assert_eq!(r.status, StatusCode::OK);
}
