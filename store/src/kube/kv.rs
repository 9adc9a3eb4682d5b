//! Plugin kv: a [`KvEntry`] object per key (values are at most 256 KiB, so no object
//! nears the request limit), and the prefix's bytes in use in a [`PortalQuota`] named
//! `kv.<prefix>`. A write that grows the prefix reserves the growth on the quota by
//! compare-and-swap first (refused past the limit), then writes the entry on the version
//! it measured; if the entry changed meanwhile, the reservation is corrected to what the
//! write really adds. A shrink is given back after the write. So the bytes counted are
//! never fewer than the bytes kept, and concurrent writers never pass the limit.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::KubeStore;
use super::crds::{KvEntry, KvEntrySpec, PortalQuota, PortalQuotaSpec};
use super::names::{
    FRIEND_LABEL, PREFIX_LABEL, friend_selector, kv_name, kv_prefix, kv_quota, labels,
};
use super::objects::{Removed, Replaced, Step};
use crate::domain::{KvFull, KvStore, kv_entry_bytes};
use crate::{StoreError, StoreResult};

fn size_of(entry: Option<&KvEntry>) -> u64 {
    entry.map_or(0, |e| {
        let value = STANDARD.decode(&e.spec.value).map(|v| v.len()).unwrap_or(0);
        (e.spec.key.len() + value) as u64
    })
}

impl KubeStore {
    /// Gives `bytes` back to the prefix's budget (a shrink, a reservation not used).
    async fn give_back(&self, quota: &str, bytes: i64) -> StoreResult<()> {
        // A decrease is never refused.
        let _ = self.reserve(quota, -bytes, u64::MAX).await?;
        Ok(())
    }

    /// Moves the prefix's bytes in use by `delta`; a growth past `limit` is refused.
    async fn reserve(
        &self,
        quota: &str,
        delta: i64,
        limit: u64,
    ) -> StoreResult<Result<(), KvFull>> {
        loop {
            let moved = self
                .quotas
                .update(quota, |q| {
                    let used = q.spec.used;
                    let after = used.saturating_add_signed(delta);
                    if delta > 0 && after > limit {
                        return Ok(Step::Keep(Err(KvFull { used, limit })));
                    }
                    q.spec.used = after;
                    Ok(Step::Write(Ok(())))
                })
                .await?;
            if let Some(moved) = moved {
                return Ok(moved);
            }
            if delta <= 0 {
                return Ok(Ok(()));
            }
            if delta as u64 > limit {
                return Ok(Err(KvFull { used: 0, limit }));
            }
            let spec = PortalQuotaSpec {
                held: Default::default(),
                used: delta as u64,
            };
            if self
                .quotas
                .create(&PortalQuota::new(quota, spec))
                .await?
                .is_some()
            {
                return Ok(Ok(()));
            }
        }
    }
}

#[async_trait]
impl KvStore for KubeStore {
    async fn kv_get(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.kv
            .cached(&kv_name(plugin, friend, key))
            .map(|e| STANDARD.decode(&e.spec.value).map_err(StoreError::backend))
            .transpose()
    }

    async fn set_within_budget(
        &self,
        plugin: &str,
        friend: &str,
        key: &str,
        value: &[u8],
        limit: u64,
    ) -> StoreResult<Result<(), KvFull>> {
        let name = kv_name(plugin, friend, key);
        let quota = kv_quota(plugin, friend);
        let new = kv_entry_bytes(key, value) as i64;
        let mut current = self.kv.current(&name).await?;
        let mut reserved: i64 = 0;
        for _ in 0..50 {
            let growth = new - size_of(current.as_ref()) as i64;
            if growth > reserved {
                if let Err(full) = self.reserve(&quota, growth - reserved, limit).await? {
                    if reserved > 0 {
                        self.give_back(&quota, reserved).await?;
                    }
                    return Ok(Err(full));
                }
                reserved = growth;
            }
            self.pause("kv_reserved").await;
            let spec = KvEntrySpec {
                plugin: plugin.to_owned(),
                friend: friend.to_owned(),
                key: key.to_owned(),
                value: STANDARD.encode(value),
            };
            let written = match current {
                Some(mut entry) => {
                    entry.spec = spec;
                    matches!(self.kv.replace(&entry).await?, Replaced::Done(_))
                }
                None => {
                    let mut entry = KvEntry::new(&name, spec);
                    entry.metadata.labels = labels(&[
                        (PREFIX_LABEL, &kv_prefix(plugin, friend)),
                        (FRIEND_LABEL, friend),
                    ]);
                    self.kv.create(&entry).await?.is_some()
                }
            };
            if written {
                // Give back what was reserved but not grown, and any shrink.
                let surplus = reserved - growth;
                if surplus > 0 {
                    self.give_back(&quota, surplus).await?;
                }
                return Ok(Ok(()));
            }
            current = self.kv.fetch(&name).await?;
        }
        if reserved > 0 {
            self.give_back(&quota, reserved).await?;
        }
        Err(StoreError::Contended(format!("kv key of {plugin}")))
    }

    async fn kv_delete(&self, plugin: &str, friend: &str, key: &str) -> StoreResult<bool> {
        let name = kv_name(plugin, friend, key);
        let mut current = self.kv.current(&name).await?;
        for _ in 0..50 {
            let Some(entry) = current else {
                return Ok(false);
            };
            match self.kv.delete(&name, Some(&entry)).await? {
                Removed::Deleted => {
                    let freed = size_of(Some(&entry)) as i64;
                    self.give_back(&kv_quota(plugin, friend), freed).await?;
                    return Ok(true);
                }
                Removed::Absent => return Ok(false),
                Removed::Stale => current = self.kv.fetch(&name).await?,
            }
        }
        Err(StoreError::Contended(format!("kv key of {plugin}")))
    }

    async fn kv_keys(
        &self,
        plugin: &str,
        friend: &str,
        starting: &str,
    ) -> StoreResult<Vec<String>> {
        let prefix = kv_prefix(plugin, friend);
        let mut keys: Vec<String> = self
            .kv
            .all()
            .iter()
            .filter(|e| {
                e.metadata.labels.as_ref().and_then(|l| l.get(PREFIX_LABEL)) == Some(&prefix)
                    && e.spec.plugin == plugin
                    && e.spec.friend == friend
                    && e.spec.key.starts_with(starting)
            })
            .map(|e| e.spec.key.clone())
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn kv_used(&self, plugin: &str, friend: &str) -> StoreResult<u64> {
        Ok(self
            .quotas
            .cached(&kv_quota(plugin, friend))
            .map_or(0, |q| q.spec.used))
    }

    async fn kv_forget_friend(&self, friend: &str) -> StoreResult<usize> {
        let entries = self.kv.list_direct(&friend_selector(friend)).await?;
        let mut quotas = std::collections::BTreeSet::new();
        for entry in &entries {
            let name = entry.metadata.name.clone().unwrap_or_default();
            self.kv.delete(&name, None).await?;
            quotas.insert(kv_quota(&entry.spec.plugin, friend));
        }
        for quota in quotas {
            self.quotas.delete(&quota, None).await?;
        }
        Ok(entries.len())
    }
}
