//! The directory: friends, the agents they work with and the friendships between them,
//! agents' tokens (as hashes), ids retired by a delete without purge, and the platform
//! ids (Discord id, Signal and WhatsApp numbers) each of which names one friend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Friend {
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discord_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_channel: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Friend {
    pub fn namespace(&self) -> String {
        namespace_of(&self.id)
    }

    /// The channels this friend can be reached on, given the ids on file.
    pub fn channels(&self) -> Vec<&'static str> {
        let mut channels = Vec::new();
        if self.signal.is_some() {
            channels.push("signal");
        }
        if self.whatsapp.is_some() {
            channels.push("whatsapp");
        }
        if self.discord_id.is_some() {
            channels.push("discord");
        }
        channels
    }

    /// Every id the friend is known by: their portal id and their platform ids.
    pub fn identities(&self) -> Vec<&str> {
        let mut ids = vec![self.id.as_str()];
        ids.extend(self.discord_id.as_deref());
        ids.extend(self.signal.as_deref());
        ids.extend(self.whatsapp.as_deref());
        ids
    }
}

/// What every friend's namespace name begins with; nothing else of the portal's may.
pub const NAMESPACE_PREFIX: &str = "friend-";

pub fn namespace_of(friend_id: &str) -> String {
    format!("{NAMESPACE_PREFIX}{friend_id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Friendship {
    pub agent_id: String,
    pub friend_id: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Agent {
    pub id: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

/// A friend deleted without purge: their id is kept from new friends until purged.
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

/// One page of [`Directory::friends_page`].
#[derive(Debug, Clone)]
pub struct FriendPage {
    pub friends: Vec<StoredFriend>,
    /// Whether friends remain after the last one.
    pub more: bool,
}

/// A friend's record as stored: the JSON of a [`Friend`], passed on without re-encoding.
#[derive(Debug, Clone)]
pub struct StoredFriend {
    pub id: String,
    pub json: bytes::Bytes,
}

#[async_trait]
pub trait Directory: Send + Sync {
    /// Adds a friend, and when `by_agent` is given, that agent's friendship with them, as
    /// one change. Refused (`Conflict`, nothing written) when the id is a friend's or is
    /// retired, or when one of their platform ids already names another friend.
    async fn create_friend(&self, friend: &Friend, by_agent: Option<&str>) -> StoreResult<()>;

    async fn friend(&self, id: &str) -> StoreResult<Option<Friend>>;

    async fn friend_count(&self) -> StoreResult<usize>;

    /// Friends in id order after `after`, at most `limit`; only `agent`'s friends if given.
    async fn friends_page(
        &self,
        agent: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<FriendPage>;

    /// Replaces an existing friend's record. `NotFound` if they are gone; `Conflict` when
    /// a new platform id already names another friend. The platform ids move with it.
    async fn put_friend(&self, friend: &Friend) -> StoreResult<()>;

    /// Removes a friend with their friendships, sessions, links and platform ids, as one
    /// change that also catches any of those made while it runs. With `retire`, the id
    /// stays retired. `false` if there was no such friend.
    async fn delete_friend(&self, id: &str, retire: Option<&Retired>) -> StoreResult<bool>;

    async fn retired(&self, id: &str) -> StoreResult<Option<Retired>>;

    /// Frees a retired id once what was kept is gone.
    async fn unretire(&self, id: &str) -> StoreResult<bool>;

    async fn agents_of_friend(&self, friend_id: &str) -> StoreResult<Vec<Friendship>>;

    async fn has_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool>;

    /// Ties an agent to an existing friend (`NotFound` if the friend is gone, even when
    /// they are deleted meanwhile); an existing friendship is returned as it is.
    async fn add_friendship(&self, friendship: &Friendship) -> StoreResult<Friendship>;

    async fn remove_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool>;

    /// Adds an agent with the SHA-256 of its token. `Conflict` if the id is taken.
    async fn create_agent(&self, agent: &Agent, token_hash: &[u8; 32]) -> StoreResult<()>;

    async fn agent(&self, id: &str) -> StoreResult<Option<Agent>>;

    async fn agents(&self) -> StoreResult<Vec<Agent>>;

    /// The agent whose token hashes to `hash`.
    async fn agent_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<String>>;

    /// Removes an agent, its token and its friendships. `false` if there was none.
    async fn revoke_agent(&self, id: &str) -> StoreResult<bool>;
}
