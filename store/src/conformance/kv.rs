//! Plugins' key-value data and its byte budget.

use super::race;
use crate::{KvFull, Store};

pub async fn kv_keeps_entries_within_budget(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let kv = &store.kv;
    assert_eq!(
        kv.set_within_budget("notes", "alice", "a/1", b"12345", 20)
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        kv.kv_get("notes", "alice", "a/1").await.unwrap().as_deref(),
        Some(&b"12345"[..])
    );
    assert_eq!(
        kv.kv_used("notes", "alice").await.unwrap(),
        8,
        "key and value"
    );
    // Another friend, another plugin, and data about no friend are other budgets.
    kv.set_within_budget("notes", "bob", "a/1", b"x", 20)
        .await
        .unwrap()
        .unwrap();
    kv.set_within_budget("other", "alice", "a/1", b"x", 20)
        .await
        .unwrap()
        .unwrap();
    kv.set_within_budget("notes", "", "a/1", b"x", 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kv.kv_get("notes", "bob", "a/1").await.unwrap().as_deref(),
        Some(&b"x"[..])
    );

    kv.set_within_budget("notes", "alice", "a/2", b"123456789", 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kv.kv_used("notes", "alice").await.unwrap(), 20);
    let full = kv
        .set_within_budget("notes", "alice", "b", b"1", 20)
        .await
        .unwrap();
    assert_eq!(
        full,
        Err(KvFull {
            used: 20,
            limit: 20
        })
    );
    assert_eq!(
        kv.kv_get("notes", "alice", "b").await.unwrap(),
        None,
        "nothing written"
    );
    // Overwriting with a shorter value is always allowed; the total follows.
    kv.set_within_budget("notes", "alice", "a/2", b"1", 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kv.kv_used("notes", "alice").await.unwrap(), 12);
    kv.set_within_budget("notes", "alice", "b", b"1", 20)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        kv.kv_keys("notes", "alice", "a/").await.unwrap(),
        ["a/1", "a/2"]
    );
    assert_eq!(
        kv.kv_keys("notes", "alice", "").await.unwrap(),
        ["a/1", "a/2", "b"]
    );
    assert!(kv.kv_delete("notes", "alice", "a/1").await.unwrap());
    assert!(!kv.kv_delete("notes", "alice", "a/1").await.unwrap());
    assert_eq!(kv.kv_used("notes", "alice").await.unwrap(), 6);
    assert_eq!(kv.kv_get("notes", "alice", "a/1").await.unwrap(), None);
}

pub async fn kv_budget_holds_under_a_race(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    // Ten writers of 100 bytes each (key + value) against a budget of 350.
    let results = race(&store, 10, |store, i| async move {
        let key = format!("k{i}");
        let value = vec![b'v'; 100 - key.len()];
        store
            .kv
            .set_within_budget("notes", "alice", &key, &value, 350)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        3,
        "{results:?}"
    );
    assert_eq!(store.kv.kv_used("notes", "alice").await.unwrap(), 300);
    assert_eq!(
        store.kv.kv_keys("notes", "alice", "").await.unwrap().len(),
        3
    );
}

pub async fn kv_forgets_a_friend(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let kv = &store.kv;
    for plugin in ["notes", "todo"] {
        for key in ["a", "b"] {
            kv.set_within_budget(plugin, "alice", key, b"1", 100)
                .await
                .unwrap()
                .unwrap();
        }
        kv.set_within_budget(plugin, "bob", "a", b"1", 100)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(kv.kv_forget_friend("alice").await.unwrap(), 4);
    assert!(kv.kv_keys("notes", "alice", "").await.unwrap().is_empty());
    assert_eq!(kv.kv_used("todo", "alice").await.unwrap(), 0);
    assert_eq!(kv.kv_keys("todo", "bob", "").await.unwrap(), ["a"]);
}
