//! Identity: turning a bearer token into a [`Caller`], and issuing portal sessions.

pub mod admin_token;
mod caller;
pub mod sessions;
pub mod tokens;

use axum::http::{HeaderMap, header};

pub use caller::{Caller, CallerKind};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::SessionState;

/// Resolves the caller from `Authorization: Bearer`. `Ok(None)` when no header was sent.
pub fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "malformed_token",
                "the Authorization header must be 'Bearer <token>'",
            )
        })?;

    if tokens::constant_time_eq(token, &state.admin_token) {
        return Ok(Some(Caller::Admin));
    }
    let hash = tokens::hash(token);
    if let Some(agent) = state.store.agent_by_token_hash(&hash)? {
        return Ok(Some(Caller::Agent(agent)));
    }
    let session = state.store.session(&hash)?;
    match session.map_or(SessionState::Unknown, |s| s.state_at(state.clock.now())) {
        SessionState::Active(s) => Ok(Some(Caller::Friend {
            id: s.friend_id,
            session: hash,
        })),
        SessionState::Expired => Err(ApiError::unauthorized(
            "session_expired",
            "this portal link has expired; ask your agent for a new one",
        )),
        SessionState::Revoked => Err(ApiError::unauthorized(
            "session_revoked",
            "this portal session was signed out or revoked; ask your agent for a new link",
        )),
        SessionState::Unknown => Err(ApiError::unauthorized(
            "unknown_token",
            "the token is not valid",
        )),
    }
}
