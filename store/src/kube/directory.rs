//! Friends, friendships, retired ids and agents. A friend is one [`PortalFriend`] object
//! named by their id: creating it if absent keeps ids unique, and a retired id keeps its
//! object (without a friend) so that the create is refused. Friendships live in the
//! friend's object, so they come and go with it by the same compare-and-swap.

use async_trait::async_trait;
use chrono::Utc;

use super::KubeStore;
use super::crds::{PortalAgent, PortalAgentSpec, PortalFriend, PortalFriendSpec};
use super::names::{friend_selector, session_name};
use super::objects::{Removed, Replaced, Step};
use crate::domain::{
    Agent, Directory, Friend, FriendPage, Friendship, Retired, StoredFriend, still_kept,
};
use crate::{StoreError, StoreResult};

fn friendship(friend: &str, agent: &str, since: chrono::DateTime<Utc>) -> Friendship {
    Friendship {
        agent_id: agent.to_owned(),
        friend_id: friend.to_owned(),
        since,
    }
}

impl KubeStore {
    fn live_friend(&self, id: &str) -> Option<(Friend, PortalFriendSpec)> {
        let object = self.friends.cached(id)?;
        let friend = object.spec.friend.clone()?;
        Some((friend, object.spec.clone()))
    }
}

#[async_trait]
impl Directory for KubeStore {
    async fn create_friend(&self, friend: &Friend, by_agent: Option<&str>) -> StoreResult<()> {
        let mut spec = PortalFriendSpec {
            friend: Some(friend.clone()),
            friendships: Default::default(),
            retired_at: None,
            epoch: 0,
        };
        if let Some(agent) = by_agent {
            spec.friendships.insert(agent.to_owned(), friend.created_at);
        }
        let Some(made) = self
            .friends
            .create(&PortalFriend::new(&friend.id, spec))
            .await?
        else {
            let held = self.friends.fetch(&friend.id).await?;
            return Err(StoreError::Conflict(
                match held.is_some_and(|h| h.spec.retired_at.is_some()) {
                    true => still_kept(&friend.id),
                    false => format!("friend '{}' already exists", friend.id),
                },
            ));
        };
        self.pause("friend_made").await;
        if let Err(e) = self.claim_platform_ids(friend).await {
            // Undo: nobody was told of the friend yet.
            self.release_platform_ids(friend, None).await?;
            self.friends.delete(&friend.id, Some(&made)).await?;
            return Err(e);
        }
        Ok(())
    }

    async fn friend(&self, id: &str) -> StoreResult<Option<Friend>> {
        Ok(self.live_friend(id).map(|(f, _)| f))
    }

    async fn friend_count(&self) -> StoreResult<usize> {
        Ok(self
            .friends
            .all()
            .iter()
            .filter(|o| o.spec.friend.is_some())
            .count())
    }

