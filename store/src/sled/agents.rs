//! Agents: the AI assistants that call the API with their own token, kept with the hash of
//! that token only.

use sled::Transactional;

use super::table::encode;
use super::{SledStore, abort, pair_key, prefix_key};
use crate::{Agent, StoreError, StoreResult};

impl SledStore {
    /// Stores a new agent with the hash of its token; a conflict when the id is taken.
    pub(super) async fn create_agent_tx(
        &self,
        agent: &Agent,
        token_hash: &[u8; 32],
    ) -> StoreResult<()> {
        let bytes = encode(agent)?;
        (&self.agents.tree, &self.agent_tokens).transaction(|(agents, tokens)| {
            if agents.get(agent.id.as_bytes())?.is_some() {
                return abort(StoreError::Conflict(format!(
                    "agent '{}' already exists",
                    agent.id
                )));
            }
            agents.insert(agent.id.as_bytes(), bytes.as_slice())?;
            tokens.insert(token_hash.as_slice(), agent.id.as_bytes())?;
            Ok(())
        })?;
        self.flush().await
    }

    pub(super) fn agent_token_owner(&self, hash: &[u8; 32]) -> StoreResult<Option<String>> {
        Ok(self
            .agent_tokens
            .get(hash)?
            .map(|id| String::from_utf8_lossy(&id).into_owned()))
    }

    /// The hashes of the agent's tokens (one, as agents are made).
    pub(super) fn agent_token_hashes(&self, id: &str) -> Vec<sled::IVec> {
        self.agent_tokens
            .iter()
            .filter_map(Result::ok)
            .filter(|(_, agent)| agent.as_ref() == id.as_bytes())
            .map(|(hash, _)| hash)
            .collect()
    }

    /// Revokes an agent: its token stops working at once and its friendships end.
    pub(super) async fn revoke_agent_tx(&self, id: &str) -> StoreResult<bool> {
        if !self.agents.contains(id)? {
            return Ok(false);
        }
        let token_hashes = self.agent_token_hashes(id);
        let prefix = prefix_key(id);
        let friends: Vec<Vec<u8>> = self
            .agent_friends
            .scan_prefix(&prefix)
            .keys()
            .filter_map(Result::ok)
            .map(|k| k[prefix.len()..].to_vec())
            .collect();
        (
            &self.agents.tree,
            &self.agent_tokens,
            &self.friendships.tree,
            &self.agent_friends,
        )
            .transaction(|(agents, tokens, friendships, agent_friends)| {
                agents.remove(id.as_bytes())?;
                for hash in &token_hashes {
                    tokens.remove(hash)?;
                }
                for friend in &friends {
                    let friend = String::from_utf8_lossy(friend);
                    friendships.remove(pair_key(&friend, id.as_bytes()))?;
                    agent_friends.remove(pair_key(id, friend.as_bytes()))?;
                }
                Ok(())
            })?;
        self.flush().await?;
        Ok(true)
    }
}
