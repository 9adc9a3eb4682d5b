//! [`Directory`] over the friends, agents and retired ids trees (`friends.rs`, `agents.rs`).

use async_trait::async_trait;

use super::SledStore;
use crate::{Agent, Directory, Friend, FriendPage, Friendship, Retired, StoreResult};

#[async_trait]
impl Directory for SledStore {
    async fn create_friend(&self, friend: &Friend, by_agent: Option<&str>) -> StoreResult<()> {
        self.create_friend_tx(friend, by_agent).await
    }

    async fn friend(&self, id: &str) -> StoreResult<Option<Friend>> {
        self.friends.get(id)
    }

    async fn friend_count(&self) -> StoreResult<usize> {
        Ok(self.friends.len())
    }

    async fn friends_page(
        &self,
        agent: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<FriendPage> {
        self.stored_friends_page(agent, after, limit)
    }

    async fn put_friend(&self, friend: &Friend) -> StoreResult<()> {
        self.put_friend_tx(friend).await
    }

    async fn delete_friend(&self, id: &str, retire: Option<&Retired>) -> StoreResult<bool> {
        self.delete_friend_tx(id, retire).await
    }

    async fn retired(&self, id: &str) -> StoreResult<Option<Retired>> {
        self.retired.get(id)
    }

    async fn unretire(&self, id: &str) -> StoreResult<bool> {
        self.unretire_id(id).await
    }

    async fn agents_of_friend(&self, friend_id: &str) -> StoreResult<Vec<Friendship>> {
        self.friendships_of(friend_id)
    }

    async fn has_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool> {
        Ok(self
            .agent_friends
            .contains_key(super::pair_key(agent_id, friend_id.as_bytes()))?)
    }

    async fn add_friendship(&self, friendship: &Friendship) -> StoreResult<Friendship> {
        self.add_friendship_tx(friendship).await
    }

    async fn remove_friendship(&self, agent_id: &str, friend_id: &str) -> StoreResult<bool> {
        self.remove_friendship_tx(agent_id, friend_id).await
    }

    async fn create_agent(&self, agent: &Agent, token_hash: &[u8; 32]) -> StoreResult<()> {
        self.create_agent_tx(agent, token_hash).await
    }

    async fn agent(&self, id: &str) -> StoreResult<Option<Agent>> {
        self.agents.get(id)
    }

    async fn agents(&self) -> StoreResult<Vec<Agent>> {
        self.agents.values().collect()
    }

    async fn agent_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<String>> {
        self.agent_token_owner(hash)
    }

    async fn revoke_agent(&self, id: &str) -> StoreResult<bool> {
        self.revoke_agent_tx(id).await
    }
}
