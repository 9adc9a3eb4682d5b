//! The Kubernetes-API store's invariants against the real API server: each test races
//! writers on two `KubeStore`s (two replicas of the portal, each with its own caches)
//! and checks the outcome on a third one connected afterwards (a fresh, full list), or on
//! the objects themselves. All tests share the portal's namespace: each uses ids of its
//! own.

use std::sync::Arc;

use chrono::{Duration, Utc};
use kube::api::{Api, ListParams};
use portal_store::kube::KubeStore;
use portal_store::kube::crds::PortalSession;
use portal_store::{
    ClaimError, ClaimPart, ClaimRequest, CronStore, Directory, HostnameClaims, JobRefusal, KvStore,
    LinkRefusal, Retired, Session, SessionKind, Sessions, StoreError,
};

use crate::store_support::{NAMESPACE, at, client, friend, hash, job, link, race, replica};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_friend_ids_are_unique_and_retired_ids_stay_refused() {
    let (a, b) = (replica().await, replica().await);
    for round in 0..5 {
        let id = format!("race-id-{round}");
        let made = race(&a, &b, 2, |s, i| {
            let mut f = friend(&id);
            f.display_name = format!("writer {i}");
            async move { s.create_friend(&f, None).await }
        })
        .await;
        let won: Vec<_> = made.iter().filter(|r| r.is_ok()).collect();
        assert_eq!(won.len(), 1, "exactly one create of '{id}' wins: {made:?}");
        assert!(
            made.iter()
                .any(|r| matches!(r, Err(StoreError::Conflict(m)) if m.contains("already exists"))),
            "{made:?}"
        );
    }

    // A retired id is refused to every racer, and freed once for one of them.
    let id = "race-retired";
    a.create_friend(&friend(id), None).await.unwrap();
    assert!(
        b.delete_friend(id, Some(&Retired { deleted_at: at() }))
            .await
            .unwrap()
    );
    let made = race(&a, &b, 4, |s, _| async move {
        s.create_friend(&friend(id), None).await
    })
    .await;
    assert!(
        made.iter()
            .all(|r| matches!(r, Err(StoreError::Conflict(m)) if m.contains("purge=true"))),
        "a retired id is refused: {made:?}"
    );
    assert!(a.unretire(id).await.unwrap());
    let made = race(&a, &b, 4, |s, _| async move {
        s.create_friend(&friend(id), None).await
    })
    .await;
    assert_eq!(made.iter().filter(|r| r.is_ok()).count(), 1, "{made:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_one_friend_per_platform_id() {
    let (a, b) = (replica().await, replica().await);
    for round in 0..5 {
        let discord = format!("12345678901234567{round}");
        let made = race(&a, &b, 2, |s, i| {
            let mut f = friend(&format!("race-pid-{round}-{i}"));
            f.discord_id = Some(discord.clone());
            async move { s.create_friend(&f, None).await }
        })
        .await;
        assert_eq!(made.iter().filter(|r| r.is_ok()).count(), 1, "{made:?}");
    }
    // Two existing friends taking one number at once.
    let (x, y) = (friend("race-pid-x"), friend("race-pid-y"));
    a.create_friend(&x, None).await.unwrap();
    a.create_friend(&y, None).await.unwrap();
    let put = race(&a, &b, 2, |s, i| {
        let mut f = if i == 0 { x.clone() } else { y.clone() };
        f.signal = Some("+49 151 2345678".into());
        async move { s.put_friend(&f).await }
    })
    .await;
    assert_eq!(put.iter().filter(|r| r.is_ok()).count(), 1, "{put:?}");

    let fresh = replica().await;
    for round in 0..5 {
        let discord = format!("12345678901234567{round}");
        let mut holders = 0;
        for i in 0..2 {
            let f = fresh
                .friend(&format!("race-pid-{round}-{i}"))
                .await
                .unwrap();
            holders += usize::from(f.is_some_and(|f| f.discord_id.as_deref() == Some(&discord)));
        }
        assert_eq!(holders, 1, "one friend holds discord id {discord}");
    }
    let numbers = [
        fresh.friend("race-pid-x").await,
        fresh.friend("race-pid-y").await,
    ]
    .into_iter()
    .filter(|f| f.as_ref().unwrap().as_ref().unwrap().signal.is_some())
    .count();
    assert_eq!(numbers, 1, "one friend holds the number");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_one_owner_per_hostname_and_the_per_friend_maximum() {
    let (a, b) = (replica().await, replica().await);
    for who in ["race-host-x", "race-host-y", "race-host-max"] {
        a.create_friend(&friend(who), None).await.unwrap();
    }
    let claimed = race(&a, &b, 10, |s, i| async move {
        let hostname = format!("h{}-race.example.net", i / 2);
        let who = if i % 2 == 0 {
            "race-host-x"
        } else {
            "race-host-y"
        };
        let request = ClaimRequest {
            hostname: &hostname,
            friend: who,
            name: "h",
            zone: "example.net",
        };
        s.claim(request, ClaimPart::Route, 100, Utc::now()).await
    })
    .await;
    assert_eq!(
        claimed.iter().filter(|r| r.is_ok()).count(),
        5,
        "{claimed:?}"
    );
    assert_eq!(
        claimed
            .iter()
            .filter(|r| matches!(r, Err(ClaimError::Taken)))
            .count(),
        5,
        "{claimed:?}"
    );

    let max = 3;
    let claimed = race(&a, &b, 12, |s, i| async move {
        let hostname = format!("m{i}-race.example.net");
        let request = ClaimRequest {
            hostname: &hostname,
            friend: "race-host-max",
            name: "m",
            zone: "example.net",
        };
        s.claim(request, ClaimPart::Record, max, Utc::now()).await
    })
    .await;
    assert_eq!(
        claimed.iter().filter(|r| r.is_ok()).count(),
        max,
        "{claimed:?}"
    );

    let fresh = replica().await;
    let held = fresh.hostnames_of("race-host-max").await.unwrap();
    assert_eq!(held.len(), max, "{held:?}");
    assert_eq!(
        fresh.hostname_count("race-host-max").await.unwrap(),
        max as u64
    );
    let x = fresh.hostnames_of("race-host-x").await.unwrap().len();
    let y = fresh.hostnames_of("race-host-y").await.unwrap().len();
    assert_eq!(x + y, 5, "each hostname has one owner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_a_link_is_exchanged_once() {
    let (a, b) = (replica().await, replica().await);
    a.create_friend(&friend("race-link"), None).await.unwrap();
    let link_hash = hash("race-link-token");
    a.create_session(&link_hash, &link("race-link", SessionKind::Link))
        .await
        .unwrap();
    // b learns of the link from its watch.
    for _ in 0..100 {
        if b.session(&link_hash).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let exchanged = race(&a, &b, 20, |s, i| async move {
        let made = hash(&format!("race-link-session-{i}"));
        let outcome = s
            .exchange_link(&link_hash, Utc::now(), &made, &|l: &Session| Session {
                kind: SessionKind::Session,
                created_at: Utc::now(),
                ..l.clone()
            })
            .await;
        (made, outcome)
    })
    .await;
    let won: Vec<_> = exchanged
        .iter()
        .filter(|(_, r)| matches!(r, Ok(Ok(_))))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        exchanged.iter().map(|(_, r)| r).collect::<Vec<_>>()
    );
    assert_eq!(
        exchanged
            .iter()
            .filter(|(_, r)| matches!(r, Ok(Err(LinkRefusal::Used))))
            .count(),
        19
    );
    let fresh = replica().await;
    let mut sessions = 0;
    for (made, _) in &exchanged {
        sessions += usize::from(fresh.session(made).await.unwrap().is_some());
    }
    assert_eq!(sessions, 1, "only the winner's session exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_kv_budget_holds_under_racing_writers() {
    let (a, b) = (replica().await, replica().await);
    let limit = 1000;
    let written = race(&a, &b, 20, |s, i| async move {
        let key = format!("k{i:02}");
        let value = vec![b'v'; 97];
        s.set_within_budget("race-plugin", "race-kv", &key, &value, limit)
            .await
    })
    .await;
    let ok = written.iter().filter(|r| matches!(r, Ok(Ok(())))).count();
    assert_eq!(
        ok, 10,
        "exactly ten 100-byte entries fit in 1000 bytes: {written:?}"
    );
    // Overwrites that do not grow always pass, even when full.
    let kept = written
        .iter()
        .position(|r| matches!(r, Ok(Ok(()))))
        .unwrap();
    let kept = format!("k{kept:02}");
    let rewritten = race(&a, &b, 6, |s, _| {
        let key = kept.clone();
        async move {
            s.set_within_budget("race-plugin", "race-kv", &key, &[b'w'; 97], limit)
                .await
        }
    })
    .await;
    assert!(
        rewritten.iter().all(|r| matches!(r, Ok(Ok(())))),
        "{rewritten:?}"
    );

    let fresh = replica().await;
    let keys = fresh.kv_keys("race-plugin", "race-kv", "").await.unwrap();
    assert_eq!(keys.len(), 10, "{keys:?}");
    assert_eq!(fresh.kv_used("race-plugin", "race-kv").await.unwrap(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_job_count_limit_holds_under_racing_creates() {
    let (a, b) = (replica().await, replica().await);
    let max = 3;
    let made = race(&a, &b, 10, |s, i| async move {
        let job = job("race-jobs", &format!("job-{i}"));
        s.create_job(&job, max).await
    })
    .await;
    assert_eq!(
        made.iter().filter(|r| matches!(r, Ok(Ok(())))).count(),
        max,
        "{made:?}"
    );
    assert!(
        made.iter()
            .all(|r| matches!(r, Ok(Ok(())) | Ok(Err(JobRefusal::Limit { .. }))))
    );
    let fresh = replica().await;
    assert_eq!(fresh.job_count("race-jobs").await.unwrap(), max);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_a_link_read_unspent_by_two_exchanges_is_spent_by_one() {
    let (a, b) = (replica().await, replica().await);
    a.create_friend(&friend("race-link-2"), None).await.unwrap();
    let link_hash = hash("race-link-2-token");
    a.create_session(&link_hash, &link("race-link-2", SessionKind::Link))
        .await
        .unwrap();
    let exchange = |s: Arc<KubeStore>, seed: &'static str| async move {
        s.exchange_link(&link_hash, Utc::now(), &hash(seed), &|l: &Session| {
            Session {
                kind: SessionKind::Session,
                ..l.clone()
            }
        })
        .await
        .unwrap()
    };
    // a reads the link unspent and stops before spending it; b exchanges it meanwhile.
    let mut paused = pause(&a, "link_read");
    let first = tokio::spawn(exchange(a.clone(), "race-link-2-a"));
    paused.reached().await;
    let second = exchange(b.clone(), "race-link-2-b").await;
    paused.release();
    let first = first.await.unwrap();
    assert!(second.is_ok(), "{second:?}");
    assert_eq!(first, Err(LinkRefusal::Used), "the link was spent once");
    let fresh = replica().await;
    assert!(
        fresh
            .session(&hash("race-link-2-a"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        fresh
            .session(&hash("race-link-2-b"))
            .await
            .unwrap()
            .is_some()
    );
}

/// The PortalSession objects of a friend, as the API server has them.
async fn session_objects(friend: &str) -> usize {
    let api: Api<PortalSession> = Api::namespaced(client().await, NAMESPACE);
    let selector = format!("store.friendportal.io/friend={friend}");
    api.list(&ListParams::default().labels(&selector))
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_a_friend_deleted_while_a_session_is_made_leaves_no_session() {
    let (a, b) = (replica().await, replica().await);

    // The delete lists the sessions, then a session is made before the delete finishes.
    let id = "race-del-listed";
    a.create_friend(&friend(id), None).await.unwrap();
    let deleter_pauses = b.clone();
    let mut paused = pause(&deleter_pauses, "friend_sessions_listed");
    let deleting = tokio::spawn({
        let b = b.clone();
        async move { b.delete_friend(id, None).await }
    });
    paused.reached().await;
    let made = a
        .create_session(&hash("race-del-1"), &link(id, SessionKind::Link))
        .await;
    paused.release();
    assert!(deleting.await.unwrap().unwrap(), "the friend was deleted");
    assert!(made.is_ok(), "made before the friend was gone: {made:?}");
    assert_eq!(
        session_objects(id).await,
        0,
        "the delete listed again and took it"
    );

    // The session object is made, then the friend is deleted before it is attached.
    let id = "race-del-made";
    a.create_friend(&friend(id), None).await.unwrap();
    let mut paused = pause(&a, "session_made");
    let making = tokio::spawn({
        let a = a.clone();
        async move {
            a.create_session(&hash("race-del-2"), &link(id, SessionKind::Link))
                .await
        }
    });
    paused.reached().await;
    assert!(b.delete_friend(id, None).await.unwrap());
    paused.release();
    let made = making.await.unwrap();
    assert!(matches!(made, Err(StoreError::NotFound(_))), "{made:?}");
    assert_eq!(
        session_objects(id).await,
        0,
        "no session outlives its friend"
    );
}

fn pause(store: &KubeStore, point: &'static str) -> portal_store::Paused {
    store.pauses().pause_next(point)
}

/// A portal stopped between taking a hostname's place and claiming it left the place
/// taken: once it is older than the grace period and the friend is full, it is let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_a_place_left_by_a_stop_mid_claim_is_let_go() {
    use portal_store::kube::crds::{PortalQuota, PortalQuotaSpec};
    let store = replica().await;
    let mut spec = PortalQuotaSpec {
        held: Default::default(),
        used: 1,
    };
    spec.held.insert(
        "never-made.example.net".into(),
        Utc::now() - Duration::minutes(5),
    );
    let api: Api<PortalQuota> = Api::namespaced(client().await, NAMESPACE);
    api.create(
        &Default::default(),
        &PortalQuota::new("hostnames.race-stopped", spec),
    )
    .await
    .unwrap();
    let request = ClaimRequest {
        hostname: "made.example.net",
        friend: "race-stopped",
        name: "made",
        zone: "example.net",
    };
    let claimed = store.claim(request, ClaimPart::Route, 1, Utc::now()).await;
    assert!(matches!(claimed, Ok(true)), "{claimed:?}");
    assert_eq!(store.hostname_count("race-stopped").await.unwrap(), 1);
}
