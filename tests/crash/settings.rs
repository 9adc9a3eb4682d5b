//! What an operator sets at start reaches the running binary: a `--policies-dir` holding
//! only `crons.toml` changes the cron limits and keeps every other built-in policy, and
//! bad values stop the start with a message naming them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::child::{self, ADMIN, Child};

const CRONS: &str = "/api/portal/workspace/crons";

#[tokio::test]
async fn an_operator_crons_toml_sets_the_job_limit() {
    let data = tempfile::tempdir().unwrap();
    let policies = tempfile::tempdir().unwrap();
    let crons = include_str!("../../policies/crons.toml")
        .replace("max_jobs_per_friend = 50", "max_jobs_per_friend = 2");
    std::fs::write(policies.path().join("crons.toml"), crons).unwrap();
    let policies_dir = policies.path().to_str().unwrap();
    let server = Child::serve_with(
        data.path(),
        &["--policies-dir", policies_dir, "--store-cache-mib", "16"],
    )
    .await;
    let post = Method::POST;

    let main = json!({"id": "main", "display_name": "Main"});
    let (status, _) = server
        .call(post.clone(), "/api/agents", ADMIN, Some(main))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let alice = json!({"id": "alice", "display_name": "Alice", "agent_id": "main"});
    let (status, _) = server
        .call(post.clone(), "/api/friends", ADMIN, Some(alice))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let link = json!({"friend_id": "alice"});
    let (status, session) = server
        .call(post.clone(), "/api/auth/portal-session", ADMIN, Some(link))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let alice = session["session_token"].as_str().unwrap();

    let mut answers = Vec::new();
    for name in ["one", "two", "three"] {
        let job = json!({"name": name, "message": "m", "cron": "0 9 * * *", "session": "agent:main:direct:channel:alice"});
        answers.push(server.call(post.clone(), CRONS, alice, Some(job)).await);
    }
    let statuses: Vec<_> = answers.iter().map(|(s, _)| s.as_u16()).collect();
    assert_eq!(statuses, [201, 201, 422], "{answers:?}");
    let message = answers[2].1["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("at most 2 cron jobs"), "{message}");
}

#[tokio::test]
async fn a_bad_crons_toml_stops_the_start_naming_file_and_key() {
    let data = tempfile::tempdir().unwrap();
    let policies = tempfile::tempdir().unwrap();
    let crons =
        include_str!("../../policies/crons.toml").replace("runs_kept = 50", "runs_kept = 0");
    std::fs::write(policies.path().join("crons.toml"), crons).unwrap();
    let out = child::portal(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--policies-dir",
            policies.path().to_str().unwrap(),
        ],
        data.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("crons.toml: runs_kept: 0 is outside 1..=1000"),
        "{stderr}"
    );
}
