//! The audit log: one entry per mutating request, never a token or a secret value. Kept to
//! bounds per friend, so one friend's flood cannot push out the others' entries, and to an
//! overall ceiling, so ever-new friend ids cannot grow it without end.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

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

/// The longest value of any text field of an entry (ids and route templates are shorter).
pub const AUDIT_FIELD_MAX: usize = 200;

/// `text` cut to [`AUDIT_FIELD_MAX`] bytes, at a character boundary.
fn bounded(text: &str) -> String {
    let mut end = text.len().min(AUDIT_FIELD_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl AuditEntry {
    /// The entry as stored: every text field cut to [`AUDIT_FIELD_MAX`] bytes.
    pub fn bounded(&self) -> Self {
        Self {
            at: self.at,
            caller: bounded(&self.caller),
            action: bounded(&self.action),
            subject: self.subject.as_deref().map(bounded),
            status: self.status,
            request_id: bounded(&self.request_id),
        }
    }
}

/// How much of the log is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditBounds {
    /// Entries about no friend kept: at about 200 bytes each, some 20 MB.
    pub kept: usize,
    /// Entries kept per friend (`audit_entries_per_friend` in `policies/plugins.toml`).
    pub kept_per_friend: usize,
    /// How far past a bound the log grows before the oldest are dropped at once.
    pub batch: usize,
    /// The most entries kept in all, whoever they are about.
    pub ceiling: usize,
}

impl Default for AuditBounds {
    fn default() -> Self {
        Self {
            kept: 100_000,
            kept_per_friend: 10_000,
            batch: 1_000,
            ceiling: 1_000_000,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub friend: Option<String>,
    pub limit: usize,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry, its fields bounded, and drops the oldest past the bounds.
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;

    /// Newest first: all entries, or those about one friend.
    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;

    fn set_audit_bounds(&self, bounds: AuditBounds);
}
