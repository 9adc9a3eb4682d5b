//! The local outbox: where runs go when no agent gateway is configured (the embedded
//! default). Kept in sled (`cron_outbox`: `seq (BE)` -> entry), newest
//! [`OUTBOX_KEPT`] only, listed by `GET /api/admin/outbox`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::jobs::Trigger;
use crate::store::{Store, StoreResult};

/// Entries kept; older ones are dropped as new ones arrive.
pub const OUTBOX_KEPT: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutboxEntry {
    pub id: u64,
    pub at: DateTime<Utc>,
    pub friend: String,
    pub name: String,
    #[serde(rename = "sessionKey")]
    pub session_key: String,
    pub message: String,
    pub trigger: Trigger,
    /// The schedule's time the run was for (absent for manual runs): `at` minus this is
    /// how late it fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct Outbox {
    store: Store,
    tree: sled::Tree,
}

impl Outbox {
    pub fn open(store: &Store) -> StoreResult<Self> {
        Ok(Self {
            store: store.clone(),
            tree: store.tree("cron_outbox")?,
        })
    }

    /// Appends an entry (its `id` is assigned here) and flushes.
    pub async fn push(&self, mut entry: OutboxEntry) -> StoreResult<OutboxEntry> {
        entry.id = self.store.generate_id()?;
        self.tree
            .insert(entry.id.to_be_bytes(), serde_json::to_vec(&entry)?)?;
        let excess = self.tree.len().saturating_sub(OUTBOX_KEPT);
        for key in self.tree.iter().keys().take(excess) {
            self.tree.remove(key?)?;
        }
        self.store.flush().await?;
        Ok(entry)
    }

    /// Newest first, optionally one friend's only.
    pub fn list(&self, friend: Option<&str>, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        for value in self.tree.iter().values().rev() {
            if out.len() >= limit {
                break;
            }
            let entry: OutboxEntry = serde_json::from_slice(&value?)?;
            if friend.is_none_or(|f| f == entry.friend) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}
