use super::*;
use crate::{
    Agent, AuditEntry, AuditLog, ClaimPart, ClaimRequest, CronStore, Directory, Friend, Friendship,
    HostnameClaims, Job, KvStore, OutboxEntry, OutboxStore, Retired, RunStatus, Session,
    SessionKind, Sessions, Trigger,
};
use chrono::{DateTime, Duration, Utc};

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_000_000, 0).unwrap() + Duration::minutes(minutes)
}

fn open(dir: &std::path::Path) -> SledStore {
    SledStore::open(dir, super::super::DEFAULT_CACHE_BYTES).unwrap()
}

fn friend(id: &str) -> Friend {
    Friend {
        id: id.into(),
        display_name: format!("{id} display"),
        discord_id: Some("123456789012345678".into()),
        signal: Some("+49 151 2345678".into()),
        whatsapp: None,
        preferred_channel: Some("signal".into()),
        created_at: at(0),
        updated_at: at(1),
    }
}

/// A store holding at least one record of every kind.
async fn every_kind(store: &SledStore) {
    let agent = Agent {
        id: "helper".into(),
        display_name: "Helper".into(),
        created_at: at(0),
    };
    store.create_agent(&agent, &[7; 32]).await.unwrap();
    store
        .create_friend(&friend("alice"), Some("helper"))
        .await
        .unwrap();
    let mut bob = friend("bob");
    bob.discord_id = None;
    bob.signal = None;
    store.create_friend(&bob, None).await.unwrap();
    store
        .add_friendship(&Friendship {
            agent_id: "helper".into(),
            friend_id: "bob".into(),
            since: at(2),
        })
        .await
        .unwrap();
    let mut gone = friend("gone");
    gone.discord_id = None;
    gone.signal = None;
    store.create_friend(&gone, None).await.unwrap();
    store
        .delete_friend("gone", Some(&Retired { deleted_at: at(3) }))
        .await
        .unwrap();
    let link = Session {
        friend_id: "alice".into(),
        created_at: at(4),
        expires_at: at(600),
        created_by: "agent:helper".into(),
        revoked_at: None,
        kind: SessionKind::Link,
        spent_at: None,
        last_used_at: None,
        browser: None,
    };
    store.create_session(&[1; 32], &link).await.unwrap();
    let opened = |found: &Session| Session {
        kind: SessionKind::Session,
        browser: Some("Firefox on Linux".into()),
        ..found.clone()
    };
    store
        .exchange_link(&[1; 32], at(5), &[2; 32], &opened)
        .await
        .unwrap()
        .unwrap();
    let claim = ClaimRequest {
        hostname: "Shop-Alice.example.net",
        friend: "alice",
        name: "shop",
        zone: "example.net",
    };
    store
        .claim(claim, ClaimPart::Route, 10, at(6))
        .await
        .unwrap();
    store
        .set_within_budget("notes", "alice", "k1", b"\0binary\xff", 1000)
        .await
        .unwrap()
        .unwrap();
    store
        .set_within_budget("notes", "", "shared", b"v", 1000)
        .await
        .unwrap()
        .unwrap();
    let job = Job {
        friend: "alice".into(),
        name: "daily".into(),
        message: "hello".into(),
        cron: "0 9 * * *".into(),
        session: "agent:main:signal:direct:+491512345678".into(),
        tz: "Europe/Berlin".into(),
        enabled: true,
        created_at: at(7),
        next_run: Some(at(900)),
    };
    assert_eq!(store.create_job(&job, 10).await.unwrap(), Ok(()));
    for (minute, status) in [(8, RunStatus::Delivered), (9, RunStatus::Failed)] {
        let run = Run {
            at: at(minute),
            trigger: Trigger::Scheduled,
            status: RunStatus::Pending,
            error: None,
            scheduled_for: Some(at(minute)),
            attempts: 0,
            replica: None,
        };
        let id = store.add_run("alice", "daily", &run, 50).await.unwrap();
        store
            .finish_run(&id, status, Some(format!("run {minute}")), Some(2))
            .await
            .unwrap();
    }
    store
        .push_outbox(OutboxEntry {
            id: 0,
            at: at(10),
            friend: "alice".into(),
            name: "daily".into(),
            session_key: "agent:main:signal:direct:+491512345678".into(),
            message: "hello".into(),
            trigger: Trigger::Manual,
            scheduled_for: None,
        })
        .await
        .unwrap();
    for (n, subject) in [(11, Some("alice")), (12, None)] {
        store
            .append_audit(&AuditEntry {
                at: at(n),
                caller: "admin".into(),
                action: format!("POST /n/{n}"),
                subject: subject.map(str::to_owned),
                status: 200,
                request_id: format!("r{n}"),
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn every_record_moves_to_an_empty_store_and_back_unchanged() {
    let (from_dir, to_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let from = open(from_dir.path());
    every_kind(&from).await;
    let records = from.export().await.unwrap();
    let mut kinds: Vec<&str> = records.iter().map(Record::kind).collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "friend",
            "retired",
            "friendship",
            "agent",
            "session",
            "hostname_claim",
            "kv",
            "job",
            "run",
            "outbox",
            "audit"
        ],
        "every kind, friends first"
    );
    // Through JSON lines, as `portal store export` writes them.
    let lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let read: Vec<Record> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let to = open(to_dir.path());
    assert!(to.is_empty().await.unwrap());
    to.import(&read).await.unwrap();
    assert_eq!(to.export().await.unwrap(), records);

    // Hashes, indexes and totals work in the copy as in the original.
    assert_eq!(
        to.agent_by_token_hash(&[7; 32]).await.unwrap().as_deref(),
        Some("helper")
    );
    assert_eq!(to.live_session_count("alice", at(6)).await.unwrap(), 1);
    assert_eq!(
        to.exchange_link(&[1; 32], at(6), &[3; 32], &|s: &Session| s.clone())
            .await
            .unwrap(),
        Err(crate::LinkRefusal::Used)
    );
    assert_eq!(
        to.friends_page(Some("helper"), None, 10)
            .await
            .unwrap()
            .friends
            .len(),
        2
    );
    assert_eq!(to.hostname_count("alice").await.unwrap(), 1);
    assert_eq!(
        to.kv_used("notes", "alice").await.unwrap(),
        from.kv_used("notes", "alice").await.unwrap()
    );
    assert!(to.retired("gone").await.unwrap().is_some());
    let mut taken = friend("carol");
    taken.signal = Some("+491512345678".into());
    taken.discord_id = None;
    assert!(
        matches!(
            to.create_friend(&taken, None).await,
            Err(StoreError::Conflict(_))
        ),
        "the platform ids index came along"
    );
    assert_eq!(to.runs("alice", "daily", 10).await.unwrap().len(), 2);
    // A new outbox entry comes after the imported ones.
    let before = to.outbox(None, 10).await.unwrap();
    let next = to
        .push_outbox(OutboxEntry {
            id: 0,
            ..before[0].clone()
        })
        .await
        .unwrap();
    assert!(next.id > before[0].id);
}

#[tokio::test]
async fn import_refuses_a_store_that_holds_anything() {
    let (from_dir, to_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let from = open(from_dir.path());
    every_kind(&from).await;
    let records = from.export().await.unwrap();
    let to = open(to_dir.path());
    to.create_friend(&friend("zed"), None).await.unwrap();
    let err = to.import(&records).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(to.friend_count().await.unwrap(), 1, "nothing written");
}
