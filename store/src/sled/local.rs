//! Trees for the single-node simulations (the embedded cluster's objects, local DNS
//! records), kept in the embedded store's database beside the portal's own state and made
//! durable by the same flusher. Only the embedded backend offers them.

use super::Flusher;
use crate::StoreResult;

/// The embedded database's named trees, for the simulations that keep their own.
#[derive(Clone)]
pub struct LocalTrees {
    db: sled::Db,
    flusher: Flusher,
}

/// One named tree: bytes to bytes, in key order.
#[derive(Clone)]
pub struct LocalTree {
    tree: sled::Tree,
    flusher: Flusher,
}

impl LocalTrees {
    pub(super) fn new(db: sled::Db, flusher: Flusher) -> Self {
        Self { db, flusher }
    }

    /// The tree named `name`, made empty if it is new.
    pub fn tree(&self, name: &str) -> StoreResult<LocalTree> {
        Ok(LocalTree {
            tree: self.db.open_tree(name)?,
            flusher: self.flusher.clone(),
        })
    }

    /// The flusher every write of the database waits on (tests hold it).
    #[doc(hidden)]
    pub fn flusher(&self) -> Flusher {
        self.flusher.clone()
    }
}

impl LocalTree {
    pub fn get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    /// Sets `key`; the value it had.
    pub fn insert(&self, key: &[u8], value: Vec<u8>) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.tree.insert(key, value)?.map(|v| v.to_vec()))
    }

    /// Removes `key`; the value it had.
    pub fn remove(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.tree.remove(key)?.map(|v| v.to_vec()))
    }

    /// Sets `key` to `new` only if it holds `old` now (`None`: absent); `false` if it did
    /// not, changing nothing.
    pub fn compare_and_swap(
        &self,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> StoreResult<bool> {
        Ok(self.tree.compare_and_swap(key, old, new)?.is_ok())
    }

    /// The values of the keys starting with `prefix`, in key order.
    pub fn values_with_prefix(&self, prefix: &[u8]) -> StoreResult<Vec<Vec<u8>>> {
        self.tree
            .scan_prefix(prefix)
            .values()
            .map(|v| Ok(v?.to_vec()))
            .collect()
    }

    /// Adds one to the counter kept under `key` and returns it: increasing across
    /// restarts (the first is 1).
    pub fn increment(&self, key: &[u8]) -> StoreResult<u64> {
        let next = self.tree.update_and_fetch(key, |old| {
            let n = super::be_u64(old) + 1;
            Some(n.to_be_bytes().to_vec())
        })?;
        Ok(super::be_u64(next.as_deref()))
    }

    /// Makes every write so far durable.
    pub async fn flush(&self) -> StoreResult<()> {
        self.flusher.flush().await
    }
}
