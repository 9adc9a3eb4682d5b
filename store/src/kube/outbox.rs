//! The outbox in chunk objects (`outbox-<index>`): entry `id` lives in chunk
//! `id / CHUNK`, appended after the entries there by compare-and-swap (a chunk is started
//! by create-if-absent), so ids increase and two writers never take one id. Chunks older
//! than the newest [`OUTBOX_KEPT`] entries need are deleted.

use async_trait::async_trait;

use super::KubeStore;
use super::crds::{OutboxChunk, OutboxChunkSpec};
use super::objects::Step;
use crate::domain::{OUTBOX_KEPT, OutboxEntry, OutboxStore};
use crate::{StoreError, StoreResult};

/// Entries per chunk object: a message is at most 4000 characters (16 KB in UTF-8), so
/// a chunk stays under about 350 KB, far from the API server's request limit.
pub(crate) const CHUNK: u64 = 20;

pub(crate) fn chunk_name(index: u64) -> String {
    format!("outbox-{index:012}")
}

impl KubeStore {
    /// Writes `entry` (its id says where) into its chunk after the entries there, making
    /// the chunk if needed; `false` if an entry of that id or later is there already.
    pub(crate) async fn put_outbox(&self, entry: &OutboxEntry) -> StoreResult<bool> {
        let index = entry.id / CHUNK;
        let name = chunk_name(index);
        let placed = self
            .outbox
            .update(&name, |c| {
                if c.spec
                    .entries
                    .last()
                    .is_some_and(|last| last.id >= entry.id)
                {
                    return Ok(Step::Keep(false));
                }
                c.spec.entries.push(entry.clone());
                Ok(Step::Write(true))
            })
            .await?;
        match placed {
            Some(placed) => Ok(placed),
            None => {
                let spec = OutboxChunkSpec {
                    index,
                    entries: vec![entry.clone()],
                };
                let made = self.outbox.create(&OutboxChunk::new(&name, spec)).await?;
                if made.is_none() {
                    self.outbox.fetch(&name).await?;
                }
                Ok(made.is_some())
            }
        }
    }
}

#[async_trait]
impl OutboxStore for KubeStore {
    async fn push_outbox(&self, mut entry: OutboxEntry) -> StoreResult<OutboxEntry> {
        for _ in 0..50 {
            let next = self
                .outbox
                .all()
                .iter()
                .max_by_key(|c| c.spec.index)
                // Ids start at 1, as the embedded store's do.
                .map_or(1, |c| match c.spec.entries.last() {
                    Some(last) => last.id + 1,
                    None => (c.spec.index * CHUNK).max(1),
                });
            entry.id = next;
            if self.put_outbox(&entry).await? {
                if next.is_multiple_of(CHUNK) {
                    let chunks_kept = (OUTBOX_KEPT as u64).div_ceil(CHUNK) + 1;
                    for old in self.outbox.all() {
                        if old.spec.index + chunks_kept <= next / CHUNK {
                            self.outbox
                                .delete(&chunk_name(old.spec.index), None)
                                .await?;
                        }
                    }
                }
                return Ok(entry);
            }
            // Someone appended first: the chunk as the API server has it now.
            self.outbox.fetch(&chunk_name(next / CHUNK)).await?;
            self.outbox.fetch(&chunk_name(next / CHUNK + 1)).await?;
        }
        Err(StoreError::Contended("outbox".into()))
    }

    async fn outbox(&self, friend: Option<&str>, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let mut chunks = self.outbox.all();
        chunks.sort_by_key(|c| std::cmp::Reverse(c.spec.index));
        Ok(chunks
            .iter()
            .flat_map(|c| c.spec.entries.iter().rev())
            .take(OUTBOX_KEPT)
            .filter(|e| friend.is_none_or(|f| e.friend == f))
            .take(limit)
            .cloned()
            .collect())
    }
}
