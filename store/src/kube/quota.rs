//! Per-owner limits on names held (a friend's hostnames, their cron jobs), kept in one
//! [`PortalQuota`] object per owner and changed only by compare-and-swap, so racing
//! writers never together pass the maximum.
//!
//! The quota holds a superset of what exists. Taking a name is done twice: before the
//! thing is made (the limit check) and after (so a release that removed the name
//! meanwhile is undone, within the limit). Every take writes the object (a serial moves
//! on), and a release removes a name only on the version it read before checking that the
//! thing is gone: a take after that read makes the release read again. A name whose
//! thing was never made (a stop between the two) is let go when the owner is full.

use chrono::Utc;

use super::KubeStore;
use super::crds::{PortalQuota, PortalQuotaSpec};
use super::objects::{Removed, Replaced, Step};
use crate::{StoreError, StoreResult};

/// How long a name may be held before the thing it is for must exist.
pub(crate) const GRACE: chrono::Duration = chrono::Duration::seconds(60);

/// The owner already holds `max` names.
pub(crate) struct OverLimit;

impl KubeStore {
    /// Makes `item` one of the names held in `quota` unless that makes more than `max`.
    pub(crate) async fn take(
        &self,
        quota: &str,
        item: &str,
        max: usize,
    ) -> StoreResult<Result<(), OverLimit>> {
        loop {
            let taken = self
                .quotas
                .update(quota, |q| {
                    if !q.spec.held.contains_key(item) && q.spec.held.len() >= max {
                        return Ok(Step::Keep(Err(OverLimit)));
                    }
                    q.spec.held.insert(item.to_owned(), Utc::now());
                    q.spec.used += 1;
                    Ok(Step::Write(Ok(())))
                })
                .await?;
            if let Some(taken) = taken {
                return Ok(taken);
            }
            if max == 0 {
                return Ok(Err(OverLimit));
            }
            let mut spec = PortalQuotaSpec {
                held: Default::default(),
                used: 1,
            };
            spec.held.insert(item.to_owned(), Utc::now());
            if self
                .quotas
                .create(&PortalQuota::new(quota, spec))
                .await?
                .is_some()
            {
                return Ok(Ok(()));
            }
        }
    }

    /// [`KubeStore::take`]; when the owner is at the maximum, first lets go of the names
    /// taken more than [`GRACE`] ago whose thing does not exist (`exists` says, from the
    /// API server): a portal stopped between taking a name and making the thing left
    /// them, and they would hold a place for ever.
    pub(crate) async fn take_repairing<F, Fut>(
        &self,
        quota: &str,
        item: &str,
        max: usize,
        exists: F,
    ) -> StoreResult<Result<(), OverLimit>>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = StoreResult<bool>>,
    {
        if self.take(quota, item, max).await?.is_ok() {
            return Ok(Ok(()));
        }
        let Some(held) = self.quotas.fetch(quota).await? else {
            return self.take(quota, item, max).await;
        };
        let before = Utc::now() - GRACE;
        let mut freed = false;
        for (name, since) in &held.spec.held {
            if *since < before && !exists(name.clone()).await? {
                self.let_go(quota, name, || exists(name.clone())).await?;
                freed = true;
            }
        }
        match freed {
            true => self.take(quota, item, max).await,
            false => Ok(Err(OverLimit)),
        }
    }

    /// Removes `item` from `quota` once `held` says the thing is gone (checked after
    /// reading the quota, and again if the quota changed meanwhile).
    pub(crate) async fn let_go<F, Fut>(&self, quota: &str, item: &str, held: F) -> StoreResult<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = StoreResult<bool>>,
    {
        for _ in 0..50 {
            let Some(mut q) = self.quotas.fetch(quota).await? else {
                return Ok(());
            };
            if !q.spec.held.contains_key(item) || held().await? {
                return Ok(());
            }
            q.spec.held.remove(item);
            if q.spec.held.is_empty() {
                match self.quotas.delete(quota, Some(&q)).await? {
                    Removed::Deleted | Removed::Absent => return Ok(()),
                    Removed::Stale => continue,
                }
            }
            match self.quotas.replace(&q).await? {
                Replaced::Done(_) | Replaced::Gone => return Ok(()),
                Replaced::Stale => continue,
            }
        }
        Err(StoreError::Contended(format!("quota {quota}")))
    }

    pub(crate) fn held(&self, quota: &str) -> Vec<String> {
        self.quotas
            .cached(quota)
            .map(|q| q.spec.held.keys().cloned().collect())
            .unwrap_or_default()
    }
}
