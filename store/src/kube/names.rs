//! Object names and labels: ids are DNS labels already (friend and agent ids, hostnames);
//! anything else a name is made of (platform ids, kv keys, job names) is hashed, so every
//! name is valid and of bounded length.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The label naming the friend an object belongs to.
pub(crate) const FRIEND_LABEL: &str = "store.friendportal.io/friend";
/// The label naming a kv entry's (plugin, friend) prefix.
pub(crate) const PREFIX_LABEL: &str = "store.friendportal.io/kv-prefix";

/// 40 hex digits of the SHA-256 of `parts`, each ended by a NUL (so no two lists of
/// parts hash alike).
pub(crate) fn digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())[..40].to_owned()
}

pub(crate) fn labels(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// A label value for a friend id (`""`, kv data about no friend, is a valid value).
pub(crate) fn friend_selector(friend: &str) -> String {
    format!("{FRIEND_LABEL}={friend}")
}

pub(crate) fn session_name(hash: &[u8; 32]) -> String {
    hex::encode(hash)
}

pub(crate) fn hostname_name(hostname: &str) -> String {
    hostname.to_ascii_lowercase()
}

pub(crate) fn platform_id_name(key: &str) -> String {
    format!("pid-{}", digest(&[key]))
}

pub(crate) fn hostnames_quota(friend: &str) -> String {
    format!("hostnames.{friend}")
}

pub(crate) fn jobs_quota(friend: &str) -> String {
    format!("jobs.{friend}")
}

pub(crate) fn kv_prefix(plugin: &str, friend: &str) -> String {
    digest(&[plugin, friend])
}

pub(crate) fn kv_quota(plugin: &str, friend: &str) -> String {
    format!("kv.{}", kv_prefix(plugin, friend))
}

pub(crate) fn kv_name(plugin: &str, friend: &str, key: &str) -> String {
    format!("kv-{}", digest(&[plugin, friend, key]))
}

pub(crate) fn job_name(friend: &str, name: &str) -> String {
    format!("job-{}", digest(&[friend, name]))
}

pub(crate) fn release_name(plugin: &str) -> String {
    format!("release-{}", digest(&[plugin]))
}

pub(crate) fn replica_name(replica: &str) -> String {
    format!("replica-{}", digest(&[replica]))
}
