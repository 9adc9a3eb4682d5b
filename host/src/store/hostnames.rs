//! Who owns each exposed hostname. A hostname has exactly one owner, claimed atomically
//! (a sled transaction over the claim, the owner's index and the owner's count), so two
//! friends racing for the same name cannot both win, and a friend cannot pass their
//! exposure limit by racing themselves.
//!
//! A claim records which of the exposure's two parts exist (the IngressRoute and the DNS
//! record); it is released when the last of them is gone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::table::{Table, decode, encode};
use super::{Flusher, Friend, Store, StoreError, StoreResult, pair_key, prefix_key};

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
    fn holds(&self, part: ClaimPart) -> bool {
        match part {
            ClaimPart::Route => self.route,
            ClaimPart::Record => self.record,
        }
    }

    fn set(&mut self, part: ClaimPart, held: bool) {
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

impl From<sled::transaction::TransactionError<ClaimError>> for ClaimError {
    fn from(e: sled::transaction::TransactionError<ClaimError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e).into(),
        }
    }
}

/// What a claim is for: the hostname, its owner, the exposure name and zone.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    pub hostname: &'a str,
    pub friend: &'a str,
    pub name: &'a str,
    pub zone: &'a str,
}

/// The hostname ownership table.
#[derive(Clone)]
pub struct Hostnames {
    /// hostname (lower case) -> [`HostnameClaim`].
    claims: sled::Tree,
    /// `friend \0 hostname` -> (): one friend's hostnames without a scan.
    by_friend: sled::Tree,
    /// friend -> how many hostnames they hold (u64 BE), read and written in the claim's
    /// transaction so the per-friend limit holds under concurrency.
    counts: sled::Tree,
    friends: Table<Friend>,
    flusher: Flusher,
}

fn count_of(bytes: Option<sled::IVec>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
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

impl Hostnames {
    pub fn open(store: &Store) -> StoreResult<Self> {
        Ok(Self {
            claims: store.tree("hostname_claims")?,
            by_friend: store.tree("hostname_claims_by_friend")?,
            counts: store.tree("hostname_claim_counts")?,
            friends: store.friends.clone(),
            flusher: store.flusher(),
        })
    }

    /// The claim on `hostname`, if any.
    pub fn owner(&self, hostname: &str) -> StoreResult<Option<HostnameClaim>> {
        match self.claims.get(hostname.to_ascii_lowercase())? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Whether a friend with this id exists.
    pub fn friend_exists(&self, id: &str) -> StoreResult<bool> {
        self.friends.contains(id)
    }

    /// How many hostnames the friend holds.
    pub fn count(&self, friend: &str) -> StoreResult<u64> {
        Ok(count_of(self.counts.get(friend)?))
    }

    /// Claims `part` of the exposure at `request.hostname` for `request.friend`.
    /// A hostname nobody holds becomes theirs if they hold fewer than `max` hostnames.
    /// Returns whether the part was newly marked (false: they held it already), so a
    /// caller whose next step fails undoes only what it did.
    pub async fn claim(
        &self,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<bool, ClaimError> {
        let key = request.hostname.to_ascii_lowercase();
        let index = pair_key(request.friend, key.as_bytes());
        let newly = (&self.claims, &self.by_friend, &self.counts).transaction(
            |(claims, by_friend, counts)| {
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
            },
        )?;
        self.flusher.flush().await.map_err(StoreError::from)?;
        Ok(newly)
    }

    /// Marks `part` of the friend's exposure at `hostname` gone; the claim goes with its
    /// last part. Returns false, changing nothing, when the friend does not hold it.
    pub async fn release(
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
            .map_err(|e| match ClaimError::from(e) {
                ClaimError::Store(e) => e,
                // A release never aborts but on an unreadable claim.
                other => StoreError::Conflict(other.to_string()),
            })?;
        self.flush().await?;
        Ok(released)
    }

    /// The friend's hostnames and their claims, in hostname order.
    pub fn of_friend(&self, friend: &str) -> StoreResult<Vec<(String, HostnameClaim)>> {
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

    /// Marks `part` gone on every hostname the friend holds for exposure `name`.
    pub async fn release_name(&self, friend: &str, name: &str, part: ClaimPart) -> StoreResult<()> {
        for (hostname, claim) in self.of_friend(friend)? {
            if claim.name == name {
                self.release(&hostname, friend, part).await?;
            }
        }
        Ok(())
    }

    /// Releases every hostname the friend holds (their namespace and records are gone).
    pub async fn release_all(&self, friend: &str) -> StoreResult<usize> {
        let held = self.of_friend(friend)?;
        for (hostname, _) in &held {
            self.release(hostname, friend, ClaimPart::Route).await?;
            self.release(hostname, friend, ClaimPart::Record).await?;
        }
        Ok(held.len())
    }

    async fn flush(&self) -> StoreResult<()> {
        self.flusher.flush().await?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "hostnames_tests.rs"]
mod tests;
