//! Friends, agents, friendships, retired ids and platform ids.

use super::{add_friend, assert_conflict, assert_not_found, at, friend, race};
use crate::{Agent, Friendship, Retired, Session, SessionKind, Store, StoreError};

fn agent(id: &str) -> Agent {
    Agent {
        id: id.to_owned(),
        display_name: format!("Agent {id}"),
        created_at: at(0),
    }
}

fn token(n: u8) -> [u8; 32] {
    [n; 32]
}

fn link_for(friend: &str) -> Session {
    Session {
        friend_id: friend.to_owned(),
        created_at: at(0),
        expires_at: at(60),
        created_by: "admin".into(),
        revoked_at: None,
        kind: SessionKind::Link,
        spent_at: None,
        last_used_at: None,
        browser: None,
    }
}

pub async fn friend_lifecycle(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    let mut alice = add_friend(&store, "alice").await;
    assert_eq!(d.friend("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(d.friend_count().await.unwrap(), 1);
    alice.display_name = "Alice L.".into();
    alice.updated_at = at(1);
    d.put_friend(&alice).await.unwrap();
    assert_eq!(d.friend("alice").await.unwrap(), Some(alice));
    assert_not_found(
        d.put_friend(&friend("bob")).await,
        "put of a friend never created",
    );
    assert!(
        d.friend("bob").await.unwrap().is_none(),
        "a failed put creates nobody"
    );
    assert!(d.delete_friend("alice", None).await.unwrap());
    assert!(d.friend("alice").await.unwrap().is_none());
    assert!(!d.delete_friend("alice", None).await.unwrap());
    assert_eq!(d.friend_count().await.unwrap(), 0);
}

pub async fn friend_ids_are_unique(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let first = add_friend(&store, "alice").await;
    let mut second = friend("alice");
    second.display_name = "Someone else".into();
    assert_conflict(
        store.directory.create_friend(&second, None).await,
        "a second friend with the same id",
    );
    assert_eq!(store.directory.friend("alice").await.unwrap(), Some(first));
}

pub async fn retired_ids_wait_for_purge(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    add_friend(&store, "alice").await;
    let retired = Retired { deleted_at: at(5) };
    assert!(d.delete_friend("alice", Some(&retired)).await.unwrap());
    assert_eq!(d.retired("alice").await.unwrap(), Some(retired));
    assert_conflict(
        d.create_friend(&friend("alice"), None).await,
        "a retired id",
    );
    assert!(d.friend("alice").await.unwrap().is_none());
    assert!(d.unretire("alice").await.unwrap());
    assert!(!d.unretire("alice").await.unwrap());
    assert!(d.retired("alice").await.unwrap().is_none());
    add_friend(&store, "alice").await;
}

pub async fn platform_ids_name_one_friend(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    let mut alice = friend("alice");
    alice.discord_id = Some("123456789012345678".into());
    alice.signal = Some("+15550001111".into());
    d.create_friend(&alice, None).await.unwrap();

    let mut bob = friend("bob");
    bob.discord_id = Some("123456789012345678".into());
    assert_conflict(
        d.create_friend(&bob, None).await,
        "bob with alice's Discord id",
    );
    assert!(d.friend("bob").await.unwrap().is_none());

    // A phone number is one person's, whichever channel names it; the same friend may
    // use it on both.
    let mut carol = friend("carol");
    carol.whatsapp = Some("+15550001111".into());
    assert_conflict(
        d.create_friend(&carol, None).await,
        "carol with alice's number",
    );
    carol.whatsapp = Some("+15550002222".into());
    d.create_friend(&carol, None).await.unwrap();
    alice.whatsapp = Some("+15550001111".into());
    d.put_friend(&alice).await.unwrap();

    let mut carol_takes = carol.clone();
    carol_takes.signal = Some("+15550001111".into());
    assert_conflict(
        d.put_friend(&carol_takes).await,
        "carol taking alice's Signal number",
    );
    assert_eq!(d.friend("carol").await.unwrap(), Some(carol));

    // Given up by alice, the Discord id is free for bob; a deleted friend frees theirs.
    alice.discord_id = None;
    d.put_friend(&alice).await.unwrap();
    d.create_friend(&bob, None).await.unwrap();
    assert!(d.delete_friend("alice", None).await.unwrap());
    let mut dave = friend("dave");
    dave.signal = Some("+15550001111".into());
    d.create_friend(&dave, None).await.unwrap();
}

pub async fn platform_id_race_has_one_winner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let results = race(&store, 8, |store, i| async move {
        let mut f = friend(&format!("racer{i}"));
        f.discord_id = Some("987654321098765432".into());
        store.directory.create_friend(&f, None).await
    })
    .await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "one friend per platform id: {results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(StoreError::Conflict(_))))
    );
    assert_eq!(store.directory.friend_count().await.unwrap(), 1);
}

