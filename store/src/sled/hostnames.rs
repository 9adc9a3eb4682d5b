//! Who owns each exposed hostname: a sled transaction over the claim, the owner's index
//! and the owner's count, so two friends racing for the same name cannot both win, and a
//! friend cannot pass their exposure limit by racing themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sled::Transactional;

use super::table::{decode, encode};
use super::{SledStore, be_u64, pair_key, prefix_key};
use crate::{
    ClaimError, ClaimPart, ClaimRequest, HostnameClaim, HostnameClaims, StoreError, StoreResult,
};

/// The hostname ownership trees.
pub(super) struct HostnameTrees {
    /// hostname (lower case) -> [`HostnameClaim`].
    claims: sled::Tree,
    /// `friend \0 hostname` -> (): one friend's hostnames without a scan.
    by_friend: sled::Tree,
    /// friend -> how many hostnames they hold (u64 BE), read and written in the claim's
    /// transaction so the per-friend limit holds under concurrency.
    counts: sled::Tree,
}

fn count_of(bytes: Option<sled::IVec>) -> u64 {
    be_u64(bytes.as_deref())
}

fn claim_error(e: sled::transaction::TransactionError<ClaimError>) -> ClaimError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::from(e).into(),
    }
}

type Tx<T> = sled::transaction::ConflictableTransactionResult<T, ClaimError>;

fn abort<T>(e: ClaimError) -> Tx<T> {
    Err(sled::transaction::ConflictableTransactionError::Abort(e))
}

fn decode_tx(bytes: &[u8]) -> Tx<HostnameClaim> {
    decode(bytes).or_else(|e| abort(e.into()))
}

fn encode_tx(claim: &HostnameClaim) -> Tx<Vec<u8>> {
    encode(claim).or_else(|e| abort(e.into()))
}

