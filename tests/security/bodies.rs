//! Hostile bodies on every POST and PUT route: 2 MiB of JSON, 100,000 nested brackets, and
//! a valid body sent as text/plain or application/xml. A 4xx, never a 5xx, and nothing
//! changes.

use reqwest::Method;
use serde_json::{Value, json};

use crate::leaks::describe;
use crate::routes::{self, Body, Caller, Kind, Route};
use crate::support::ADMIN;
use crate::world::World;

/// (label, content type, bytes) for a route whose valid body is `valid`.
fn variants(valid: &[u8]) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut big = br#"{"pad": ""#.to_vec();
    big.resize(2 * 1024 * 1024, b'a');
    big.extend_from_slice(br#""}"#);
    let mut deep = vec![b'['; 100_000];
    deep.resize(200_000, b']');
    vec![
        ("2 MiB JSON", "application/json", big),
        ("100k nested brackets", "application/json", deep),
        ("valid JSON as text/plain", "text/plain", valid.to_vec()),
        (
            "XML",
            "application/xml",
            br#"<?xml version="1.0"?><friend><id>x</id></friend>"#.to_vec(),
        ),
    ]
}

/// What the routes' owners can read back: everything a POST or PUT could change.
async fn snapshot(w: &World) -> Value {
    let mut out = serde_json::Map::new();
    let mut read = async |label: String, path: String, token: &str| {
        let r = w.p.get(&path, token).await;
        out.insert(label, json!({"status": r.status.as_u16(), "body": r.body}));
    };
    for path in [
        "/api/agents",
        "/api/friends",
        "/api/friends/alice",
        "/api/friends/x-alice",
        "/api/admin/dns",
        "/api/admin/outbox",
    ] {
        read(path.to_owned(), path.to_owned(), ADMIN).await;
    }
    for (who, token) in [("alice", &w.alice), (crate::world::BOB, &w.bob)] {
        let m = w.markers(who);
        let paths = [
            "/api/portal/secrets".to_owned(),
            format!("/api/portal/secrets/{}", m.secret_name),
            "/api/portal/workspace/memory".to_owned(),
            "/api/portal/workspace/friend-notes".to_owned(),
            "/api/portal/workspace/heartbeat".to_owned(),
            "/api/portal/workspace/crons".to_owned(),
            "/api/portal/namespace".to_owned(),
            "/api/portal/me".to_owned(),
            "/api/portal/agents".to_owned(),
            "/api/portal/sessions".to_owned(),
        ];
        for path in paths {
            read(format!("{who} {path}"), path, token).await;
        }
    }
    // Plugin versions (not their request counters).
    let plugins = w.p.get("/api/admin/plugins", ADMIN).await.body;
    let versions: Vec<Value> = plugins
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| json!([p["name"], p["version"]]))
        .collect();
    out.insert("plugins".into(), json!(versions));
    Value::Object(out)
}

/// The state once what a request set going has finished: a manual run is delivered by a
/// task of its own, so a snapshot taken at once can catch it pending and the next one
/// queued (that change is the run's, not the next request's).
async fn settled_snapshot(w: &World) -> Value {
    let mut state = snapshot(w).await;
    for _ in 0..200 {
        if !state.to_string().contains(r#""status":"pending""#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        state = snapshot(w).await;
    }
    state
}

/// The first key whose value differs, for the failure message.
fn difference(before: &Value, after: &Value) -> String {
    for (key, value) in before.as_object().unwrap() {
        if after[key] != *value {
            return format!(
                "{key}: {:.300} -> {:.300}",
                value.to_string(),
                after[key].to_string()
            );
        }
    }
    "?".into()
}

/// The caller that may use the route: alice on the portal, else the admin.
fn caller_for(route: &Route) -> Caller {
    if route.callers.contains(&Kind::Friend) {
        Caller::Alice
    } else {
        Caller::Admin
    }
}

#[tokio::test]
async fn oversize_and_deeply_nested_json_are_refused() {
    let failures = hostile_bodies(&["2 MiB JSON", "100k nested brackets"]).await;
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn wrong_content_types_are_refused() {
    let failures = hostile_bodies(&["valid JSON as text/plain", "XML"]).await;
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sends the `labels` variants to every POST and PUT route; returns what went wrong.
async fn hostile_bodies(labels: &[&str]) -> Vec<String> {
    let w = World::new().await;
    let mut failures = Vec::new();
    let mut cases = 0;
    let writes: Vec<Route> = routes::all()
        .into_iter()
        .filter(|r| r.method == Method::POST || r.method == Method::PUT)
        .collect();
    let mut before = snapshot(&w).await;
    for route in &writes {
        let caller = caller_for(route);
        let path = route.fill(&w, &w.alice_m, None);
        let valid = route
            .body_for("alice")
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        for (label, content_type, bytes) in variants(&valid)
            .into_iter()
            .filter(|(l, ..)| labels.contains(l))
        {
            let auth = caller.auth(&w).unwrap();
            let r = w
                .raw(
                    route.method.as_str(),
                    &path,
                    &[("authorization", &auth), ("content-type", content_type)],
                    &bytes,
                )
                .await;
            cases += 1;
            let shown = describe(caller, &route.method, &path, &r);
            if std::env::var_os("SECURITY_VERBOSE").is_some() {
                eprintln!("{label}: {shown}");
            }
            if r.status.is_server_error() && !route.fixture {
                failures.push(format!("{label}: 5xx: {shown}"));
            }
            // A route that reads a body must refuse these; one that ignores its body may
            // act (provision, run, rollback), but an oversize body is refused everywhere
            // it is read.
            let must_refuse = match route.body {
                Body::Json(_) => true,
                Body::Bytes => label == "2 MiB JSON",
                Body::None => false,
            };
            if must_refuse {
                if !r.status.is_client_error() {
                    failures.push(format!("{label}: expected a 4xx: {shown}"));
                }
                let after = snapshot(&w).await;
                if after != before {
                    failures.push(format!(
                        "{label}: state changed ({}): {shown}",
                        difference(&before, &after)
                    ));
                }
                before = after;
            } else {
                before = settled_snapshot(&w).await;
            }
            if label == "2 MiB JSON"
                && matches!(route.body, Body::Json(_))
                && r.status.as_u16() != 413
            {
                failures.push(format!("{label}: expected 413: {shown}"));
            }
        }
    }
    eprintln!(
        "bodies {labels:?}: {} POST/PUT routes, {cases} requests",
        writes.len()
    );
    failures
}
