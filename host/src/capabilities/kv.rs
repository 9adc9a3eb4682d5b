//! `kv`: bytes under the plugin's and the subject friend's prefix, in the host's store,
//! within a byte budget per (plugin, friend) (`kv_bytes_per_friend` in plugins.toml).
//!
//! The budget counts the key (as the plugin names it) plus the value, of every entry under
//! the prefix. A running total per prefix lives in its own tree and changes in the same
//! transaction as the entry, so a write costs two reads and two inserts, never a scan, and
//! the total is right after an overwrite, a delete, concurrent writers and a restart.

use std::collections::HashMap;

use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
};

use crate::runtime::bindings::friend::portal::kv::Host;
use crate::runtime::store_data::{Scope, StoreData};
use crate::store::{Flusher, Store, StoreResult};

/// Keys and values stay small: kv is for plugin state, not files.
const MAX_KEY: usize = 512;
const MAX_VALUE: usize = 256 * 1024;
/// In the totals tree, marks that the totals cover every entry (plugin names never start
/// with NUL, so no prefix collides with it).
const COUNTED: &[u8] = b"\0counted";

/// `plugin \0 friend \0`, or `plugin \0 \0` for routes without a subject friend.
fn prefix(scope: &Scope) -> Vec<u8> {
    prefix_of(&scope.plugin, scope.friend.as_deref().unwrap_or(""))
}

fn prefix_of(plugin: &str, friend: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(plugin.len() + friend.len() + 2);
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p.extend_from_slice(friend.as_bytes());
    p.push(0);
    p
}

fn full_key(scope: &Scope, key: &str) -> Vec<u8> {
    let mut k = prefix(scope);
    k.extend_from_slice(key.as_bytes());
    k
}

fn total(bytes: Option<sled::IVec>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
}

/// The prefix of a stored key: up to and including its second NUL.
fn prefix_len(key: &[u8]) -> Option<usize> {
    let first = key.iter().position(|b| *b == 0)?;
    let second = key[first + 1..].iter().position(|b| *b == 0)?;
    Some(first + second + 2)
}

/// A write refused: the total it found and the limit.
struct Full {
    used: u64,
    limit: u64,
}

/// The plugins' kv entries and their totals.
pub struct PluginKv {
    data: sled::Tree,
    totals: sled::Tree,
    /// Bytes per (plugin, friend), by plugin; a plugin not listed gets `default_limit`.
    limits: HashMap<String, u64>,
    default_limit: u64,
    flusher: Flusher,
}

impl PluginKv {
    pub fn open(store: &Store, limits: HashMap<String, u64>) -> StoreResult<Self> {
        let kv = Self {
            data: store.tree("plugin_kv")?,
            totals: store.tree("plugin_kv_totals")?,
            limits,
            default_limit: crate::policy::plugins::DEFAULT_KV_BYTES_PER_FRIEND,
            flusher: store.flusher(),
        };
        kv.count_once()?;
        Ok(kv)
    }

    /// A store written before totals were kept is counted once, at start.
    fn count_once(&self) -> StoreResult<()> {
        if self.totals.contains_key(COUNTED)? {
            return Ok(());
        }
        let mut totals: HashMap<Vec<u8>, u64> = HashMap::new();
        for item in self.data.iter() {
            let (key, value) = item?;
            if let Some(len) = prefix_len(&key) {
                *totals.entry(key[..len].to_vec()).or_default() +=
                    (key.len() - len + value.len()) as u64;
            }
        }
        for (prefix, bytes) in totals {
            self.totals.insert(prefix, &bytes.to_be_bytes())?;
        }
        self.totals.insert(COUNTED, &[])?;
        self.totals.flush()?;
        Ok(())
    }

    fn limit(&self, plugin: &str) -> u64 {
        self.limits
            .get(plugin)
            .copied()
            .unwrap_or(self.default_limit)
    }

    /// Bytes (keys and values) the plugin keeps for the friend.
    pub fn used(&self, plugin: &str, friend: &str) -> StoreResult<u64> {
        Ok(total(self.totals.get(prefix_of(plugin, friend))?))
    }

