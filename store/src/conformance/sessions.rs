//! Sessions and magic links.

use super::{add_friend, assert_not_found, at, race};
use crate::{LinkRefusal, Session, SessionKind, Store};

fn hash(n: u8) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[0] = n;
    h[31] = 0xa5;
    h
}

pub fn link(friend: &str, created: i64, expires: i64) -> Session {
    Session {
        friend_id: friend.to_owned(),
        created_at: at(created),
        expires_at: at(expires),
        created_by: "agent:pi".into(),
        revoked_at: None,
        kind: SessionKind::Link,
        spent_at: None,
        last_used_at: None,
        browser: None,
    }
}

fn opened(link: &Session) -> Session {
    Session {
        kind: SessionKind::Session,
        created_at: at(10),
        expires_at: at(10_000),
        ..link.clone()
    }
}

pub async fn sessions_live_and_end(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let s = &store.sessions;
    add_friend(&store, "alice").await;
    let first = link("alice", 0, 60);
    s.create_session(&hash(1), &first).await.unwrap();
    s.create_session(&hash(2), &link("alice", 1, 60))
        .await
        .unwrap();
    assert_eq!(s.session(&hash(1)).await.unwrap(), Some(first));
    assert_eq!(s.session(&hash(9)).await.unwrap(), None);

    let live = s.live_sessions("alice", at(5)).await.unwrap();
    let hashes: Vec<[u8; 32]> = live.iter().map(|(h, _)| *h).collect();
    assert_eq!(hashes, [hash(1), hash(2)], "oldest first");
    assert_eq!(s.live_session_count("alice", at(5)).await.unwrap(), 2);
    assert_eq!(
        s.live_session_count("alice", at(60)).await.unwrap(),
        0,
        "expired"
    );

    s.touch_session(&hash(1), at(6), Some("Firefox on Linux".into()))
        .await
        .unwrap();
    let touched = s.session(&hash(1)).await.unwrap().unwrap();
    assert_eq!(touched.last_used_at, Some(at(6)));
    assert_eq!(touched.browser.as_deref(), Some("Firefox on Linux"));

    assert!(s.revoke_session(&hash(1), at(7)).await.unwrap());
    assert!(
        !s.revoke_session(&hash(1), at(8)).await.unwrap(),
        "already ended"
    );
    assert!(!s.revoke_session(&hash(9), at(8)).await.unwrap(), "unknown");
    assert_eq!(
        s.session(&hash(1)).await.unwrap().unwrap().revoked_at,
        Some(at(7))
    );
    assert_eq!(s.live_session_count("alice", at(8)).await.unwrap(), 1);
}

pub async fn sessions_need_their_friend(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    assert_not_found(
        store
            .sessions
            .create_session(&hash(1), &link("nobody", 0, 60))
            .await,
        "a link for nobody",
    );
    assert_eq!(store.sessions.session(&hash(1)).await.unwrap(), None);
    // Nothing waits for the next friend given the id.
    add_friend(&store, "nobody").await;
    assert!(
        store
            .sessions
            .live_sessions("nobody", at(1))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn links_are_spent_once(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let s = &store.sessions;
    add_friend(&store, "alice").await;
    s.create_session(&hash(1), &link("alice", 0, 60))
        .await
        .unwrap();
    let made = s
        .exchange_link(&hash(1), at(10), &hash(2), &opened)
        .await
        .unwrap();
    let made = made.expect("the first exchange opens the link");
    assert_eq!(made.kind, SessionKind::Session);
    assert_eq!(s.session(&hash(2)).await.unwrap(), Some(made));
    assert_eq!(
        s.session(&hash(1)).await.unwrap().unwrap().spent_at,
        Some(at(10))
    );

    let again = s
        .exchange_link(&hash(1), at(11), &hash(3), &opened)
        .await
        .unwrap();
    assert_eq!(again, Err(LinkRefusal::Used));
    assert_eq!(
        s.session(&hash(3)).await.unwrap(),
        None,
        "a refusal writes nothing"
    );

    s.create_session(&hash(4), &link("alice", 0, 20))
        .await
        .unwrap();
    let late = s
        .exchange_link(&hash(4), at(20), &hash(5), &opened)
        .await
        .unwrap();
    assert_eq!(late, Err(LinkRefusal::Expired));
    s.create_session(&hash(6), &link("alice", 0, 60))
        .await
        .unwrap();
    assert!(s.revoke_session(&hash(6), at(1)).await.unwrap());
    let revoked = s
        .exchange_link(&hash(6), at(2), &hash(7), &opened)
        .await
        .unwrap();
    assert_eq!(revoked, Err(LinkRefusal::Revoked));
    let unknown = s
        .exchange_link(&hash(8), at(2), &hash(9), &opened)
        .await
        .unwrap();
    assert_eq!(unknown, Err(LinkRefusal::Unknown));
    // A session is not a link: it cannot be exchanged.
    let session = s
        .exchange_link(&hash(2), at(12), &hash(10), &opened)
        .await
        .unwrap();
    assert_eq!(session, Err(LinkRefusal::Unknown));
    for h in [5, 7, 9, 10] {
        assert_eq!(s.session(&hash(h)).await.unwrap(), None);
    }
}

pub async fn link_exchange_race_has_one_winner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    add_friend(&store, "alice").await;
    store
        .sessions
        .create_session(&hash(1), &link("alice", 0, 60))
        .await
        .unwrap();
    let results = race(&store, 20, |store, i| async move {
        let new = hash(100 + i as u8);
        store
            .sessions
            .exchange_link(&hash(1), at(5), &new, &opened)
            .await
    })
    .await;
    let won: Vec<_> = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).collect();
    assert_eq!(won.len(), 1, "a link opens once: {results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(Ok(_)) | Ok(Err(LinkRefusal::Used)))),
        "the others find it used: {results:?}"
    );
    let sessions = store.sessions.live_sessions("alice", at(6)).await.unwrap();
    let opened_ones = sessions
        .iter()
        .filter(|(_, s)| s.kind == SessionKind::Session)
        .count();
    assert_eq!(opened_ones, 1, "one session made");
}

