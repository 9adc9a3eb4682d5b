//! The audit log and its bounds.

use super::at;
use crate::{AUDIT_FIELD_MAX, AuditBounds, AuditEntry, AuditQuery, Store};

pub fn audit(minute: i64, subject: Option<&str>) -> AuditEntry {
    AuditEntry {
        at: at(minute),
        caller: "agent:pi".into(),
        action: "POST /api/friends/{id}/sessions".into(),
        subject: subject.map(str::to_owned),
        status: 201,
        request_id: format!("req-{minute}"),
    }
}

fn query(friend: Option<&str>, limit: usize) -> AuditQuery {
    AuditQuery {
        friend: friend.map(str::to_owned),
        limit,
    }
}

pub async fn audit_newest_first_and_bounded(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let a = &store.audit;
    a.set_audit_bounds(AuditBounds {
        kept: 5,
        kept_per_friend: 4,
        batch: 2,
        ceiling: 1000,
    });
    for minute in 0..3 {
        a.append_audit(&audit(minute, Some("bob"))).await.unwrap();
    }
    for minute in 10..30 {
        a.append_audit(&audit(minute, Some("alice"))).await.unwrap();
        a.append_audit(&audit(minute, None)).await.unwrap();
    }
    let alice = a.audit_entries(&query(Some("alice"), 100)).await.unwrap();
    assert!(
        (4..=6).contains(&alice.len()),
        "alice's bound: {}",
        alice.len()
    );
    assert_eq!(alice[0].at, at(29), "newest first, the newest kept");
    assert!(alice.iter().all(|e| e.subject.as_deref() == Some("alice")));
    let bob = a.audit_entries(&query(Some("bob"), 100)).await.unwrap();
    assert_eq!(bob.len(), 3, "alice's flood leaves bob's entries alone");
    let all = a.audit_entries(&query(None, 100)).await.unwrap();
    let nobody = all.iter().filter(|e| e.subject.is_none()).count();
    assert!((5..=7).contains(&nobody), "entries about nobody: {nobody}");
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    assert_eq!(
        a.audit_entries(&query(None, 2)).await.unwrap().len(),
        2,
        "limit"
    );

    let mut long = audit(40, Some("bob"));
    long.request_id = "x".repeat(AUDIT_FIELD_MAX * 3);
    long.caller = "é".repeat(AUDIT_FIELD_MAX);
    a.append_audit(&long).await.unwrap();
    let stored = &a.audit_entries(&query(Some("bob"), 1)).await.unwrap()[0];
    assert_eq!(stored.request_id.len(), AUDIT_FIELD_MAX);
    assert!(stored.caller.len() <= AUDIT_FIELD_MAX && stored.caller.starts_with('é'));
}
