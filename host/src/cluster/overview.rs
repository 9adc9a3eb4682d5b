//! The namespace overview in the spec's shape: pods, services, deployments (with the
//! secrets they reference), quota (hard and used) and the exposures' IngressRoutes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, PodSpec, ResourceQuota, Service};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, LogParams};
use serde_json::{Map, Value, json};

use super::cache::{CachedKind, Expectation, NamespaceWatch, Want};
use super::kinds::api_resource;
use super::{Cluster, ClusterError};

fn age(meta: &kube::api::ObjectMeta) -> String {
    meta.creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .unwrap_or_default()
}

/// Every secret a pod spec names: env, envFrom and volumes.
pub fn secret_refs(spec: &PodSpec) -> Vec<String> {
    let mut refs = BTreeSet::new();
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        for env in c.env.iter().flatten() {
            if let Some(r) = env
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                refs.insert(r.name.clone());
            }
        }
        for from in c.env_from.iter().flatten() {
            if let Some(r) = &from.secret_ref {
                refs.insert(r.name.clone());
            }
        }
    }
    for volume in spec.volumes.iter().flatten() {
        if let Some(name) = volume.secret.as_ref().and_then(|s| s.secret_name.clone()) {
            refs.insert(name);
        }
    }
    refs.into_iter().collect()
}

/// True when every label of a non-empty `selector` is among `labels`.
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The apps (Deployments) by name with their `matchLabels` and pod template labels. An app
/// owns the pods its `matchLabels` select, as the logs route picks them; `matchExpressions`
/// are not consulted, so an app selecting by them alone owns no pod in the overview.
struct Apps(Vec<App>);

struct App {
    name: String,
    /// `spec.selector.matchLabels`: the pods it owns.
    selector: BTreeMap<String, String>,
    /// `spec.template.metadata.labels`: what a Service's selector must match.
    template: BTreeMap<String, String>,
}

impl Apps {
    fn of(deployments: &[Deployment]) -> Self {
        Apps(
            deployments
                .iter()
                .filter_map(|d| {
                    let spec = d.spec.as_ref()?;
                    let selector = spec.selector.match_labels.clone().unwrap_or_default();
                    let template = spec
                        .template
                        .metadata
                        .as_ref()
                        .and_then(|m| m.labels.clone())
                        .unwrap_or_default();
                    Some(App {
                        name: d.metadata.name.clone()?,
                        selector,
                        template,
                    })
                })
                .collect(),
        )
    }

    /// The app a pod belongs to: the one whose selector matches the most of its labels.
    fn of_pod(&self, pod: &Pod) -> Option<&str> {
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        self.0
            .iter()
            .filter(|app| selects(&app.selector, &labels))
            .max_by_key(|app| app.selector.len())
            .map(|app| app.name.as_str())
    }

    /// The apps a Service sends traffic to: those whose pods its selector matches.
    fn of_service(&self, service: &Service) -> Vec<&str> {
        let selector = service
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default();
        self.0
            .iter()
            .filter(|app| selects(&selector, &app.template))
            .map(|app| app.name.as_str())
            .collect()
    }
}

fn route_view(route: &DynamicObject) -> Value {
    let first = &route.data["spec"]["routes"][0];
    let rule = first["match"].as_str().unwrap_or_default();
    let hostname = rule
        .split("Host(`")
        .nth(1)
        .and_then(|s| s.split('`').next())
        .unwrap_or_default();
    json!({"name": route.metadata.name, "hostname": hostname, "service": first["services"][0]["name"]})
}

fn pod_view(pod: &Pod) -> Value {
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    let ready = statuses.iter().filter(|s| s.ready).count();
    let total = pod
        .spec
        .as_ref()
        .map_or(statuses.len(), |s| s.containers.len());
    json!({
        "name": pod.metadata.name,
        "status": pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into()),
        "ready": format!("{ready}/{total}"),
        "restarts": statuses.iter().map(|s| s.restart_count).sum::<i32>(),
        "image": pod.spec.as_ref().and_then(|s| s.containers.first()).and_then(|c| c.image.clone()),
        "age": age(&pod.metadata),
    })
}

