//! `cluster`: the subject friend's namespace, from the scope; the host checks manifests.

use crate::cluster::ClusterError;
use crate::cluster::apply::{self, Format};
use crate::runtime::bindings::friend::portal::cluster::{Error, Host, ManifestFormat};
use crate::runtime::store_data::{NO_SUBJECT, StoreData};

/// Logs a plugin may read at once.
const MAX_TAIL: u32 = 500;

fn error(e: ClusterError) -> Error {
    match e {
        ClusterError::NotFound(m) => Error::NotFound(m),
        ClusterError::Conflict(m) => Error::Conflict(m),
        ClusterError::Invalid(m) => Error::Invalid(m),
        ClusterError::TooLarge(m) => Error::TooLarge(m),
        ClusterError::Forbidden(m) => Error::Forbidden(m),
        ClusterError::Unavailable(m) => Error::Unavailable(m),
    }
}

/// Lines of a log a plugin may ask for at once, whichever log it reads.
fn checked_tail(tail: u32) -> Result<i64, Error> {
    if tail == 0 || tail > MAX_TAIL {
        return Err(Error::Invalid(format!("tail: must be 1-{MAX_TAIL}")));
    }
    Ok(i64::from(tail))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Unavailable(e.to_string()))
}

impl StoreData {
    fn subject(&self) -> Result<(String, String), Error> {
        self.scope
            .subject()
            .ok_or_else(|| Error::Unavailable(NO_SUBJECT.into()))
    }
}

impl Host for StoreData {
    async fn overview(&mut self) -> Result<String, Error> {
        let (_, ns) = self.subject()?;
        json(&self.services.cluster.overview(&ns).await.map_err(error)?)
    }

    async fn pods(&mut self) -> Result<String, Error> {
        let (_, ns) = self.subject()?;
        json(&self.services.cluster.pods(&ns).await.map_err(error)?)
    }

    async fn apply(&mut self, body: String, format: ManifestFormat) -> Result<String, Error> {
        let (_, ns) = self.subject()?;
        let format = match format {
            ManifestFormat::Yaml => Format::Yaml,
            ManifestFormat::Json => Format::Json,
        };
        let documents = apply::parse(&body, format).map_err(error)?;
        json(
            &self
                .services
                .cluster
                .apply(&ns, documents)
                .await
                .map_err(error)?,
        )
    }

    async fn delete_deployment(&mut self, name: String) -> Result<(), Error> {
        let (_, ns) = self.subject()?;
        self.services
            .cluster
            .delete_deployment(&ns, &name)
            .await
            .map_err(error)
    }

    async fn pod_logs(&mut self, pod: String, tail: u32) -> Result<Vec<String>, Error> {
        let (_, ns) = self.subject()?;
        self.services
            .cluster
            .pod_logs(&ns, &pod, checked_tail(tail)?)
            .await
            .map_err(error)
    }

    async fn deployment_logs(&mut self, name: String, tail: u32) -> Result<String, Error> {
        let (_, ns) = self.subject()?;
        let logs = self
            .services
            .cluster
            .deployment_logs(&ns, &name, checked_tail(tail)?)
            .await
            .map_err(error)?;
        json(&logs)
    }

    async fn restart_deployment(&mut self, name: String) -> Result<String, Error> {
        let (_, ns) = self.subject()?;
        let now = self.services.clock.now();
        let restarted = self
            .services
            .cluster
            .restart_deployment(&ns, &name, now)
            .await
            .map_err(error)?;
        json(&restarted)
    }

    async fn provision(&mut self) -> Result<String, Error> {
        let (friend, _) = self.subject()?;
        json(
            &self
                .services
                .cluster
                .provision(&friend)
                .await
                .map_err(error)?,
        )
    }
}
