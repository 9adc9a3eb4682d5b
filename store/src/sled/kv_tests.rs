use super::*;

fn open(dir: &std::path::Path) -> SledStore {
    SledStore::open(dir, super::super::DEFAULT_CACHE_BYTES).unwrap()
}

async fn set(
    kv: &SledStore,
    friend: &str,
    key: &str,
    value: &[u8],
    limit: u64,
) -> Result<(), KvFull> {
    kv.set_within_budget("p", friend, key, value, limit)
        .await
        .unwrap()
}

async fn used(kv: &SledStore, friend: &str) -> u64 {
    kv.kv_used("p", friend).await.unwrap()
}

#[tokio::test]
async fn the_total_follows_writes_overwrites_and_deletes_and_holds_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open(dir.path());
    set(&kv, "alice", "ab", &[0; 40], 100).await.unwrap();
    set(&kv, "alice", "cd", &[0; 40], 100).await.unwrap();
    assert_eq!(used(&kv, "alice").await, 84);
    let full = set(&kv, "alice", "ef", &[0; 20], 100).await.unwrap_err();
    assert_eq!(
        full,
        KvFull {
            used: 84,
            limit: 100
        }
    );
    assert_eq!(
        used(&kv, "alice").await,
        84,
        "a refused write counts nothing"
    );
    assert_eq!(kv.kv_get("p", "alice", "ef").await.unwrap(), None);
    // Another friend has room of their own.
    set(&kv, "bob", "ab", &[0; 90], 100).await.unwrap();
    assert_eq!(used(&kv, "alice").await, 84);
    // Overwriting counts the difference; shrinking is always allowed.
    set(&kv, "alice", "ab", &[0; 50], 100).await.unwrap();
    assert_eq!(used(&kv, "alice").await, 94);
    set(&kv, "alice", "ab", &[0; 1], 100).await.unwrap();
    assert_eq!(used(&kv, "alice").await, 45);
    assert!(kv.kv_delete("p", "alice", "cd").await.unwrap());
    assert!(!kv.kv_delete("p", "alice", "cd").await.unwrap());
    assert_eq!(used(&kv, "alice").await, 3);
    set(&kv, "alice", "ef", &[0; 95], 100).await.unwrap();
    assert_eq!(used(&kv, "alice").await, 100, "exactly the limit fits");
    assert_eq!(kv.kv_keys("p", "alice", "").await.unwrap(), ["ab", "ef"]);
    assert_eq!(kv.kv_keys("p", "alice", "e").await.unwrap(), ["ef"]);
}

#[tokio::test]
async fn concurrent_writers_never_together_pass_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let kv = std::sync::Arc::new(open(dir.path()));
    let writers: Vec<_> = (0..16)
        .map(|i| {
            let kv = kv.clone();
            tokio::spawn(async move {
                let key = format!("k{i:02}");
                kv.set_within_budget("p", "alice", &key, &[0; 7], 50)
                    .await
                    .unwrap()
                    .is_ok()
            })
        })
        .collect();
    let mut won = 0;
    for writer in writers {
        won += usize::from(writer.await.unwrap());
    }
    // Each entry is 3 + 7 bytes: five fit in 50.
    assert_eq!(won, 5);
    assert_eq!(used(&kv, "alice").await, 50);
}

#[tokio::test]
async fn totals_survive_a_restart_and_an_older_store_is_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kv = open(dir.path());
        set(&kv, "alice", "ab", &[0; 10], 1000).await.unwrap();
        // Written by a build that kept no totals: raw, behind the totals' back.
        kv.kv
            .data
            .insert(full_key("p", "carol", "xyz"), &[0; 7])
            .unwrap();
        kv.kv.totals.remove(COUNTED).unwrap();
        kv.kv
            .totals
            .insert(prefix_of("p", "alice"), &0u64.to_be_bytes())
            .unwrap();
        kv.db.flush().unwrap();
    }
    let kv = open(dir.path());
    assert_eq!(used(&kv, "alice").await, 12);
    assert_eq!(used(&kv, "carol").await, 10);
}

#[tokio::test]
async fn forgetting_a_friend_removes_entries_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let kv = open(dir.path());
    set(&kv, "alice", "a", b"1", 1000).await.unwrap();
    set(&kv, "alice", "b", b"2", 1000).await.unwrap();
    set(&kv, "alicea", "a", b"1", 1000).await.unwrap();
    assert_eq!(kv.kv_forget_friend("alice").await.unwrap(), 2);
    assert_eq!(used(&kv, "alice").await, 0);
    assert_eq!(used(&kv, "alicea").await, 2, "a longer id is someone else");
    assert_eq!(kv.kv.data.len(), 1);
}

#[test]
fn prefixes_end_at_the_second_nul() {
    assert_eq!(prefix_len(b"p\0alice\0key"), Some(8));
    assert_eq!(prefix_len(b"p\0\0key"), Some(3));
    assert_eq!(prefix_len(b"p\0alice"), None);
}
