//! Links in the workspace shared with the agent: a friend's folder, or a file in it, that
//! is a link (to another friend's file, or out of the workspace) is refused with 409
//! naming it, for reading and for writing, and what it points at is never read or changed.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, Reply};
use crate::world::{BOB, World};

const MEMORY: &str = "/api/portal/workspace/memory";
const HEARTBEAT: &str = "/api/portal/workspace/heartbeat";

fn friends(w: &World) -> PathBuf {
    w.data_dir.join("workspace/friends")
}

/// A file outside the workspace, beside the data dir.
fn outside_file(w: &World) -> PathBuf {
    let path = w.data_dir.parent().unwrap().join("outside.txt");
    std::fs::write(&path, "OUTSIDE-FILE-6a1f").unwrap();
    path
}

fn replace_with_link(path: &Path, target: &Path) {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        std::fs::rename(path, path.with_extension("moved")).unwrap();
    } else {
        let _ = std::fs::remove_file(path);
    }
    symlink(target, path).unwrap();
}

/// 409, naming `what`, with nothing of `secrets` in the answer.
fn refused(r: &Reply, what: &str, secrets: &[&str]) {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "conflict", "{}", r.text);
    assert!(
        r.message().contains(&format!("{what} is a link")),
        "the message names {what}: {}",
        r.message()
    );
    for secret in secrets {
        assert!(!r.text.contains(secret), "{secret} leaked: {}", r.text);
    }
}

async fn put(w: &World, path: &str, token: &str, content: &str) -> Reply {
    w.p.send(
        Method::PUT,
        path,
        Some(token),
        Some(json!({ "content": content })),
    )
    .await
}

#[tokio::test]
async fn a_linked_memory_file_is_neither_read_nor_written_through() {
    let w = World::new().await;
    let friends = friends(&w);
    let bobs_memory = friends.join(format!("{BOB}/MEMORY.md"));
    let outside = outside_file(&w);
    let alices_memory = friends.join("alice/MEMORY.md");
    for target in [&bobs_memory, &outside] {
        replace_with_link(&alices_memory, target);
        let secrets = [w.bob_m.memory.as_str(), "OUTSIDE-FILE-6a1f"];

        let r = w.p.get(MEMORY, &w.alice).await;
        refused(&r, "friends/alice/MEMORY.md", &secrets);
        let r =
            w.p.get("/api/friends/alice/workspace/memory", &w.agent)
                .await;
        refused(&r, "friends/alice/MEMORY.md", &secrets);
        let r = put(&w, MEMORY, &w.alice, "ALICE-OVERWRITES").await;
        refused(&r, "friends/alice/MEMORY.md", &secrets);
        // A conditional write reads the file first: refused the same way.
        let headers = [("if-none-match", "*")];
        let body = serde_json::to_vec(&json!({"content": "ALICE-OVERWRITES"})).unwrap();
        let mut request =
            w.p.http
                .put(w.p.url(MEMORY))
                .bearer_auth(&w.alice)
                .body(body);
        for (name, value) in headers {
            request = request
                .header(name, value)
                .header("content-type", "application/json");
        }
        let r = crate::support::reply(request.send().await.unwrap()).await;
        refused(&r, "friends/alice/MEMORY.md", &secrets);

        assert!(
            std::fs::symlink_metadata(&alices_memory)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link itself is left for the agent to fix"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&bobs_memory).unwrap(),
        w.bob_m.memory,
        "bob's file is unchanged"
    );
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "OUTSIDE-FILE-6a1f"
    );
    // Bob's own file is still his to read.
    let r = w.p.get(MEMORY, &w.bob).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["content"], w.bob_m.memory.as_str());
}

#[tokio::test]
async fn a_linked_friend_folder_is_not_entered() {
    let w = World::new().await;
    let friends = friends(&w);
    let alice_dir = friends.join("alice");
    let bob_dir = friends.join(BOB);
    let bob_before: Vec<(PathBuf, Vec<u8>)> = files(&bob_dir);
    let outside_dir = w.data_dir.parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(&outside_dir).unwrap();
    std::fs::write(outside_dir.join("HEARTBEAT.md"), "OUTSIDE-HEARTBEAT-0c3e").unwrap();

    for target in [&bob_dir, &outside_dir] {
        replace_with_link(&alice_dir, target);
        let secrets = [
            w.bob_m.memory.as_str(),
            w.bob_m.heartbeat.as_str(),
            "OUTSIDE-HEARTBEAT-0c3e",
        ];
        for path in [MEMORY, HEARTBEAT] {
            let r = w.p.get(path, &w.alice).await;
            refused(&r, "friends/alice", &secrets);
            let r = put(&w, path, &w.alice, "THROUGH-THE-LINK").await;
            refused(&r, "friends/alice", &secrets);
        }
        let r = put(
            &w,
            "/api/friends/alice/workspace/friend-notes",
            &w.agent,
            "THROUGH-THE-LINK",
        )
        .await;
        refused(&r, "friends/alice", &secrets);
        // The profile the portal writes on an update does not go through it either.
        let r =
            w.p.put(
                "/api/friends/alice",
                ADMIN,
                json!({"display_name": "Through"}),
            )
            .await;
        refused(&r, "friends/alice", &secrets);
    }
    assert_eq!(files(&bob_dir), bob_before, "bob's folder is unchanged");
    assert_eq!(
        std::fs::read_dir(&outside_dir).unwrap().count(),
        1,
        "nothing written outside"
    );
    assert_eq!(
        std::fs::read_to_string(outside_dir.join("HEARTBEAT.md")).unwrap(),
        "OUTSIDE-HEARTBEAT-0c3e"
    );
}

/// Every file in `dir` with its bytes, in name order.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect();
    out.sort();
    out
}
