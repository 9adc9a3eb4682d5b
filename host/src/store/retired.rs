//! Ids of friends deleted without `purge=true`. Their namespace (Secrets, apps, exposed
//! hostnames) and their plugins' stored data stay behind for an operator to look at, so a
//! new friend given the same id would inherit them. The id stays retired, and refused to a
//! new friend, until `DELETE /api/friends/:id?purge=true` removes what was kept.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreResult};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retired {
    pub deleted_at: DateTime<Utc>,
}

/// Why a retired id cannot be given to a new friend, and what frees it.
pub fn still_kept(id: &str) -> String {
    format!(
        "'{id}' belonged to a friend who was deleted without purge=true, and their namespace, \
         secrets and app data are still kept; DELETE /api/friends/{id}?purge=true removes them \
         and frees the id"
    )
}

impl Store {
    pub fn retired(&self, id: &str) -> StoreResult<Option<Retired>> {
        self.retired.get(id)
    }

    /// Frees a retired id once what was kept is gone.
    pub async fn unretire(&self, id: &str) -> StoreResult<bool> {
        let was = self.retired.tree.remove(id.as_bytes())?.is_some();
        self.flush().await?;
        Ok(was)
    }
}
