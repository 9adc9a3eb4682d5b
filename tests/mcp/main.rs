//! `/mcp` driven by MCP clients no one here wrote, against the `portal` binary on
//! 127.0.0.1: the official MCP Python SDK (tests/mcp/client.py: initialize, the tools, calls,
//! refusals) and the MCP Inspector's CLI (listing the tools). `tests/mcp/setup.sh` installs
//! both when missing (the SDK pinned in target/mcp-venv, the CLI pinned by
//! package-lock.json) or fails saying why: this test never skips.
//!
//! Then the audit log must hold the MCP calls' mutations as it holds REST's: same action,
//! caller, subject and status.

#[path = "../support/child.rs"]
mod child;
#[path = "../support/script.rs"]
#[allow(dead_code)]
mod script;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use child::{ADMIN, Child};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

fn setup() {
    let run = script::run("tests/mcp/setup.sh", &[], Duration::from_secs(900));
    run.assert_success("tests/mcp/setup.sh", 30);
}

async fn ok(portal: &Child, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let (status, answer) = portal.call(method.clone(), path, token, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// A magic link for alice, as her agent asks for one.
async fn new_link(portal: &Child, agent: &str) -> Value {
    let body = json!({"friend_id": "alice"});
    ok(
        portal,
        Method::POST,
        "/api/auth/portal-session",
        agent,
        Some(body),
    )
    .await
}

struct Seed {
    agent: String,
    stranger: String,
    session: String,
    link: String,
}

/// An agent `main` with a friendship with alice (Signal preferred, an app `web`, a MEMORY.md
/// she wrote herself), a stranger agent with none, alice's session and an unopened link.
async fn seed(portal: &Child) -> Seed {
    let add_agent = |id: &'static str| async move {
        let body = json!({"id": id, "display_name": id});
        let made = ok(portal, Method::POST, "/api/agents", ADMIN, Some(body)).await;
        made["token"].as_str().unwrap().to_owned()
    };
    let agent = add_agent("main").await;
    let stranger = add_agent("other").await;
    let alice = json!({"id": "alice", "display_name": "Alice", "signal": "+15550001111"});
    ok(portal, Method::POST, "/api/friends", &agent, Some(alice)).await;
    let signal = json!({"preferred_channel": "signal"});
    ok(
        portal,
        Method::PUT,
        "/api/friends/alice",
        &agent,
        Some(signal),
    )
    .await;
    ok(portal, Method::POST, "/api/friends/alice/namespace/apply", &agent, Some(json!({"manifests": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}}]}))).await;
    let link = new_link(portal, &agent).await;
    let opened = reqwest::Client::new()
        .post(format!("{}/api/auth/exchange", portal.url))
        .json(&json!({"link_token": link["session_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::CREATED);
    let session = opened.json::<Value>().await.unwrap()["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let memory = json!({"content": "# Alice\nTea, no sugar.\n"});
    ok(
        portal,
        Method::PUT,
        "/api/portal/workspace/memory",
        &session,
        Some(memory),
    )
    .await;
    let unopened = new_link(portal, &agent).await;
    Seed {
        agent,
        stranger,
        session,
        link: unopened["session_token"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_clients_use_the_tools_within_the_rest_rules() {
    setup();
    let data = tempfile::tempdir().unwrap();
    let portal = Child::serve(data.path()).await;
    let seed = seed(&portal).await;
    let before = ok(
        &portal,
        Method::GET,
        "/api/admin/audit?limit=1000",
        ADMIN,
        None,
    )
    .await;
    let before = before.as_array().unwrap().len();

    // The Python SDK.
    let seed_file = data.path().join("mcp-seed.json");
    std::fs::write(
        &seed_file,
        json!({
            "url": portal.url, "agent": seed.agent, "agent_id": "main", "stranger": seed.stranger,
            "admin": ADMIN, "friend_session": seed.session, "friend_link": seed.link, "friend_id": "alice",
        })
        .to_string(),
    )
    .unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(repo().join("target/mcp-venv/bin/python"))
            .arg(repo().join("tests/mcp/client.py"))
            .arg(&seed_file)
            .output()
            .expect("running the MCP Python SDK client")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("mcp-client: result"),
        "the Python SDK client failed:\n{stdout}\n{}\nportal log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        portal.stderr_text()
    );

    // The audit log: the MCP calls' mutations as REST records them.
    let audit = ok(
        &portal,
        Method::GET,
        "/api/admin/audit?limit=1000",
        ADMIN,
        None,
    )
    .await;
    let entries = audit.as_array().unwrap();
    let new = &entries[..entries.len() - before];
    let has = |caller: &str, action: &str, status: u16| {
        new.iter().any(|e| {
            e["caller"] == caller
                && e["action"] == action
                && e["subject"] == "alice"
                && e["status"] == status
                && e["request_id"].as_str().is_some_and(|id| !id.is_empty())
        })
    };
    assert!(
        has("agent:main", "POST /api/auth/portal-session", 201),
        "the link an agent sent over MCP is audited: {new:#?}"
    );
    assert!(
        has("agent:main", "POST /api/friends/{id}/workspace/crons", 201),
        "the message scheduled over MCP is audited: {new:#?}"
    );
    // A refusal names no subject (the friend is in the body, not the path), over REST too:
    // one entry for the MCP call, one for the client's REST call it compared against.
    let refused = new
        .iter()
        .filter(|e| {
            e["caller"] == "agent:other"
                && e["action"] == "POST /api/auth/portal-session"
                && e["status"] == 403
        })
        .count();
    assert_eq!(
        refused, 2,
        "the stranger's refused link is audited, as over REST: {new:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_cli_lists_the_tools() {
    setup();
    let data = tempfile::tempdir().unwrap();
    let portal = Child::serve(data.path()).await;
    let agent = ok(
        &portal,
        Method::POST,
        "/api/agents",
        ADMIN,
        Some(json!({"id": "main", "display_name": "Main"})),
    )
    .await;
    let token = agent["token"].as_str().unwrap().to_owned();
    let url = format!("{}/mcp", portal.url);
    let inspector = |token: String, url: String| {
        tokio::task::spawn_blocking(move || {
            let build =
                repo().join("tests/mcp/node_modules/@modelcontextprotocol/inspector-cli/build");
            Command::new("node")
                .arg(build.join("cli.js"))
                // It looks for its own package.json at `../package.json` of the working
                // directory but imports it relative to itself: run it from its build folder.
                .current_dir(&build)
                .args([
                    "--cli",
                    &url,
                    "--transport",
                    "http",
                    "--method",
                    "tools/list",
                ])
                .args(["--header", &format!("Authorization: Bearer {token}")])
                .output()
                .expect("running the MCP Inspector's CLI")
        })
    };
    let output = inspector(token, url.clone()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Inspector's CLI failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in [
        "friends_get",
        "crons_create",
        "namespace_overview",
        "send_portal_link",
        "needs_attention",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let overview = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "namespace_overview")
        .unwrap();
    assert_eq!(overview["annotations"]["readOnlyHint"], true, "{overview}");
    assert_eq!(
        overview["inputSchema"]["required"],
        json!(["id"]),
        "{overview}"
    );
}

/// A tool call's REST request carries the MCP request's id, so the audit entry (and the
/// log) name the request the agent made. Raw JSON-RPC here: the SDKs hide the headers.
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_entry_names_the_mcp_request() {
    let data = tempfile::tempdir().unwrap();
    let portal = Child::serve(data.path()).await;
    let seed = seed(&portal).await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "send_portal_link", "arguments": {"friend_id": "alice"}}});
    let response = reqwest::Client::new()
        .post(format!("{}/mcp", portal.url))
        .bearer_auth(&seed.agent)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let audit = ok(
        &portal,
        Method::GET,
        "/api/admin/audit?friend=alice",
        ADMIN,
        None,
    )
    .await;
    let entry = &audit[0];
    assert_eq!(entry["action"], "POST /api/auth/portal-session", "{audit}");
    assert_eq!(entry["caller"], "agent:main", "{entry}");
    assert_eq!(entry["request_id"], id.as_str(), "{entry}");
}
