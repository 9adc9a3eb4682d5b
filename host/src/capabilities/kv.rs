//! `kv`: bytes under the plugin's and the subject friend's prefix, in the host's store,
//! within a byte budget per (plugin, friend) (`kv_bytes_per_friend` in plugins.toml). The
//! store keeps the budget ([`KvStore::set_within_budget`]); here are the limits per plugin
//! and the sizes a plugin may ask for.

use std::collections::HashMap;
use std::sync::Arc;

use portal_store::{KvFull, KvStore, Store, StoreResult};

use crate::runtime::bindings::friend::portal::kv::Host;
use crate::runtime::store_data::{Scope, StoreData};

/// Keys and values stay small: kv is for plugin state, not files.
const MAX_KEY: usize = 512;
const MAX_VALUE: usize = 256 * 1024;

/// The friend part of a scope's prefix: `""` for routes without a subject friend.
fn friend_of(scope: &Scope) -> &str {
    scope.friend.as_deref().unwrap_or("")
}

/// The plugins' kv entries, with each plugin's budget.
pub struct PluginKv {
    store: Arc<dyn KvStore>,
    /// Bytes per (plugin, friend), by plugin; a plugin not listed gets `default_limit`.
    limits: HashMap<String, u64>,
    default_limit: u64,
}

/// What a plugin reads when its write would pass the budget.
fn full_message(KvFull { used, limit }: KvFull) -> String {
    format!(
        "kv is full: keys and values kept for this friend may take at most {limit} bytes, \
         {used} are used; delete or shrink some first"
    )
}

impl PluginKv {
    pub fn open(store: &Store, limits: HashMap<String, u64>) -> Self {
        Self {
            store: store.kv.clone(),
            limits,
            default_limit: crate::policy::plugins::DEFAULT_KV_BYTES_PER_FRIEND,
        }
    }

    fn limit(&self, plugin: &str) -> u64 {
        self.limits
            .get(plugin)
            .copied()
            .unwrap_or(self.default_limit)
    }

    /// Bytes (keys and values) the plugin keeps for the friend.
    pub async fn used(&self, plugin: &str, friend: &str) -> StoreResult<u64> {
        self.store.kv_used(plugin, friend).await
    }

    /// Removes everything every plugin keeps for `friend`, totals included; how many entries.
    pub async fn forget_friend(&self, friend: &str) -> StoreResult<usize> {
        self.store.kv_forget_friend(friend).await
    }
}

impl Host for StoreData {
    async fn get(&mut self, key: String) -> Option<Vec<u8>> {
        let kv = &self.services.kv;
        match kv
            .store
            .kv_get(&self.scope.plugin, friend_of(&self.scope), &key)
            .await
        {
            Ok(value) => value,
            Err(e) => {
                tracing::error!(plugin = %self.scope.plugin, error = %e, "kv get failed");
                None
            }
        }
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(format!("keys are 1-{MAX_KEY} bytes"));
        }
        if value.len() > MAX_VALUE {
            return Err(format!("values are at most {MAX_VALUE} bytes"));
        }
        let kv = &self.services.kv;
        let limit = kv.limit(&self.scope.plugin);
        kv.store
            .set_within_budget(
                &self.scope.plugin,
                friend_of(&self.scope),
                &key,
                &value,
                limit,
            )
            .await
            .map_err(|e| e.to_string())?
            .map_err(full_message)
    }

    async fn delete(&mut self, key: String) -> Result<bool, String> {
        let kv = &self.services.kv;
        kv.store
            .kv_delete(&self.scope.plugin, friend_of(&self.scope), &key)
            .await
            .map_err(|e| e.to_string())
    }

    async fn list_keys(&mut self, prefix_in_scope: String) -> Vec<String> {
        let kv = &self.services.kv;
        match kv
            .store
            .kv_keys(&self.scope.plugin, friend_of(&self.scope), &prefix_in_scope)
            .await
        {
            Ok(keys) => keys,
            Err(e) => {
                tracing::error!(plugin = %self.scope.plugin, error = %e, "kv list failed");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_kv_says_its_limit_and_what_is_used() {
        let message = full_message(KvFull {
            used: 84,
            limit: 100,
        });
        assert!(message.starts_with("kv is full"), "{message}");
        assert!(
            message.contains("at most 100 bytes, 84 are used"),
            "{message}"
        );
    }
}