fn pods_view(pods: &[Pod], apps: &Apps) -> Vec<Value> {
    pods.iter()
        .map(|pod| {
            let mut view = pod_view(pod);
            view["app"] = json!(apps.of_pod(pod));
            view
        })
        .collect()
}

impl Cluster {
    /// The namespace's pods, each with the app it belongs to.
    pub async fn pods(&self, namespace: &str) -> Result<Vec<Value>, ClusterError> {
        let watch = self.watched(namespace);
        let deployments = match watch.as_deref().filter(|w| w.overview_ready()) {
            Some(w) => Arc::new(w.deployments.items()),
            None => list_or_empty(
                self.list_in::<Deployment>(namespace, &ListParams::default())
                    .await,
            )?,
        };
        let cached = watch.as_deref().filter(|w| w.pods_ready());
        let pods = self.pod_list(namespace, cached).await?;
        Ok(pods_view(&pods, &Apps::of(&deployments)))
    }

    /// From the watch cache when it can answer, else from the API server.
    async fn pod_list(
        &self,
        namespace: &str,
        cached: Option<&NamespaceWatch>,
    ) -> Result<Arc<Vec<Pod>>, ClusterError> {
        match cached {
            Some(watch) => Ok(Arc::new(watch.pods.items())),
            None => list_or_empty(self.list_in::<Pod>(namespace, &ListParams::default()).await),
        }
    }

