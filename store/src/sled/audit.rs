//! The audit log (`audit`: `seq (BE)` -> entry; `audit_by_friend`: `friend \0 seq` -> ()).
//!
//! Kept to a bound per friend, so one friend's flood cannot push out the others' entries:
//! each friend's newest `kept_per_friend` entries, and the newest `kept` of the entries
//! about no friend (see [`AuditBounds`]). Past a bound by `batch`, that friend's oldest are
//! dropped down to it in one batch, so an append costs nothing extra but once per batch.
//! Every entry has an index line under its friend (`""` for none); the counts are taken at
//! start and kept in memory. Past `ceiling` entries in all (an agent naming ever new friend
//! ids makes ever new friends' logs), the oldest of all are dropped as well, so the log
//! stays bounded whatever.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use sled::Transactional;

use super::table::{decode, encode};
use super::{SledStore, pair_key, prefix_key};
use crate::{AuditBounds, AuditEntry, AuditLog, AuditQuery, StoreResult};

/// The log's size per friend, and its bounds (settable for tests and by policy).
pub(super) struct AuditBound {
    /// Entries per friend id (`""`: about no friend).
    counts: Mutex<HashMap<String, usize>>,
    /// Entries in all, and the most kept.
    total: AtomicUsize,
    ceiling: AtomicUsize,
    kept: AtomicUsize,
    kept_per_friend: AtomicUsize,
    batch: AtomicUsize,
    /// Held by the one append that trims; others carry on.
    trimming: Mutex<()>,
}

impl Default for AuditBound {
    fn default() -> Self {
        let bounds = AuditBounds::default();
        Self {
            counts: Mutex::new(HashMap::new()),
            total: AtomicUsize::new(0),
            ceiling: AtomicUsize::new(bounds.ceiling),
            kept: AtomicUsize::new(bounds.kept),
            kept_per_friend: AtomicUsize::new(bounds.kept_per_friend),
            batch: AtomicUsize::new(bounds.batch.max(1)),
            trimming: Mutex::new(()),
        }
    }
}

impl AuditBound {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is kept of `friend`'s entries (`""`: those about no friend).
    fn kept_for(&self, friend: &str) -> usize {
        if friend.is_empty() {
            self.kept.load(Ordering::SeqCst)
        } else {
            self.kept_per_friend.load(Ordering::SeqCst)
        }
    }
}

impl SledStore {
    /// Counts the log per friend once, at open; entries written before every entry had
    /// an index line (or left without one by a stop mid-trim) get theirs first.
    pub(super) fn count_audit(&self) -> StoreResult<()> {
        if self.audit.tree.len() != self.audit_by_friend.len() {
            for item in self.audit.tree.iter() {
                let (seq, bytes) = item?;
                let friend = decode::<AuditEntry>(&bytes)
                    .ok()
                    .and_then(|e| e.subject)
                    .unwrap_or_default();
                self.audit_by_friend.insert(pair_key(&friend, &seq), &[])?;
            }
        }
        let mut counts = HashMap::new();
        for key in self.audit_by_friend.iter().keys() {
            let key = key?;
            let friend = key.split(|b| *b == 0).next().unwrap_or_default();
            *counts
                .entry(String::from_utf8_lossy(friend).into_owned())
                .or_default() += 1;
        }
        let total = counts.values().sum();
        self.audit_bound.total.store(total, Ordering::SeqCst);
        *self.audit_bound.counts() = counts;
        Ok(())
    }

    async fn append_entry(&self, entry: &AuditEntry) -> StoreResult<()> {
        let entry = entry.bounded();
        let seq = self.generate_id()?.to_be_bytes();
        let bytes = encode(&entry)?;
        let friend = entry.subject.clone().unwrap_or_default();
        (&self.audit.tree, &self.audit_by_friend).transaction(|(audit, by_friend)| {
            audit.insert(seq.as_slice(), bytes.as_slice())?;
            by_friend.insert(pair_key(&friend, &seq), &[])?;
            Ok(())
        })?;
        let count = {
            let mut counts = self.audit_bound.counts();
            let count = counts.entry(friend.clone()).or_default();
            *count += 1;
            *count
        };
        let total = self.audit_bound.total.fetch_add(1, Ordering::SeqCst) + 1;
        let kept = self.audit_bound.kept_for(&friend);
        let batch = self.audit_bound.batch.load(Ordering::SeqCst);
        if count >= kept + batch {
            self.trim_audit(&friend, kept)?;
        }
        let ceiling = self.audit_bound.ceiling.load(Ordering::SeqCst);
        if total >= ceiling + batch {
            self.trim_oldest_audit(ceiling)?;
        }
        self.flush().await
    }

