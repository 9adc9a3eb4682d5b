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

/// A `--policies-dir` with the repository's cluster.toml changed by `edit`, and the
/// namespace templates that come with it.
fn cluster_policies(edit: impl FnOnce(&str) -> String) -> tempfile::TempDir {
    let policies = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let cluster = std::fs::read_to_string(repo.join("cluster.toml")).unwrap();
    std::fs::write(policies.path().join("cluster.toml"), edit(&cluster)).unwrap();
    let namespace = policies.path().join("namespace");
    std::fs::create_dir_all(&namespace).unwrap();
    for entry in std::fs::read_dir(repo.join("namespace")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), namespace.join(entry.file_name())).unwrap();
    }
    policies
}

/// Starts `portal serve` on `policies` and answers its stderr once it has stopped, as it
/// must: one that is still serving after a minute took the bad setting, and is stopped.
fn start_refused(policies: &std::path::Path) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut process = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policies-dir"])
        .arg(policies)
        .arg("--data-dir")
        .arg(data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while process.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = process.kill();
            let _ = process.wait();
            panic!("the portal started and served with {}", policies.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = process.wait_with_output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A kind the apply checks do not cover would skip them all (a Pod its template checks, a
/// Secret the portal's labels, a RoleBinding the namespace's boundary): the start stops.
#[test]
fn an_allowed_kind_the_checks_do_not_cover_stops_the_start() {
    const KINDS: &str =
        r#"allowed_kinds = ["Deployment", "Service", "ConfigMap", "Job", "CronJob"]"#;
    for kind in [
        "Pod",
        "Secret",
        "RoleBinding",
        "NetworkPolicy",
        "StatefulSet",
    ] {
        let policies = cluster_policies(|toml| {
            assert!(toml.contains(KINDS), "cluster.toml's allowed_kinds line");
            toml.replace(
                KINDS,
                &format!(r#"allowed_kinds = ["Deployment", "{kind}", "Service"]"#),
            )
        });
        let stderr = start_refused(policies.path());
        let expected = format!("cluster.toml: apply.allowed_kinds: '{kind}' is not a kind");
        assert!(stderr.contains(&expected), "{kind}: {stderr}");
    }
}

/// A denied egress range the API server would refuse in a NetworkPolicy stops the start,
/// instead of failing every friend's provisioning.
#[test]
fn a_bad_egress_range_stops_the_start() {
    let policies = cluster_policies(|toml| {
        assert!(
            toml.contains("\"169.254.0.0/16\""),
            "cluster.toml denies link-local"
        );
        toml.replace("\"169.254.0.0/16\"", "\"169.254.169.254/16\"")
    });
    let stderr = start_refused(policies.path());
    assert!(
        stderr.contains("cluster.toml: egress_denied_cidrs: '169.254.169.254/16' has bits set"),
        "{stderr}"
    );
}
