//! `dns`: records only for `<name>-<friend>.<allowed domain>` of the friend in scope, and
//! only for a hostname that friend holds (see `exposure.rs`): another friend's hostname is
//! never created, changed or deleted through this interface.

use crate::dns::DnsError;
use crate::exposure::ClaimRefused;
use crate::runtime::bindings::friend::portal::dns::{Error, Host};
use crate::runtime::store_data::{NO_SUBJECT, StoreData};
use portal_store::{ClaimPart, ClaimRequest};

fn error(e: DnsError) -> Error {
    match e {
        DnsError::Conflict(m) => Error::Conflict(m),
        DnsError::Refused(m) | DnsError::Unavailable(m) => Error::Unavailable(m),
    }
}

fn refused(e: ClaimRefused) -> Error {
    match e {
        ClaimRefused::Conflict(m) => Error::Conflict(m),
        ClaimRefused::Unavailable(m) => Error::Unavailable(m),
    }
}

fn ownership_unavailable(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("hostname ownership: {e}"))
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
        let services = &self.services;
        let (hostname, zone) = services
            .exposure
            .hostname(&friend, &name, &domain)
            .map_err(Error::Invalid)?;
        let name = crate::exposure::exposure_name(&name).map_err(Error::Invalid)?;
        let request = ClaimRequest {
            hostname: &hostname,
            friend: &friend,
            name: &name,
            zone: &zone,
        };
        let spec = services.exposure.record(&friend, &hostname, &zone);
        let now = services.clock.now();
        services
            .exposure
            .claimed(
                &services.store,
                request,
                ClaimPart::Record,
                now,
                services.dns.create(&spec),
            )
            .await
            .map_err(refused)?
            .map_err(error)?;
        tracing::info!(friend, hostname, "DNS record created");
        Ok(hostname)
    }

    /// False, touching nothing, for a hostname another friend holds.
    async fn delete(&mut self, hostname: String) -> Result<bool, Error> {
        let friend = self.dns_friend()?;
        let services = &self.services;
        let Some((name, zone)) = services.exposure.parse_hostname(&friend, &hostname) else {
            return Err(Error::Invalid(format!(
                "'{hostname}' is not one of your hostnames"
            )));
        };
        let hostname = format!("{name}-{friend}.{zone}");
        let owner = services
            .store
            .hostnames
            .owner(&hostname)
            .await
            .map_err(ownership_unavailable)?;
        if owner.is_some_and(|claim| claim.friend != friend) {
            tracing::warn!(%friend, %hostname, "refused to delete another friend's hostname");
            return Ok(false);
        }
        // Unclaimed (made before ownership was recorded): the provider still deletes only
        // records marked for this friend.
        let deleted = services
            .dns
            .delete(&zone, &hostname, &friend)
            .await
            .map_err(error)?;
        services
            .store
            .hostnames
            .release(&hostname, &friend, ClaimPart::Record)
            .await
            .map_err(ownership_unavailable)?;
        Ok(deleted > 0)
    }
}
