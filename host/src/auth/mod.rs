//! Identity: turning a bearer token into a [`Caller`], and issuing portal sessions.

pub mod admin_token;
pub mod browser;
mod caller;
pub mod policy;
pub mod sessions;
pub mod tokens;
mod touching;

use axum::http::{HeaderMap, header};

pub use caller::{Caller, CallerKind};
pub use touching::Touching;

use crate::error::ApiError;
use crate::state::AppState;
use portal_store::SessionState;

/// Resolves the caller from `Authorization: Bearer`. `Ok(None)` when no header was sent.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
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
    if let Some(agent) = state.store.directory.agent_by_token_hash(&hash).await? {
        return Ok(Some(Caller::Agent(agent)));
    }
    let session = state.store.sessions.session(&hash).await?;
    let now = state.clock.now();
    match session.map_or(SessionState::Unknown, |s| s.state_at(now)) {
        SessionState::Active(s) => {
            note_use(state, headers, &hash, &s, now).await;
            Ok(Some(Caller::Friend {
                id: s.friend_id,
                session: hash,
            }))
        }
        SessionState::Spent => Err(ApiError::unauthorized(
            "link_used",
            "this link was already opened, and works only once; ask your agent for a new one",
        )),
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

/// How often a session's "last used" is written: a page polling every second costs one
/// write a minute, not sixty.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// Records when and from which browser a session was used, so the friend can tell their
/// sessions apart. A failure to record it never fails the request.
async fn note_use(
    state: &AppState,
    headers: &HeaderMap,
    hash: &[u8; 32],
    session: &portal_store::Session,
    now: chrono::DateTime<chrono::Utc>,
) {
    let browser = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(browser::describe);
    let fresh = session
        .last_used_at
        .is_some_and(|at| now - at < TOUCH_EVERY);
    if fresh && (browser.is_none() || browser == session.browser) {
        return;
    }
    // Requests arriving together all see the old time: one of them records the use, the
    // rest go on (with the kube store, each write is a request to the API server).
    let Some(_recording) = state.touching.claim(*hash) else {
        return;
    };
    if let Err(e) = state.store.sessions.touch_session(hash, now, browser).await {
        tracing::warn!(error = %e, "could not record a session's use");
    }
}
