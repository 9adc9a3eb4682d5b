//! Friends, the friendships that tie them to agents, and retired ids.

use std::ops::Bound;

use sled::Transactional;

use super::table::{decode, encode};
use super::{SledStore, abort, pair_key, platform_ids, prefix_key};
use crate::{Friend, FriendPage, Friendship, Retired, StoreError, StoreResult, StoredFriend};

impl SledStore {
    pub(super) async fn create_friend_tx(
        &self,
        friend: &Friend,
        by_agent: Option<&str>,
    ) -> StoreResult<()> {
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
                        return abort(StoreError::Conflict(crate::still_kept(&friend.id)));
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

    /// Friends in id order (bytewise), after `after`, at most `limit`; `agent`: only that
    /// agent's friends. As stored: each friend's JSON as `serde_json` wrote it from
    /// [`Friend`], for a list that passes records through without decoding them.
    pub(super) fn stored_friends_page(
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
            friends.push(StoredFriend {
                id,
                json: bytes::Bytes::copy_from_slice(&json),
            });
        }
        Ok(FriendPage {
            friends,
            more: false,
        })
    }

    /// Replaces the friend's record; refused (conflict) when a new platform id is another's,
    /// not found when the friend is gone (a delete meanwhile is not undone).
    pub(super) async fn put_friend_tx(&self, friend: &Friend) -> StoreResult<()> {
        let bytes = encode(friend)?;
        (&self.friends.tree, &self.platform_ids).transaction(|(friends, platform_ids)| {
            let Some(old) = friends.get(friend.id.as_bytes())? else {
                return abort(StoreError::NotFound(format!("no friend '{}'", friend.id)));
            };
            let old = decode::<Friend>(&old)
                .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
            platform_ids::claim(platform_ids, Some(&old), friend)?;
            friends.insert(friend.id.as_bytes(), bytes.as_slice())?;
            Ok(())
        })?;
        self.flush().await
    }

    /// Deletes the friend, their friendships and every session and link of theirs, in one
    /// transaction. Returns whether the friend existed. `retire`: the id is kept from a
    /// new friend until unretired (what was theirs is still being removed, or their
    /// namespace and app data stay behind). The sessions are listed first and listed
    /// again if one was made before the transaction (see `sessions.rs`), and none can be
    /// made after it: a session never outlives its friend, even for an instant, so none is
    /// ever valid for the next friend given the id.
    pub(super) async fn delete_friend_tx(
        &self,
        id: &str,
        retire: Option<&Retired>,
    ) -> StoreResult<bool> {
        let tombstone = retire.map(encode).transpose()?;
        let existed = loop {
            // Sessions, links and friendships made after this epoch bump it: the
            // transaction then finds it changed and everything is listed again.
            let epoch = self.session_epochs.get(id.as_bytes())?;
            let agents: Vec<String> = self
                .friendships_of(id)?
                .into_iter()
                .map(|f| f.agent_id)
                .collect();
            self.pauses.point("friend_agents_listed").await;
            let listed = self.friend_session_hashes(id)?;
            self.pauses.point("friend_sessions_listed").await;
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
        self.pauses.point("friend_deleted").await;
        self.flush().await?;
        Ok(existed)
    }

    pub(super) fn friendships_of(&self, friend_id: &str) -> StoreResult<Vec<Friendship>> {
        self.friendships
            .tree
            .scan_prefix(prefix_key(friend_id))
            .values()
            .map(|v| decode(&v?))
            .collect()
    }

    /// Links an agent to an existing friend. Idempotent: an existing friendship keeps its date.
    pub(super) async fn add_friendship_tx(
        &self,
        friendship: &Friendship,
    ) -> StoreResult<Friendship> {
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

    pub(super) async fn remove_friendship_tx(
        &self,
        agent_id: &str,
        friend_id: &str,
    ) -> StoreResult<bool> {
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

    /// Frees a retired id once what was kept is gone.
    pub(super) async fn unretire_id(&self, id: &str) -> StoreResult<bool> {
        let was = self.retired.tree.remove(id.as_bytes())?.is_some();
        self.flush().await?;
        Ok(was)
    }
}