pub async fn links_are_counted_for_the_hour(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let s = &store.sessions;
    add_friend(&store, "alice").await;
    add_friend(&store, "bob").await;
    for (n, minute) in [(1, 0), (2, 30), (3, 45)] {
        s.create_session(&hash(n), &link("alice", minute, minute + 60))
            .await
            .unwrap();
    }
    s.create_session(&hash(4), &link("bob", 40, 100))
        .await
        .unwrap();
    // Opening a link makes a session, which is not a link sent.
    s.exchange_link(&hash(2), at(50), &hash(5), &opened)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.links_created_since("alice", at(30)).await.unwrap(),
        [at(30), at(45)],
        "at or after, oldest first, whatever became of them"
    );
}

pub async fn revoking_a_friend_ends_every_session(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let s = &store.sessions;
    add_friend(&store, "alice").await;
    add_friend(&store, "bob").await;
    s.create_session(&hash(1), &link("alice", 0, 60))
        .await
        .unwrap();
    s.create_session(&hash(2), &link("alice", 1, 60))
        .await
        .unwrap();
    s.create_session(&hash(3), &link("alice", 0, 5))
        .await
        .unwrap();
    s.create_session(&hash(4), &link("bob", 0, 60))
        .await
        .unwrap();
    assert_eq!(
        s.revoke_friend_sessions("alice", at(10)).await.unwrap(),
        2,
        "the live ones"
    );
    assert_eq!(s.live_session_count("alice", at(10)).await.unwrap(), 0);
    assert_eq!(
        s.live_session_count("bob", at(10)).await.unwrap(),
        1,
        "bob's stays"
    );
}

pub async fn ended_sessions_are_removed(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let s = &store.sessions;
    add_friend(&store, "alice").await;
    s.create_session(&hash(1), &link("alice", 0, 5))
        .await
        .unwrap(); // expires at 5
    s.create_session(&hash(2), &link("alice", 0, 60))
        .await
        .unwrap();
    assert!(s.revoke_session(&hash(2), at(6)).await.unwrap()); // revoked at 6
    s.create_session(&hash(3), &link("alice", 0, 60))
        .await
        .unwrap();
    s.exchange_link(&hash(3), at(7), &hash(4), &opened)
        .await
        .unwrap()
        .unwrap(); // spent at 7
    s.create_session(&hash(5), &link("alice", 0, 600))
        .await
        .unwrap(); // still works
    s.create_session(&hash(6), &link("alice", 0, 30))
        .await
        .unwrap(); // expires after the cut

    assert_eq!(s.remove_ended(at(20)).await.unwrap(), 3);
    for gone in [1, 2, 3] {
        assert_eq!(
            s.session(&hash(gone)).await.unwrap(),
            None,
            "{gone} ended before"
        );
    }
    for kept in [4, 5, 6] {
        assert!(
            s.session(&hash(kept)).await.unwrap().is_some(),
            "{kept} kept"
        );
    }
    let mut live: Vec<[u8; 32]> = s
        .live_sessions("alice", at(21))
        .await
        .unwrap()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    live.sort();
    assert_eq!(
        live,
        [hash(4), hash(5), hash(6)],
        "what still works is listed"
    );
}
