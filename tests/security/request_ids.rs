//! Request ids (issue 21, item 2): a client's `x-request-id` is kept only when it is a
//! short id of a fixed alphabet (1-64 of `A-Z a-z 0-9 . _ -`); anything else is replaced
//! by one of the portal's before it is echoed, logged or written to the audit log, so a
//! client can neither fill the disk nor forge words in a log line through it.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::child::{ADMIN as CHILD_ADMIN, Child};
use crate::support::{ADMIN, TestPortal};

/// A PUT of alice's memory (a mutation: audited) with `id` as `x-request-id`; the status
/// and the id the portal answered with.
async fn put_memory(p: &TestPortal, alice: &str, id: &str, n: usize) -> (StatusCode, String) {
    let r = p
        .http
        .put(p.url("/api/portal/workspace/memory"))
        .bearer_auth(alice)
        .header("x-request-id", id)
        .json(&json!({"content": format!("v{n}")}))
        .send()
        .await
        .unwrap();
    let echoed = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    (r.status(), echoed)
}

async fn audit(p: &TestPortal) -> Vec<Value> {
    let r = p.get("/api/admin/audit?limit=1000", ADMIN).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                size_of(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

fn is_ours(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn a_short_id_of_the_fixed_alphabet_round_trips() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let alice = p.session_for(ADMIN, "alice").await;
    let longest = "a".repeat(64);
    for id in ["proxy-7f3a.19_X", longest.as_str()] {
        let (status, echoed) = put_memory(&p, &alice, id, 0).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(echoed, id, "kept as sent");
        assert_eq!(audit(&p).await[0]["request_id"], id, "and audited as sent");
    }
}

#[tokio::test]
async fn a_long_or_odd_id_is_replaced_before_it_is_echoed_or_stored() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let alice = p.session_for(ADMIN, "alice").await;
    let huge = "A".repeat(300 * 1024);
    let store = p.dir.path().join("store");
    let before = size_of(&store);
    for n in 0..40 {
        let (status, echoed) = put_memory(&p, &alice, &huge, n).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            is_ours(&echoed),
            "replaced, not echoed: {} bytes",
            echoed.len()
        );
    }
    let grown = size_of(&store).saturating_sub(before);
    eprintln!("request ids: 40 requests with a 300 KiB id grew the store by {grown} bytes");
    // 40 ids of 300 KiB kept as sent would be 12 MiB.
    assert!(grown < 4 << 20, "the store grew by {grown} bytes");

    let too_long = "a".repeat(65);
    let odd = [
        "0123456789abcdef caller=admin",
        too_long.as_str(),
        "a/b",
        "line\tbreak",
    ];
    for id in odd {
        let (status, echoed) = put_memory(&p, &alice, id, 0).await;
        assert_eq!(status, StatusCode::OK);
        assert!(is_ours(&echoed), "{id:?} echoed as {echoed:?}");
    }
    let entries = audit(&p).await;
    assert!(
        entries.len() >= 44,
        "every write audited: {}",
        entries.len()
    );
    for entry in &entries {
        let id = entry["request_id"].as_str().unwrap();
        assert!(is_ours(id), "stored id {:.80}", id);
        assert!(entry.to_string().len() < 1024, "entry {:.200}", entry);
    }
}

/// The log, as the binary writes it: an id with spaces and `caller=` never reaches it.
#[tokio::test]
async fn an_odd_id_never_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let info = Path::new("info");
    let child = Child::serve_with_env(dir.path(), &[], &[("RUST_LOG", info)]).await;
    let http = reqwest::Client::new();
    let (status, _) = child
        .call(
            reqwest::Method::POST,
            "/api/friends",
            CHILD_ADMIN,
            Some(json!({"id": "alice", "display_name": "Alice"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let forged = "0123456789abcdef caller=admin";
    let r = http
        .post(format!("{}/api/auth/portal-session", child.url))
        .bearer_auth(CHILD_ADMIN)
        .header("x-request-id", forged)
        .json(&json!({"friend_id": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let ours = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(is_ours(&ours), "{ours}");
    // The request's log line is there, under the portal's id (so the check below is not
    // vacuous), and the forged words are nowhere.
    let mut log = String::new();
    for _ in 0..100 {
        log = child.stderr_text();
        if log.contains(&ours) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        log.lines()
            .any(|l| l.contains("portal session issued") && l.contains(&ours)),
        "{log}"
    );
    assert!(!log.contains("caller=admin"), "{log}");
}
