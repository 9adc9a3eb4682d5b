//! What a friend does to their own apps (Deployments): read the newest pod's log, and a
//! rollout restart. Both act only in a namespace the portal owns for that friend.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::cache::{CachedKind, Expectation, Want};
use super::{Cluster, ClusterError};

/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

impl Cluster {
    /// The deployment, after the ownership check; one that is not there is not found.
    async fn owned_deployment(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Deployment, ClusterError> {
        let missing = || ClusterError::NotFound(format!("no app named '{name}'"));
        if crate::validate::dns_subdomain(name).is_err() {
            return Err(missing());
        }
        self.require_owned(namespace).await?;
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        match api.get_opt(name).await {
            Ok(Some(deployment)) => Ok(deployment),
            Ok(None) => Err(missing()),
            Err(kube::Error::Api(s)) if s.code == 404 => Err(missing()),
            Err(e) => Err(e.into()),
        }
    }

    /// `{"deployment","pod","lines"}`: the last `tail` lines of the deployment's newest
    /// pod, read as [`Cluster::pod_logs`] reads any pod (the same line and byte limits).
    pub async fn deployment_logs(
        &self,
        namespace: &str,
        name: &str,
        tail: i64,
    ) -> Result<Value, ClusterError> {
        let deployment = self.owned_deployment(namespace, name).await?;
        let labels = deployment
            .spec
            .and_then(|s| s.selector.match_labels)
            .unwrap_or_default();
        // A deployment selects its pods by labels; without any it selects none here,
        // rather than every pod in the namespace.
        let newest = if labels.is_empty() {
            None
        } else {
            let selector = labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
            let mut found = pods
                .list(&ListParams::default().labels(&selector))
                .await?
                .items;
            found.sort_by(|a, b| {
                let at = |p: &Pod| p.metadata.creation_timestamp.clone().map(|t| t.0);
                at(a)
                    .cmp(&at(b))
                    .then_with(|| a.metadata.name.cmp(&b.metadata.name))
            });
            found.pop().and_then(|p| p.metadata.name)
        };
        let lines = match &newest {
            Some(pod) => self.pod_logs(namespace, pod, tail).await?,
            None => Vec::new(),
        };
        Ok(json!({"deployment": name, "pod": newest, "lines": lines}))
    }

    /// A rollout restart: the pod template's [`RESTARTED_AT`] annotation set to `now`
    /// (RFC 3339, as kubectl writes it), so the deployment replaces every pod.
    pub async fn restart_deployment(
        &self,
        namespace: &str,
        name: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Value, ClusterError> {
        self.owned_deployment(namespace, name).await?;
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let patch =
            json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        let written = api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        // The next overview shows the restarted deployment, not the cache's older copy.
        if let Some(version) = written.metadata.resource_version {
            let want = Want::Version(version);
            self.wrote(
                namespace,
                Expectation::new(CachedKind::Deployment, name, want),
            );
        }
        Ok(json!({"name": name, "restartedAt": at}))
    }
}
