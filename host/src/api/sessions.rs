//! Magic links: agents ask for a link for a friend, the friend's browser exchanges it for
//! a session of its own; friends and agents end them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::operator_subject;
use crate::auth::{Caller, sessions};
use crate::error::ApiResult;
use crate::server::guard::AuditSubject;
use crate::server::json::JsonBody;
use crate::state::SharedState;
use portal_store::AuditEntry;

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

/// A magic link's token, to exchange for a session of the browser's own.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkExchange {
    /// The `session_token` of `POST /api/auth/portal-session` (the link's `?s=`).
    #[schemars(length(min = 1, max = 256))]
    link_token: String,
}

/// A browser's own session, made by opening a link.
#[derive(Serialize, JsonSchema)]
pub struct ExchangedSession {
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
    let friend = operator_subject(&state, &caller, &body.friend_id).await?;
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

/// Opening a link: its token is spent and a fresh one, valid 30 days, is the browser's.
/// Public: the link's token is the credential, and it is in the body, not a header.
pub async fn exchange(
    State(state): State<SharedState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LinkExchange>,
) -> ApiResult<Response> {
    let browser = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::browser::describe);
    let (session, issued) = sessions::exchange(&state, body.link_token.trim(), browser).await?;
    tracing::info!(friend = %session.friend_id, "portal link exchanged for a session");
    let entry = AuditEntry {
        at: session.created_at,
        caller: format!("friend:{}", session.friend_id),
        action: "POST /api/auth/exchange".to_owned(),
        subject: Some(session.friend_id.clone()),
        status: StatusCode::CREATED.as_u16(),
        request_id: crate::telemetry::request_id::current().unwrap_or_default(),
    };
    if let Err(e) = state.store.audit.append_audit(&entry).await {
        tracing::error!(error = %e, "could not write the audit entry");
    }
    let body = ExchangedSession {
        session_token: issued.token,
        expires_at: issued
            .expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Logout: the friend's own token stops working at once.
pub async fn revoke_own(State(state): State<SharedState>, caller: Caller) -> ApiResult<StatusCode> {
    caller.require_friend()?;
    if let Caller::Friend { session, .. } = &caller {
        state
            .store
            .sessions
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
    operator_subject(&state, &caller, &id).await?;
    let revoked = state
        .store
        .sessions
        .revoke_friend_sessions(&id, state.clock.now())
        .await?;
    Ok(Json(Revoked { revoked }))
}
