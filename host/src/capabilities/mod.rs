//! The host side of each WIT interface, one file per interface, named after it.
//! Every function reads the friend, namespace and key prefix from the store's scope.

mod kv;
mod log;

/// What the capabilities reach: built once at start, shared by every request.
pub struct Services {
    pub kv: sled::Tree,
}

impl Services {
    pub fn new(store: &crate::store::Store) -> crate::store::StoreResult<Self> {
        Ok(Self {
            kv: store.tree("plugin_kv")?,
        })
    }
}
