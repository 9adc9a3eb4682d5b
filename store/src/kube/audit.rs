//! The audit log: every entry is written as a structured log line (target `audit`, the
//! complete record, kept by whatever keeps the portal's logs), and the newest entries
//! are also kept in chunk objects for `GET /api/audit`.
//!
//! The chunks form one series per friend an entry is about, and one for entries about
//! nobody: writers about different friends never touch the same object (one shared
//! newest chunk made every audited write contend, measured by the bench), and one
//! friend's flood cannot push another's entries out. Each series is bounded: a friend's
//! to `kept_per_friend` but at most [`FRIEND_WINDOW`], the one about nobody to `kept`
//! but at most [`WINDOW`], so etcd holds some 25 KB of audit per friend. A series sheds
//! whole chunks, oldest first, once the rest still hold its bound: each delete is on the
//! version read, so racing writers never shed more than that.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::KubeStore;
use super::crds::{AuditChunk, AuditChunkSpec};
use super::names::digest;
use super::objects::{Removed, Step};
use crate::domain::{AuditBounds, AuditEntry, AuditLog, AuditQuery};
use crate::{StoreError, StoreResult};

/// Where an entry stands: (time, chunk, position), so that within a series entries keep
/// the order they were written in.
type Order = (DateTime<Utc>, u64, usize);

/// The most entries in one chunk (some 250 bytes each).
const CHUNK: usize = 100;
/// Entries about nobody kept in the cluster.
pub(crate) const WINDOW: usize = 5_000;
/// Entries about one friend kept in the cluster.
pub(crate) const FRIEND_WINDOW: usize = 100;

/// What the names of the chunks about `subject` start with.
fn series_prefix(subject: Option<&str>) -> String {
    let series = match subject {
        Some(friend) => digest(&["friend", friend]),
        None => digest(&["nobody"]),
    };
    format!("audit-{series}-")
}

/// The chunk `index` of the series of entries about `subject` (zero-padded, so name
/// order is index order).
fn chunk_name(subject: Option<&str>, index: u64) -> String {
    format!("{}{index:012}", series_prefix(subject))
}

/// How many entries the series of `subject` keeps, and how many go in one chunk: at most
/// half the bound, so shedding a chunk leaves the bound or more.
fn series_bounds(bounds: &AuditBounds, subject: Option<&str>) -> (usize, usize) {
    let kept = match subject {
        Some(_) => bounds.kept_per_friend.min(FRIEND_WINDOW),
        None => bounds.kept.min(WINDOW),
    }
    .max(1);
    let per_chunk = CHUNK.min(bounds.batch).min(kept / 2).max(1);
    (kept, per_chunk)
}

impl KubeStore {
    fn audit_bounds(&self) -> AuditBounds {
        *self.audit_bounds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The chunks of the series of `subject`, oldest first: a range of the cache, not a
    /// scan of every friend's chunks on each audited write.
    fn series(&self, subject: Option<&str>) -> Vec<std::sync::Arc<AuditChunk>> {
        self.audit.with_prefix(&series_prefix(subject))
    }

    /// Appends to the newest chunk of the entry's series, or starts the next one.
    pub(crate) async fn keep_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let subject = entry.subject.as_deref();
        let (kept, per_chunk) = series_bounds(&self.audit_bounds(), subject);
        for _ in 0..50 {
            let newest = self
                .series(subject)
                .last()
                .map(|c| (c.spec.index, c.spec.entries.len()));
            let appended = match newest {
                Some((index, len)) if len < per_chunk => self
                    .audit
                    .update(&chunk_name(subject, index), |c| {
                        if c.spec.entries.len() >= per_chunk {
                            return Ok(Step::Keep(false));
                        }
                        c.spec.entries.push(entry.clone());
                        Ok(Step::Write(true))
                    })
                    .await?
                    .unwrap_or(false),
                _ => false,
            };
            if appended {
                return Ok(());
            }
            let index = newest.map_or(0, |(i, len)| if len < per_chunk { i } else { i + 1 });
            let spec = AuditChunkSpec {
                index,
                subject: entry.subject.clone(),
                entries: vec![entry.clone()],
            };
            let name = chunk_name(subject, index);
            if self
                .audit
                .create(&AuditChunk::new(&name, spec))
                .await?
                .is_some()
            {
                return self.shed(subject, kept).await;
            }
            self.audit.fetch(&name).await?;
        }
        Err(StoreError::Contended("audit log".into()))
    }

    /// Deletes the oldest chunks of a series while the chunks after them hold `kept`.
    async fn shed(&self, subject: Option<&str>, kept: usize) -> StoreResult<()> {
        let chunks = self.series(subject);
        let mut left: usize = chunks.iter().map(|c| c.spec.entries.len()).sum();
        for oldest in chunks {
            let len = oldest.spec.entries.len();
            if left - len < kept {
                break;
            }
            let name = chunk_name(subject, oldest.spec.index);
            match self.audit.delete(&name, Some(oldest.as_ref())).await? {
                // Changed since read (an append): its entries are the newest, keep it.
                Removed::Stale => break,
                Removed::Deleted | Removed::Absent => left -= len,
            }
        }
        Ok(())
    }

    /// Entries newest first, of one friend or of everyone (series merged by time).
    pub(crate) fn audit_newest_first(&self, friend: Option<&str>) -> Vec<AuditEntry> {
        let chunks = match friend {
            Some(friend) => self.series(Some(friend)),
            None => self.audit.all(),
        };
        let mut keyed: Vec<(Order, &AuditEntry)> = chunks
            .iter()
            .flat_map(|c| {
                let index = c.spec.index;
                c.spec
                    .entries
                    .iter()
                    .enumerate()
                    .map(move |(i, e)| ((e.at, index, i), e))
            })
            .collect();
        keyed.sort_by_key(|(order, _)| std::cmp::Reverse(*order));
        keyed.into_iter().map(|(_, e)| e.clone()).collect()
    }
}

#[async_trait]
impl AuditLog for KubeStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let entry = entry.bounded();
        tracing::info!(target: "audit", at = %entry.at, caller = %entry.caller,
            action = %entry.action, subject = entry.subject.as_deref().unwrap_or(""),
            status = entry.status, request_id = %entry.request_id, "audit");
        self.keep_audit(&entry).await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        let limit = query.limit.min(self.audit_bounds().ceiling);
        let mut entries = self.audit_newest_first(query.friend.as_deref());
        entries.truncate(limit);
        Ok(entries)
    }

    fn set_audit_bounds(&self, bounds: AuditBounds) {
        *self.audit_bounds.lock().unwrap_or_else(|p| p.into_inner()) = bounds;
    }
}
