//! The subject friend of `/api/friends/:id/*`. An admin gets 404 for a friend that does
//! not exist. An agent gets the same 403 for a friend it has no friendship with whether or
//! not that friend exists, so agents cannot learn which friend ids are taken.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use portal_store::Friend;

pub async fn operator_subject(
    state: &AppState,
    caller: &Caller,
    friend_id: &str,
) -> ApiResult<Friend> {
    caller.require_operator()?;
    if let Caller::Agent(agent) = caller
        && !state
            .store
            .directory
            .has_friendship(agent, friend_id)
            .await?
    {
        return Err(not_yours(friend_id));
    }
    state
        .store
        .directory
        .friend(friend_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no friend '{friend_id}'")))
}

/// What an agent hears about any friend that is not theirs, existing or not.
fn not_yours(friend_id: &str) -> ApiError {
    ApiError::forbidden(format!(
        "'{friend_id}' is not one of your friends (ask the operator to introduce you)"
    ))
}
