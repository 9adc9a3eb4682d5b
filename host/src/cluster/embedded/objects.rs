//! Objects of the embedded cluster, kept in the embedded store so a restart keeps every one.
//! Key: `<kind> \0 <namespace> \0 <name>`; value: the object as JSON.

use portal_store::{LocalTree, StoreResult};
use serde_json::Value;

use super::resources::ResourceType;

#[derive(Clone)]
pub struct Objects {
    tree: LocalTree,
    meta: LocalTree,
}

fn key(kind: &str, namespace: Option<&str>, name: &str) -> Vec<u8> {
    let mut k = prefix(kind, namespace);
    k.extend_from_slice(name.as_bytes());
    k
}

fn prefix(kind: &str, namespace: Option<&str>) -> Vec<u8> {
    let mut k = Vec::with_capacity(64);
    k.extend_from_slice(kind.as_bytes());
    k.push(0);
    k.extend_from_slice(namespace.unwrap_or("").as_bytes());
    k.push(0);
    k
}

impl Objects {
    pub fn open(store: &portal_store::Store) -> StoreResult<Self> {
        Ok(Self {
            tree: store.local_tree("cluster_objects")?,
            meta: store.local_tree("cluster_meta")?,
        })
    }

    pub fn get(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> StoreResult<Option<Value>> {
        Ok(self
            .tree
            .get(&key(rt.kind, namespace, name))?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    pub fn put(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
    ) -> StoreResult<()> {
        let bytes = serde_json::to_vec(object).unwrap_or_default();
        self.tree.insert(&key(rt.kind, namespace, name), bytes)?;
        Ok(())
    }

    pub fn remove(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> StoreResult<Option<Value>> {
        Ok(self
            .tree
            .remove(&key(rt.kind, namespace, name))?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Objects of one kind in one namespace (or, with `None` for a namespaced kind, in all).
    pub fn list(&self, rt: &ResourceType, namespace: Option<&str>) -> Vec<Value> {
        let scan = match (rt.namespaced, namespace) {
            (true, None) => {
                let mut p = rt.kind.as_bytes().to_vec();
                p.push(0);
                p
            }
            _ => prefix(rt.kind, namespace),
        };
        self.tree
            .values_with_prefix(&scan)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| serde_json::from_slice(&v).ok())
            .collect()
    }

    /// A new resourceVersion, increasing across restarts.
    pub fn next_resource_version(&self) -> String {
        let next = self.meta.increment(b"resource_version").unwrap_or(1);
        next.to_string()
    }

    pub async fn flush(&self) -> StoreResult<()> {
        self.tree.flush().await
    }
}