    /// Drops `friend`'s oldest entries down to `kept`, index line first: a stop half-way
    /// leaves at worst an entry without its index line, which the next open indexes again.
    fn trim_audit(&self, friend: &str, kept: usize) -> StoreResult<()> {
        let Ok(_trimming) = self.audit_bound.trimming.try_lock() else {
            return Ok(());
        };
        let count = self.audit_bound.counts().get(friend).copied().unwrap_or(0);
        let excess = count.saturating_sub(kept);
        let prefix = prefix_key(friend);
        let mut dropped = 0;
        for key in self
            .audit_by_friend
            .scan_prefix(&prefix)
            .keys()
            .take(excess)
        {
            let key = key?;
            self.audit_by_friend.remove(&key)?;
            self.audit.tree.remove(&key[prefix.len()..])?;
            dropped += 1;
        }
        if let Some(count) = self.audit_bound.counts().get_mut(friend) {
            *count = count.saturating_sub(dropped);
        }
        self.audit_bound.total.fetch_sub(dropped, Ordering::SeqCst);
        tracing::info!(dropped, kept, "oldest audit entries of one friend dropped");
        Ok(())
    }

    /// Drops the oldest entries of all down to `ceiling`, each with its index line.
    fn trim_oldest_audit(&self, ceiling: usize) -> StoreResult<()> {
        let Ok(_trimming) = self.audit_bound.trimming.try_lock() else {
            return Ok(());
        };
        let total = self.audit_bound.total.load(Ordering::SeqCst);
        let mut dropped: HashMap<String, usize> = HashMap::new();
        for item in self.audit.tree.iter().take(total.saturating_sub(ceiling)) {
            let (seq, bytes) = item?;
            let friend = decode::<AuditEntry>(&bytes)
                .ok()
                .and_then(|e| e.subject)
                .unwrap_or_default();
            self.audit_by_friend.remove(pair_key(&friend, &seq))?;
            self.audit.tree.remove(&seq)?;
            *dropped.entry(friend).or_default() += 1;
        }
        let mut counts = self.audit_bound.counts();
        for (friend, n) in &dropped {
            if let Some(count) = counts.get_mut(friend) {
                *count = count.saturating_sub(*n);
            }
        }
        let n: usize = dropped.values().sum();
        self.audit_bound.total.fetch_sub(n, Ordering::SeqCst);
        tracing::info!(dropped = n, ceiling, "oldest audit entries of all dropped");
        Ok(())
    }

