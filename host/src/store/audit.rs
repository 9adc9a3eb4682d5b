//! The audit log: one entry per mutating request, never a token or a secret value.
//!
//! Kept to a bound: past [`AUDIT_KEPT`] entries by [`AUDIT_TRIM_BATCH`], the oldest are
//! dropped (from the log and from the per-friend index) down to [`AUDIT_KEPT`], in one
//! batch, so an append costs nothing extra but once per batch. The count is taken at
//! start and kept in memory.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::table::{decode, encode};
use super::{Store, StoreResult, pair_key, prefix_key};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// `admin`, `agent:<id>`, `friend:<id>` or `anonymous`.
    pub caller: String,
    /// Method and route template, e.g. `POST /api/friends/{id}/sessions`.
    pub action: String,
    /// The friend the request acted on, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub status: u16,
    pub request_id: String,
}

/// Entries kept: at about 200 bytes each, some 20 MB of store.
pub const AUDIT_KEPT: usize = 100_000;
/// How far past [`AUDIT_KEPT`] the log grows before the oldest are dropped at once.
pub const AUDIT_TRIM_BATCH: usize = 1_000;

/// The log's size, and its bound (settable for tests).
pub(crate) struct AuditBound {
    count: AtomicUsize,
    kept: AtomicUsize,
    batch: AtomicUsize,
    /// Held by the one append that trims; others carry on.
    trimming: Mutex<()>,
}

impl Default for AuditBound {
    fn default() -> Self {
        Self {
            count: AtomicUsize::new(0),
            kept: AtomicUsize::new(AUDIT_KEPT),
            batch: AtomicUsize::new(AUDIT_TRIM_BATCH),
            trimming: Mutex::new(()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub friend: Option<String>,
    pub limit: usize,
}

impl Store {
    /// Counts the log once, at open.
    pub(crate) fn count_audit(&self) {
        let count = self.audit.tree.len();
        self.audit_bound.count.store(count, Ordering::SeqCst);
    }

    /// Keeps `kept` entries, trimming once `batch` more have arrived (tests use small ones).
    pub fn set_audit_bound(&self, kept: usize, batch: usize) {
        self.audit_bound.kept.store(kept, Ordering::SeqCst);
        self.audit_bound.batch.store(batch.max(1), Ordering::SeqCst);
    }

    pub async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let seq = self.generate_id()?.to_be_bytes();
        let bytes = encode(entry)?;
        (&self.audit.tree, &self.audit_by_friend).transaction(|(audit, by_friend)| {
            audit.insert(seq.as_slice(), bytes.as_slice())?;
            if let Some(friend) = &entry.subject {
                by_friend.insert(pair_key(friend, &seq), &[])?;
            }
            Ok(())
        })?;
        let count = self.audit_bound.count.fetch_add(1, Ordering::SeqCst) + 1;
        let kept = self.audit_bound.kept.load(Ordering::SeqCst);
        if count >= kept + self.audit_bound.batch.load(Ordering::SeqCst) {
            self.trim_audit(kept)?;
        }
        self.flush().await
    }

    /// Drops the oldest entries down to `kept`, index first: a stop half-way leaves at
    /// worst an entry without its index line, which the next trim drops as well.
    fn trim_audit(&self, kept: usize) -> StoreResult<()> {
        let Ok(_trimming) = self.audit_bound.trimming.try_lock() else {
            return Ok(());
        };
        let excess = self
            .audit_bound
            .count
            .load(Ordering::SeqCst)
            .saturating_sub(kept);
        let mut dropped = 0;
        for item in self.audit.tree.iter().take(excess) {
            let (seq, bytes) = item?;
            if let Ok(AuditEntry {
                subject: Some(friend),
                ..
            }) = decode::<AuditEntry>(&bytes)
            {
                self.audit_by_friend.remove(pair_key(&friend, &seq))?;
            }
            self.audit.tree.remove(&seq)?;
            dropped += 1;
        }
        self.audit_bound.count.fetch_sub(dropped, Ordering::SeqCst);
        tracing::info!(dropped, kept, "oldest audit entries dropped");
        Ok(())
    }

    /// Newest first.
    pub fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> AuditEntry {
        AuditEntry {
            at: Utc::now(),
            caller: "admin".into(),
            action: format!("POST /n/{n}"),
            subject: Some(if n.is_multiple_of(2) { "alice" } else { "bob" }.into()),
            status: 200,
            request_id: format!("r{n}"),
        }
    }

    fn actions(store: &Store, friend: Option<&str>) -> Vec<String> {
        let query = AuditQuery {
            friend: friend.map(str::to_owned),
            limit: 1000,
        };
        let entries = store.audit_entries(&query).unwrap();
        entries.into_iter().map(|e| e.action).collect()
    }

    #[tokio::test]
    async fn the_oldest_entries_and_their_index_lines_are_dropped_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.set_audit_bound(6, 4);
        for n in 0..9 {
            store.append_audit(&entry(n)).await.unwrap();
        }
        assert_eq!(store.audit.tree.len(), 9, "below kept + batch: untouched");
        store.append_audit(&entry(9)).await.unwrap();
        assert_eq!(store.audit.tree.len(), 6, "trimmed to kept at once");
        let newest: Vec<String> = (4..10).rev().map(|n| format!("POST /n/{n}")).collect();
        assert_eq!(actions(&store, None), newest);
        assert_eq!(
            store.audit_by_friend.len(),
            6,
            "no index line left dangling"
        );
        assert_eq!(
            actions(&store, Some("alice")),
            ["POST /n/8", "POST /n/6", "POST /n/4"]
        );

        // The count is taken again at open.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        store.set_audit_bound(6, 4);
        for n in 10..14 {
            store.append_audit(&entry(n)).await.unwrap();
        }
        assert_eq!(store.audit.tree.len(), 6);
        assert_eq!(store.audit_by_friend.len(), 6);
    }
}
