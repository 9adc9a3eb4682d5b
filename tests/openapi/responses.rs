//! Real answers validate against the schemas the document gives for their status.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, Reply, TestPortal};
use crate::{document, resolve};

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
    // A plugin's 2xx is checked against what the plugin describes; its errors have the
    // common shape. A route the plugin does not describe (the hello fixture) takes any JSON.
    let item = json!({"name": "k", "keys": ["a"], "created_at": "t", "updated_at": "t"});
    let secrets = "/api/portal/secrets";
    assert!(violations(&doc, "GET", secrets, ok, &json!([item]), "{}").is_empty());
    assert!(!violations(&doc, "GET", secrets, ok, &json!([1, "x"]), "{}").is_empty());
    let mut no_keys = item.clone();
    no_keys.as_object_mut().unwrap().remove("keys");
    assert!(!violations(&doc, "GET", secrets, ok, &json!([no_keys]), "{}").is_empty());
    assert!(violations(&doc, "GET", "/api/portal/hello", ok, &json!([1, "x"]), "{}").is_empty());
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

    let job = json!({"name": "daily", "message": "m", "cron": "0 9 * * *", "session": "agent:main:direct:channel:alice"});
    let r = p.post("/api/portal/workspace/crons", &friend, job).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    check(&doc, "POST", "/api/portal/workspace/crons", &r);
    let r = p
        .post("/api/portal/workspace/crons/daily/run", &friend, json!({}))
        .await;
    check(&doc, "POST", "/api/portal/workspace/crons/{name}/run", &r);
    let r = p
        .put(
            "/api/portal/workspace/memory",
            &friend,
            json!({"content": "# Me"}),
        )
        .await;
    check(&doc, "PUT", "/api/portal/workspace/memory", &r);
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
        (
            "/api/portal/workspace/crons",
            "/api/portal/workspace/crons",
            friend.as_str(),
        ),
        (
            "/api/portal/namespace",
            "/api/portal/namespace",
            friend.as_str(),
        ),
        (
            "/api/portal/domains",
            "/api/portal/domains",
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
