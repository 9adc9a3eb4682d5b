//! `ingress`: the subject friend's IngressRoutes; hostnames made by the host from the scope.

use crate::cluster::ClusterError;
use crate::cluster::ingress::Exposure;
use crate::exposure::exposure_name;
use crate::runtime::bindings::friend::portal::ingress::{Error, Host, Route};
use crate::runtime::store_data::{NO_SUBJECT, StoreData};

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
        let (hostname, _) = self
            .services
            .exposure
            .hostname(&friend, &name, &domain)
            .map_err(Error::Invalid)?;
        let name = exposure_name(&name).map_err(Error::Invalid)?;
        let exposure = Exposure {
            name,
            hostname: hostname.clone(),
            service,
            port,
        };
        self.services
            .cluster
            .create_exposure(&ns, &exposure, &self.services.exposure.traefik)
            .await
            .map_err(error)?;
        Ok(hostname)
    }

    async fn delete(&mut self, name: String) -> Result<String, Error> {
        let (_, ns) = self.friend_and_namespace()?;
        let name =
            exposure_name(&name).map_err(|_| Error::NotFound(format!("no exposure '{name}'")))?;
        let exposure = self
            .services
            .cluster
            .delete_exposure(&ns, &name)
            .await
            .map_err(error)?;
        Ok(exposure.hostname)
    }
}
