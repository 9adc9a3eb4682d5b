//! Friends' secrets: Opaque Secrets carrying the portal's managed-by label. Any other
//! Secret in the namespace (service-account tokens, an operator's own) is invisible and
//! untouchable through the portal.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, PostParams};
use serde::Serialize;

use super::cache::{CachedKind, Expectation, Want};
use super::{Cluster, ClusterError};

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const MANAGER: &str = "friend-portal";
const UPDATED_AT: &str = "friend-portal/updated-at";
/// Kubernetes refuses Secrets over 1 MiB; the portal says so first, and clearly.
pub const MAX_SECRET_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretInfo {
    pub name: String,
    pub keys: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn is_managed(secret: &Secret) -> bool {
    secret.type_.as_deref().unwrap_or("Opaque") == "Opaque"
        && secret
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(MANAGED_BY))
            .is_some_and(|v| v == MANAGER)
}

fn info(secret: &Secret) -> SecretInfo {
    let created_at = secret
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .unwrap_or_default();
    let updated_at = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(UPDATED_AT).cloned())
        .unwrap_or_else(|| created_at.clone());
    SecretInfo {
        name: secret.metadata.name.clone().unwrap_or_default(),
        keys: secret
            .data
            .as_ref()
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default(),
        created_at,
        updated_at,
    }
}

/// Secret names, keys and total size, checked before anything is sent.
pub fn check(name: &str, data: &BTreeMap<String, String>) -> Result<(), ClusterError> {
    crate::validate::dns_subdomain(name)
        .map_err(|r| ClusterError::Invalid(format!("name: {r}")))?;
    if data.is_empty() {
        return Err(ClusterError::Invalid(
            "data: must hold at least one key".into(),
        ));
    }
    for key in data.keys() {
        let ok = !key.is_empty()
            && key.len() <= 253
            && key != "."
            && key != ".."
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !ok {
            return Err(ClusterError::Invalid(format!(
                "data: key '{}' must be 1-253 characters of letters, digits, '-', '_' and '.' (and not '.' or '..')",
                key.chars().take(64).collect::<String>()
            )));
        }
    }
    let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_SECRET_BYTES {
        return Err(ClusterError::TooLarge(format!(
            "data: {size} bytes in all, over the 1 MiB a Kubernetes Secret may hold"
        )));
    }
    Ok(())
}

impl Cluster {
    fn secrets(&self, namespace: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), namespace)
    }

    async fn managed_secret(&self, namespace: &str, name: &str) -> Result<Secret, ClusterError> {
        let not_found = || ClusterError::NotFound(format!("no secret '{name}'"));
        if crate::validate::dns_subdomain(name).is_err() {
            return Err(not_found());
        }
        match self.secrets(namespace).get_opt(name).await? {
            Some(secret) if is_managed(&secret) => Ok(secret),
            _ => Err(not_found()),
        }
    }

    pub async fn list_secrets(&self, namespace: &str) -> Result<Vec<SecretInfo>, ClusterError> {
        let items = match self.watched(namespace).filter(|w| w.secrets_ready()) {
            Some(watch) => Arc::new(watch.secrets.items()),
            None => {
                let params = ListParams::default().labels(&format!("{MANAGED_BY}={MANAGER}"));
                match self.list_in::<Secret>(namespace, &params).await {
                    Ok(items) => items,
                    // A friend whose namespace is not there (yet) has no secrets.
                    Err(kube::Error::Api(s)) if s.code == 404 => return Ok(Vec::new()),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let mut out: Vec<SecretInfo> = items.iter().filter(|s| is_managed(s)).map(info).collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub async fn read_secret(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<(SecretInfo, BTreeMap<String, String>), ClusterError> {
        let secret = self.managed_secret(namespace, name).await?;
        let data = secret
            .data
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
            .collect();
        Ok((info(&secret), data))
    }

    pub async fn create_secret(
        &self,
        namespace: &str,
        name: &str,
        data: BTreeMap<String, String>,
        now: &str,
    ) -> Result<SecretInfo, ClusterError> {
        check(name, &data)?;
        self.require_owned(namespace).await?;
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                labels: Some([(MANAGED_BY.to_owned(), MANAGER.to_owned())].into()),
                annotations: Some([(UPDATED_AT.to_owned(), now.to_owned())].into()),
                ..Default::default()
            },
            type_: Some("Opaque".into()),
            data: Some(encode(data)),
            ..Default::default()
        };
        match self
            .secrets(namespace)
            .create(&PostParams::default(), &secret)
            .await
        {
            Ok(created) => {
                self.wrote_secret(namespace, &created);
                Ok(info(&created))
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Err(ClusterError::Conflict(format!(
                "a secret named '{name}' already exists"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn replace_secret(
        &self,
        namespace: &str,
        name: &str,
        data: BTreeMap<String, String>,
        now: &str,
    ) -> Result<SecretInfo, ClusterError> {
        let mut secret = self.managed_secret(namespace, name).await?;
        check(name, &data)?;
        secret.data = Some(encode(data));
        secret.string_data = None;
        secret
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(UPDATED_AT.to_owned(), now.to_owned());
        let replaced = self
            .secrets(namespace)
            .replace(name, &PostParams::default(), &secret)
            .await?;
        self.wrote_secret(namespace, &replaced);
        Ok(info(&replaced))
    }

    pub async fn delete_secret(&self, namespace: &str, name: &str) -> Result<(), ClusterError> {
        self.managed_secret(namespace, name).await?;
        self.secrets(namespace)
            .delete(name, &DeleteParams::default())
            .await?;
        self.wrote(
            namespace,
            Expectation::new(CachedKind::Secret, name, Want::Gone),
        );
        Ok(())
    }

    /// The next list shows this secret as written.
    fn wrote_secret(&self, namespace: &str, written: &Secret) {
        if let (Some(name), Some(version)) =
            (&written.metadata.name, &written.metadata.resource_version)
        {
            self.wrote(
                namespace,
                Expectation::new(CachedKind::Secret, name, Want::Version(version.clone())),
            );
        }
    }
}

fn encode(data: BTreeMap<String, String>) -> BTreeMap<String, ByteString> {
    data.into_iter()
        .map(|(k, v)| (k, ByteString(v.into_bytes())))
        .collect()
}
