//! The local outbox: where runs go when no agent gateway is configured. Only the newest
//! [`OUTBOX_KEPT`] entries are kept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::crons::Trigger;
use crate::StoreResult;

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

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Appends an entry (its `id` is assigned here, increasing) and drops the oldest past
    /// [`OUTBOX_KEPT`].
    async fn push_outbox(&self, entry: OutboxEntry) -> StoreResult<OutboxEntry>;

    /// Newest first, optionally one friend's only.
    async fn outbox(&self, friend: Option<&str>, limit: usize) -> StoreResult<Vec<OutboxEntry>>;
}
