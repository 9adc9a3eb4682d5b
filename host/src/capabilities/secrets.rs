//! `secrets`: the subject friend's portal-managed Secrets, in the namespace from the scope.

use std::collections::BTreeMap;

use crate::cluster::ClusterError;
use crate::cluster::secrets::SecretInfo;
use crate::runtime::bindings::friend::portal::secrets::{
    Error, Host, Secret, SecretInfo as WitInfo,
};
use crate::runtime::store_data::{NO_SUBJECT, StoreData};

fn to_wit(info: SecretInfo) -> WitInfo {
    WitInfo {
        name: info.name,
        keys: info.keys,
        created_at: info.created_at,
        updated_at: info.updated_at,
    }
}

fn error(e: ClusterError) -> Error {
    match e {
        ClusterError::NotFound(m) => Error::NotFound(m),
        ClusterError::Conflict(m) => Error::AlreadyExists(m),
        ClusterError::Invalid(m) => Error::Invalid(m),
        ClusterError::TooLarge(m) => Error::TooLarge(m),
        ClusterError::Forbidden(m) => Error::Forbidden(m),
        ClusterError::Unavailable(m) => Error::Unavailable(m),
    }
}

impl StoreData {
    fn namespace(&self) -> Result<String, Error> {
        self.scope
            .namespace()
            .ok_or_else(|| Error::Unavailable(NO_SUBJECT.into()))
    }

    fn now_rfc3339(&self) -> String {
        self.services
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

fn map(data: Vec<(String, String)>) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for (k, v) in data {
        if out.insert(k.clone(), v).is_some() {
            return Err(Error::Invalid(format!("data: key '{k}' appears twice")));
        }
    }
    Ok(out)
}

impl Host for StoreData {
    async fn list_all(&mut self) -> Result<Vec<WitInfo>, Error> {
        let ns = self.namespace()?;
        let list = self
            .services
            .cluster
            .list_secrets(&ns)
            .await
            .map_err(error)?;
        Ok(list.into_iter().map(to_wit).collect())
    }

    async fn get(&mut self, name: String) -> Result<Secret, Error> {
        let ns = self.namespace()?;
        let (info, data) = self
            .services
            .cluster
            .read_secret(&ns, &name)
            .await
            .map_err(error)?;
        Ok(Secret {
            info: to_wit(info),
            data: data.into_iter().collect(),
        })
    }

    async fn create(
        &mut self,
        name: String,
        data: Vec<(String, String)>,
    ) -> Result<WitInfo, Error> {
        let ns = self.namespace()?;
        let now = self.now_rfc3339();
        let info = self
            .services
            .cluster
            .create_secret(&ns, &name, map(data)?, &now)
            .await
            .map_err(error)?;
        Ok(to_wit(info))
    }

    async fn replace(
        &mut self,
        name: String,
        data: Vec<(String, String)>,
    ) -> Result<WitInfo, Error> {
        let ns = self.namespace()?;
        let now = self.now_rfc3339();
        let info = self
            .services
            .cluster
            .replace_secret(&ns, &name, map(data)?, &now)
            .await
            .map_err(error)?;
        Ok(to_wit(info))
    }

    async fn delete(&mut self, name: String) -> Result<(), Error> {
        let ns = self.namespace()?;
        self.services
            .cluster
            .delete_secret(&ns, &name)
            .await
            .map_err(error)
    }
}
