//! The subject friend of `/api/friends/:id/*`: it must exist (404), and an agent must
//! have a friendship with it (403).

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::Friend;

pub fn operator_subject(state: &AppState, caller: &Caller, friend_id: &str) -> ApiResult<Friend> {
    caller.require_operator()?;
    let friend = state
        .store
        .friend(friend_id)?
        .ok_or_else(|| ApiError::not_found(format!("no friend '{friend_id}'")))?;
    if let Caller::Agent(agent) = caller
        && !state.store.has_friendship(agent, friend_id)?
    {
        return Err(ApiError::forbidden(format!(
            "agent '{agent}' has no friendship with '{friend_id}'"
        )));
    }
    Ok(friend)
}
