//! Hostname claims: a [`HostnameClaim`] object named by the hostname, so creating it is
//! the claim and a hostname has one owner. The per-friend maximum is the friend's
//! hostnames quota (see `quota.rs`), taken before the claim is made and again after.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::KubeStore;
use super::crds::{self, HostnameClaimSpec};
use super::names::{FRIEND_LABEL, hostname_name, hostnames_quota, labels};
use super::objects::{Removed, Step};
use crate::domain::{ClaimError, ClaimPart, ClaimRequest, HostnameClaim, HostnameClaims};
use crate::{StoreError, StoreResult};

fn claim_of(spec: &HostnameClaimSpec) -> HostnameClaim {
    HostnameClaim {
        friend: spec.friend.clone(),
        name: spec.name.clone(),
        zone: spec.zone.clone(),
        route: spec.route,
        record: spec.record,
        claimed_at: spec.claimed_at,
    }
}

fn set(spec: &mut HostnameClaimSpec, part: ClaimPart, held: bool) {
    match part {
        ClaimPart::Route => spec.route = held,
        ClaimPart::Record => spec.record = held,
    }
}

impl KubeStore {
    /// Marks `part` on the friend's existing claim: `None` if there is no claim.
    async fn mark(
        &self,
        key: &str,
        friend: &str,
        part: ClaimPart,
    ) -> Result<Option<bool>, ClaimError> {
        let marked = self
            .hostnames
            .update(key, |o| {
                if o.spec.friend != friend {
                    return Ok(Step::Keep(Err(())));
                }
                if claim_of(&o.spec).holds(part) {
                    return Ok(Step::Keep(Ok(false)));
                }
                set(&mut o.spec, part, true);
                Ok(Step::Write(Ok(true)))
            })
            .await?;
        match marked {
            Some(Ok(newly)) => Ok(Some(newly)),
            Some(Err(())) => Err(ClaimError::Taken),
            None => Ok(None),
        }
    }

    /// Whether the friend's claim on `key` exists (the API server's copy).
    async fn holds(&self, key: &str, friend: &str) -> StoreResult<bool> {
        Ok(self
            .hostnames
            .fetch(key)
            .await?
            .is_some_and(|o| o.spec.friend == friend))
    }
}

#[async_trait]
impl HostnameClaims for KubeStore {
    async fn owner(&self, hostname: &str) -> StoreResult<Option<HostnameClaim>> {
        Ok(self
            .hostnames
            .cached(&hostname_name(hostname))
            .map(|o| claim_of(&o.spec)))
    }

    async fn hostname_count(&self, friend: &str) -> StoreResult<u64> {
        Ok(self.held(&hostnames_quota(friend)).len() as u64)
    }

    async fn claim(
        &self,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<bool, ClaimError> {
        let key = hostname_name(request.hostname);
        let quota = hostnames_quota(request.friend);
        for _ in 0..50 {
            if let Some(newly) = self.mark(&key, request.friend, part).await? {
                return Ok(newly);
            }
            let exists =
                |hostname: String| async move { self.holds(&hostname, request.friend).await };
            if self
                .take_repairing(&quota, &key, max, exists)
                .await?
                .is_err()
            {
                return Err(ClaimError::Limit { max });
            }
            self.pause("hostname_quota_taken").await;
            let mut spec = HostnameClaimSpec {
                friend: request.friend.to_owned(),
                name: request.name.to_owned(),
                zone: request.zone.to_owned(),
                route: false,
                record: false,
                claimed_at: now,
            };
            set(&mut spec, part, true);
            let mut object = crds::HostnameClaim::new(&key, spec);
            object.metadata.labels = labels(&[(FRIEND_LABEL, request.friend)]);
            let Some(made) = self.hostnames.create(&object).await? else {
                // Someone claimed it first: ours (try marking again) or another's.
                if self.holds(&key, request.friend).await? {
                    continue;
                }
                self.let_go(&quota, &key, || self.holds(&key, request.friend))
                    .await?;
                return Err(ClaimError::Taken);
            };
            // Again after: a release that dropped the name meanwhile is undone.
            if self.take(&quota, &key, max).await?.is_err() {
                self.hostnames.delete(&key, Some(&made)).await?;
                return Err(ClaimError::Limit { max });
            }
            return Ok(true);
        }
        Err(StoreError::Contended(format!("hostname {key}")).into())
    }

    async fn release(&self, hostname: &str, friend: &str, part: ClaimPart) -> StoreResult<bool> {
        let key = hostname_name(hostname);
        let mut current = self.hostnames.current(&key).await?;
        for _ in 0..50 {
            let Some(mut object) = current else {
                return Ok(false);
            };
            if object.spec.friend != friend {
                return Ok(false);
            }
            set(&mut object.spec, part, false);
            if object.spec.route || object.spec.record {
                match self.hostnames.replace(&object).await? {
                    super::objects::Replaced::Done(_) => return Ok(true),
                    super::objects::Replaced::Gone => return Ok(false),
                    super::objects::Replaced::Stale => {}
                }
            } else {
                match self.hostnames.delete(&key, Some(&object)).await? {
                    Removed::Deleted => {
                        let quota = hostnames_quota(friend);
                        self.let_go(&quota, &key, || self.holds(&key, friend))
                            .await?;
                        return Ok(true);
                    }
                    Removed::Absent => return Ok(false),
                    Removed::Stale => {}
                }
            }
            current = self.hostnames.fetch(&key).await?;
        }
        Err(StoreError::Contended(format!("hostname {key}")))
    }

    async fn hostnames_of(&self, friend: &str) -> StoreResult<Vec<(String, HostnameClaim)>> {
        Ok(self
            .hostnames
            .all()
            .iter()
            .filter(|o| o.spec.friend == friend)
            .map(|o| {
                (
                    o.metadata.name.clone().unwrap_or_default(),
                    claim_of(&o.spec),
                )
            })
            .collect())
    }

    async fn release_name(&self, friend: &str, name: &str, part: ClaimPart) -> StoreResult<()> {
        for (hostname, claim) in self.hostnames_of(friend).await? {
            if claim.name == name {
                self.release(&hostname, friend, part).await?;
            }
        }
        Ok(())
    }

    async fn release_all(&self, friend: &str) -> StoreResult<usize> {
        let held = self.hostnames_of(friend).await?;
        for (hostname, _) in &held {
            self.release(hostname, friend, ClaimPart::Route).await?;
            self.release(hostname, friend, ClaimPart::Record).await?;
        }
        Ok(held.len())
    }
}