    pub async fn overview(&self, namespace: &str) -> Result<Value, ClusterError> {
        let cached = self.watched(namespace).filter(|w| w.overview_ready());
        let cached = cached.as_deref();
        let (services, deployments, quotas) = match cached {
            Some(watch) => (
                Arc::new(watch.services.items()),
                Arc::new(watch.deployments.items()),
                Arc::new(watch.quotas.items()),
            ),
            None => {
                let all = ListParams::default();
                (
                    list_or_empty(self.list_in::<Service>(namespace, &all).await)?,
                    list_or_empty(self.list_in::<Deployment>(namespace, &all).await)?,
                    list_or_empty(self.list_in::<ResourceQuota>(namespace, &all).await)?,
                )
            }
        };
        let apps = Apps::of(&deployments);
        let services: Vec<Value> = services
            .iter()
            .map(|s| {
                let spec = s.spec.clone().unwrap_or_default();
                json!({
                    "name": s.metadata.name,
                    "apps": apps.of_service(s),
                    "type": spec.type_.unwrap_or_else(|| "ClusterIP".into()),
                    "clusterIP": spec.cluster_ip,
                    "ports": spec.ports.unwrap_or_default().iter().map(|p| json!({
                        "name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": p.protocol,
                    })).collect::<Vec<_>>(),
                    "age": age(&s.metadata),
                })
            })
            .collect();
        let deployments: Vec<Value> = deployments
            .iter()
            .map(|d| {
                let spec = d.spec.clone().unwrap_or_default();
                let pod_spec = spec.template.spec.clone().unwrap_or_default();
                let ready = d
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0);
                // When the app was last restarted (the pod template's annotation that a
                // restart sets), or null: the page says "Last restarted ..." on its card.
                let restarted_at = spec
                    .template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.annotations.as_ref())
                    .and_then(|a| a.get(super::workloads::RESTARTED_AT).cloned());
                json!({
                    "name": d.metadata.name,
                    "replicas": format!("{ready}/{}", spec.replicas.unwrap_or(1)),
                    "image": pod_spec.containers.first().and_then(|c| c.image.clone()),
                    "age": age(&d.metadata),
                    "secretRefs": secret_refs(&pod_spec),
                    "restartedAt": restarted_at,
                })
            })
            .collect();
        let mut hard = Map::new();
        let mut used = Map::new();
        for quota in quotas.iter() {
            for (k, v) in quota
                .status
                .as_ref()
                .and_then(|s| s.hard.clone())
                .or_else(|| quota.spec.as_ref().and_then(|s| s.hard.clone()))
                .unwrap_or_default()
            {
                hard.insert(k, v.0.into());
            }
            for (k, v) in quota
                .status
                .as_ref()
                .and_then(|s| s.used.clone())
                .unwrap_or_default()
            {
                used.insert(k, v.0.into());
            }
        }
        Ok(json!({
            "namespace": namespace,
            "pods": pods_view(&self.pod_list(namespace, cached).await?, &apps),
            "services": services,
            "deployments": deployments,
            "quota": {"hard": hard, "used": used},
            "ingressRoutes": self.route_list(namespace, cached).await?.iter().map(route_view).collect::<Vec<_>>(),
        }))
    }

    /// `[{name, hostname, service}]` of the namespace's IngressRoutes.
    pub async fn ingress_routes(&self, namespace: &str) -> Result<Vec<Value>, ClusterError> {
        let cached = self.watched(namespace).filter(|w| w.routes_ready());
        Ok(self
            .route_list(namespace, cached.as_deref())
            .await?
            .iter()
            .map(route_view)
            .collect())
    }

    async fn route_list(
        &self,
        namespace: &str,
        cached: Option<&NamespaceWatch>,
    ) -> Result<Arc<Vec<DynamicObject>>, ClusterError> {
        if let Some(watch) = cached {
            return Ok(Arc::new(watch.routes.items()));
        }
        let Some((resource, _)) = api_resource("IngressRoute") else {
            return Ok(Arc::default());
        };
        match self
            .list_dynamic_in(namespace, &resource, &ListParams::default())
            .await
        {
            Ok(items) => Ok(items),
            // No Traefik CRD in this cluster, or no namespace: nothing is exposed.
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(Arc::default()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_deployment(&self, namespace: &str, name: &str) -> Result<(), ClusterError> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        if crate::validate::dns_subdomain(name).is_err() {
            return Err(ClusterError::NotFound(format!("no deployment '{name}'")));
        }
        self.require_owned(namespace).await?;
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {
                self.wrote(
                    namespace,
                    Expectation::new(CachedKind::Deployment, name, Want::Gone),
                );
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {
                Err(ClusterError::NotFound(format!("no deployment '{name}'")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn pod_logs(
        &self,
        namespace: &str,
        pod: &str,
        tail: i64,
    ) -> Result<Vec<String>, ClusterError> {
        if crate::validate::dns_subdomain(pod).is_err() {
            return Err(ClusterError::NotFound(format!("no pod '{pod}'")));
        }
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let params = LogParams {
            tail_lines: Some(tail),
            limit_bytes: Some(MAX_LOG_BYTES),
            ..Default::default()
        };
        match api.logs(pod, &params).await {
            // The API server stops at the limit; a server that does not is cut here.
            Ok(text) => Ok(cut(&text, MAX_LOG_BYTES as usize)
                .lines()
                .map(str::to_owned)
                .collect()),
            // A real API server also answers 404 for a pod that exists when its node serves
            // no logs (kwok's simulated nodes; a node that is gone): say which it is.
            Err(kube::Error::Api(s)) if s.code == 404 => match api.get_opt(pod).await? {
                Some(_) => Err(ClusterError::Unavailable(format!(
                    "pod '{pod}' has no logs to show: its node does not serve them"
                ))),
                None => Err(ClusterError::NotFound(format!("no pod '{pod}'"))),
            },
            Err(e) => Err(e.into()),
        }
    }
}

/// The most of a pod's log read at once, whatever the number of lines: a container that
/// writes one endless line cannot make the portal hold it all.
pub const MAX_LOG_BYTES: i64 = 256 * 1024;

/// `text` cut to at most `limit` bytes, on a character boundary.
fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A list in a namespace that does not exist (yet) is empty, not an error.
fn list_or_empty<K>(result: Result<Arc<Vec<K>>, kube::Error>) -> Result<Arc<Vec<K>>, ClusterError> {
    match result {
        Ok(items) => Ok(items),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Arc::default()),
        Err(e) => Err(e.into()),
    }
}