    /// Sets `full` under `prefix`, unless that grows the prefix's total past `limit`
    /// (a write that shrinks it is always allowed).
    fn set(&self, prefix: &[u8], full: &[u8], value: &[u8], limit: u64) -> Result<(), String> {
        let key_len = (full.len() - prefix.len()) as u64;
        let result = (&self.data, &self.totals).transaction(|(data, totals)| {
            let used = total(totals.get(prefix)?);
            let old = data.get(full)?.map_or(0, |v| key_len + v.len() as u64);
            let new = key_len + value.len() as u64;
            let after = used.saturating_sub(old) + new;
            if new > old && after > limit {
                return Err(ConflictableTransactionError::Abort(Full { used, limit }));
            }
            data.insert(full, value)?;
            totals.insert(prefix, &after.to_be_bytes())?;
            Ok(())
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(Full { used, limit })) => Err(format!(
                "kv is full: keys and values kept for this friend may take at most {limit} \
                 bytes, {used} are used; delete or shrink some first"
            )),
            Err(TransactionError::Storage(e)) => Err(e.to_string()),
        }
    }

    fn delete(&self, prefix: &[u8], full: &[u8]) -> Result<bool, String> {
        let key_len = (full.len() - prefix.len()) as u64;
        (&self.data, &self.totals)
            .transaction(
                |(data, totals)| -> ConflictableTransactionResult<bool, ()> {
                    let Some(old) = data.remove(full)? else {
                        return Ok(false);
                    };
                    let used = total(totals.get(prefix)?);
                    let after = used.saturating_sub(key_len + old.len() as u64);
                    totals.insert(prefix, &after.to_be_bytes())?;
                    Ok(true)
                },
            )
            .map_err(|e| match e {
                TransactionError::Storage(e) => e.to_string(),
                TransactionError::Abort(()) => "kv delete aborted".to_owned(),
            })
    }

    /// Removes everything every plugin keeps for `friend`, totals included; how many entries.
    pub async fn forget_friend(&self, friend: &str) -> StoreResult<usize> {
        let mut removed = 0;
        let mut prefixes = Vec::new();
        for key in self.totals.iter().keys() {
            let key = key?;
            if key.as_ref() != COUNTED
                && prefix_len(&key) == Some(key.len())
                && key.split(|b| *b == 0).nth(1) == Some(friend.as_bytes())
            {
                prefixes.push(key);
            }
        }
        for prefix in prefixes {
            for key in self.data.scan_prefix(&prefix).keys() {
                self.data.remove(key?)?;
                removed += 1;
            }
            self.totals.remove(prefix)?;
        }
        self.flusher.flush().await?;
        Ok(removed)
    }
}

impl Host for StoreData {
    async fn get(&mut self, key: String) -> Option<Vec<u8>> {
        match self.services.kv.data.get(full_key(&self.scope, &key)) {
            Ok(value) => value.map(|v| v.to_vec()),
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
        kv.set(
            &prefix(&self.scope),
            &full_key(&self.scope, &key),
            &value,
            limit,
        )?;
        kv.flusher.flush().await.map_err(|e| e.to_string())?;
        Ok(())
    }

    async fn delete(&mut self, key: String) -> Result<bool, String> {
        let kv = &self.services.kv;
        let existed = kv.delete(&prefix(&self.scope), &full_key(&self.scope, &key))?;
        kv.flusher.flush().await.map_err(|e| e.to_string())?;
        Ok(existed)
    }

    async fn list_keys(&mut self, prefix_in_scope: String) -> Vec<String> {
        let base = prefix(&self.scope);
        let mut start = base.clone();
        start.extend_from_slice(prefix_in_scope.as_bytes());
        self.services
            .kv
            .data
            .scan_prefix(&start)
            .keys()
            .filter_map(Result::ok)
            .map(|k| String::from_utf8_lossy(&k[base.len()..]).into_owned())
            .collect()
    }
}

#[cfg(test)]
#[path = "kv_tests.rs"]
mod tests;
