//! A sled tree whose values are one serde type, stored as JSON.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreResult;

pub struct Table<T> {
    pub(crate) tree: sled::Tree,
    _record: PhantomData<fn() -> T>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Self {
            tree: self.tree.clone(),
            _record: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Table<T> {
    pub fn open(db: &sled::Db, name: &str) -> StoreResult<Self> {
        Ok(Self {
            tree: db.open_tree(name)?,
            _record: PhantomData,
        })
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> StoreResult<Option<T>> {
        match self.tree.get(key)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    pub fn contains(&self, key: impl AsRef<[u8]>) -> StoreResult<bool> {
        Ok(self.tree.contains_key(key)?)
    }

    #[cfg(test)]
    pub fn put(&self, key: impl AsRef<[u8]>, value: &T) -> StoreResult<()> {
        self.tree.insert(key.as_ref(), encode(value)?)?;
        Ok(())
    }

    pub fn values(&self) -> impl Iterator<Item = StoreResult<T>> + '_ {
        self.tree
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

pub(crate) fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    Ok(serde_json::from_slice(bytes)?)
}
