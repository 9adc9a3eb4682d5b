//! `kv`: bytes under the plugin's and the subject friend's prefix, in the host's store.

use crate::runtime::bindings::friend::portal::kv::Host;
use crate::runtime::store_data::{Scope, StoreData};

/// Keys and values stay small: kv is for plugin state, not files.
const MAX_KEY: usize = 512;
const MAX_VALUE: usize = 256 * 1024;

/// `plugin \0 friend \0`, or `plugin \0 \0` for routes without a subject friend.
fn prefix(scope: &Scope) -> Vec<u8> {
    let mut p = Vec::with_capacity(64);
    p.extend_from_slice(scope.plugin.as_bytes());
    p.push(0);
    p.extend_from_slice(scope.friend.as_deref().unwrap_or("").as_bytes());
    p.push(0);
    p
}

fn full_key(scope: &Scope, key: &str) -> Vec<u8> {
    let mut k = prefix(scope);
    k.extend_from_slice(key.as_bytes());
    k
}

impl Host for StoreData {
    async fn get(&mut self, key: String) -> Option<Vec<u8>> {
        match self.services.kv.get(full_key(&self.scope, &key)) {
            Ok(value) => value.map(|v| v.to_vec()),
            Err(e) => {
                tracing::error!(plugin = %self.scope.plugin, error = %e, "kv get failed");
                None
            }
        }
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(format!("keys are 1-{MAX_KEY} bytes"));
        }
        if value.len() > MAX_VALUE {
            return Err(format!("values are at most {MAX_VALUE} bytes"));
        }
        self.services
            .kv
            .insert(full_key(&self.scope, &key), value)
            .map_err(|e| e.to_string())?;
        self.services
            .flusher
            .flush()
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    async fn delete(&mut self, key: String) -> Result<bool, String> {
        let existed = self
            .services
            .kv
            .remove(full_key(&self.scope, &key))
            .map_err(|e| e.to_string())?
            .is_some();
        self.services
            .flusher
            .flush()
            .await
            .map_err(|e| e.to_string())?;
        Ok(existed)
    }

    async fn list_keys(&mut self, prefix_in_scope: String) -> Vec<String> {
        let base = prefix(&self.scope);
        let mut start = base.clone();
        start.extend_from_slice(prefix_in_scope.as_bytes());
        self.services
            .kv
            .scan_prefix(&start)
            .keys()
            .filter_map(Result::ok)
            .map(|k| String::from_utf8_lossy(&k[base.len()..]).into_owned())
            .collect()
    }
}
