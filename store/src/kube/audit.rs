//! The audit log: every entry is written as a structured log line (target `audit`, the
//! complete record, kept by whatever keeps the portal's logs), and the newest
//! [`WINDOW`] entries are also kept in chunk objects (`audit-<index>`, [`CHUNK`] entries
//! each, appended by compare-and-swap) for `GET /api/audit`. etcd never holds more than
//! the window.

use async_trait::async_trait;

use super::KubeStore;
use super::crds::{AuditChunk, AuditChunkSpec};
use super::objects::Step;
use crate::domain::{AuditBounds, AuditEntry, AuditLog, AuditQuery};
use crate::{StoreError, StoreResult};

const CHUNK: usize = 100;
/// Entries kept in the cluster, about 200 bytes each.
pub(crate) const WINDOW: usize = 5_000;

fn chunk_name(index: u64) -> String {
    format!("audit-{index:012}")
}

impl KubeStore {
    /// Appends to the newest chunk, or starts the next one.
    pub(crate) async fn keep_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        for _ in 0..50 {
            let newest = self
                .audit
                .all()
                .iter()
                .max_by_key(|c| c.spec.index)
                .map(|c| (c.spec.index, c.spec.entries.len()));
            let appended = match newest {
                Some((index, len)) if len < CHUNK => self
                    .audit
                    .update(&chunk_name(index), |c| {
                        if c.spec.entries.len() >= CHUNK {
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
            let index = newest.map_or(0, |(i, len)| if len < CHUNK { i } else { i + 1 });
            let spec = AuditChunkSpec {
                index,
                entries: vec![entry.clone()],
            };
            if self
                .audit
                .create(&AuditChunk::new(&chunk_name(index), spec))
                .await?
                .is_some()
            {
                let chunks_kept = (WINDOW / CHUNK) as u64 + 1;
                for old in self.audit.all() {
                    if old.spec.index + chunks_kept <= index {
                        self.audit.delete(&chunk_name(old.spec.index), None).await?;
                    }
                }
                return Ok(());
            }
            self.audit.fetch(&chunk_name(index)).await?;
        }
        Err(StoreError::Contended("audit log".into()))
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
        let bounds: AuditBounds = *self.audit_bounds.lock().unwrap_or_else(|p| p.into_inner());
        let mut chunks = self.audit.all();
        chunks.sort_by_key(|c| std::cmp::Reverse(c.spec.index));
        Ok(chunks
            .iter()
            .flat_map(|c| c.spec.entries.iter().rev())
            .filter(|e| query.friend.is_none() || e.subject == query.friend)
            .take(query.limit.min(bounds.ceiling))
            .cloned()
            .collect())
    }

    fn set_audit_bounds(&self, bounds: AuditBounds) {
        *self.audit_bounds.lock().unwrap_or_else(|p| p.into_inner()) = bounds;
    }
}
