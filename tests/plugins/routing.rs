use reqwest::StatusCode;
use serde_json::json;

use crate::World;
use crate::support::ADMIN;

#[tokio::test]
async fn plugin_sees_route_params_query_and_caller() {
    let w = World::new().await;
    let r = w.p.get("/api/portal/hello?x=1&y=a%20b", &w.alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["route"], "hello.echo");
    assert_eq!(r.body["caller"], json!({"kind": "friend", "id": "alice"}));
    assert_eq!(r.body["friend"], "alice");
    assert_eq!(r.body["query"], json!([["x", "1"], ["y", "a b"]]));

    let r = w.p.get("/api/friends/alice/hello/hi", &w.agent).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["caller"], json!({"kind": "agent", "id": "main"}));
    assert_eq!(r.body["friend"], "alice");
    assert_eq!(r.body["params"], json!([["id", "alice"], ["word", "hi"]]));

    let r = w.p.get("/api/admin/hello", ADMIN).await;
    assert_eq!(r.body["friend"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_host_checks_callers_before_any_plugin_runs() {
    let w = World::new().await;
    // Admin and agent tokens are refused on the portal, friends off it.
    assert_eq!(
        w.p.get("/api/portal/hello", ADMIN).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.p.get("/api/portal/hello", &w.agent).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.p.get("/api/friends/alice/hello/x", &w.alice).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.p.get("/api/admin/hello", &w.agent).await.status,
        StatusCode::FORBIDDEN
    );
    // The agent has no friendship with bob; nobody is called carol.
    assert_eq!(
        w.p.get("/api/friends/bob/hello/x", &w.agent).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.p.get("/api/friends/carol/hello/x", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.p.send(reqwest::Method::GET, "/api/portal/hello", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.plugin_row("hello").await["requests"],
        0,
        "no refused request reached the plugin"
    );
}

#[tokio::test]
async fn kv_is_scoped_to_the_friend_whatever_the_key() {
    let w = World::new().await;
    let put = |token: &str, key: &str, value: &str| {
        let http = w.p.http.clone();
        let url = w.p.url(&format!("/api/portal/hello/kv/{key}"));
        let (token, value) = (token.to_owned(), value.to_owned());
        async move {
            http.put(url)
                .bearer_auth(token)
                .body(value)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        put(&w.alice, "note", "alice's").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        w.p.get("/api/portal/hello/kv/note", &w.alice).await.body["value"],
        "alice's"
    );
    assert_eq!(
        w.p.get("/api/portal/hello/kv/note", &w.bob).await.status,
        StatusCode::NOT_FOUND
    );
    // Keys that try to climb out of the prefix find nothing of alice's.
    for key in [
        "..%2Fnote",
        "%00alice%00note",
        "alice%00note",
        "hello%00alice%00note",
        "%2E%2E",
    ] {
        let r =
            w.p.get(&format!("/api/portal/hello/kv/{key}"), &w.bob)
                .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{key}: {}", r.text);
    }
    assert_eq!(put(&w.bob, "note", "bob's").await, StatusCode::NO_CONTENT);
    assert_eq!(
        w.p.get("/api/portal/hello/kv/note", &w.alice).await.body["value"],
        "alice's"
    );
}

#[tokio::test]
async fn plugins_are_listed_with_their_figures() {
    let w = World::new().await;
    w.p.get("/api/portal/hello", &w.alice).await;
    // plugin_row also checks that the list answers 200.
    let hello = w.plugin_row("hello").await;
    assert_eq!(hello["version"].as_str().unwrap().len(), 64);
    assert_eq!(hello["requests"], 1);
    for field in ["loaded_at", "errors", "traps", "p50_ms", "p99_ms", "routes"] {
        assert!(hello.get(field).is_some(), "{field} missing: {hello}");
    }
    assert_eq!(
        hello["routes"][0],
        json!({"method": "GET", "path": "/api/portal/hello", "name": "hello.echo"})
    );
    assert_eq!(
        w.p.get("/api/admin/plugins", &w.agent).await.status,
        StatusCode::FORBIDDEN
    );
    let health = w.p.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert!(
        health.body["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "hello")
    );
}
