//! Issuing magic links (a token that works until it is opened or expires), with a
//! per-friend rate limit, and exchanging one for a browser's own session.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};

use super::tokens;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use portal_store::{LinkRefusal, Session, SessionKind};

/// The window of the links-per-friend limit (`links_per_hour` of `sessions.toml`).
pub const LINK_WINDOW: Duration = Duration::hours(1);

pub struct IssuedSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Creates a link for an existing friend, unless they already got `links_per_hour` links
/// (`sessions.toml`) in the last [`LINK_WINDOW`].
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
        .sessions
        .links_created_since(friend_id, now - LINK_WINDOW + Duration::milliseconds(1))
        .await?;
    let limit = state.session_policy.links_per_hour;
    if recent.len() >= limit {
        let oldest = recent[recent.len() - limit];
        let retry_after = (oldest + LINK_WINDOW - now).num_seconds().max(1) as u64;
        return Err(ApiError::rate_limited(
            format!(
                "at most {limit} portal links per friend per hour; try again in {retry_after} s"
            ),
            retry_after,
        ));
    }
    let token = tokens::generate();
    let session = Session {
        friend_id: friend_id.to_owned(),
        created_at: now,
        expires_at: now + state.session_policy.link_lifetime(),
        created_by,
        revoked_at: None,
        kind: SessionKind::Link,
        spent_at: None,
        last_used_at: None,
        browser: None,
    };
    state
        .store
        .sessions
        .create_session(&tokens::hash(&token), &session)
        .await?;
    Ok(IssuedSession {
        token,
        expires_at: session.expires_at,
    })
}

/// Spends the link whose token is `link_token` and starts a session of `session_days`
/// (`sessions.toml`) for the browser that opened it. Each refusal has its own code, so a page can say which
/// it is: `link_expired`, `link_used`, `link_revoked`, `link_unknown`.
pub async fn exchange(
    state: &AppState,
    link_token: &str,
    browser: Option<String>,
) -> ApiResult<(Session, IssuedSession)> {
    let now = state.clock.now();
    let token = tokens::generate();
    let made = state
        .store
        .sessions
        .exchange_link(
            &tokens::hash(link_token),
            now,
            &tokens::hash(&token),
            &|link: &Session| Session {
                friend_id: link.friend_id.clone(),
                created_at: now,
                expires_at: now + state.session_policy.session_lifetime(),
                created_by: link.created_by.clone(),
                revoked_at: None,
                kind: SessionKind::Session,
                spent_at: None,
                last_used_at: Some(now),
                browser: browser.clone(),
            },
        )
        .await?
        .map_err(refusal)?;
    let issued = IssuedSession {
        token,
        expires_at: made.expires_at,
    };
    Ok((made, issued))
}

fn refusal(why: LinkRefusal) -> ApiError {
    let (code, message) = match why {
        LinkRefusal::Expired => (
            "link_expired",
            "This link has expired. Ask your agent for a new link.",
        ),
        LinkRefusal::Used => (
            "link_used",
            "This link was already used. Ask your agent for a new link.",
        ),
        LinkRefusal::Revoked => (
            "link_revoked",
            "This link was cancelled. Ask your agent for a new link.",
        ),
        LinkRefusal::Unknown => (
            "link_unknown",
            "This link is not valid. Ask your agent for a new link.",
        ),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}
