//! `ingress`: the subject friend's IngressRoutes; hostnames made by the host from the scope
//! and claimed for that friend before a route serves them (see `exposure.rs`).

use crate::cluster::ClusterError;
use crate::cluster::ingress::Exposure;
use crate::exposure::{ClaimRefused, exposure_name};
use crate::runtime::bindings::friend::portal::ingress::{Error, Host, Route};
use crate::runtime::store_data::{NO_SUBJECT, StoreData};
use portal_store::{ClaimPart, ClaimRequest};

fn error(e: ClusterError) -> Error {
    match e {
        ClusterError::NotFound(m) => Error::NotFound(m),
        ClusterError::Conflict(m) => Error::Conflict(m),
        ClusterError::Invalid(m) | ClusterError::TooLarge(m) | ClusterError::Forbidden(m) => {
            Error::Invalid(m)
        }
        ClusterError::Unavailable(m) => Error::Unavailable(m),
    }
}

fn refused(e: ClaimRefused) -> Error {
    match e {
        ClaimRefused::Conflict(m) => Error::Conflict(m),
        ClaimRefused::Unavailable(m) => Error::Unavailable(m),
    }
}

impl StoreData {
    fn friend_and_namespace(&self) -> Result<(String, String), Error> {
        self.scope
            .subject()
            .ok_or_else(|| Error::Unavailable(NO_SUBJECT.into()))
    }
}

impl Host for StoreData {
    async fn list_routes(&mut self) -> Result<Vec<Route>, Error> {
        let (_, ns) = self.friend_and_namespace()?;
        let exposures = self.services.cluster.exposures(&ns).await.map_err(error)?;
        Ok(exposures
            .into_iter()
            .map(|e| Route {
                name: e.name,
                hostname: e.hostname,
                service: e.service,
                port: e.port,
            })
            .collect())
    }

    async fn service_ports(&mut self, service: String) -> Result<Vec<u16>, Error> {
        let (_, ns) = self.friend_and_namespace()?;
        self.services
            .cluster
            .service_ports(&ns, &service)
            .await
            .map_err(error)
    }

    async fn create(
        &mut self,
        name: String,
        domain: String,
        service: String,
        port: u16,
    ) -> Result<String, Error> {
        let (friend, ns) = self.friend_and_namespace()?;
        let services = &self.services;
        let (hostname, zone) = services
            .exposure
            .hostname(&friend, &name, &domain)
            .map_err(Error::Invalid)?;
        let name = exposure_name(&name).map_err(Error::Invalid)?;
        let request = ClaimRequest {
            hostname: &hostname,
            friend: &friend,
            name: &name,
            zone: &zone,
        };
        let exposure = Exposure {
            name: name.clone(),
            hostname: hostname.clone(),
            service,
            port,
        };
        let create = services
            .cluster
            .create_exposure(&ns, &exposure, &services.exposure.traefik);
        let now = services.clock.now();
        services
            .exposure
            .claimed(&services.store, request, ClaimPart::Route, now, create)
            .await
            .map_err(refused)?
            .map_err(error)?;
        Ok(hostname)
    }

    async fn delete(&mut self, name: String) -> Result<String, Error> {
        let (friend, ns) = self.friend_and_namespace()?;
        let name =
            exposure_name(&name).map_err(|_| Error::NotFound(format!("no exposure '{name}'")))?;
        let deleted = match self.services.cluster.delete_exposure(&ns, &name).await {
            Ok(exposure) => Ok(exposure.hostname),
            Err(ClusterError::NotFound(m)) => Err(Error::NotFound(m)),
            Err(e) => return Err(error(e)),
        };
        // The route is gone (or never was): the claim no longer counts it.
        self.services
            .store
            .hostnames
            .release_name(&friend, &name, ClaimPart::Route)
            .await
            .map_err(|e| Error::Unavailable(format!("hostname ownership: {e}")))?;
        deleted
    }
}
