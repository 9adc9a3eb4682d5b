//! The document itself: valid OpenAPI 3.0, and the router's routes exactly.

use std::collections::{BTreeSet, HashSet};

use portal::api::host_routes;
use portal::api::openapi::{OPENAPI_VERSION, PLUGIN_ERROR_STATUSES, path_params};
use portal::auth::CallerKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{self, TestPortal};
use crate::{document, resolve};

/// tests/policies' fixture plugins: they leave their routes undescribed.
const FIXTURES: &[&str] = &["hello", "spin", "narrow", "shared", "hog", "crash"];

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
    // The tests' policy serves the benchmarks' echo too (native_echo = true).
    for route in host_routes(true) {
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
        .load_plugins(&portal::api::native_route_clash)
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
            let (successes, errors): (BTreeSet<String>, BTreeSet<String>) =
                statuses.into_iter().partition(|s| s.starts_with('2'));
            let want: BTreeSet<String> = PLUGIN_ERROR_STATUSES.iter().map(u16::to_string).collect();
            assert_eq!(errors, want, "{} {}", route.method, route.path);
            if FIXTURES.contains(&plugin.name.as_str()) {
                // They do not describe their routes: any JSON, or nothing.
                assert_eq!(successes, BTreeSet::from(["2XX".into(), "204".into()]));
            } else {
                assert!(
                    !successes.is_empty() && !successes.contains("2XX"),
                    "{} {}: {successes:?} described",
                    route.method,
                    route.path
                );
                for status in &successes {
                    let schema = &op["responses"][status]["content"]["application/json"]["schema"];
                    assert!(
                        status == "204" || schema["type"].is_string(),
                        "{} {} {status}: {schema}",
                        route.method,
                        route.path
                    );
                }
            }
            expected.insert((route.method.to_string(), path));
            plugin_routes += 1;
        }
    }
    assert!(plugin_routes > 5);
    assert_eq!(documented, expected, "the document's operations");

    // Each documented operation is routed: without a token it gets the route's own answer
    // (401, or 200 for a public route; a public POST refuses the missing body with 415),
    // never the router's 404 or 405.
    for (method, path) in &documented {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let r = p.send(method.parse().unwrap(), &concrete, None, None).await;
        let public = doc["paths"][path][method.to_lowercase()]["security"] == json!([]);
        let body_refused = r.status == StatusCode::UNSUPPORTED_MEDIA_TYPE
            || r.status == StatusCode::UNPROCESSABLE_ENTITY
            || r.status == StatusCode::BAD_REQUEST;
        assert!(
            r.status == StatusCode::UNAUTHORIZED
                || r.status == StatusCode::OK
                || (public && method == "POST" && body_refused),
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
    }
    // And an undocumented one is not.
    let r = p.send(Method::GET, "/api/nothing-here", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The plugins' bodies come from the types they read and write (their `describe` export):
/// the rules serde applies show up in the document.
#[tokio::test]
async fn plugin_bodies_are_the_types_the_plugins_read_and_write() {
    let p = TestPortal::start().await;
    let doc = document(&p).await;
    let body = |method: &str, path: &str| {
        let op = &doc["paths"][path][method];
        op["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    let answer = |method: &str, path: &str, status: &str| {
        let op = &doc["paths"][path][method];
        op["responses"][status]["content"]["application/json"]["schema"].clone()
    };

    let new_secret = body("post", "/api/portal/secrets");
    assert_eq!(
        new_secret["required"],
        json!(["name", "data"]),
        "{new_secret}"
    );
    assert_eq!(new_secret["additionalProperties"], json!(false));
    assert_eq!(new_secret["properties"]["name"]["maxLength"], 253);
    assert!(new_secret["properties"]["name"]["pattern"].is_string());
    let created = answer("post", "/api/portal/secrets", "201");
    assert_eq!(
        created["required"],
        json!(["name", "keys", "created_at", "updated_at"]),
        "{created}"
    );
    assert_eq!(answer("get", "/api/portal/secrets", "200")["type"], "array");
    let deleted = &doc["paths"]["/api/portal/secrets/{name}"]["delete"]["responses"]["204"];
    assert!(
        deleted.is_object() && deleted.get("content").is_none(),
        "{deleted}"
    );

    let new_job = body("post", "/api/portal/workspace/crons");
    assert_eq!(
        new_job["required"],
        json!(["name", "message", "cron", "session"]),
        "{new_job}"
    );
    assert_eq!(new_job["properties"]["tz"]["nullable"], true);
    assert_eq!(new_job["properties"]["message"]["maxLength"], 4000);
    let run = answer("post", "/api/portal/workspace/crons/{name}/run", "202");
    assert!(run["properties"]["trigger"].is_object(), "{run}");

    let overview = answer("get", "/api/portal/namespace", "200");
    for field in ["pods", "services", "deployments", "quota", "ingressRoutes"] {
        assert!(
            overview["properties"][field].is_object(),
            "{field}: {overview}"
        );
    }
    assert_eq!(
        body("put", "/api/portal/workspace/memory")["required"],
        json!(["content"])
    );
}

/// Every documented operation answers its caller with something other than 405: a route
/// that only ever refuses the method (as the friend's PUT of the agent's notes once did)
/// is not in the document. Each is called by a caller it names, deletions last so that
/// the friend and the tokens live through the rest.
#[tokio::test]
async fn no_documented_operation_answers_405() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let friend = p.session_for(&agent, "alice").await;
    let doc = document(&p).await;
    let mut ops: Vec<(String, String, Option<String>)> = operations(&doc)
        .into_iter()
        .map(|(method, path, op)| {
            let kind = op["x-callers"][0].as_str().map(str::to_owned);
            (method, path, kind)
        })
        .collect();
    ops.sort_by_key(|(method, ..)| method == "DELETE");
    let mut checked = 0;
    for (method, path, kind) in ops {
        let token = match kind.as_deref() {
            Some("admin") => Some(support::ADMIN),
            Some("agent") => Some(agent.as_str()),
            Some("friend") => Some(friend.as_str()),
            _ => None,
        };
        let concrete = path
            .split('/')
            .map(|seg| match seg {
                "{id}" => "alice",
                s if s.starts_with('{') => "x1",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        // A body the workspace files take, so such a write reaches the file's own rules
        // (other routes refuse it with 400 or 422, which is not what is looked for here).
        let body = (method != "GET" && method != "DELETE")
            .then(|| json!({"content": "written by the 405 check"}));
        let r = p
            .send(method.parse().unwrap(), &concrete, token, body)
            .await;
        assert_ne!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but answers 405: {}",
            r.text
        );
        checked += 1;
    }
    assert!(checked > 40, "{checked} operations");
}
