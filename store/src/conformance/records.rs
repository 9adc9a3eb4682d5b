//! Export and import: every kind of record moves from one store to another.

use super::crons::{job, run};
use super::outbox::entry;
use super::sessions::link;
use super::{add_friend, assert_conflict, at, audit::audit};
use crate::{
    Agent, ClaimPart, ClaimRequest, Friend, Record, Retired, RunStatus, SessionKind, Store,
};

async fn fill(store: &Store) {
    let d = &store.directory;
    d.create_agent(
        &Agent {
            id: "pi".into(),
            display_name: "Pi".into(),
            created_at: at(0),
        },
        &[1; 32],
    )
    .await
    .unwrap();
    let alice = Friend {
        discord_id: Some("123456789012345678".into()),
        signal: Some("+15550001111".into()),
        ..super::friend("alice")
    };
    d.create_friend(&alice, Some("pi")).await.unwrap();
    add_friend(store, "gone").await;
    d.delete_friend("gone", Some(&Retired { deleted_at: at(3) }))
        .await
        .unwrap();
    store
        .sessions
        .create_session(&[2; 32], &link("alice", 0, 600))
        .await
        .unwrap();
    store
        .sessions
        .create_session(&[3; 32], &link("alice", 1, 600))
        .await
        .unwrap();
    let r = ClaimRequest {
        hostname: "blog-alice.example.org",
        friend: "alice",
        name: "blog",
        zone: "example.org",
    };
    store
        .hostnames
        .claim(r, ClaimPart::Route, 3, at(4))
        .await
        .unwrap();
    store
        .kv
        .set_within_budget("notes", "alice", "a", &[0, 159, 255], 100)
        .await
        .unwrap()
        .unwrap();
    store
        .kv
        .set_within_budget("notes", "", "b", b"shared", 100)
        .await
        .unwrap()
        .unwrap();
    store
        .crons
        .create_job(&job("alice", "water"), 5)
        .await
        .unwrap()
        .unwrap();
    store
        .crons
        .add_run("alice", "water", &run(5, RunStatus::Delivered), 10)
        .await
        .unwrap();
    store
        .crons
        .add_run("alice", "water", &run(6, RunStatus::Failed), 10)
        .await
        .unwrap();
    store.outbox.push_outbox(entry("alice", 7)).await.unwrap();
    store
        .audit
        .append_audit(&audit(8, Some("alice")))
        .await
        .unwrap();
    store.audit.append_audit(&audit(9, None)).await.unwrap();
}

/// Records as comparable lines, in an order that does not depend on the backend.
fn sorted(records: &[Record]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .map(|r| {
            let mut value = serde_json::to_value(r).expect("records encode");
            // Outbox ids are the backend's own; order and content are what must move.
            if let Some(e) = value.get_mut("entry").and_then(|e| e.as_object_mut()) {
                e.remove("id");
            }
            value.to_string()
        })
        .collect();
    lines.sort();
    lines
}

pub async fn records_move_without_loss(fresh: impl AsyncFn() -> Store) {
    let from = fresh().await;
    assert!(from.records.is_empty().await.unwrap());
    fill(&from).await;
    assert!(!from.records.is_empty().await.unwrap());
    let exported = from.records.export().await.unwrap();
    let kinds: std::collections::BTreeSet<&str> = exported.iter().map(Record::kind).collect();
    let every = [
        "agent",
        "audit",
        "friend",
        "friendship",
        "hostname_claim",
        "job",
        "kv",
        "outbox",
        "retired",
        "run",
        "session",
    ];
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        every,
        "every kind is exported"
    );

    let to = fresh().await;
    to.records.import(&exported).await.unwrap();
    assert_eq!(
        sorted(&to.records.export().await.unwrap()),
        sorted(&exported)
    );

    // What was moved works: the agent's token, the friend's link, the retired id, kv.
    assert_eq!(
        to.directory
            .agent_by_token_hash(&[1; 32])
            .await
            .unwrap()
            .as_deref(),
        Some("pi")
    );
    assert!(to.directory.has_friendship("pi", "alice").await.unwrap());
    let opened = to
        .sessions
        .exchange_link(&[2; 32], at(10), &[4; 32], &|l| crate::Session {
            kind: SessionKind::Session,
            ..l.clone()
        })
        .await
        .unwrap();
    assert!(
        opened.is_ok(),
        "the link opens in the new store: {opened:?}"
    );
    assert_conflict(
        to.directory
            .create_friend(&super::friend("gone"), None)
            .await,
        "retired",
    );
    let mut taken = super::friend("bob");
    taken.signal = Some("+15550001111".into());
    assert_conflict(
        to.directory.create_friend(&taken, None).await,
        "alice's number",
    );
    assert_eq!(to.kv.kv_used("notes", "alice").await.unwrap(), 4);
    assert_eq!(to.hostnames.hostname_count("alice").await.unwrap(), 1);
    let runs = to.crons.runs("alice", "water", 10).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.at).collect::<Vec<_>>(),
        [at(6), at(5)]
    );
    let later = to.outbox.push_outbox(entry("alice", 20)).await.unwrap();
    let listed = to.outbox.outbox(None, 10).await.unwrap();
    assert_eq!(
        listed[0].id, later.id,
        "new entries come after the imported ones"
    );
    assert_eq!(listed.len(), 2);
}

pub async fn import_refuses_a_store_in_use(fresh: impl AsyncFn() -> Store) {
    let from = fresh().await;
    fill(&from).await;
    let exported = from.records.export().await.unwrap();
    let to = fresh().await;
    add_friend(&to, "someone").await;
    assert_conflict(
        to.records.import(&exported).await,
        "import into a store in use",
    );
    assert!(
        to.directory.friend("alice").await.unwrap().is_none(),
        "nothing written"
    );
}
