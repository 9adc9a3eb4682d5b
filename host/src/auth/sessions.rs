//! Issuing portal sessions (the token behind a magic link), with a per-friend rate limit.

use chrono::{DateTime, Duration, Utc};

use super::tokens;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::Session;

pub const SESSION_LIFETIME: Duration = Duration::days(30);
pub const LINKS_PER_WINDOW: usize = 10;
pub const LINK_WINDOW: Duration = Duration::hours(1);

pub struct IssuedSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates a session for an existing friend, unless they already got
/// [`LINKS_PER_WINDOW`] links in the last [`LINK_WINDOW`].
pub async fn issue(
    state: &AppState,
    friend_id: &str,
    created_by: String,
) -> ApiResult<IssuedSession> {
    // Serialises check-then-create so that concurrent requests cannot overshoot the limit.
    let _guard = state.session_issue_lock.lock().await;
    let now = state.clock.now();
    // A link made exactly one window ago no longer counts.
    let recent = state
        .store
        .sessions_created_since(friend_id, now - LINK_WINDOW + Duration::milliseconds(1))?;
    if recent.len() >= LINKS_PER_WINDOW {
        let oldest = recent[recent.len() - LINKS_PER_WINDOW];
        let retry_after = (oldest + LINK_WINDOW - now).num_seconds().max(1) as u64;
        return Err(ApiError::rate_limited(
            format!(
                "at most {LINKS_PER_WINDOW} portal links per friend per hour; try again in {retry_after} s"
            ),
            retry_after,
        ));
    }
    let token = tokens::generate();
    let session = Session {
        friend_id: friend_id.to_owned(),
        created_at: now,
        expires_at: now + SESSION_LIFETIME,
        created_by,
        revoked_at: None,
    };
    state
        .store
        .create_session(&tokens::hash(&token), &session)
        .await?;
    Ok(IssuedSession {
        token,
        expires_at: session.expires_at,
    })
}
