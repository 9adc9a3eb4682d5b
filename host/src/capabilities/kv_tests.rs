use super::*;

fn limits(bytes: u64) -> HashMap<String, u64> {
    HashMap::from([("p".to_owned(), bytes)])
}

/// (prefix, full key) of `key` for plugin `p` and `friend`.
fn keys(friend: &str, key: &str) -> (Vec<u8>, Vec<u8>) {
    let prefix = prefix_of("p", friend);
    let mut full = prefix.clone();
    full.extend_from_slice(key.as_bytes());
    (prefix, full)
}

fn set(kv: &PluginKv, friend: &str, key: &str, value: &[u8]) -> Result<(), String> {
    let (prefix, full) = keys(friend, key);
    kv.set(&prefix, &full, value, kv.limit("p"))
}

fn delete(kv: &PluginKv, friend: &str, key: &str) -> bool {
    let (prefix, full) = keys(friend, key);
    kv.delete(&prefix, &full).unwrap()
}

#[test]
fn the_total_follows_writes_overwrites_and_deletes_and_holds_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let kv = PluginKv::open(&store, limits(100)).unwrap();
    set(&kv, "alice", "ab", &[0; 40]).unwrap();
    set(&kv, "alice", "cd", &[0; 40]).unwrap();
    assert_eq!(kv.used("p", "alice").unwrap(), 84);
    let full = set(&kv, "alice", "ef", &[0; 20]).unwrap_err();
    assert!(full.starts_with("kv is full"), "{full}");
    assert!(full.contains("at most 100 bytes, 84 are used"), "{full}");
    assert_eq!(
        kv.used("p", "alice").unwrap(),
        84,
        "a refused write counts nothing"
    );
    // Another friend, and another plugin's default, have room of their own.
    set(&kv, "bob", "ab", &[0; 90]).unwrap();
    assert_eq!(kv.used("p", "alice").unwrap(), 84);
    // Overwriting counts the difference; shrinking is always allowed.
    set(&kv, "alice", "ab", &[0; 50]).unwrap();
    assert_eq!(kv.used("p", "alice").unwrap(), 94);
    set(&kv, "alice", "ab", &[0; 1]).unwrap();
    assert_eq!(kv.used("p", "alice").unwrap(), 45);
    assert!(delete(&kv, "alice", "cd"));
    assert!(!delete(&kv, "alice", "cd"));
    assert_eq!(kv.used("p", "alice").unwrap(), 3);
    set(&kv, "alice", "ef", &[0; 95]).unwrap();
    assert_eq!(
        kv.used("p", "alice").unwrap(),
        100,
        "exactly the limit fits"
    );
}

#[test]
fn totals_survive_a_restart_and_an_older_store_is_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let kv = PluginKv::open(&store, limits(1000)).unwrap();
        set(&kv, "alice", "ab", &[0; 10]).unwrap();
        // Written by a build that kept no totals: raw, behind the totals' back.
        let (_, full) = keys("carol", "xyz");
        store
            .tree("plugin_kv")
            .unwrap()
            .insert(full, &[0; 7])
            .unwrap();
        store
            .tree("plugin_kv_totals")
            .unwrap()
            .remove(COUNTED)
            .unwrap();
        store.tree("plugin_kv_totals").unwrap().flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let kv = PluginKv::open(&store, limits(1000)).unwrap();
    assert_eq!(kv.used("p", "alice").unwrap(), 12);
    assert_eq!(kv.used("p", "carol").unwrap(), 10);
}

#[tokio::test]
async fn forgetting_a_friend_removes_entries_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let kv = PluginKv::open(&store, limits(1000)).unwrap();
    set(&kv, "alice", "a", b"1").unwrap();
    set(&kv, "alice", "b", b"2").unwrap();
    set(&kv, "alicea", "a", b"1").unwrap();
    assert_eq!(kv.forget_friend("alice").await.unwrap(), 2);
    assert_eq!(kv.used("p", "alice").unwrap(), 0);
    assert_eq!(
        kv.used("p", "alicea").unwrap(),
        2,
        "a longer id is someone else"
    );
    assert_eq!(kv.data.len(), 1);
}

#[test]
fn prefixes_end_at_the_second_nul() {
    assert_eq!(prefix_len(b"p\0alice\0key"), Some(8));
    assert_eq!(prefix_len(b"p\0\0key"), Some(3));
    assert_eq!(prefix_len(b"p\0alice"), None);
}
