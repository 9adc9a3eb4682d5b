//! Friends and the friendships that tie them to agents.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::platform_ids;
use super::retired::Retired;
use super::table::{decode, encode};
use super::{Store, StoreError, StoreResult, abort, pair_key, prefix_key};

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

/// One page of [`Store::stored_friends_page`].
pub struct FriendPage {
    pub friends: Vec<StoredFriend>,
    /// Whether friends remain after the last one.
    pub more: bool,
}

/// A friend's record as stored: the JSON of a [`Friend`].
pub struct StoredFriend {
    pub id: String,
    pub json: sled::IVec,
}

/// What every friend's namespace name begins with; nothing else of the portal's may.
pub const NAMESPACE_PREFIX: &str = "friend-";

pub fn namespace_of(friend_id: &str) -> String {
    format!("{NAMESPACE_PREFIX}{friend_id}")
}

/// A partial update: an absent field keeps its value, `null` clears it.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FriendPatch {
    #[serde(default)]
    #[schemars(length(min = 1, max = crate::validate::DISPLAY_NAME_MAX), pattern(crate::validate::DISPLAY_NAME_PATTERN))]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", pattern(crate::validate::DISCORD_ID_PATTERN))]
    pub discord_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", pattern(crate::validate::PHONE_PATTERN))]
    pub signal: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", pattern(crate::validate::PHONE_PATTERN))]
    pub whatsapp: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub preferred_channel: Option<Option<String>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl FriendPatch {
    pub fn apply(self, friend: &mut Friend) {
        if let Some(v) = self.display_name {
            friend.display_name = v;
        }
        if let Some(v) = self.discord_id {
            friend.discord_id = v;
        }
        if let Some(v) = self.signal {
            friend.signal = v;
        }
        if let Some(v) = self.whatsapp {
            friend.whatsapp = v;
        }
        if let Some(v) = self.preferred_channel {
            friend.preferred_channel = v;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Friendship {
    pub agent_id: String,
    pub friend_id: String,
    pub since: DateTime<Utc>,
}

impl Store {
    /// Creates the friend and, when an agent creates it, their friendship, in one transaction.
    /// Refused (conflict) when the id is taken or retired, or a platform id is another's.
    pub async fn create_friend(&self, friend: &Friend, by_agent: Option<&str>) -> StoreResult<()> {
        let friend_bytes = encode(friend)?;
        let friendship = by_agent.map(|agent_id| Friendship {
            agent_id: agent_id.to_owned(),
            friend_id: friend.id.clone(),
            since: friend.created_at,
        });
        let friendship_bytes = friendship.as_ref().map(encode).transpose()?;
        (
            &self.friends.tree,
            &self.friendships.tree,
            &self.agent_friends,
            &self.platform_ids,
            &self.retired.tree,
        )
            .transaction(
                |(friends, friendships, agent_friends, platform_ids, retired)| {
                    if friends.get(friend.id.as_bytes())?.is_some() {
                        return abort(StoreError::Conflict(format!(
                            "friend '{}' already exists",
                            friend.id
                        )));
                    }
                    if retired.get(friend.id.as_bytes())?.is_some() {
                        return abort(StoreError::Conflict(super::retired::still_kept(&friend.id)));
                    }
                    platform_ids::claim(platform_ids, None, friend)?;
                    friends.insert(friend.id.as_bytes(), friend_bytes.as_slice())?;
                    if let (Some(f), Some(bytes)) = (&friendship, &friendship_bytes) {
                        friendships.insert(
                            pair_key(&f.friend_id, f.agent_id.as_bytes()),
                            bytes.as_slice(),
                        )?;
                        agent_friends.insert(pair_key(&f.agent_id, f.friend_id.as_bytes()), &[])?;
                    }
                    Ok(())
                },
            )?;
        self.flush().await
    }

    pub fn friend(&self, id: &str) -> StoreResult<Option<Friend>> {
        self.friends.get(id)
    }

    pub fn friend_count(&self) -> usize {
        self.friends.len()
    }

    /// Friends in id order (bytewise), after `after`, at most `limit`; `agent`: only that
    /// agent's friends. As stored: each friend's JSON as `serde_json` wrote it from
    /// [`Friend`], for a list that passes records through without decoding them.
    pub fn stored_friends_page(
        &self,
        agent: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<FriendPage> {
        let (tree, prefix) = match agent {
            Some(agent) => (&self.agent_friends, prefix_key(agent)),
            None => (&self.friends.tree, Vec::new()),
        };
        let start = match after {
            Some(after) => Bound::Excluded([prefix.as_slice(), after.as_bytes()].concat()),
            None => Bound::Included(prefix.clone()),
        };
        let mut friends = Vec::new();
        for entry in tree.range((start, Bound::Unbounded)) {
            let (key, value) = entry?;
            if !key.starts_with(&prefix) {
                break;
            }
            if friends.len() == limit {
                return Ok(FriendPage {
                    friends,
                    more: true,
                });
            }
            let id = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            let json = match agent {
                // The index holds ids only; a friend deleted since is skipped.
                Some(_) => match self.friends.tree.get(&id)? {
                    Some(json) => json,
                    None => continue,
                },
                None => value,
            };
            friends.push(StoredFriend { id, json });
        }
        Ok(FriendPage {
            friends,
            more: false,
        })
    }

    /// Replaces the friend's record; refused (conflict) when a new platform id is another's.
    pub async fn put_friend(&self, friend: &Friend) -> StoreResult<()> {
        let bytes = encode(friend)?;
        (&self.friends.tree, &self.platform_ids).transaction(|(friends, platform_ids)| {
            let old = match friends.get(friend.id.as_bytes())? {
                Some(old) => Some(
                    decode::<Friend>(&old)
                        .map_err(sled::transaction::ConflictableTransactionError::Abort)?,
                ),
                None => None,
            };
            platform_ids::claim(platform_ids, old.as_ref(), friend)?;
            friends.insert(friend.id.as_bytes(), bytes.as_slice())?;
            Ok(())
        })?;
        self.flush().await
    }

    /// Deletes the friend, their friendships and every session and link of theirs, in one
    /// transaction. Returns whether the friend existed. `retire`: the id is kept from a
    /// new friend until [`Store::unretire`] (what was theirs is still being removed, or
    /// their namespace and app data stay behind). The sessions are listed first and listed
    /// again if one was made before the transaction (see `sessions.rs`), and none can be
    /// made after it: a session never outlives its friend, even for an instant, so none is
    /// ever valid for the next friend given the id.
    pub async fn delete_friend(&self, id: &str, retire: Option<&Retired>) -> StoreResult<bool> {
        let tombstone = retire.map(encode).transpose()?;
        let existed = loop {
            // Sessions, links and friendships made after this epoch bump it: the
            // transaction then finds it changed and everything is listed again.
            let epoch = self.session_epoch(id)?;
            let agents: Vec<String> = self
                .agents_of_friend(id)?
                .into_iter()
                .map(|f| f.agent_id)
                .collect();
            self.pause_point("friend_agents_listed").await;
            let listed = self.friend_session_hashes(id)?;
            self.pause_point("friend_sessions_listed").await;
            let outcome = (
                &self.friends.tree,
                &self.friendships.tree,
                &self.agent_friends,
                &self.platform_ids,
                &self.retired.tree,
                &self.sessions.tree,
                &self.friend_sessions,
                &self.session_epochs,
            )
                .transaction(
                    |(
                        friends,
                        friendships,
                        agent_friends,
                        platform_ids,
                        retired,
                        sessions,
                        friend_sessions,
                        epochs,
                    )| {
                        if epochs.get(id.as_bytes())? != epoch {
                            // A session was made since they were listed: list again.
                            return Ok(None);
                        }
                        for (index_key, hash) in &listed {
                            sessions.remove(hash.as_slice())?;
                            friend_sessions.remove(index_key)?;
                        }
                        epochs.remove(id.as_bytes())?;
                        let Some(old) = friends.remove(id.as_bytes())? else {
                            return Ok(Some(false));
                        };
                        let old: Friend = decode(&old)
                            .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                        platform_ids::release(platform_ids, &old)?;
                        for agent in &agents {
                            friendships.remove(pair_key(id, agent.as_bytes()))?;
                            agent_friends.remove(pair_key(agent, id.as_bytes()))?;
                        }
                        if let Some(tombstone) = &tombstone {
                            retired.insert(id.as_bytes(), tombstone.as_slice())?;
                        }
                        Ok(Some(true))
                    },
                )?;
            if let Some(existed) = outcome {
                break existed;
            }
        };
        self.pause_point("friend_deleted").await;
        self.flush().await?;
        Ok(existed)
    }

    pub fn agents_of_friend(&self, friend_id: &str) -> StoreResult<Vec<Friendship>> {
        self.friendships
            .tree
            .scan_prefix(prefix_key(friend_id))
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    pub fn has_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool> {
        Ok(self
            .agent_friends
            .contains_key(pair_key(agent_id, friend_id.as_bytes()))?)
    }

    /// Links an agent to an existing friend. Idempotent: an existing friendship keeps its date.
    pub async fn add_friendship(&self, friendship: &Friendship) -> StoreResult<Friendship> {
        let key = pair_key(&friendship.friend_id, friendship.agent_id.as_bytes());
        if let Some(existing) = self.friendships.get(&key)? {
            return Ok(existing);
        }
        let bytes = encode(friendship)?;
        let friend = friendship.friend_id.as_str();
        (
            &self.friendships.tree,
            &self.agent_friends,
            &self.friends.tree,
            &self.session_epochs,
        )
            .transaction(|(friendships, agent_friends, friends, epochs)| {
                // A friend deleted meanwhile gets no friendship the next friend given the
                // id would inherit; one being deleted lists its friendships again.
                super::sessions::attach_to_friend(
                    friends,
                    epochs,
                    friend,
                    super::sessions::no_friend(friend),
                )?;
                friendships.insert(key.as_slice(), bytes.as_slice())?;
                agent_friends.insert(
                    pair_key(&friendship.agent_id, friendship.friend_id.as_bytes()),
                    &[],
                )?;
                Ok(())
            })?;
        self.flush().await?;
        Ok(friendship.clone())
    }
}

impl Store {
    pub async fn remove_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool> {
        let existed = (&self.friendships.tree, &self.agent_friends).transaction(
            |(friendships, agent_friends)| {
                let existed = friendships
                    .remove(pair_key(friend_id, agent_id.as_bytes()))?
                    .is_some();
                agent_friends.remove(pair_key(agent_id, friend_id.as_bytes()))?;
                Ok(existed)
            },
        )?;
        self.flush().await?;
        Ok(existed)
    }
}
