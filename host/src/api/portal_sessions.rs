//! A friend's own sessions: the browsers signed in as them and the links not yet opened,
//! which they can see and end. Each is named by an id derived from its token's hash, so
//! the id shown is no credential and cannot be turned back into one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use portal_store::{Session, SessionKind};

/// One of the friend's live sessions.
#[derive(Serialize, JsonSchema)]
pub struct SessionView {
    /// Names the session for `DELETE /api/portal/sessions/{id}`; not a token.
    pub id: String,
    /// `link`: a link sent to the friend and not opened yet; `session`: a browser's.
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    /// The browser it was last used from, e.g. "Chrome on Android"; null if never used.
    pub browser: Option<String>,
    /// This is the session making the request.
    pub current: bool,
}

/// The public id of the session stored under `hash`.
fn session_id(hash: &[u8; 32]) -> String {
    let digest = Sha256::new()
        .chain_update(b"friend-portal session id\0")
        .chain_update(hash)
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

fn view(hash: &[u8; 32], session: Session, current: &[u8; 32]) -> SessionView {
    SessionView {
        id: session_id(hash),
        kind: session.kind,
        created_at: session.created_at,
        last_used_at: session.last_used_at,
        expires_at: session.expires_at,
        browser: session.browser,
        current: hash == current,
    }
}

fn friend_session(caller: &Caller) -> ApiResult<(&str, &[u8; 32])> {
    let id = caller.require_friend()?;
    match caller {
        Caller::Friend { session, .. } => Ok((id, session)),
        _ => Err(ApiError::forbidden(
            "/api/portal/* needs a friend's portal session",
        )),
    }
}

pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SessionView>>> {
    let (friend, current) = friend_session(&caller)?;
    let sessions = state
        .store
        .sessions
        .live_sessions(friend, state.clock.now())
        .await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|(hash, session)| view(&hash, session, current))
            .collect(),
    ))
}

/// Ends one of the caller's own sessions (the current one too: that is signing out).
/// Another friend's id, or one already ended, is not found.
pub async fn end(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let (friend, _) = friend_session(&caller)?;
    let now = state.clock.now();
    let found = state
        .store
        .sessions
        .live_sessions(friend, now)
        .await?
        .into_iter()
        .find(|(hash, _)| session_id(hash) == id);
    let Some((hash, _)) = found else {
        return Err(ApiError::not_found(
            "no such session (it may have ended already)",
        ));
    };
    // Ended meanwhile, or a link opened meanwhile: its new session is in the list now.
    if !state.store.sessions.revoke_session(&hash, now).await? {
        return Err(ApiError::not_found(
            "no such session (it ended, or the link was opened, just now)",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}
