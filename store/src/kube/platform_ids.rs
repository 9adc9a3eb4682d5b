//! One friend per platform id: a [`PlatformId`] object per id, whose name is derived from
//! the id, so creating it is the claim. A friend's record lists their ids first and claims
//! them after; an id whose named friend no longer lists it (a crash between the two, a
//! change of number) is an orphan another friend may take over, by compare-and-swap on
//! the version they read. Every claim, even of an id already held, writes the object, so
//! a takeover decided before the holder's claim fails and looks again.

use super::KubeStore;
use super::crds::{PlatformId, PlatformIdSpec};
use super::names::platform_id_name;
use super::objects::Replaced;
use crate::domain::Friend;
use crate::{StoreError, StoreResult};

/// The phone number as one key, however it is typed (spaces and dashes dropped).
fn phone_key(number: &str) -> String {
    number.chars().filter(|c| *c != ' ' && *c != '-').collect()
}

/// The keys a friend's platform ids hold, with the field each comes from. Signal and
/// WhatsApp share the phone key: one number is one person's.
pub(crate) fn keys(friend: &Friend) -> Vec<(String, &'static str)> {
    let mut keys = Vec::new();
    if let Some(id) = &friend.discord_id {
        keys.push((format!("discord:{id}"), "discord_id"));
    }
    for (number, field) in [(&friend.signal, "signal"), (&friend.whatsapp, "whatsapp")] {
        if let Some(number) = number {
            let key = format!("phone:{}", phone_key(number));
            if !keys.iter().any(|(k, _)| *k == key) {
                keys.push((key, field));
            }
        }
    }
    keys
}

fn taken(field: &str) -> StoreError {
    StoreError::Conflict(format!(
        "{field}: another friend already uses this {}; each belongs to one friend",
        if field == "discord_id" {
            "Discord id"
        } else {
            "phone number"
        }
    ))
}

impl KubeStore {
    /// Claims every platform id of `friend` (whose record already lists them), or
    /// refuses with a conflict naming the field another friend holds.
    pub(crate) async fn claim_platform_ids(&self, friend: &Friend) -> StoreResult<()> {
        for (key, field) in keys(friend) {
            self.claim_platform_id(&key, field, &friend.id).await?;
        }
        Ok(())
    }

    async fn claim_platform_id(&self, key: &str, field: &str, friend: &str) -> StoreResult<()> {
        let name = platform_id_name(key);
        for _ in 0..50 {
            let spec = PlatformIdSpec {
                key: key.to_owned(),
                friend: friend.to_owned(),
                claims: 0,
            };
            if self
                .platform_ids
                .create(&PlatformId::new(&name, spec))
                .await?
                .is_some()
            {
                return Ok(());
            }
            let Some(mut held) = self.platform_ids.fetch(&name).await? else {
                continue;
            };
            if held.spec.friend != friend && self.lists(&held.spec.friend, key).await? {
                return Err(taken(field));
            }
            // Ours already, or an orphan: write it as ours on the version read.
            held.spec.friend = friend.to_owned();
            held.spec.claims += 1;
            match self.platform_ids.replace(&held).await? {
                Replaced::Done(_) => return Ok(()),
                Replaced::Stale | Replaced::Gone => continue,
            }
        }
        Err(StoreError::Contended(format!("platform id of {field}")))
    }

    /// Whether `friend` exists and their record lists `key` (the API server's copy).
    async fn lists(&self, friend: &str, key: &str) -> StoreResult<bool> {
        let Some(object) = self.friends.fetch(friend).await? else {
            return Ok(false);
        };
        Ok(object
            .spec
            .friend
            .as_ref()
            .is_some_and(|f| keys(f).iter().any(|(k, _)| k == key)))
    }

    /// Lets go of the ids `friend` held that `now_held` no longer lists (each only if it
    /// still names them).
    pub(crate) async fn release_platform_ids(
        &self,
        friend: &Friend,
        now_held: Option<&Friend>,
    ) -> StoreResult<()> {
        let kept = now_held.map(keys).unwrap_or_default();
        for (key, _) in keys(friend) {
            if kept.iter().any(|(k, _)| *k == key) {
                continue;
            }
            self.platform_ids
                .delete_if(&platform_id_name(&key), |held| {
                    held.spec.friend == friend.id
                })
                .await?;
        }
        Ok(())
    }
}
