//! Plugins' key-value data: bytes under a (plugin, friend) prefix, within a byte budget
//! per prefix. The budget counts each key (as the plugin names it) plus its value, and
//! holds under concurrent writers, overwrites, deletes and restarts.

use async_trait::async_trait;

use crate::StoreResult;

/// A write refused because the prefix would pass its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvFull {
    /// Bytes in use when the write was refused.
    pub used: u64,
    pub limit: u64,
}

/// What an entry costs against the budget.
pub fn kv_entry_bytes(key: &str, value: &[u8]) -> u64 {
    (key.len() + value.len()) as u64
}

/// `friend` is `""` for a plugin's data about no friend (routes without a subject).
#[async_trait]
pub trait KvStore: Send + Sync {
    async fn kv_get(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Sets the entry unless that grows the prefix past `limit` bytes (a write that does not
    /// grow it is always allowed). Concurrent writers never together pass the limit.
    async fn set_within_budget(
        &self,
        plugin: &str,
        friend: &str,
        key: &str,
        value: &[u8],
        limit: u64,
    ) -> StoreResult<Result<(), KvFull>>;

    /// `false` if there was no such entry.
    async fn kv_delete(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<bool>;

    /// Keys under the prefix starting with `starting`, in order.
    async fn kv_keys(&self, plugin: &str, friend: &str, starting: &str)
    -> StoreResult<Vec<String>>;

    /// Bytes the prefix holds.
    async fn kv_used(&self, plugin: &str, friend: &str) -> StoreResult<u64>;

    /// Removes what every plugin keeps for `friend`; how many entries.
    async fn kv_forget_friend(&self, friend: &str) -> StoreResult<usize>;
}
