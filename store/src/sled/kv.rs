//! Plugins' kv entries (`plugin_kv`: `plugin \0 friend \0 key` -> value) and a running
//! total per prefix (`plugin_kv_totals`: `plugin \0 friend \0` -> u64 BE), changed in the
//! same transaction as the entry: a write costs two reads and two inserts, never a scan,
//! and the total is right after an overwrite, a delete, concurrent writers and a restart.

use std::collections::HashMap;

use async_trait::async_trait;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{SledStore, be_u64};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::{KvFull, KvStore, Record, StoreError, StoreResult, kv_entry_bytes};

/// In the totals tree, marks that the totals cover every entry (plugin names never start
/// with NUL, so no prefix collides with it).
const COUNTED: &[u8] = b"\0counted";

pub(super) struct KvTrees {
    pub(super) data: sled::Tree,
    totals: sled::Tree,
}

/// `plugin \0 friend \0` (`friend` is `""` for routes without a subject friend).
fn prefix_of(plugin: &str, friend: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(plugin.len() + friend.len() + 2);
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p.extend_from_slice(friend.as_bytes());
    p.push(0);
    p
}

fn full_key(plugin: &str, friend: &str, key: &str) -> Vec<u8> {
    let mut k = prefix_of(plugin, friend);
    k.extend_from_slice(key.as_bytes());
    k
}

fn total(bytes: Option<sled::IVec>) -> u64 {
    be_u64(bytes.as_deref())
}

/// The prefix of a stored key: up to and including its second NUL.
pub(super) fn prefix_len(key: &[u8]) -> Option<usize> {
    let first = key.iter().position(|b| *b == 0)?;
    let second = key[first + 1..].iter().position(|b| *b == 0)?;
    Some(first + second + 2)
}

impl KvTrees {
    pub(super) fn open(db: &sled::Db) -> StoreResult<Self> {
        Ok(Self {
            data: db.open_tree("plugin_kv")?,
            totals: db.open_tree("plugin_kv_totals")?,
        })
    }

    /// A store written before totals were kept is counted once, at start.
    pub(super) fn count_once(&self) -> StoreResult<()> {
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

    /// Sets the entry unless that grows the prefix's total past `limit` (a write that
    /// shrinks it is always allowed).
    fn set(
        &self,
        plugin: &str,
        friend: &str,
        key: &str,
        value: &[u8],
        limit: u64,
    ) -> StoreResult<Result<(), KvFull>> {
        let prefix = prefix_of(plugin, friend);
        let full = full_key(plugin, friend, key);
        let result = (&self.data, &self.totals).transaction(|(data, totals)| {
            let used = total(totals.get(prefix.as_slice())?);
            let old = data
                .get(full.as_slice())?
                .map_or(0, |v| kv_entry_bytes(key, &v));
            let new = kv_entry_bytes(key, value);
            let after = used.saturating_sub(old) + new;
            if new > old && after > limit {
                return Err(ConflictableTransactionError::Abort(KvFull { used, limit }));
            }
            data.insert(full.as_slice(), value)?;
            totals.insert(prefix.as_slice(), &after.to_be_bytes())?;
            Ok(())
        });
        match result {
            Ok(()) => Ok(Ok(())),
            Err(TransactionError::Abort(full)) => Ok(Err(full)),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    fn delete(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<bool> {
        let prefix = prefix_of(plugin, friend);
        let full = full_key(plugin, friend, key);
        (&self.data, &self.totals)
            .transaction(|(data, totals)| {
                let Some(old) = data.remove(full.as_slice())? else {
                    return Ok(false);
                };
                let used = total(totals.get(prefix.as_slice())?);
                let after = used.saturating_sub(kv_entry_bytes(key, &old));
                totals.insert(prefix.as_slice(), &after.to_be_bytes())?;
                Ok(true)
            })
            .map_err(StoreError::from)
    }

    /// Every entry as a record, in key order (for export).
    pub(super) fn records(&self) -> StoreResult<Vec<Record>> {
        let mut out = Vec::new();
        for item in self.data.iter() {
            let (key, value) = item?;
            let Some(len) = prefix_len(&key) else {
                continue;
            };
            let mut parts = key[..len - 1].split(|b| *b == 0);
            let plugin = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            let friend = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            out.push(Record::Kv {
                plugin,
                friend,
                key: String::from_utf8_lossy(&key[len..]).into_owned(),
                value_base64: BASE64.encode(value),
            });
        }
        Ok(out)
    }

    /// Writes an entry with no budget (import: the budget held where it came from).
    pub(super) fn restore(
        &self,
        plugin: &str,
        friend: &str,
        key: &str,
        value: &[u8],
    ) -> StoreResult<()> {
        self.set(plugin, friend, key, value, u64::MAX)?
            .map_err(|_| StoreError::Conflict("kv budget".into()))
    }
}

#[async_trait]
impl KvStore for SledStore {
    async fn kv_get(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .kv
            .data
            .get(full_key(plugin, friend, key))?
            .map(|v| v.to_vec()))
    }

    async fn set_within_budget(
        &self,
        plugin: &str,
        friend: &str,
        key: &str,
        value: &[u8],
        limit: u64,
    ) -> StoreResult<Result<(), KvFull>> {
        let outcome = self.kv.set(plugin, friend, key, value, limit)?;
        if outcome.is_ok() {
            self.flush().await?;
        }
        Ok(outcome)
    }

    async fn kv_delete(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<bool> {
        let existed = self.kv.delete(plugin, friend, key)?;
        self.flush().await?;
        Ok(existed)
    }

    async fn kv_keys(
        &self,
        plugin: &str,
        friend: &str,
        starting: &str,
    ) -> StoreResult<Vec<String>> {
        let base = prefix_of(plugin, friend);
        let start = full_key(plugin, friend, starting);
        self.kv
            .data
            .scan_prefix(&start)
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?[base.len()..]).into_owned()))
            .collect()
    }

    async fn kv_used(&self, plugin: &str, friend: &str) -> StoreResult<u64> {
        Ok(total(self.kv.totals.get(prefix_of(plugin, friend))?))
    }

    /// Removes everything every plugin keeps for `friend`, totals included.
    async fn kv_forget_friend(&self, friend: &str) -> StoreResult<usize> {
        let mut removed = 0;
        let mut prefixes = Vec::new();
        for key in self.kv.totals.iter().keys() {
            let key = key?;
            if key.as_ref() != COUNTED
                && prefix_len(&key) == Some(key.len())
                && key.split(|b| *b == 0).nth(1) == Some(friend.as_bytes())
            {
                prefixes.push(key);
            }
        }
        for prefix in prefixes {
            for key in self.kv.data.scan_prefix(&prefix).keys() {
                self.kv.data.remove(key?)?;
                removed += 1;
            }
            self.kv.totals.remove(prefix)?;
        }
        self.flush().await?;
        Ok(removed)
    }
}

#[cfg(test)]
#[path = "kv_tests.rs"]
mod tests;