impl HostnameTrees {
    pub(super) fn open(db: &sled::Db) -> StoreResult<Self> {
        Ok(Self {
            claims: db.open_tree("hostname_claims")?,
            by_friend: db.open_tree("hostname_claims_by_friend")?,
            counts: db.open_tree("hostname_claim_counts")?,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }

    /// Every claim, by hostname (for export).
    pub(super) fn all(&self) -> StoreResult<Vec<(String, HostnameClaim)>> {
        self.claims
            .iter()
            .map(|item| {
                let (key, value) = item?;
                Ok((String::from_utf8_lossy(&key).into_owned(), decode(&value)?))
            })
            .collect()
    }

    /// Writes a claim as it is, with its index line and count (import into an empty store).
    pub(super) fn restore(&self, hostname: &str, claim: &HostnameClaim) -> StoreResult<()> {
        let key = hostname.to_ascii_lowercase();
        self.claims.insert(key.as_bytes(), encode(claim)?)?;
        self.by_friend
            .insert(pair_key(&claim.friend, key.as_bytes()), &[])?;
        let held = count_of(self.counts.get(claim.friend.as_bytes())?);
        self.counts
            .insert(claim.friend.as_bytes(), &(held + 1).to_be_bytes())?;
        Ok(())
    }

    /// The claim on `hostname`, if any.
    pub(super) fn owner(&self, hostname: &str) -> StoreResult<Option<HostnameClaim>> {
        match self.claims.get(hostname.to_ascii_lowercase())? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// How many hostnames the friend holds.
    pub(super) fn count(&self, friend: &str) -> StoreResult<u64> {
        Ok(count_of(self.counts.get(friend)?))
    }

    /// Claims `part` of the exposure at `request.hostname` for `request.friend`.
    /// A hostname nobody holds becomes theirs if they hold fewer than `max` hostnames.
    /// Returns whether the part was newly marked (false: they held it already), so a
    /// caller whose next step fails undoes only what it did.
    pub(super) fn claim(
        &self,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<bool, ClaimError> {
        let key = request.hostname.to_ascii_lowercase();
        let index = pair_key(request.friend, key.as_bytes());
        let newly = (&self.claims, &self.by_friend, &self.counts)
            .transaction(|(claims, by_friend, counts)| {
                let mut claim = match claims.get(key.as_bytes())? {
                    Some(bytes) => {
                        let claim = decode_tx(&bytes)?;
                        if claim.friend != request.friend {
                            return abort(ClaimError::Taken);
                        }
                        claim
                    }
                    None => {
                        let held = count_of(counts.get(request.friend.as_bytes())?);
                        if held >= max as u64 {
                            return abort(ClaimError::Limit { max });
                        }
                        counts.insert(request.friend.as_bytes(), &(held + 1).to_be_bytes())?;
                        by_friend.insert(index.as_slice(), &[])?;
                        HostnameClaim {
                            friend: request.friend.to_owned(),
                            name: request.name.to_owned(),
                            zone: request.zone.to_owned(),
                            route: false,
                            record: false,
                            claimed_at: now,
                        }
                    }
                };
                if claim.holds(part) {
                    return Ok(false);
                }
                claim.set(part, true);
                claims.insert(key.as_bytes(), encode_tx(&claim)?)?;
                Ok(true)
            })
            .map_err(claim_error)?;
        Ok(newly)
    }

    /// Marks `part` of the friend's exposure at `hostname` gone; the claim goes with its
    /// last part. Returns false, changing nothing, when the friend does not hold it.
    pub(super) fn release(
        &self,
        hostname: &str,
        friend: &str,
        part: ClaimPart,
    ) -> StoreResult<bool> {
        let key = hostname.to_ascii_lowercase();
        let index = pair_key(friend, key.as_bytes());
        let released = (&self.claims, &self.by_friend, &self.counts)
            .transaction(|(claims, by_friend, counts)| {
                let Some(bytes) = claims.get(key.as_bytes())? else {
                    return Ok(false);
                };
                let mut claim = decode_tx(&bytes)?;
                if claim.friend != friend {
                    return Ok(false);
                }
                claim.set(part, false);
                if claim.route || claim.record {
                    claims.insert(key.as_bytes(), encode_tx(&claim)?)?;
                } else {
                    claims.remove(key.as_bytes())?;
                    by_friend.remove(index.as_slice())?;
                    let held = count_of(counts.get(friend.as_bytes())?);
                    match held.saturating_sub(1) {
                        0 => counts.remove(friend.as_bytes())?,
                        left => counts.insert(friend.as_bytes(), &left.to_be_bytes())?,
                    };
                }
                Ok(true)
            })
            .map_err(|e| match claim_error(e) {
                ClaimError::Store(e) => e,
                // A release never aborts but on an unreadable claim.
                other => StoreError::Conflict(other.to_string()),
            })?;
        Ok(released)
    }

    /// The friend's hostnames and their claims, in hostname order.
    pub(super) fn of_friend(&self, friend: &str) -> StoreResult<Vec<(String, HostnameClaim)>> {
        let prefix = prefix_key(friend);
        let mut held = Vec::new();
        for key in self.by_friend.scan_prefix(&prefix).keys() {
            let key = key?;
            let hostname = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            if let Some(claim) = self.owner(&hostname)? {
                held.push((hostname, claim));
            }
        }
        Ok(held)
    }
}

#[async_trait]
impl HostnameClaims for SledStore {
    async fn owner(&self, hostname: &str) -> StoreResult<Option<HostnameClaim>> {
        self.hostnames.owner(hostname)
    }

    async fn hostname_count(&self, friend: &str) -> StoreResult<u64> {
        self.hostnames.count(friend)
    }

    async fn claim(
        &self,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<bool, ClaimError> {
        let newly = self.hostnames.claim(request, part, max, now)?;
        self.flush().await?;
        Ok(newly)
    }

    async fn release(&self, hostname: &str, friend: &str, part: ClaimPart) -> StoreResult<bool> {
        let released = self.hostnames.release(hostname, friend, part)?;
        self.flush().await?;
        Ok(released)
    }

    async fn hostnames_of(&self, friend: &str) -> StoreResult<Vec<(String, HostnameClaim)>> {
        self.hostnames.of_friend(friend)
    }

    /// Marks `part` gone on every hostname the friend holds for exposure `name`.
    async fn release_name(&self, friend: &str, name: &str, part: ClaimPart) -> StoreResult<()> {
        for (hostname, claim) in self.hostnames.of_friend(friend)? {
            if claim.name == name {
                self.hostnames.release(&hostname, friend, part)?;
            }
        }
        self.flush().await
    }

    /// Releases every hostname the friend holds (their namespace and records are gone).
    async fn release_all(&self, friend: &str) -> StoreResult<usize> {
        let held = self.hostnames.of_friend(friend)?;
        for (hostname, _) in &held {
            self.hostnames.release(hostname, friend, ClaimPart::Route)?;
            self.hostnames
                .release(hostname, friend, ClaimPart::Record)?;
        }
        self.flush().await?;
        Ok(held.len())
    }
}

#[cfg(test)]
#[path = "hostnames_tests.rs"]
mod tests;
