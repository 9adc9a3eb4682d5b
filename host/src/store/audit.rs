//! The audit log: one entry per mutating request, never a token or a secret value.

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

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub friend: Option<String>,
    pub limit: usize,
}

impl Store {
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
        self.flush().await
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
