//! Plugin releases: a [`PluginRelease`] per plugin (its releases, the current one first),
//! changed only by a replace on its version; and a [`PortalReplica`] per replica holding its
//! last report.

use async_trait::async_trait;

use super::KubeStore;
use super::crds::{PluginRelease, PluginReleaseSpec, PortalReplica, PortalReplicaSpec};
use super::names::{release_name, replica_name};
use super::objects::{Replaced, Step};
use crate::domain::{RELEASES_KEPT, Release, Releases, ReplicaReport, RollbackRefusal};
use crate::{StoreError, StoreResult};

#[async_trait]
impl Releases for KubeStore {
    async fn releases(&self, plugin: &str) -> StoreResult<Vec<Release>> {
        Ok(self
            .releases
            .cached(&release_name(plugin))
            .map(|o| o.spec.releases.clone())
            .unwrap_or_default())
    }

    async fn current_releases(&self) -> StoreResult<Vec<Release>> {
        Ok(self
            .releases
            .all()
            .iter()
            .filter_map(|o| o.spec.releases.first().cloned())
            .collect())
    }

    async fn publish(&self, release: &Release, expected: Option<&str>) -> StoreResult<bool> {
        let name = release_name(&release.plugin);
        let Some(held) = self.releases.fetch(&name).await? else {
            if expected.is_some() {
                return Ok(false);
            }
            let object = PluginRelease::new(
                &name,
                PluginReleaseSpec {
                    plugin: release.plugin.clone(),
                    releases: vec![release.clone()],
                },
            );
            return Ok(self.releases.create(&object).await?.is_some());
        };
        if held.spec.releases.first().map(|r| r.sha256.as_str()) != expected {
            return Ok(false);
        }
        let mut changed = held.clone();
        changed.spec.releases.insert(0, release.clone());
        changed.spec.releases.truncate(RELEASES_KEPT);
        Ok(matches!(
            self.releases.replace(&changed).await?,
            Replaced::Done(_)
        ))
    }

    async fn roll_back(
        &self,
        plugin: &str,
        expected: &str,
    ) -> StoreResult<Result<Option<Release>, RollbackRefusal>> {
        let outcome = self
            .releases
            .update(&release_name(plugin), |o| {
                match o.spec.releases.first() {
                    None => return Ok(Step::Keep(Err(RollbackRefusal::NothingToRollBack))),
                    Some(current) if current.sha256 != expected => {
                        return Ok(Step::Keep(Err(RollbackRefusal::Moved)));
                    }
                    Some(_) => {}
                }
                o.spec.releases.remove(0);
                Ok(Step::Write(Ok(o.spec.releases.first().cloned())))
            })
            .await?;
        Ok(outcome.unwrap_or(Err(RollbackRefusal::NothingToRollBack)))
    }

    async fn report(&self, report: &ReplicaReport) -> StoreResult<()> {
        let name = replica_name(&report.replica);
        let spec = PortalReplicaSpec {
            report: report.clone(),
        };
        for _ in 0..10 {
            let written = self
                .replicas
                .update(&name, |o| {
                    o.spec = spec.clone();
                    Ok(Step::Write(()))
                })
                .await?;
            if written.is_some() {
                return Ok(());
            }
            if self
                .replicas
                .create(&PortalReplica::new(&name, spec.clone()))
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(StoreError::Contended(format!("replica {}", report.replica)))
    }

    async fn reports(&self) -> StoreResult<Vec<ReplicaReport>> {
        Ok(self
            .replicas
            .all()
            .iter()
            .map(|o| o.spec.report.clone())
            .collect())
    }

    fn release_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.releases.changes())
    }
}
