//! Magic links: agents ask for a portal session for a friend; friends and agents end them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::operator_subject;
use crate::auth::{Caller, sessions};
use crate::error::ApiResult;
use crate::server::guard::AuditSubject;
use crate::server::json::JsonBody;
use crate::state::SharedState;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSession {
    #[schemars(length(max = crate::validate::ID_MAX), pattern(crate::validate::ID_PATTERN))]
    friend_id: String,
}

/// A magic link: the portal URL carries the session token.
#[derive(Serialize, JsonSchema)]
pub struct PortalSession {
    pub portal_url: String,
    pub session_token: String,
    /// RFC 3339, UTC, whole seconds.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Revoked {
    /// How many sessions were revoked.
    pub revoked: usize,
}

pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewSession>,
) -> ApiResult<Response> {
    let friend = operator_subject(&state, &caller, &body.friend_id)?;
    let issued = sessions::issue(&state, &friend.id, caller.label()).await?;
    tracing::info!(friend = %friend.id, "portal session issued");
    let body = PortalSession {
        portal_url: format!("{}/portal?s={}", state.public_url(), issued.token),
        session_token: issued.token,
        expires_at: issued
            .expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.extensions_mut().insert(AuditSubject(friend.id));
    Ok(response)
}

/// Logout: the friend's own token stops working at once.
pub async fn revoke_own(State(state): State<SharedState>, caller: Caller) -> ApiResult<StatusCode> {
    caller.require_friend()?;
    if let Caller::Friend { session, .. } = &caller {
        state
            .store
            .revoke_session(session, state.clock.now())
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn revoke_friend(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Revoked>> {
    operator_subject(&state, &caller, &id)?;
    let revoked = state
        .store
        .revoke_friend_sessions(&id, state.clock.now())
        .await?;
    Ok(Json(Revoked { revoked }))
}
