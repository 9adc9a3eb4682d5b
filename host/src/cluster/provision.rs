//! Provisioning a friend's namespace from the templates: idempotent, and it says what it
//! created, updated or found as it should be.

use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde::Serialize;
use serde_json::Value;

use super::kinds::api_resource;
use super::merge::already_holds;
use super::ownership::{NamespaceState, stamp_ownership};
use super::{Cluster, ClusterError};

/// The waits between attempts while a new RoleBinding takes effect (about 3 s in all).
const RBAC_SETTLE_MS: [u64; 5] = [100, 200, 400, 800, 1500];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub kind: String,
    pub name: String,
    /// `created`, `updated` or `unchanged` (provisioning); `created`, `configured` or `unchanged` (apply).
    pub action: &'static str,
}

impl Cluster {
    /// Refuses (409) a namespace of the friend's name that the portal did not make for
    /// them, before anything is written.
    pub async fn provision(&self, friend_id: &str) -> Result<Vec<Applied>, ClusterError> {
        let namespace = portal_store::namespace_of(friend_id);
        self.namespace_state(friend_id).await?;
        let mut applied = Vec::new();
        for (file, template) in &self.policy.templates {
            let text = template
                .replace("{{namespace}}", &namespace)
                .replace("{{friend_id}}", friend_id)
                .replace("{{pod_security}}", self.policy.pod_security.label())
                .replace("{{ingress_namespace}}", &self.policy.ingress_namespace)
                .replace("{{portal_namespace}}", &self.policy.portal_namespace)
                .replace("{{egress_denied_ipv4}}", &self.policy.egress_denied.ipv4)
                .replace("{{egress_denied_ipv6}}", &self.policy.egress_denied.ipv6)
                .replace(
                    "{{portal_service_account}}",
                    &self.policy.portal_service_account,
                );
            let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
                .map_err(|e| ClusterError::Invalid(format!("namespace template {file}: {e}")))?;
            for mut desired in documents.into_iter().filter(|d| !d.is_null()) {
                if desired["kind"] == "Namespace" {
                    stamp_ownership(&mut desired, friend_id);
                }
                applied.push(self.ensure_settled(&namespace, desired).await?);
            }
        }
        Ok(applied)
    }

    /// [`Cluster::ensure`], retrying a refusal for a few seconds: the portal's rights in a new
    /// namespace come from the RoleBinding provisioning just made, and a real API server's
    /// authorizer learns of it through a watch, a moment later.
    async fn ensure_settled(
        &self,
        namespace: &str,
        desired: Value,
    ) -> Result<Applied, ClusterError> {
        for wait_ms in RBAC_SETTLE_MS {
            match self.ensure(namespace, desired.clone()).await {
                Err(ClusterError::Forbidden(_)) => {
                    tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
                }
                other => return other,
            }
        }
        self.ensure(namespace, desired).await
    }

    /// Creates the object, or merges the template into the existing one when it differs.
    async fn ensure(&self, namespace: &str, desired: Value) -> Result<Applied, ClusterError> {
        let kind = desired["kind"].as_str().unwrap_or_default().to_owned();
        let name = desired["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (resource, namespaced) = api_resource(&kind).ok_or_else(|| {
            ClusterError::Invalid(format!("namespace template: unknown kind '{kind}'"))
        })?;
        let api: Api<DynamicObject> = if namespaced {
            Api::namespaced_with(self.client.clone(), namespace, &resource)
        } else {
            Api::all_with(self.client.clone(), &resource)
        };
        let action = match api.get_opt(&name).await? {
            None => {
                let object: DynamicObject = serde_json::from_value(desired)?;
                api.create(&PostParams::default(), &object).await?;
                "created"
            }
            Some(current) if already_holds(&serde_json::to_value(&current)?, &desired) => {
                "unchanged"
            }
            Some(_) => {
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&desired))
                    .await?;
                "updated"
            }
        };
        Ok(Applied { kind, name, action })
    }

    /// Deletes the friend's namespace and everything in it; one that is not theirs is
    /// refused (409) and left alone. The deletion is under way when this returns: a real
    /// cluster keeps the namespace, Terminating, until it is empty.
    pub async fn purge(&self, friend_id: &str) -> Result<bool, ClusterError> {
        match self.namespace_lookup(friend_id).await? {
            NamespaceState::Absent => return Ok(false),
            NamespaceState::Terminating => return Ok(true),
            NamespaceState::Owned => {}
        }
        let (resource, _) = api_resource("Namespace")
            .ok_or_else(|| ClusterError::Unavailable("Namespace kind missing".into()))?;
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        match api
            .delete(&portal_store::namespace_of(friend_id), &Default::default())
            .await
        {
            Ok(_) => {
                self.stop_watching(&portal_store::namespace_of(friend_id));
                Ok(true)
            }
            Err(e) => match ClusterError::from(e) {
                ClusterError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }
}
