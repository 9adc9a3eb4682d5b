//! The real `portal` binary as a child process: kill -9 under a stream of writes, restart,
//! and every acknowledged write must be there. Also the agent and plugin CLIs, SIGTERM,
//! and settings read at start.

#[path = "../support/child.rs"]
mod child;
mod cli_args;
mod pending_runs;
mod plugin_cli;
mod settings;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use child::{ADMIN, Child};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn friend_ids(child: &Child) -> BTreeSet<String> {
    let (_, body) = child.call(Method::GET, "/api/friends", ADMIN, None).await;
    body.as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    const CYCLES: usize = 20;
    for cycle in 0..CYCLES {
        let child = Child::serve(dir.path()).await;
        let present = friend_ids(&child).await;
        let missing: Vec<_> = acknowledged
            .lock()
            .unwrap()
            .difference(&present)
            .cloned()
            .collect();
        assert!(
            missing.is_empty(),
            "cycle {cycle}: acknowledged but lost after kill -9: {missing:?}"
        );

        let writers: Vec<_> = (0..4)
            .map(|w| {
                let url = child.url.clone();
                let acknowledged = acknowledged.clone();
                tokio::spawn(async move {
                    let http = reqwest::Client::new();
                    for n in 0.. {
                        let id = format!("c{cycle}-w{w}-{n}");
                        let r = http
                            .post(format!("{url}/api/friends"))
                            .bearer_auth(ADMIN)
                            .json(&json!({"id": id, "display_name": "Crash Test"}))
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status() == StatusCode::CREATED => {
                                acknowledged.lock().unwrap().insert(id);
                            }
                            Ok(r) => panic!("unexpected {} for {id}", r.status()),
                            Err(_) => return, // the server died mid-request: not acknowledged
                        }
                    }
                })
            })
            .collect();
        let wait = rand::rng().random_range(50..400);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill_9();
        for w in writers {
            w.await.unwrap();
        }
    }
    let child = Child::serve(dir.path()).await;
    let present = friend_ids(&child).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > CYCLES,
        "the writers made progress: {}",
        acknowledged.len()
    );
    let missing: Vec<_> = acknowledged.difference(&present).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    eprintln!(
        "{CYCLES} kill -9 cycles, {} acknowledged writes, none lost",
        acknowledged.len()
    );
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let child = Child::serve(dir.path()).await;
    let alice = json!({"id": "alice", "display_name": "Alice"});
    let (status, _) = child
        .call(Method::POST, "/api/friends", ADMIN, Some(alice))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(child.terminate().success(), "exit 0 after SIGTERM");
    let child = Child::serve(dir.path()).await;
    assert!(friend_ids(&child).await.contains("alice"));
}

#[tokio::test]
async fn agent_cli_adds_lists_and_revokes() {
    let dir = tempfile::tempdir().unwrap();
    let out = child::portal(
        &["agent", "add", "main", "--display-name", "Main agent"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43);

    let list = child::portal(&["agent", "list"], dir.path());
    assert!(String::from_utf8_lossy(&list.stdout).contains("main\tMain agent"));

    let server = Child::serve(dir.path()).await;
    let (status, _) = server.call(Method::GET, "/api/friends", &token, None).await;
    assert_eq!(status, StatusCode::OK, "the printed token works");
    drop(server);

    let revoke = child::portal(&["agent", "revoke", "main"], dir.path());
    assert!(revoke.status.success());
    let list = child::portal(&["agent", "list"], dir.path());
    assert!(String::from_utf8_lossy(&list.stdout).trim().is_empty());
}

#[tokio::test]
async fn generated_admin_token_is_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let child = Child::serve_without_token(dir.path()).await;
    let file = dir.path().join("admin-token");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        child.stderr_text().contains(&token),
        "printed once on first start"
    );
    let (status, _) = child.call(Method::GET, "/api/agents", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    drop(child);
    let again = Child::serve_without_token(dir.path()).await;
    assert!(!again.stderr_text().contains(&token), "not printed again");
}
