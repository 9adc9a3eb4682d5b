//! The local outbox (`cron_outbox`: `id (BE)` -> entry), the newest [`OUTBOX_KEPT`] only.

use async_trait::async_trait;

use super::table::{decode, encode};
use super::{SledStore, be_u64};
use crate::{OUTBOX_KEPT, OutboxEntry, OutboxStore, StoreResult};

impl SledStore {
    /// Writes an entry under its own id and drops the oldest past [`OUTBOX_KEPT`].
    pub(super) fn put_outbox(&self, entry: &OutboxEntry) -> StoreResult<()> {
        self.outbox.insert(entry.id.to_be_bytes(), encode(entry)?)?;
        let excess = self.outbox.len().saturating_sub(OUTBOX_KEPT);
        for key in self.outbox.iter().keys().take(excess) {
            self.outbox.remove(key?)?;
        }
        Ok(())
    }
}

#[async_trait]
impl OutboxStore for SledStore {
    async fn push_outbox(&self, mut entry: OutboxEntry) -> StoreResult<OutboxEntry> {
        {
            // Past the newest on file too: imported entries keep the ids they came with.
            let _pushing = self
                .outbox_lock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let newest = self.outbox.last()?.map_or(0, |(key, _)| be_u64(Some(&key)));
            entry.id = self.generate_id()?.max(newest + 1);
            self.put_outbox(&entry)?;
        }
        self.flush().await?;
        Ok(entry)
    }

    async fn outbox(&self, friend: Option<&str>, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        for value in self.outbox.iter().values().rev() {
            if out.len() >= limit {
                break;
            }
            let entry: OutboxEntry = decode(&value?)?;
            if friend.is_none_or(|f| f == entry.friend) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}
