//! The plugins' key-value data (`kv` capability) as the store sees it: one tree, keys
//! `plugin \0 friend \0 key`. The capability reads and writes it; the store removes a
//! purged friend's part of it.

use super::{Store, StoreResult};

pub const PLUGIN_KV_TREE: &str = "plugin_kv";

/// Whether a `plugin \0 friend \0 key` key is `friend`'s.
fn is_friends(key: &[u8], friend: &str) -> bool {
    let mut parts = key.splitn(3, |b| *b == 0);
    let _plugin = parts.next();
    parts.next() == Some(friend.as_bytes()) && parts.next().is_some()
}

impl Store {
    /// Deletes every plugin's data for `friend`; returns how many keys went. A scan of the
    /// tree: purges are rare, and the key order puts the plugin first.
    pub async fn delete_plugin_kv_of(&self, friend: &str) -> StoreResult<usize> {
        let tree = self.tree(PLUGIN_KV_TREE)?;
        let mut deleted = 0;
        for key in tree.iter().keys() {
            let key = key?;
            if is_friends(&key, friend) {
                tree.remove(&key)?;
                deleted += 1;
            }
        }
        self.flush().await?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::is_friends;

    #[test]
    fn keys_belong_to_the_friend_in_their_second_part_only() {
        assert!(is_friends(b"secrets\0carol\0k", "carol"));
        assert!(is_friends(b"secrets\0carol\0", "carol"));
        assert!(!is_friends(b"secrets\0x-carol\0k", "carol"));
        assert!(!is_friends(b"carol\0bob\0k", "carol"));
        assert!(!is_friends(b"secrets\0\0carol", "carol"));
        assert!(!is_friends(b"secrets\0carol", "carol"));
    }
}
