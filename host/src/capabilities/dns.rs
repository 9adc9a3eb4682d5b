//! `dns`: records only for `<name>-<friend>.<allowed domain>` of the friend in scope.

use crate::dns::DnsError;
use crate::runtime::bindings::friend::portal::dns::{Error, Host};
use crate::runtime::store_data::{NO_SUBJECT, StoreData};

fn error(e: DnsError) -> Error {
    match e {
        DnsError::Conflict(m) => Error::Conflict(m),
        DnsError::Refused(m) | DnsError::Unavailable(m) => Error::Unavailable(m),
    }
}

impl StoreData {
    fn dns_friend(&self) -> Result<String, Error> {
        self.scope
            .friend
            .clone()
            .ok_or_else(|| Error::Unavailable(NO_SUBJECT.into()))
    }
}

impl Host for StoreData {
    async fn domains(&mut self) -> Vec<String> {
        self.services.exposure.domains.clone()
    }

    async fn create(&mut self, name: String, domain: String) -> Result<String, Error> {
        let friend = self.dns_friend()?;
        let (hostname, zone) = self
            .services
            .exposure
            .hostname(&friend, &name, &domain)
            .map_err(Error::Invalid)?;
        let spec = self.services.exposure.record(&friend, &hostname, &zone);
        self.services.dns.create(&spec).await.map_err(error)?;
        tracing::info!(friend, hostname, "DNS record created");
        Ok(hostname)
    }

    async fn delete(&mut self, hostname: String) -> Result<bool, Error> {
        let friend = self.dns_friend()?;
        let Some((name, zone)) = self.services.exposure.parse_hostname(&friend, &hostname) else {
            return Err(Error::Invalid(format!(
                "'{hostname}' is not one of your hostnames"
            )));
        };
        let hostname = format!("{name}-{friend}.{zone}");
        let deleted = self
            .services
            .dns
            .delete(&zone, &hostname)
            .await
            .map_err(error)?;
        Ok(deleted > 0)
    }
}