    /// Newest first.
    fn entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        let mut out = Vec::with_capacity(query.limit.min(1024));
        match &query.friend {
            None => {
                for item in self.audit.tree.iter().rev().take(query.limit) {
                    out.push(decode(&item?.1)?);
                }
            }
            Some(friend) => {
                let prefix = prefix_key(friend);
                for item in self
                    .audit_by_friend
                    .scan_prefix(&prefix)
                    .rev()
                    .take(query.limit)
                {
                    let key = item?.0;
                    if let Some(value) = self.audit.tree.get(&key[prefix.len()..])? {
                        out.push(decode(&value)?);
                    }
                }
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl AuditLog for SledStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.append_entry(entry).await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        self.entries(query)
    }

    fn set_audit_bounds(&self, bounds: AuditBounds) {
        let bound = &self.audit_bound;
        bound.kept.store(bounds.kept, Ordering::SeqCst);
        bound
            .kept_per_friend
            .store(bounds.kept_per_friend, Ordering::SeqCst);
        bound.batch.store(bounds.batch.max(1), Ordering::SeqCst);
        bound.ceiling.store(bounds.ceiling, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AUDIT_FIELD_MAX;
    use chrono::Utc;

    fn open(dir: &std::path::Path) -> SledStore {
        SledStore::open(dir, super::super::DEFAULT_CACHE_BYTES).unwrap()
    }

    fn bounds(kept: usize, batch: usize, kept_per_friend: usize, ceiling: usize) -> AuditBounds {
        AuditBounds {
            kept,
            kept_per_friend,
            batch,
            ceiling,
        }
    }

    fn entry(n: usize, friend: Option<&str>) -> AuditEntry {
        AuditEntry {
            at: Utc::now(),
            caller: "admin".into(),
            action: format!("POST /n/{n}"),
            subject: friend.map(str::to_owned),
            status: 200,
            request_id: format!("r{n}"),
        }
    }

    async fn actions(store: &SledStore, friend: Option<&str>) -> Vec<String> {
        let query = AuditQuery {
            friend: friend.map(str::to_owned),
            limit: 1000,
        };
        let entries = store.audit_entries(&query).await.unwrap();
        entries.into_iter().map(|e| e.action).collect()
    }

    fn newest(range: std::ops::Range<usize>) -> Vec<String> {
        range.rev().map(|n| format!("POST /n/{n}")).collect()
    }

    #[tokio::test]
    async fn each_friends_oldest_entries_and_their_index_lines_are_dropped_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.set_audit_bounds(bounds(3, 2, 4, 1_000_000));
        // bob's two, then alice's flood: bob's stay.
        for n in 0..2 {
            store.append_audit(&entry(n, Some("bob"))).await.unwrap();
        }
        for n in 2..7 {
            store.append_audit(&entry(n, Some("alice"))).await.unwrap();
        }
        assert_eq!(store.audit.tree.len(), 7, "below kept + batch: untouched");
        store.append_audit(&entry(7, Some("alice"))).await.unwrap();
        assert_eq!(
            actions(&store, Some("alice")).await,
            newest(4..8),
            "trimmed to 4"
        );
        assert_eq!(
            actions(&store, Some("bob")).await,
            newest(0..2),
            "bob's untouched"
        );
        assert_eq!(store.audit.tree.len(), 6);
        assert_eq!(store.audit_by_friend.len(), 6, "no index line left over");

        // Entries about no friend have their own bound.
        for n in 8..13 {
            store.append_audit(&entry(n, None)).await.unwrap();
        }
        assert_eq!(
            store.audit.tree.len(),
            9,
            "3 about no friend, bob's 2, alice's 4"
        );
        assert_eq!(actions(&store, Some("bob")).await, newest(0..2));

        // The counts are taken again at open.
        drop(store);
        let store = open(dir.path());
        store.set_audit_bounds(bounds(3, 2, 4, 1_000_000));
        store.append_audit(&entry(13, Some("alice"))).await.unwrap();
        assert_eq!(
            actions(&store, Some("alice")).await.len(),
            5,
            "below kept + batch"
        );
        store.append_audit(&entry(14, Some("alice"))).await.unwrap();
        let alice = ["POST /n/14", "POST /n/13", "POST /n/7", "POST /n/6"];
        assert_eq!(
            actions(&store, Some("alice")).await,
            alice,
            "trimmed after the restart too"
        );
        assert_eq!(store.audit_by_friend.len(), store.audit.tree.len());
    }

    #[tokio::test]
    async fn entries_from_before_the_index_of_entries_about_no_friend_are_indexed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        // As an older version wrote it: an entry about no friend, with no index line.
        let old = entry(0, None);
        store
            .audit
            .tree
            .insert(
                store.generate_id().unwrap().to_be_bytes(),
                encode(&old).unwrap(),
            )
            .unwrap();
        drop(store);
        let store = open(dir.path());
        store.set_audit_bounds(bounds(1, 1, 10_000, 1_000_000));
        store.append_audit(&entry(1, None)).await.unwrap();
        assert_eq!(
            actions(&store, None).await,
            ["POST /n/1"],
            "the old one was counted and dropped"
        );
        assert_eq!(store.audit_by_friend.len(), 1);
    }

    #[tokio::test]
    async fn past_the_ceiling_the_oldest_of_all_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.set_audit_bounds(bounds(100, 2, 10_000, 5));
        // One entry each about ever new friends: no friend's own bound is ever reached.
        let friends: Vec<String> = (0..7).map(|n| format!("f{n}")).collect();
        for (n, friend) in friends.iter().enumerate() {
            store.append_audit(&entry(n, Some(friend))).await.unwrap();
        }
        assert_eq!(
            actions(&store, None).await,
            newest(2..7),
            "trimmed to 5 at 7"
        );
        assert_eq!(store.audit_by_friend.len(), 5);
        assert!(actions(&store, Some("f0")).await.is_empty());
        assert_eq!(actions(&store, Some("f6")).await, newest(6..7));
    }

    #[tokio::test]
    async fn every_field_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let huge = "é".repeat(100_000);
        let entry = AuditEntry {
            at: Utc::now(),
            caller: huge.clone(),
            action: huge.clone(),
            subject: Some(huge.clone()),
            status: 200,
            request_id: huge,
        };
        store.append_audit(&entry).await.unwrap();
        let stored = &store
            .audit_entries(&AuditQuery {
                friend: None,
                limit: 1,
            })
            .await
            .unwrap()[0];
        for field in [&stored.caller, &stored.action, &stored.request_id] {
            assert!(
                field.len() <= AUDIT_FIELD_MAX && field.starts_with('é'),
                "{}",
                field.len()
            );
        }
        assert!(
            stored
                .subject
                .as_ref()
                .is_some_and(|s| s.len() <= AUDIT_FIELD_MAX)
        );
    }
}