    async fn friends_page(
        &self,
        agent: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<FriendPage> {
        let mut friends = Vec::new();
        for object in self.friends.all() {
            let Some(friend) = &object.spec.friend else {
                continue;
            };
            if after.is_some_and(|after| friend.id.as_str() <= after)
                || agent.is_some_and(|a| !object.spec.friendships.contains_key(a))
            {
                continue;
            }
            if friends.len() == limit {
                return Ok(FriendPage {
                    friends,
                    more: true,
                });
            }
            friends.push(StoredFriend {
                id: friend.id.clone(),
                json: serde_json::to_vec(friend)?.into(),
            });
        }
        Ok(FriendPage {
            friends,
            more: false,
        })
    }

    async fn put_friend(&self, friend: &Friend) -> StoreResult<()> {
        let old = self
            .friends
            .update(&friend.id, |o| {
                let Some(old) = o.spec.friend.replace(friend.clone()) else {
                    return Err(StoreError::NotFound(format!("no friend '{}'", friend.id)));
                };
                Ok(Step::Write(old))
            })
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no friend '{}'", friend.id)))?;
        if let Err(e) = self.claim_platform_ids(friend).await {
            // Back to the record before, unless it changed again meanwhile.
            self.friends
                .update(&friend.id, |o| match &o.spec.friend {
                    Some(now) if now == friend => {
                        o.spec.friend = Some(old.clone());
                        Ok(Step::Write(()))
                    }
                    _ => Ok(Step::Keep(())),
                })
                .await?;
            return Err(e);
        }
        self.release_platform_ids(&old, Some(friend)).await
    }

    async fn delete_friend(&self, id: &str, retire: Option<&Retired>) -> StoreResult<bool> {
        for _ in 0..50 {
            // The version read is the epoch: anything made for the friend after it moves
            // it on, and the delete below, made on this version, then fails.
            let Some(object) = self.friends.fetch(id).await? else {
                return Ok(false);
            };
            let Some(friend) = object.spec.friend.clone() else {
                return Ok(false);
            };
            self.pause("friend_agents_listed").await;
            let listed = self.sessions.list_direct(&friend_selector(id)).await?;
            self.pause("friend_sessions_listed").await;
            for session in &listed {
                let name = session.metadata.name.clone().unwrap_or_default();
                self.sessions.delete(&name, None).await?;
            }
            let done = match retire {
                Some(retired) => {
                    let mut tombstone = object.clone();
                    tombstone.spec = PortalFriendSpec {
                        friend: None,
                        friendships: Default::default(),
                        retired_at: Some(retired.deleted_at),
                        epoch: object.spec.epoch + 1,
                    };
                    match self.friends.replace(&tombstone).await? {
                        Replaced::Done(_) => true,
                        Replaced::Gone => return Ok(false),
                        Replaced::Stale => false,
                    }
                }
                None => match self.friends.delete(id, Some(&object)).await? {
                    Removed::Deleted => true,
                    Removed::Absent => return Ok(false),
                    Removed::Stale => false,
                },
            };
            if done {
                self.pause("friend_deleted").await;
                self.release_platform_ids(&friend, None).await?;
                return Ok(true);
            }
        }
        Err(StoreError::Contended(format!("friend {id}")))
    }

    async fn retired(&self, id: &str) -> StoreResult<Option<Retired>> {
        Ok(self
            .friends
            .cached(id)
            .and_then(|o| o.spec.retired_at)
            .map(|deleted_at| Retired { deleted_at }))
    }

    async fn unretire(&self, id: &str) -> StoreResult<bool> {
        self.friends
            .delete_if(id, |o| {
                o.spec.friend.is_none() && o.spec.retired_at.is_some()
            })
            .await
    }

    async fn agents_of_friend(&self, friend_id: &str) -> StoreResult<Vec<Friendship>> {
        Ok(self
            .live_friend(friend_id)
            .map(|(_, spec)| {
                spec.friendships
                    .iter()
                    .map(|(agent, since)| friendship(friend_id, agent, *since))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn has_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool> {
        Ok(self
            .live_friend(friend_id)
            .is_some_and(|(_, spec)| spec.friendships.contains_key(agent_id)))
    }

    async fn add_friendship(&self, wanted: &Friendship) -> StoreResult<Friendship> {
        let friend = wanted.friend_id.as_str();
        let missing = || StoreError::NotFound(format!("no friend '{friend}'"));
        self.friends
            .update(friend, |o| {
                if o.spec.friend.is_none() {
                    return Err(missing());
                }
                if let Some(since) = o.spec.friendships.get(&wanted.agent_id) {
                    return Ok(Step::Keep(friendship(friend, &wanted.agent_id, *since)));
                }
                o.spec
                    .friendships
                    .insert(wanted.agent_id.clone(), wanted.since);
                o.spec.epoch += 1;
                Ok(Step::Write(wanted.clone()))
            })
            .await?
            .ok_or_else(missing)
    }

    async fn remove_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool> {
        Ok(self
            .friends
            .update(friend_id, |o| match o.spec.friendships.remove(agent_id) {
                Some(_) => Ok(Step::Write(true)),
                None => Ok(Step::Keep(false)),
            })
            .await?
            .unwrap_or(false))
    }

    async fn create_agent(&self, agent: &Agent, token_hash: &[u8; 32]) -> StoreResult<()> {
        let spec = PortalAgentSpec {
            display_name: agent.display_name.clone(),
            created_at: agent.created_at,
            token_sha256: session_name(token_hash),
        };
        match self
            .agents
            .create(&PortalAgent::new(&agent.id, spec))
            .await?
        {
            Some(_) => Ok(()),
            None => Err(StoreError::Conflict(format!(
                "agent '{}' already exists",
                agent.id
            ))),
        }
    }

    async fn agent(&self, id: &str) -> StoreResult<Option<Agent>> {
        Ok(self.agents.cached(id).map(|o| agent_of(&o)))
    }

    async fn agents(&self) -> StoreResult<Vec<Agent>> {
        Ok(self.agents.all().iter().map(|o| agent_of(o)).collect())
    }

    async fn agent_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<String>> {
        let wanted = session_name(hash);
        Ok(self
            .agents
            .all()
            .iter()
            .find(|o| o.spec.token_sha256 == wanted)
            .and_then(|o| o.metadata.name.clone()))
    }

    async fn revoke_agent(&self, id: &str) -> StoreResult<bool> {
        if self.agents.delete(id, None).await? != Removed::Deleted {
            return Ok(false);
        }
        for object in self.friends.all() {
            if object.spec.friendships.contains_key(id) {
                let friend = object.metadata.name.clone().unwrap_or_default();
                self.remove_friendship(id, &friend).await?;
            }
        }
        Ok(true)
    }
}

pub(crate) fn agent_of(object: &PortalAgent) -> Agent {
    Agent {
        id: object.metadata.name.clone().unwrap_or_default(),
        display_name: object.spec.display_name.clone(),
        created_at: object.spec.created_at,
    }
}
