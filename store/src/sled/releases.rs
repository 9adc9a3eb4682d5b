//! Plugin releases and replica reports.
//!
//! * `plugin_releases`: plugin -> its releases, the current one first (JSON).
//! * `replica_reports`: replica -> its last report (JSON). With the embedded store there is
//!   one replica, this process.

use std::sync::Mutex;

use async_trait::async_trait;

use super::SledStore;
use super::table::{decode, encode};
use crate::StoreResult;
use crate::domain::{RELEASES_KEPT, Release, Releases, ReplicaReport, RollbackRefusal};

pub(super) struct ReleaseTrees {
    releases: sled::Tree,
    reports: sled::Tree,
    /// Held from reading a plugin's releases to writing them.
    writing: Mutex<()>,
}

impl ReleaseTrees {
    pub(super) fn open(db: &sled::Db) -> StoreResult<Self> {
        Ok(Self {
            releases: db.open_tree("plugin_releases")?,
            reports: db.open_tree("replica_reports")?,
            writing: Mutex::new(()),
        })
    }

    fn of(&self, plugin: &str) -> StoreResult<Vec<Release>> {
        self.releases
            .get(plugin)?
            .map(|v| decode(&v))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Releases for SledStore {
    async fn releases(&self, plugin: &str) -> StoreResult<Vec<Release>> {
        self.releases.of(plugin)
    }

    async fn current_releases(&self) -> StoreResult<Vec<Release>> {
        let mut current = Vec::new();
        for value in self.releases.releases.iter().values() {
            let releases: Vec<Release> = decode(&value?)?;
            current.extend(releases.into_iter().next());
        }
        Ok(current)
    }

    async fn publish(&self, release: &Release, expected: Option<&str>) -> StoreResult<bool> {
        {
            let _writing = self.releases.lock();
            let mut releases = self.releases.of(&release.plugin)?;
            if releases.first().map(|r| r.sha256.as_str()) != expected {
                return Ok(false);
            }
            releases.insert(0, release.clone());
            releases.truncate(RELEASES_KEPT);
            self.releases
                .releases
                .insert(release.plugin.as_bytes(), encode(&releases)?)?;
        }
        self.flush().await?;
        Ok(true)
    }

    async fn roll_back(
        &self,
        plugin: &str,
        expected: &str,
    ) -> StoreResult<Result<Option<Release>, RollbackRefusal>> {
        let now_current = {
            let _writing = self.releases.lock();
            let mut releases = self.releases.of(plugin)?;
            match releases.first() {
                None => return Ok(Err(RollbackRefusal::NothingToRollBack)),
                Some(current) if current.sha256 != expected => {
                    return Ok(Err(RollbackRefusal::Moved));
                }
                Some(_) => {}
            }
            releases.remove(0);
            if releases.is_empty() {
                self.releases.releases.remove(plugin.as_bytes())?;
            } else {
                self.releases
                    .releases
                    .insert(plugin.as_bytes(), encode(&releases)?)?;
            }
            releases.into_iter().next()
        };
        self.flush().await?;
        Ok(Ok(now_current))
    }

    async fn report(&self, report: &ReplicaReport) -> StoreResult<()> {
        self.releases
            .reports
            .insert(report.replica.as_bytes(), encode(report)?)?;
        Ok(())
    }

    async fn reports(&self) -> StoreResult<Vec<ReplicaReport>> {
        self.releases
            .reports
            .iter()
            .values()
            .map(|v| decode(&v?))
            .collect()
    }
}
