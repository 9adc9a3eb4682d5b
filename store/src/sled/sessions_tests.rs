use super::*;
use crate::{Directory, Friend};
use chrono::Duration;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_000_000, 0).unwrap() + Duration::minutes(minutes)
}

fn store() -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), super::super::DEFAULT_CACHE_BYTES).unwrap();
    (dir, store)
}

fn link(friend: &str, created: i64, lasts: i64) -> Session {
    Session {
        friend_id: friend.into(),
        created_at: at(created),
        expires_at: at(created + lasts),
        created_by: "admin".into(),
        revoked_at: None,
        kind: SessionKind::Link,
        spent_at: None,
        last_used_at: None,
        browser: None,
    }
}

async fn add_friend(store: &SledStore, id: &str) {
    let friend = Friend {
        id: id.into(),
        display_name: id.into(),
        discord_id: None,
        signal: None,
        whatsapp: None,
        preferred_channel: None,
        created_at: at(0),
        updated_at: at(0),
    };
    store.create_friend(&friend, None).await.unwrap();
}

/// Expired, revoked and spent links go once they ended before the cut, with their index
/// lines; what still works, or ended after the cut, stays.
#[tokio::test]
async fn remove_ended_drops_what_ended_before_the_cut_and_nothing_else() {
    let (_dir, store) = store();
    add_friend(&store, "alice").await;
    let expired = [1u8; 32];
    let revoked = [2u8; 32];
    let spent = [3u8; 32];
    let session = [4u8; 32];
    let live = [5u8; 32];
    let late = [6u8; 32];
    store
        .create_session(&expired, &link("alice", 0, 10))
        .await
        .unwrap();
    store
        .create_session(&revoked, &link("alice", 1, 600))
        .await
        .unwrap();
    assert!(store.revoke_session(&revoked, at(5)).await.unwrap());
    store
        .create_session(&spent, &link("alice", 2, 600))
        .await
        .unwrap();
    let made = |found: &Session| Session {
        kind: SessionKind::Session,
        created_at: at(6),
        ..found.clone()
    };
    store
        .exchange_link(&spent, at(6), &session, &made)
        .await
        .unwrap()
        .unwrap();
    store
        .create_session(&live, &link("alice", 3, 600))
        .await
        .unwrap();
    // Ended after the cut (revoked at 90): kept for now.
    store
        .create_session(&late, &link("alice", 4, 600))
        .await
        .unwrap();
    assert!(store.revoke_session(&late, at(90)).await.unwrap());

    assert_eq!(store.remove_ended(at(60)).await.unwrap(), 3);
    for gone in [expired, revoked, spent] {
        assert_eq!(store.session(&gone).await.unwrap(), None);
    }
    for kept in [session, live, late] {
        assert!(store.session(&kept).await.unwrap().is_some());
    }
    let indexed: Vec<TokenHash> = store
        .friend_session_hashes("alice")
        .unwrap()
        .into_iter()
        .map(|(_, hash)| hash)
        .collect();
    assert_eq!(indexed, [live, late, session], "no index line left behind");
    assert_eq!(store.live_session_count("alice", at(61)).await.unwrap(), 2);
    assert_eq!(
        store.remove_ended(at(60)).await.unwrap(),
        0,
        "nothing twice"
    );
}
