//! The `local` provider: records kept in the embedded store. What an operator sees with
//! `GET /api/admin/dns` is what a real zone would hold.

use super::{DnsError, Record, RecordSpec};

pub struct LocalDns {
    tree: portal_store::LocalTree,
    clock: crate::clock::SharedClock,
}

fn unavailable(e: impl std::fmt::Display) -> DnsError {
    DnsError::Unavailable(format!("local DNS store: {e}"))
}

impl LocalDns {
    pub fn open(
        store: &portal_store::Store,
        clock: crate::clock::SharedClock,
    ) -> portal_store::StoreResult<Self> {
        Ok(Self {
            tree: store.local_tree("dns_records")?,
            clock,
        })
    }

    pub async fn create(&self, spec: &RecordSpec) -> Result<Record, DnsError> {
        let record = Record {
            spec: spec.clone(),
            id: format!("local-{}", hex::encode(rand::random::<[u8; 8]>())),
            created_at: self.clock.now(),
        };
        let bytes = serde_json::to_vec(&record).map_err(unavailable)?;
        let key = spec.hostname.to_ascii_lowercase();
        let created = self
            .tree
            .compare_and_swap(key.as_bytes(), None, Some(bytes))
            .map_err(unavailable)?;
        if !created {
            return Err(DnsError::Conflict(format!(
                "a DNS record for {} already exists",
                spec.hostname
            )));
        }
        self.tree.flush().await.map_err(unavailable)?;
        Ok(record)
    }

    /// Deletes the record for `hostname` if it is `friend`'s; another friend's stays.
    pub async fn delete(&self, hostname: &str, friend: &str) -> Result<usize, DnsError> {
        let key = hostname.to_ascii_lowercase();
        let Some(current) = self.tree.get(key.as_bytes()).map_err(unavailable)? else {
            return Ok(0);
        };
        let record: Record = serde_json::from_slice(&current).map_err(unavailable)?;
        if friend.is_empty() || record.spec.friend != friend {
            tracing::warn!(%hostname, %friend, owner = %record.spec.friend, "not deleting another friend's DNS record");
            return Ok(0);
        }
        // Only the record just read goes: one written meanwhile is left alone.
        let swapped = self
            .tree
            .compare_and_swap(key.as_bytes(), Some(&current), None)
            .map_err(unavailable)?;
        self.tree.flush().await.map_err(unavailable)?;
        Ok(usize::from(swapped))
    }

    pub fn list(&self) -> Result<Vec<Record>, DnsError> {
        self.tree
            .values_with_prefix(b"")
            .map_err(unavailable)?
            .iter()
            .map(|v| serde_json::from_slice(v).map_err(unavailable))
            .collect()
    }
}
