//! The local outbox: where runs go when no agent gateway is configured (the embedded
//! default), the newest [`OUTBOX_KEPT`] only, listed by `GET /api/admin/outbox`.

use std::sync::Arc;

pub use portal_store::{OUTBOX_KEPT, OutboxEntry};
use portal_store::{OutboxStore, Store, StoreResult};

#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn OutboxStore>,
}

impl Outbox {
    pub fn open(store: &Store) -> Self {
        Self {
            store: store.outbox.clone(),
        }
    }

    /// Appends an entry (its `id` is assigned here); durable when this returns.
    pub async fn push(&self, entry: OutboxEntry) -> StoreResult<OutboxEntry> {
        self.store.push_outbox(entry).await
    }

    /// Newest first, optionally one friend's only.
    pub async fn list(&self, friend: Option<&str>, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.store.outbox(friend, limit).await
    }
}
