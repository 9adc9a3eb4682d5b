//! `/api/agents`: the operator registers agents and gets each one's token once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, tokens};
use crate::error::{ApiError, ApiResult};
use crate::server::json::JsonBody;
use crate::state::SharedState;
use crate::validate;
use portal_store::{Agent, StoreError};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// 1-32 of a-z, 0-9 and '-'.
    #[schemars(length(max = crate::validate::ID_MAX), pattern(crate::validate::ID_PATTERN))]
    id: String,
    /// Defaults to the id.
    #[serde(default)]
    #[schemars(length(min = 1, max = crate::validate::DISPLAY_NAME_MAX), pattern(crate::validate::DISPLAY_NAME_PATTERN))]
    display_name: Option<String>,
}

/// A registered agent with its token, shown this once.
#[derive(Serialize, JsonSchema)]
pub struct NewAgentToken {
    pub id: String,
    pub display_name: String,
    pub token: String,
}

pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewAgent>,
) -> ApiResult<(StatusCode, Json<NewAgentToken>)> {
    caller.require_admin()?;
    let (agent, token) = register(&state, body.id, body.display_name).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewAgentToken {
            id: agent.id,
            display_name: agent.display_name,
            token,
        }),
    ))
}

/// Shared by the endpoint and `portal agent add`.
pub async fn register(
    state: &crate::state::AppState,
    id: String,
    display_name: Option<String>,
) -> ApiResult<(Agent, String)> {
    validate::agent_id(&id).map_err(|rule| ApiError::invalid("id", rule))?;
    let display_name = display_name.unwrap_or_else(|| id.clone());
    validate::display_name(&display_name)
        .map_err(|rule| ApiError::invalid("display_name", rule))?;
    let agent = Agent {
        id,
        display_name,
        created_at: state.clock.now(),
    };
    let token = tokens::generate();
    match state
        .store
        .directory
        .create_agent(&agent, &tokens::hash(&token))
        .await
    {
        Ok(()) => Ok((agent, token)),
        Err(StoreError::Conflict(msg)) => Err(ApiError::conflict(msg)),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(State(state): State<SharedState>, caller: Caller) -> ApiResult<Json<Vec<Agent>>> {
    caller.require_admin()?;
    Ok(Json(state.store.directory.agents().await?))
}

pub async fn revoke(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    if state.store.directory.revoke_agent(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no agent '{id}'")))
    }
}
