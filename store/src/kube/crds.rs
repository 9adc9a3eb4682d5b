//! The store's custom resources: one kind per kind of record, all in the portal's own
//! namespace, each with a structural schema generated from these types. `deploy/crds/`
//! holds [`yaml`]'s output (a test keeps the two equal).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AuditEntry, Friend, OutboxEntry, Release, ReplicaReport, SessionKind, Trigger,
};

/// The API group of every store kind.
pub const GROUP: &str = "store.friendportal.io";

/// A friend (the object's name is their id) with their friendships; a retired id keeps
/// its object without a friend until purged.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "PortalFriend")]
#[kube(namespaced, shortname = "pfriend")]
pub struct PortalFriendSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friend: Option<Friend>,
    /// Agent id -> since when they are friends.
    #[serde(default)]
    pub friendships: BTreeMap<String, DateTime<Utc>>,
    /// Set while the id is retired (deleted without purge): no friend then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
    /// Moves on whenever something of the friend is made (a session, a link): a delete
    /// that listed their belongings before it lists them again.
    #[serde(default)]
    pub epoch: u64,
}

/// An agent (name: its id) with the SHA-256 of its token, never the token.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "PortalAgent")]
#[kube(namespaced)]
#[serde(rename_all = "camelCase")]
pub struct PortalAgentSpec {
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub token_sha256: String,
}

/// A platform id (Discord id or phone number) and the one friend it names; the object's
/// name is derived from the id, so creating it is the claim.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "PlatformId")]
#[kube(namespaced)]
pub struct PlatformIdSpec {
    /// `discord:<id>` or `phone:<number>`.
    pub key: String,
    pub friend: String,
    /// Moves on with every claim, so that a takeover decided on an older version fails.
    #[serde(default)]
    pub claims: u64,
}

/// A session or link (name: the hex SHA-256 of its token), labelled with its friend.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "store.friendportal.io",
    version = "v1",
    kind = "PortalSession"
)]
#[kube(namespaced)]
#[serde(rename_all = "camelCase")]
pub struct PortalSessionSpec {
    pub friend_id: String,
    /// The uid of the friend's object it was made for: a session left behind by a crash
    /// never works for a later friend given the same id.
    pub friend_uid: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    pub kind: SessionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
}

/// The owner of a hostname (name: the hostname in lower case).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "store.friendportal.io",
    version = "v1",
    kind = "HostnameClaim"
)]
#[kube(namespaced)]
#[serde(rename_all = "camelCase")]
pub struct HostnameClaimSpec {
    pub friend: String,
    pub name: String,
    pub zone: String,
    pub route: bool,
    pub record: bool,
    pub claimed_at: DateTime<Utc>,
}

/// What one friend (or kv prefix) holds of a limited thing, changed by compare-and-swap:
/// the names held (hostnames, jobs) or the bytes used (kv). Named `<what>.<owner>`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "PortalQuota")]
#[kube(namespaced)]
pub struct PortalQuotaSpec {
    /// Name -> when it was taken.
    #[serde(default)]
    pub held: BTreeMap<String, DateTime<Utc>>,
    /// Bytes used (kv), or a serial every take of a name moves on (names).
    #[serde(default)]
    pub used: u64,
}

/// One plugin kv entry, labelled with its prefix and friend.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "KvEntry")]
#[kube(namespaced)]
pub struct KvEntrySpec {
    pub plugin: String,
    pub friend: String,
    pub key: String,
    /// The value, base64.
    pub value: String,
}

/// A cron job with its newest runs (at most the runs kept).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "PortalJob")]
#[kube(namespaced)]
#[serde(rename_all = "camelCase")]
pub struct PortalJobSpec {
    pub friend: String,
    pub name: String,
    pub message: String,
    pub cron: String,
    pub session: String,
    pub tz: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run: Option<DateTime<Utc>>,
    /// Oldest first.
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    /// The latest scheduled time claimed (see `CronStore::claim_run`): kept across edits,
    /// so that a time is never claimed twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_claimed: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub trigger: Trigger,
    /// `pending`, `delivered`, `queued`, `ok` or `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<DateTime<Utc>>,
    #[serde(default)]
    pub attempts: u32,
    /// The replica that recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<String>,
}

/// A bounded run of consecutive outbox entries (name: `outbox-<index>`).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "OutboxChunk")]
#[kube(namespaced)]
pub struct OutboxChunkSpec {
    pub index: u64,
    #[serde(default)]
    pub entries: Vec<OutboxEntry>,
}

/// A bounded run of recent audit entries about one friend, or about nobody (name:
/// `audit-<series>-<index>`).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(group = "store.friendportal.io", version = "v1", kind = "AuditChunk")]
#[kube(namespaced)]
pub struct AuditChunkSpec {
    pub index: u64,
    /// The friend every entry here is about; none: entries about no friend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default)]
    pub entries: Vec<AuditEntry>,
}

/// A plugin's releases, the current one first (at most `RELEASES_KEPT`); every replica
/// serves the current one.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "store.friendportal.io",
    version = "v1",
    kind = "PluginRelease"
)]
#[kube(namespaced)]
pub struct PluginReleaseSpec {
    pub plugin: String,
    #[serde(default)]
    pub releases: Vec<Release>,
}

/// What one replica serves, as it last reported (renewed every few seconds while it runs).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "store.friendportal.io",
    version = "v1",
    kind = "PortalReplica"
)]
#[kube(namespaced)]
pub struct PortalReplicaSpec {
    #[serde(flatten)]
    pub report: ReplicaReport,
}

/// Every store CRD, in the order they are written to `deploy/crds/`.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        PortalFriend::crd(),
        PortalAgent::crd(),
        PlatformId::crd(),
        PortalSession::crd(),
        HostnameClaim::crd(),
        PortalQuota::crd(),
        KvEntry::crd(),
        PortalJob::crd(),
        OutboxChunk::crd(),
        AuditChunk::crd(),
        PluginRelease::crd(),
        PortalReplica::crd(),
    ]
}

/// The file `deploy/crds/` keeps them in.
pub const CRDS_FILE: &str = "store.friendportal.io.yaml";

/// The CRDs as one YAML stream, as kept in `deploy/crds/`.
pub fn yaml() -> Result<String, String> {
    let mut out = String::from(
        "# Generated from store/src/kube/crds.rs (the store's custom resources for\n\
         # `--store kube`); a test keeps this file equal to what the code generates.\n",
    );
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&crd).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// `deploy/crds/` holds exactly what the code generates: regenerate with
    /// `UPDATE_CRDS=1 cargo test -p portal-store crds`.
    #[test]
    fn deploy_crds_equal_the_generated_ones() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy/crds")
            .join(super::CRDS_FILE);
        let generated = super::yaml().expect("the CRDs serialize");
        if std::env::var_os("UPDATE_CRDS").is_some() {
            std::fs::write(&path, &generated).expect("writing deploy/crds");
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            kept == generated,
            "{} differs from the CRDs store/src/kube/crds.rs generates; regenerate it with \
             UPDATE_CRDS=1 cargo test -p portal-store crds",
            path.display()
        );
    }
}
