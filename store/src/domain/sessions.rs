//! Portal sessions and magic links, keyed by the SHA-256 of their token: a leaked store
//! leaks no token. A link is a session of kind `link`: it works as a bearer until it is
//! exchanged (spent) for a session of kind `session`, or until it expires.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// The SHA-256 of a session or link token.
pub type TokenHash = [u8; 32];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub friend_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Who asked for the link: `admin` or `agent:<id>`.
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Records from before links were exchanged are links (that is what they were).
    #[serde(default)]
    pub kind: SessionKind,
    /// When the link was exchanged for a session: it no longer works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute (see the host's `auth::resolve`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// The browser it was last used from, simplified ("Chrome on Android").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// A magic link not yet opened.
    #[default]
    Link,
    /// A browser's session, made by opening a link.
    Session,
}

/// What a presented session token turns out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    Active(Session),
    Expired,
    Revoked,
    /// A link already exchanged for a session.
    Spent,
    Unknown,
}

impl Session {
    pub fn state_at(self, now: DateTime<Utc>) -> SessionState {
        if self.spent_at.is_some() {
            SessionState::Spent
        } else if self.revoked_at.is_some() {
            SessionState::Revoked
        } else if now >= self.expires_at {
            SessionState::Expired
        } else {
            SessionState::Active(self)
        }
    }

    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        matches!(self.clone().state_at(now), SessionState::Active(_))
    }
}

/// Why a link could not be exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Unknown,
    Used,
    Revoked,
    Expired,
}

#[async_trait]
pub trait Sessions: Send + Sync {
    /// Stores a session or link for an existing friend (`NotFound` if the friend is gone,
    /// even when they are deleted meanwhile).
    async fn create_session(&self, hash: &TokenHash, session: &Session) -> StoreResult<()>;

    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>>;

    /// Spends the link `link` and stores `make(link)` under `hash`, as one change: of any
    /// number of concurrent exchanges of one link, exactly one succeeds; the others get
    /// `Used`. Nothing is written when the link is refused or its friend is gone.
    async fn exchange_link(
        &self,
        link: &TokenHash,
        now: DateTime<Utc>,
        hash: &TokenHash,
        make: &(dyn for<'s> Fn(&'s Session) -> Session + Send + Sync),
    ) -> StoreResult<Result<Session, LinkRefusal>>;

    /// Records a use (`last_used_at`, browser). Best effort: not flushed on its own.
    async fn touch_session(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
        browser: Option<String>,
    ) -> StoreResult<()>;

    /// The friend's sessions (not links) active at `now`, oldest first, with their hashes.
    async fn live_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(TokenHash, Session)>>;

    /// When each of the friend's links made at or after `since` was made (for the hourly
    /// limit), whatever became of them.
    async fn links_created_since(
        &self,
        friend_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<DateTime<Utc>>>;

    /// Revokes one session or link; `false` if it was unknown or no longer active.
    async fn revoke_session(&self, hash: &TokenHash, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Revokes every active session and link of the friend, including any made while it
    /// runs; how many.
    async fn revoke_friend_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<usize>;

    async fn live_session_count(&self, friend_id: &str, now: DateTime<Utc>) -> StoreResult<usize>;

    /// Removes sessions and links that ended (expired, revoked or spent) before `before`,
    /// so the store does not grow with every link ever sent; how many.
    async fn remove_ended(&self, before: DateTime<Utc>) -> StoreResult<usize>;
}
