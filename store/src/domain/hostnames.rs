//! Who owns each exposed hostname. A hostname has exactly one owner, claimed atomically, so
//! two friends racing for the same name cannot both win, and a friend cannot pass their
//! exposure limit by racing themselves.
//!
//! A claim records which of the exposure's two parts exist (the IngressRoute and the DNS
//! record); it is released when the last of them is gone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// One of the two things an exposure is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimPart {
    Route,
    Record,
}

/// The owner of a hostname, and which parts of the exposure exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostnameClaim {
    pub friend: String,
    /// The exposure name (`<name>-<friend>.<zone>`).
    pub name: String,
    pub zone: String,
    pub route: bool,
    pub record: bool,
    pub claimed_at: DateTime<Utc>,
}

impl HostnameClaim {
    pub fn holds(&self, part: ClaimPart) -> bool {
        match part {
            ClaimPart::Route => self.route,
            ClaimPart::Record => self.record,
        }
    }

    pub fn set(&mut self, part: ClaimPart, held: bool) {
        match part {
            ClaimPart::Route => self.route = held,
            ClaimPart::Record => self.record = held,
        }
    }
}

/// Why a claim was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another friend owns the hostname.
    #[error("the hostname belongs to another friend")]
    Taken,
    /// The friend already holds `max` hostnames.
    #[error("the friend already has {max} hostnames")]
    Limit { max: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a claim is for: the hostname, its owner, the exposure name and zone.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    pub hostname: &'a str,
    pub friend: &'a str,
    pub name: &'a str,
    pub zone: &'a str,
}

#[async_trait]
pub trait HostnameClaims: Send + Sync {
    /// The claim on `hostname` (any case), if any.
    async fn owner(&self, hostname: &str) -> StoreResult<Option<HostnameClaim>>;

    /// How many hostnames the friend holds.
    async fn hostname_count(&self, friend: &str) -> StoreResult<u64>;

    /// Claims `part` of the hostname for the friend: `Taken` if another friend owns it,
    /// `Limit` if it is new to them and they already hold `max`. `Ok(true)` when the part
    /// was newly marked, `Ok(false)` when they held it already, so a caller whose next step
    /// fails undoes only what it did.
    async fn claim(
        &self,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<bool, ClaimError>;

    /// Drops `part` of the friend's claim, and the claim once no part is left. `false`
    /// if the friend did not hold it (another friend's claim is never touched).
    async fn release(&self, hostname: &str, friend: &str, part: ClaimPart) -> StoreResult<bool>;

    /// The friend's claims, by hostname.
    async fn hostnames_of(&self, friend: &str) -> StoreResult<Vec<(String, HostnameClaim)>>;

    /// Drops `part` of every claim of the friend whose exposure is named `name`.
    async fn release_name(&self, friend: &str, name: &str, part: ClaimPart) -> StoreResult<()>;

    /// Drops every claim of the friend; how many.
    async fn release_all(&self, friend: &str) -> StoreResult<usize>;
}
