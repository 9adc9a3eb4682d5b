//! MEMORY.md, the agent's notes and HEARTBEAT.md: ETags and preconditions, per-file
//! permissions, size and encoding rules, whole files on disk.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::ADMIN;
use crate::{World, etag};

const MEMORY: &str = "/api/portal/workspace/memory";
const NOTES: &str = "/api/portal/workspace/friend-notes";
const HEARTBEAT: &str = "/api/portal/workspace/heartbeat";

fn on_disk(w: &World, friend: &str, file: &str) -> Option<String> {
    let path =
        w.p.dir
            .path()
            .join("workspace/friends")
            .join(friend)
            .join(file);
    std::fs::read_to_string(path).ok()
}

async fn put(
    w: &World,
    path: &str,
    token: &str,
    content: &str,
    headers: &[(&str, &str)],
) -> crate::Reply {
    let body = serde_json::to_vec(&json!({ "content": content })).unwrap();
    w.raw(Method::PUT, path, token, headers, body).await
}

#[tokio::test]
async fn memory_round_trip_with_etags_and_preconditions() {
    let w = World::new().await;
    let r = w.p.get(MEMORY, &w.alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"content": "", "exists": false}));
    let absent = etag(&r.headers);

    // Creating: If-None-Match: * holds while there is no file.
    let r = put(&w, MEMORY, &w.alice, "# Me\n", &[("if-none-match", "*")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v1 = etag(&r.headers);
    assert_ne!(v1, absent);
    assert_eq!(on_disk(&w, "alice", "MEMORY.md").as_deref(), Some("# Me\n"));

    let r = w.p.get(MEMORY, &w.alice).await;
    assert_eq!(r.body, json!({"content": "# Me\n", "exists": true}));
    assert_eq!(etag(&r.headers), v1, "GET and PUT agree on the tag");

    // A second create, or a write based on the absent file, is stale now.
    for stale in [
        ("if-none-match", "*"),
        ("if-match", absent.as_str()),
        ("if-match", "\"nope\""),
    ] {
        let r = put(&w, MEMORY, &w.alice, "lost", &[stale]).await;
        assert_eq!(
            r.status,
            StatusCode::PRECONDITION_FAILED,
            "{stale:?}: {}",
            r.text
        );
        assert_eq!(r.code(), "precondition_failed");
        assert!(
            r.body["error"]["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
    }
    assert_eq!(on_disk(&w, "alice", "MEMORY.md").as_deref(), Some("# Me\n"));

    let r = put(
        &w,
        MEMORY,
        &w.alice,
        "# Me, updated\n",
        &[("if-match", &v1)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Without a precondition the write is unconditional.
    let r = put(&w, MEMORY, &w.alice, "# Me, again\n", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        on_disk(&w, "alice", "MEMORY.md").as_deref(),
        Some("# Me, again\n")
    );
}

#[tokio::test]
async fn two_tabs_never_overwrite_each_other_silently() {
    let w = World::new().await;
    put(&w, HEARTBEAT, &w.alice, "- [ ] water plants\n", &[]).await;
    let tab_a = etag(&w.p.get(HEARTBEAT, &w.alice).await.headers);
    let tab_b = tab_a.clone();
    let r = put(
        &w,
        HEARTBEAT,
        &w.alice,
        "from tab A\n",
        &[("if-match", &tab_a)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = put(
        &w,
        HEARTBEAT,
        &w.alice,
        "from tab B\n",
        &[("if-match", &tab_b)],
    )
    .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text);
    assert_eq!(
        on_disk(&w, "alice", "HEARTBEAT.md").as_deref(),
        Some("from tab A\n")
    );

    // At the same moment, with the same tag: exactly one wins.
    let base = etag(&w.p.get(HEARTBEAT, &w.alice).await.headers);
    let mut racers = Vec::new();
    for i in 0..6 {
        let request =
            w.p.http
                .put(w.p.url(HEARTBEAT))
                .bearer_auth(&w.alice)
                .header("if-match", &base)
                .json(&json!({ "content": format!("racer {i}\n") }));
        racers.push(tokio::spawn(async move {
            request.send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::PRECONDITION_FAILED)
    );
}

#[tokio::test]
async fn size_and_encoding_refusals_leave_the_file_alone() {
    let w = World::new().await;
    put(&w, MEMORY, &w.alice, "kept", &[]).await;

    let too_big = "a".repeat(256 * 1024 + 1);
    let r = put(&w, MEMORY, &w.alice, &too_big, &[]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert!(r.message().starts_with("content"), "{}", r.text);

    let bad_utf8 = [b"{\"content\": \"caf".as_slice(), &[0xe9], b"\"}"].concat();
    let r = w.raw(Method::PUT, MEMORY, &w.alice, &[], bad_utf8).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().starts_with("content"), "{}", r.text);

    let surrogate = br#"{"content": "\ud800"}"#.to_vec();
    let r = w.raw(Method::PUT, MEMORY, &w.alice, &[], surrogate).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    let r = w
        .raw(
            Method::PUT,
            MEMORY,
            &w.alice,
            &[],
            br#"{"text": "x"}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().starts_with("content"), "{}", r.text);
    let r = w
        .raw(Method::PUT, MEMORY, &w.alice, &[], b"not json".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(on_disk(&w, "alice", "MEMORY.md").as_deref(), Some("kept"));

    // Exactly at the limit is fine, multi-byte characters included.
    let at_limit = "é".repeat(128 * 1024);
    let r = put(&w, MEMORY, &w.alice, &at_limit, &[]).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.text[..200.min(r.text.len())]
    );
    assert_eq!(
        on_disk(&w, "alice", "MEMORY.md").map(|s| s.len()),
        Some(256 * 1024)
    );
}

#[tokio::test]
async fn notes_are_the_agents_and_read_only_for_the_friend() {
    let w = World::new().await;
    let agent_notes = "/api/friends/alice/workspace/friend-notes";
    let r = w.p.get(agent_notes, &w.agent).await;
    assert_eq!(r.body["exists"], false);
    let r = put(
        &w,
        agent_notes,
        &w.agent,
        "Alice likes short answers.\n",
        &[("if-match", &etag(&r.headers))],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let r = w.p.get(NOTES, &w.alice).await;
    assert_eq!(
        r.body,
        json!({"content": "Alice likes short answers.\n", "exists": true})
    );
    let r = put(&w, NOTES, &w.alice, "Alice is always right.", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
    assert_eq!(r.code(), "method_not_allowed");
    let r = put(
        &w,
        NOTES,
        &w.alice,
        "again",
        &[("if-match", &etag(&w.p.get(NOTES, &w.alice).await.headers))],
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        on_disk(&w, "alice", "NOTES.md").as_deref(),
        Some("Alice likes short answers.\n")
    );

    // The agent reads the friend's memory and may not write it.
    put(&w, MEMORY, &w.alice, "my memory", &[]).await;
    let r =
        w.p.get("/api/friends/alice/workspace/memory", &w.agent)
            .await;
    assert_eq!(r.body, json!({"content": "my memory", "exists": true}));
    assert!(r.headers.contains_key("etag"));
    let r = put(
        &w,
        "/api/friends/alice/workspace/memory",
        &w.agent,
        "overwritten",
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
    assert_eq!(
        on_disk(&w, "alice", "MEMORY.md").as_deref(),
        Some("my memory")
    );

    // Heartbeat: both sides.
    let r = put(
        &w,
        "/api/friends/alice/workspace/heartbeat",
        &w.agent,
        "- [ ] check mail\n",
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        w.p.get(HEARTBEAT, &w.alice).await.body["content"],
        "- [ ] check mail\n"
    );

    // No friendship with bob: the agent gets 403; the admin may read.
    let r = w.p.get("/api/friends/bob/workspace/memory", &w.agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        w.p.get("/api/friends/bob/workspace/friend-notes", ADMIN)
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Portal routes are the friend's own.
    assert_eq!(
        w.p.get(MEMORY, &w.agent).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.p.get(agent_notes, &w.alice).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn each_friend_sees_only_their_own_folder() {
    let w = World::new().await;
    put(&w, MEMORY, &w.alice, "alice's memory", &[]).await;
    let r = w.p.get(MEMORY, &w.bob).await;
    assert_eq!(r.body, json!({"content": "", "exists": false}));
    put(&w, MEMORY, &w.bob, "bob's memory", &[]).await;
    assert_eq!(
        w.p.get(MEMORY, &w.alice).await.body["content"],
        "alice's memory"
    );
    assert_eq!(
        on_disk(&w, "bob", "MEMORY.md").as_deref(),
        Some("bob's memory")
    );
    let r = w.p.get("/api/friends/alice/workspace/memory", ADMIN).await;
    assert_eq!(r.body["content"], "alice's memory");
}

#[tokio::test]
async fn the_file_on_disk_is_whole_after_every_write_and_while_writing() {
    let w = World::new().await;
    let path = w.p.dir.path().join("workspace/friends/alice/MEMORY.md");
    let versions: Vec<String> = (0..12)
        .map(|i| format!("version {i}\n").repeat(1 + (i * 997) % 20_000))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A reader standing in for the agent: every read is one whole version, never a mix.
    let reader = {
        let (path, stop, versions) = (path.clone(), stop.clone(), versions.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    assert!(
                        versions.contains(&text),
                        "a torn read of {} bytes",
                        text.len()
                    );
                    reads += 1;
                }
            }
            reads
        })
    };
    for version in &versions {
        let r = put(&w, MEMORY, &w.alice, version, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), *version);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}
