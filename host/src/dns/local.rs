//! The `local` provider: records kept in sled. What an operator sees with
//! `GET /api/admin/dns` is what a real zone would hold.

use super::{DnsError, Record, RecordSpec};

pub struct LocalDns {
    tree: sled::Tree,
    flusher: crate::store::Flusher,
    clock: crate::clock::SharedClock,
}

fn unavailable(e: impl std::fmt::Display) -> DnsError {
    DnsError::Unavailable(format!("local DNS store: {e}"))
}

impl LocalDns {
    pub fn open(
        store: &crate::store::Store,
        clock: crate::clock::SharedClock,
    ) -> crate::store::StoreResult<Self> {
        Ok(Self {
            tree: store.tree("dns_records")?,
            flusher: store.flusher(),
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
        match self
            .tree
            .compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(bytes))
            .map_err(unavailable)?
        {
            Ok(()) => {}
            Err(_) => {
                return Err(DnsError::Conflict(format!(
                    "a DNS record for {} already exists",
                    spec.hostname
                )));
            }
        }
        self.flusher.flush().await.map_err(unavailable)?;
        Ok(record)
    }

    pub async fn delete(&self, hostname: &str) -> Result<usize, DnsError> {
        let removed = self
            .tree
            .remove(hostname.to_ascii_lowercase().as_bytes())
            .map_err(unavailable)?;
        self.flusher.flush().await.map_err(unavailable)?;
        Ok(usize::from(removed.is_some()))
    }

    pub fn list(&self) -> Result<Vec<Record>, DnsError> {
        self.tree
            .iter()
            .values()
            .map(|v| serde_json::from_slice(&v.map_err(unavailable)?).map_err(unavailable))
            .collect()
    }
}
