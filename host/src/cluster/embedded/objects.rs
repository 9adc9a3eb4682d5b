//! Objects of the embedded cluster, kept in sled so a restart keeps every one.
//! Key: `<kind> \0 <namespace> \0 <name>`; value: the object as JSON.

use serde_json::Value;

use super::resources::ResourceType;

#[derive(Clone)]
pub struct Objects {
    tree: sled::Tree,
    meta: sled::Tree,
    flusher: crate::store::Flusher,
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
    pub fn open(store: &crate::store::Store) -> crate::store::StoreResult<Self> {
        Ok(Self {
            tree: store.tree("cluster_objects")?,
            meta: store.tree("cluster_meta")?,
            flusher: store.flusher(),
        })
    }

    pub fn get(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> sled::Result<Option<Value>> {
        Ok(self
            .tree
            .get(key(rt.kind, namespace, name))?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    pub fn put(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
    ) -> sled::Result<()> {
        let bytes = serde_json::to_vec(object).unwrap_or_default();
        self.tree.insert(key(rt.kind, namespace, name), bytes)?;
        Ok(())
    }

    pub fn remove(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> sled::Result<Option<Value>> {
        Ok(self
            .tree
            .remove(key(rt.kind, namespace, name))?
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
            .scan_prefix(scan)
            .values()
            .filter_map(Result::ok)
            .filter_map(|v| serde_json::from_slice(&v).ok())
            .collect()
    }

    /// A new resourceVersion, increasing across restarts.
    pub fn next_resource_version(&self) -> String {
        let next = self
            .meta
            .update_and_fetch("resource_version", |old| {
                let n = old
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0)
                    + 1;
                Some(n.to_be_bytes().to_vec())
            })
            .ok()
            .flatten()
            .and_then(|b| b.as_ref().try_into().ok())
            .map(u64::from_be_bytes)
            .unwrap_or(1);
        next.to_string()
    }

    pub async fn flush(&self) -> sled::Result<()> {
        self.flusher.flush().await
    }
}