pub async fn friend_id_race_has_one_winner(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let results = race(&store, 8, |store, i| async move {
        let mut f = friend("same");
        f.display_name = format!("Racer {i}");
        store.directory.create_friend(&f, None).await
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(store.directory.friend_count().await.unwrap(), 1);
}

pub async fn friendships_tie_agents_to_friends(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    d.create_agent(&agent("pi"), &token(1)).await.unwrap();
    d.create_friend(&friend("alice"), Some("pi")).await.unwrap();
    assert!(d.has_friendship("pi", "alice").await.unwrap());
    let ties = d.agents_of_friend("alice").await.unwrap();
    assert_eq!(ties.len(), 1);
    assert_eq!(ties[0].agent_id, "pi");

    let again = Friendship {
        agent_id: "pi".into(),
        friend_id: "alice".into(),
        since: at(30),
    };
    assert_eq!(
        d.add_friendship(&again).await.unwrap().since,
        at(0),
        "kept as it was"
    );
    assert!(d.remove_friendship("pi", "alice").await.unwrap());
    assert!(!d.remove_friendship("pi", "alice").await.unwrap());
    assert!(!d.has_friendship("pi", "alice").await.unwrap());
    d.add_friendship(&again).await.unwrap();
    assert!(d.has_friendship("pi", "alice").await.unwrap());

    let nobody = Friendship {
        agent_id: "pi".into(),
        friend_id: "nobody".into(),
        since: at(0),
    };
    assert_not_found(d.add_friendship(&nobody).await, "a friendship with nobody");
    assert!(!d.has_friendship("pi", "nobody").await.unwrap());
}

pub async fn deleting_a_friend_takes_what_was_theirs(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    d.create_agent(&agent("pi"), &token(1)).await.unwrap();
    d.create_friend(&friend("alice"), Some("pi")).await.unwrap();
    store
        .sessions
        .create_session(&token(7), &link_for("alice"))
        .await
        .unwrap();
    assert!(d.delete_friend("alice", None).await.unwrap());

    // The next friend given the id inherits nothing.
    add_friend(&store, "alice").await;
    assert!(store.sessions.session(&token(7)).await.unwrap().is_none());
    assert!(d.agents_of_friend("alice").await.unwrap().is_empty());
    assert!(!d.has_friendship("pi", "alice").await.unwrap());
    let page = d.friends_page(Some("pi"), None, 10).await.unwrap();
    assert!(page.friends.is_empty(), "the agent's list lost alice");
}

pub async fn agents_and_their_tokens(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    d.create_agent(&agent("pi"), &token(1)).await.unwrap();
    assert_conflict(
        d.create_agent(&agent("pi"), &token(2)).await,
        "a second agent pi",
    );
    assert_eq!(d.agent_by_token_hash(&token(2)).await.unwrap(), None);
    d.create_agent(&agent("zed"), &token(3)).await.unwrap();
    assert_eq!(d.agent("pi").await.unwrap(), Some(agent("pi")));
    assert_eq!(
        d.agent_by_token_hash(&token(1)).await.unwrap().as_deref(),
        Some("pi")
    );
    let mut ids: Vec<String> = d
        .agents()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["pi", "zed"]);

    d.create_friend(&friend("alice"), Some("pi")).await.unwrap();
    assert!(d.revoke_agent("pi").await.unwrap());
    assert!(!d.revoke_agent("pi").await.unwrap());
    assert_eq!(d.agent_by_token_hash(&token(1)).await.unwrap(), None);
    assert!(d.agent("pi").await.unwrap().is_none());
    assert!(!d.has_friendship("pi", "alice").await.unwrap());
    assert!(
        d.friend("alice").await.unwrap().is_some(),
        "the friend stays"
    );
}

pub async fn friends_come_in_pages(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let d = &store.directory;
    d.create_agent(&agent("pi"), &token(1)).await.unwrap();
    for id in ["e", "a", "d", "b", "c"] {
        d.create_friend(&friend(id), Some("pi")).await.unwrap();
    }
    add_friend(&store, "bb").await;
    let ids = |page: &crate::FriendPage| -> Vec<String> {
        page.friends.iter().map(|f| f.id.clone()).collect()
    };
    let first = d.friends_page(None, None, 4).await.unwrap();
    assert_eq!(ids(&first), ["a", "b", "bb", "c"]);
    assert!(first.more);
    let rest = d.friends_page(None, Some("c"), 4).await.unwrap();
    assert_eq!(ids(&rest), ["d", "e"]);
    assert!(!rest.more);
    let mine = d.friends_page(Some("pi"), Some("a"), 2).await.unwrap();
    assert_eq!(ids(&mine), ["b", "c"], "only the agent's friends");
    assert!(mine.more);
    let parsed: crate::Friend = serde_json::from_slice(&first.friends[0].json).unwrap();
    assert_eq!(parsed, friend("a"));
}
