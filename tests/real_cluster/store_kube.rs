//! The Kubernetes-API store beyond its races: reads come from its caches (no request in
//! steady state) and show the replica's own writes at once; the portal's identity may use
//! the store's kinds in its own namespace only; what ended is removed and the outbox is
//! capped; and export then import into an empty namespace keeps every record.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, Utc};
use portal_store::kube::KubeStore;
use portal_store::{
    Agent, AuditEntry, AuditLog, AuditQuery, ClaimPart, ClaimRequest, CronStore, Directory,
    Friendship, HostnameClaims, KvStore, OUTBOX_KEPT, OutboxEntry, OutboxStore, Records, Retired,
    Run, RunStatus, SessionKind, Sessions, Trigger,
};

use crate::control_plane::control_plane;
use crate::store_support::{at, friend, hash, job, link, replica};

/// A client as `kubeconfig`'s identity that counts its requests (watches aside).
async fn counting_client(kubeconfig: &std::path::Path, sent: Arc<AtomicU64>) -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(kubeconfig).expect("a kubeconfig"),
        &Default::default(),
    )
    .await
    .expect("a client config");
    let count = tower::util::MapRequestLayer::new(move |request: http::Request<_>| {
        if !request
            .uri()
            .query()
            .is_some_and(|q| q.contains("watch=true"))
        {
            sent.fetch_add(1, Ordering::SeqCst);
        }
        request
    });
    kube::client::ClientBuilder::try_from(config)
        .expect("a client")
        .with_layer(&count)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_reads_cost_no_request_and_show_the_replicas_own_writes() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let client = counting_client(&plane.portal_kubeconfig, sent.clone()).await;
    let store = KubeStore::connect(client, "friendportal").await.unwrap();

    // Each write shows in the very next read, with no wait for the watch.
    let id = "steady";
    store
        .create_friend(&friend(id), Some("steady-agent"))
        .await
        .unwrap();
    assert_eq!(store.friend(id).await.unwrap().unwrap().id, id);
    let token = hash("steady-session");
    store
        .create_session(&token, &link(id, SessionKind::Session))
        .await
        .unwrap();
    assert!(store.session(&token).await.unwrap().is_some());
    let request = ClaimRequest {
        hostname: "app-steady.example.net",
        friend: id,
        name: "app",
        zone: "example.net",
    };
    store
        .claim(request, ClaimPart::Route, 5, Utc::now())
        .await
        .unwrap();
    assert_eq!(store.hostnames_of(id).await.unwrap().len(), 1);
    store
        .set_within_budget("steady-plugin", id, "k", b"v", 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .kv_get("steady-plugin", id, "k")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"v"[..])
    );
    store
        .create_job(&job(id, "daily"), 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.jobs_of(id).await.unwrap().len(), 1);

    // A page load's reads, twice: the API server hears nothing.
    let before = sent.load(Ordering::SeqCst);
    for _ in 0..2 {
        store.friend(id).await.unwrap().unwrap();
        store
            .friends_page(Some("steady-agent"), None, 50)
            .await
            .unwrap();
        store.session(&token).await.unwrap().unwrap();
        store.live_sessions(id, Utc::now()).await.unwrap();
        store.agents_of_friend(id).await.unwrap();
        store.hostnames_of(id).await.unwrap();
        store.hostname_count(id).await.unwrap();
        store.kv_get("steady-plugin", id, "k").await.unwrap();
        store.kv_keys("steady-plugin", id, "").await.unwrap();
        store.jobs_of(id).await.unwrap();
        store.runs(id, "daily", 10).await.unwrap();
        store.outbox(Some(id), 10).await.unwrap();
        store
            .audit_entries(&AuditQuery {
                friend: Some(id.into()),
                limit: 10,
            })
            .await
            .unwrap();
    }
    assert_eq!(
        sent.load(Ordering::SeqCst),
        before,
        "reads are served from the caches"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_rbac_grants_the_store_kinds_in_the_portal_namespace_only() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    for kind in [
        "portalfriends",
        "portalsessions",
        "kventries",
        "auditchunks",
    ] {
        let resource = format!("{kind}.store.friendportal.io");
        for verb in ["get", "list", "watch", "create", "update", "delete"] {
            assert!(
                plane.portal_can(verb, &resource, "friendportal"),
                "{verb} {resource}"
            );
        }
        assert!(
            !plane.portal_can("patch", &resource, "friendportal"),
            "no patch"
        );
        for elsewhere in ["default", "friend-someone"] {
            assert!(
                !plane.portal_can("list", &resource, elsewhere),
                "{resource} in {elsewhere}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_ended_sessions_are_removed_and_the_outbox_is_capped() {
    let store = replica().await;
    let id = "ended";
    store.create_friend(&friend(id), None).await.unwrap();
    let mut old = link(id, SessionKind::Link);
    old.expires_at = Utc::now() - Duration::hours(2);
    store
        .create_session(&hash("ended-old"), &old)
        .await
        .unwrap();
    let live = hash("ended-live");
    store
        .create_session(&live, &link(id, SessionKind::Link))
        .await
        .unwrap();
    assert!(
        store
            .remove_ended(Utc::now() - Duration::hours(1))
            .await
            .unwrap()
            >= 1
    );
    let fresh = replica().await;
    assert!(fresh.session(&hash("ended-old")).await.unwrap().is_none());
    assert!(
        fresh.session(&live).await.unwrap().is_some(),
        "a live link stays"
    );

    for n in 0..OUTBOX_KEPT + 120 {
        let entry = OutboxEntry {
            id: 0,
            at: Utc::now(),
            friend: id.into(),
            name: format!("n{n}"),
            session_key: "agent:main".into(),
            message: "hi".into(),
            trigger: Trigger::Manual,
            scheduled_for: None,
        };
        store.push_outbox(entry).await.unwrap();
    }
    let fresh = replica().await;
    let kept = fresh.outbox(None, usize::MAX).await.unwrap();
    assert_eq!(kept.len(), OUTBOX_KEPT);
    assert_eq!(
        kept[0].name,
        format!("n{}", OUTBOX_KEPT + 119),
        "newest first"
    );
    assert!(kept.windows(2).all(|w| w[0].id > w[1].id), "ids increase");
    let api: kube::Api<portal_store::kube::crds::OutboxChunk> =
        kube::Api::namespaced(crate::store_support::client().await, "friendportal");
    let chunks = api.list(&Default::default()).await.unwrap().items.len();
    assert!(
        chunks <= OUTBOX_KEPT / 20 + 2,
        "old chunks are deleted: {chunks}"
    );
}

/// One of every kind of record, in a store of its own.
async fn fill(store: &KubeStore) {
    let mut alice = friend("alice");
    alice.discord_id = Some("123456789012345678".into());
    alice.signal = Some("+49 151 2345678".into());
    store.create_friend(&alice, None).await.unwrap();
    store.create_friend(&friend("gone"), None).await.unwrap();
    store
        .delete_friend("gone", Some(&Retired { deleted_at: at() }))
        .await
        .unwrap();
    let agent = Agent {
        id: "helper".into(),
        display_name: "Helper".into(),
        created_at: at(),
    };
    store
        .create_agent(&agent, &hash("helper-token"))
        .await
        .unwrap();
    let friendship = Friendship {
        agent_id: "helper".into(),
        friend_id: "alice".into(),
        since: at(),
    };
    store.add_friendship(&friendship).await.unwrap();
    store
        .create_session(&hash("alice-link"), &link("alice", SessionKind::Link))
        .await
        .unwrap();
    let request = ClaimRequest {
        hostname: "blog-alice.example.net",
        friend: "alice",
        name: "blog",
        zone: "example.net",
    };
    store
        .claim(request, ClaimPart::Record, 5, at())
        .await
        .unwrap();
    store
        .set_within_budget("notes", "alice", "todo", &[0, 1, 2, 255], 1000)
        .await
        .unwrap()
        .unwrap();
    store
        .create_job(&job("alice", "daily"), 5)
        .await
        .unwrap()
        .unwrap();
    for minutes in 0..3 {
        let run = Run {
            at: at() + Duration::minutes(minutes),
            trigger: Trigger::Scheduled,
            status: RunStatus::Delivered,
            error: None,
            scheduled_for: Some(at()),
            attempts: 1,
            replica: None,
        };
        store.add_run("alice", "daily", &run, 10).await.unwrap();
    }
    let entry = OutboxEntry {
        id: 0,
        at: at(),
        friend: "alice".into(),
        name: "daily".into(),
        session_key: "agent:main:discord:dm:123456789012345678".into(),
        message: "good morning".into(),
        trigger: Trigger::Scheduled,
        scheduled_for: Some(at()),
    };
    store.push_outbox(entry).await.unwrap();
    let audit = AuditEntry {
        at: at(),
        caller: "admin".into(),
        action: "POST /api/friends".into(),
        subject: Some("alice".into()),
        status: 201,
        request_id: "r1".into(),
    };
    store.append_audit(&audit).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_export_then_import_into_an_empty_namespace_keeps_every_record() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    let (from, to) = ("store-export", "store-import");
    for namespace in [from, to] {
        plane.admin(&["create", "namespace", namespace]);
    }
    let admin = || counting_client(&plane.admin_kubeconfig, Arc::default());
    let source = KubeStore::connect(admin().await, from).await.unwrap();
    fill(&source).await;
    let records = source.export().await.unwrap();
    let mut kinds: Vec<&str> = records.iter().map(|r| r.kind()).collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "friend",
            "retired",
            "agent",
            "friendship",
            "session",
            "hostname_claim",
            "kv",
            "job",
            "run",
            "outbox",
            "audit"
        ],
        "{records:#?}"
    );

    let target = KubeStore::connect(admin().await, to).await.unwrap();
    assert!(target.is_empty().await.unwrap());
    target.import(&records).await.unwrap();
    let fresh = KubeStore::connect(admin().await, to).await.unwrap();
    assert_eq!(fresh.export().await.unwrap(), records, "every record kept");
    let refused = fresh.import(&records).await;
    assert!(
        matches!(refused, Err(portal_store::StoreError::Conflict(_))),
        "{refused:?}"
    );
    // The platform ids came along: they still belong to one friend.
    let mut bob = friend("bob");
    bob.discord_id = Some("123456789012345678".into());
    assert!(fresh.create_friend(&bob, None).await.is_err());
}
