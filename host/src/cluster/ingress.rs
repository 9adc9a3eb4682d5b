//! Traefik IngressRoutes for exposures: `expose-<name>` in the friend's namespace, one
//! `Host()` rule, the service and port, entry points and TLS from the exposure policy.
//! A route is made only for a Service of that namespace and one of its ports, whatever
//! the caller checked before.

use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use serde_json::{Value, json};

use super::cache::{CachedKind, Expectation, Want};
use super::kinds::api_resource;
use super::secrets::{MANAGED_BY, MANAGER};
use super::{Cluster, ClusterError};
use crate::exposure::TraefikPolicy;

const EXPOSURE_LABEL: &str = "friend-portal/exposure";

/// One exposure as its IngressRoute records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    pub name: String,
    pub hostname: String,
    pub service: String,
    pub port: u16,
}

/// The IngressRoute object for an exposure.
pub fn ingress_route(
    namespace: &str,
    name: &str,
    hostname: &str,
    service: &str,
    port: u16,
    traefik: &TraefikPolicy,
) -> Value {
    let mut spec = json!({
        "entryPoints": traefik.entry_points,
        "routes": [{
            "kind": "Rule",
            "match": format!("Host(`{hostname}`)"),
            "services": [{"name": service, "port": port}],
        }],
    });
    if let Some(resolver) = &traefik.cert_resolver {
        spec["tls"] = json!({"certResolver": resolver});
    }
    json!({
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "IngressRoute",
        "metadata": {
            "name": format!("expose-{name}"),
            "namespace": namespace,
            "labels": {MANAGED_BY: MANAGER, EXPOSURE_LABEL: name},
        },
        "spec": spec,
    })
}

fn exposure_of(route: &DynamicObject) -> Option<Exposure> {
    let name = route.metadata.labels.as_ref()?.get(EXPOSURE_LABEL)?.clone();
    let rule = &route.data["spec"]["routes"][0];
    let hostname = rule["match"]
        .as_str()?
        .split("Host(`")
        .nth(1)?
        .split('`')
        .next()?
        .to_owned();
    let service = rule["services"][0]["name"].as_str()?.to_owned();
    let port = rule["services"][0]["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(0);
    Some(Exposure {
        name,
        hostname,
        service,
        port,
    })
}

impl Cluster {
    fn ingress_routes_api(&self, namespace: &str) -> Result<Api<DynamicObject>, ClusterError> {
        let (resource, _) = api_resource("IngressRoute")
            .ok_or_else(|| ClusterError::Unavailable("IngressRoute kind missing".into()))?;
        Ok(Api::namespaced_with(
            self.client.clone(),
            namespace,
            &resource,
        ))
    }

    /// The portal's exposures in the namespace.
    pub async fn exposures(&self, namespace: &str) -> Result<Vec<Exposure>, ClusterError> {
        let params = ListParams::default().labels(&format!("{MANAGED_BY}={MANAGER}"));
        match self.ingress_routes_api(namespace)?.list(&params).await {
            Ok(list) => Ok(list.items.iter().filter_map(exposure_of).collect()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn service_ports(
        &self,
        namespace: &str,
        service: &str,
    ) -> Result<Vec<u16>, ClusterError> {
        let not_found =
            || ClusterError::NotFound(format!("service: no service '{service}' in your namespace"));
        if crate::validate::dns_label(service).is_err() {
            return Err(not_found());
        }
        let api: Api<Service> = Api::namespaced(self.client.clone(), namespace);
        let svc = api.get_opt(service).await?.ok_or_else(not_found)?;
        Ok(svc
            .spec
            .and_then(|s| s.ports)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| u16::try_from(p.port).ok())
            .collect())
    }

    /// Refuses (invalid, naming the field) a backend that is not a Service of the
    /// namespace, or a port that is not one of its ports.
    async fn check_backend(
        &self,
        namespace: &str,
        service: &str,
        port: u16,
    ) -> Result<(), ClusterError> {
        if let Err(rule) = crate::validate::dns_label(service) {
            return Err(ClusterError::Invalid(format!(
                "service: '{service}' is not a Service name ({rule})"
            )));
        }
        let ports = match self.service_ports(namespace, service).await {
            Err(ClusterError::NotFound(m)) => return Err(ClusterError::Invalid(m)),
            other => other?,
        };
        if !ports.contains(&port) {
            let listed: Vec<String> = ports.iter().map(u16::to_string).collect();
            return Err(ClusterError::Invalid(format!(
                "port: service '{service}' has no port {port} (it has: {})",
                listed.join(", ")
            )));
        }
        Ok(())
    }

    pub async fn create_exposure(
        &self,
        namespace: &str,
        exposure: &Exposure,
        traefik: &TraefikPolicy,
    ) -> Result<(), ClusterError> {
        self.check_backend(namespace, &exposure.service, exposure.port)
            .await?;
        let object = ingress_route(
            namespace,
            &exposure.name,
            &exposure.hostname,
            &exposure.service,
            exposure.port,
            traefik,
        );
        let object: DynamicObject = serde_json::from_value(object)?;
        match self
            .ingress_routes_api(namespace)?
            .create(&PostParams::default(), &object)
            .await
        {
            Ok(created) => {
                self.wrote_object(namespace, "IngressRoute", &created);
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Err(ClusterError::Conflict(format!(
                "'{}' is already exposed",
                exposure.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes `expose-<name>`; returns the exposure it was.
    pub async fn delete_exposure(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Exposure, ClusterError> {
        let not_found = || ClusterError::NotFound(format!("no exposure '{name}'"));
        let api = self.ingress_routes_api(namespace)?;
        let route = match api.get_opt(&format!("expose-{name}")).await {
            Ok(route) => route,
            Err(kube::Error::Api(s)) if s.code == 404 => None,
            Err(e) => return Err(e.into()),
        };
        let exposure = route.as_ref().and_then(exposure_of).ok_or_else(not_found)?;
        api.delete(&format!("expose-{name}"), &DeleteParams::default())
            .await?;
        self.wrote(
            namespace,
            Expectation::new(
                CachedKind::IngressRoute,
                &format!("expose-{name}"),
                Want::Gone,
            ),
        );
        Ok(exposure)
    }
}
