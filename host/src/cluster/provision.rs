//! Provisioning a friend's namespace from the templates: idempotent, and it says what it
//! created, updated or found as it should be.

use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde::Serialize;
use serde_json::Value;

use super::kinds::api_resource;
use super::merge::already_holds;
use super::{Cluster, ClusterError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub kind: String,
    pub name: String,
    /// `created`, `updated` or `unchanged` (provisioning); `created`, `configured` or `unchanged` (apply).
    pub action: &'static str,
}

impl Cluster {
    pub async fn provision(&self, friend_id: &str) -> Result<Vec<Applied>, ClusterError> {
        let namespace = crate::store::namespace_of(friend_id);
        let mut applied = Vec::new();
        for (file, template) in &self.policy.templates {
            let text = template
                .replace("{{namespace}}", &namespace)
                .replace("{{friend_id}}", friend_id)
                .replace("{{pod_security}}", self.policy.pod_security.label())
                .replace("{{ingress_namespace}}", &self.policy.ingress_namespace);
            let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
                .map_err(|e| ClusterError::Invalid(format!("namespace template {file}: {e}")))?;
            for desired in documents.into_iter().filter(|d| !d.is_null()) {
                applied.push(self.ensure(&namespace, desired).await?);
            }
        }
        Ok(applied)
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

    /// Deletes the friend's namespace and everything in it.
    pub async fn purge(&self, friend_id: &str) -> Result<bool, ClusterError> {
        let (resource, _) = api_resource("Namespace")
            .ok_or_else(|| ClusterError::Unavailable("Namespace kind missing".into()))?;
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        match api
            .delete(&crate::store::namespace_of(friend_id), &Default::default())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match ClusterError::from(e) {
                ClusterError::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }
}
