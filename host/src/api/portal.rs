//! Host-native `/api/portal/*` endpoints: the friend's own profile and agents.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::friends::{AgentLink, agent_links};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;

pub async fn me(State(state): State<SharedState>, caller: Caller) -> ApiResult<Json<Value>> {
    let id = caller.require_friend()?;
    let friend = state
        .store
        .friend(id)?
        .ok_or_else(|| ApiError::not_found("your friend profile no longer exists"))?;
    let secrets = state.secret_count(&friend.id).await;
    Ok(Json(json!({
        "id": friend.id,
        "display_name": friend.display_name,
        "preferred_channel": friend.preferred_channel,
        "namespace": friend.namespace(),
        "stats": {
            "logs": state.workspace.log_count(&friend.id),
            "secrets": secrets,
        }
    })))
}

pub async fn agents(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AgentLink>>> {
    let id = caller.require_friend()?;
    Ok(Json(agent_links(&state, id)?))
}

/// The host-native twin of the `hello` plugin's echo: the same answer without a plugin,
/// so the cost of the sandbox can be measured (see the benchmarks).
pub async fn echo(caller: Caller, axum::extract::RawQuery(query): axum::extract::RawQuery) -> ApiResult<Json<Value>> {
    let id = caller.require_friend()?;
    let query: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    Ok(Json(json!({
        "version": "native",
        "route": "portal.echo",
        "params": [],
        "query": query,
        "caller": {"kind": "friend", "id": id},
        "friend": id,
    })))
}
