//! Portal sessions, keyed by the SHA-256 of their token: a leaked data dir leaks no token.
//! A magic link is a session of kind `link`: it works as a bearer until it is exchanged
//! (spent) for a session of kind `session`, or until it expires.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};

use super::table::{decode, encode};
use super::{Store, StoreError, StoreResult, pair_key, prefix_key};

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
    /// Updated at most once a minute (see `auth::resolve`).
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

fn index_key(session: &Session, hash: &[u8; 32]) -> Vec<u8> {
    let mut suffix = session.created_at.timestamp_millis().to_be_bytes().to_vec();
    suffix.push(0);
    suffix.extend_from_slice(hash);
    pair_key(&session.friend_id, &suffix)
}

/// The friend's session epoch as stored (`None`: no session made since they were created).
pub(crate) type Epoch = Option<sled::IVec>;

/// Inside a transaction: something of `friend` (a session, a link, a friendship) is being
/// made. Aborts with `missing` when the friend no longer exists, so nothing is left for the
/// next friend given the id; otherwise moves the friend's epoch on, so whoever listed the
/// friend's belongings before it (to delete or revoke them all) lists them again.
pub(super) fn attach_to_friend<E>(
    friends: &TransactionalTree,
    epochs: &TransactionalTree,
    friend: &str,
    missing: impl FnOnce() -> E,
) -> ConflictableTransactionResult<(), E> {
    if friends.get(friend.as_bytes())?.is_none() {
        return Err(ConflictableTransactionError::Abort(missing()));
    }
    let current = epochs
        .get(friend.as_bytes())?
        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
        .map_or(0, u64::from_be_bytes);
    epochs.insert(friend.as_bytes(), &current.wrapping_add(1).to_be_bytes())?;
    Ok(())
}

/// Refusal of [`attach_to_friend`] for a friend who no longer exists.
pub(super) fn no_friend(friend: &str) -> impl FnOnce() -> StoreError + '_ {
    move || StoreError::NotFound(format!("no friend '{friend}'"))
}

impl Store {
    /// Stores a new link or session; refused (not found) when its friend no longer exists,
    /// so that a friend deleted meanwhile leaves nothing the next friend given the id
    /// could use.
    pub async fn create_session(&self, hash: &[u8; 32], session: &Session) -> StoreResult<()> {
        let bytes = encode(session)?;
        let index = index_key(session, hash);
        let friend = session.friend_id.as_str();
        (
            &self.sessions.tree,
            &self.friend_sessions,
            &self.friends.tree,
            &self.session_epochs,
        )
            .transaction(|(sessions, friend_sessions, friends, epochs)| {
                attach_to_friend(friends, epochs, friend, no_friend(friend))?;
                sessions.insert(hash.as_slice(), bytes.as_slice())?;
                friend_sessions.insert(index.as_slice(), &[])?;
                Ok(())
            })?;
        self.flush().await
    }

    /// The friend's session epoch now (see [`Store::delete_friend`]).
    pub(crate) fn session_epoch(&self, friend_id: &str) -> StoreResult<Epoch> {
        Ok(self.session_epochs.get(friend_id.as_bytes())?)
    }

    pub fn session(&self, hash: &[u8; 32]) -> StoreResult<Option<Session>> {
        self.sessions.get(hash)
    }

    /// Spends the link `link` and creates `session` under `hash`, in one transaction: of
    /// two exchanges of one link at once, one wins and the other finds it used. The link of
    /// a friend deleted meanwhile is unknown.
    pub async fn exchange_link(
        &self,
        link: &[u8; 32],
        now: DateTime<Utc>,
        hash: &[u8; 32],
        make: impl Fn(&Session) -> Session,
    ) -> StoreResult<Result<Session, LinkRefusal>> {
        let outcome = (
            &self.sessions.tree,
            &self.friend_sessions,
            &self.friends.tree,
            &self.session_epochs,
        )
            .transaction(|(sessions, friend_sessions, friends, epochs)| {
                let refuse = |why| Err(ConflictableTransactionError::Abort(why));
                let Some(bytes) = sessions.get(link.as_slice())? else {
                    return refuse(LinkRefusal::Unknown);
                };
                let Ok(mut found) = decode::<Session>(&bytes) else {
                    return refuse(LinkRefusal::Unknown);
                };
                match found.clone().state_at(now) {
                    _ if found.kind != SessionKind::Link => return refuse(LinkRefusal::Unknown),
                    SessionState::Spent => return refuse(LinkRefusal::Used),
                    SessionState::Revoked => return refuse(LinkRefusal::Revoked),
                    SessionState::Expired => return refuse(LinkRefusal::Expired),
                    SessionState::Unknown => return refuse(LinkRefusal::Unknown),
                    SessionState::Active(_) => {}
                }
                attach_to_friend(friends, epochs, &found.friend_id, || LinkRefusal::Unknown)?;
                let session = make(&found);
                found.spent_at = Some(now);
                let spent = encode(&found)
                    .map_err(|_| ConflictableTransactionError::Abort(LinkRefusal::Unknown))?;
                let made = encode(&session)
                    .map_err(|_| ConflictableTransactionError::Abort(LinkRefusal::Unknown))?;
                sessions.insert(link.as_slice(), spent)?;
                sessions.insert(hash.as_slice(), made)?;
                friend_sessions.insert(index_key(&session, hash), &[])?;
                Ok(session)
            });
        match outcome {
            Ok(session) => {
                self.flush().await?;
                Ok(Ok(session))
            }
            Err(sled::transaction::TransactionError::Abort(why)) => Ok(Err(why)),
            Err(sled::transaction::TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    /// Notes a use of the session (when and from which browser), without flushing: losing
    /// the last minute of it in a crash matters to nobody. Atomic, so a revocation made
    /// meanwhile is kept.
    pub fn touch_session(
        &self,
        hash: &[u8; 32],
        now: DateTime<Utc>,
        browser: Option<String>,
    ) -> StoreResult<()> {
        self.sessions.tree.fetch_and_update(hash, |old| {
            let old = old?;
            let Ok(mut session) = decode::<Session>(old) else {
                return Some(old.to_vec());
            };
            session.last_used_at = Some(now);
            if browser.is_some() {
                session.browser.clone_from(&browser);
            }
            Some(encode(&session).unwrap_or_else(|_| old.to_vec()))
        })?;
        Ok(())
    }

    /// The friend's sessions and links that still work, oldest first, with their hashes.
    pub fn live_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<([u8; 32], Session)>> {
        let mut out = Vec::new();
        for (_, hash) in self.friend_session_hashes(friend_id)? {
            if let Some(session) = self.session(&hash)?
                && session.is_active_at(now)
            {
                out.push((hash, session));
            }
        }
        Ok(out)
    }

    /// Creation times of the friend's links made at or after `since`, oldest first
    /// (sessions made by opening a link are not counted).
    pub fn links_created_since(
        &self,
        friend_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        let prefix = prefix_key(friend_id);
        let start = pair_key(friend_id, &since.timestamp_millis().to_be_bytes());
        let mut end = prefix.clone();
        *end.last_mut().expect("prefix ends with NUL") = 1;
        let mut out = Vec::new();
        for key in self.friend_sessions.range(start..end).keys() {
            let key = key?;
            let hash = key
                .get(key.len().saturating_sub(32)..)
                .and_then(|h| <[u8; 32]>::try_from(h).ok());
            let is_link = match hash {
                Some(hash) => self
                    .session(&hash)?
                    .is_some_and(|s| s.kind == SessionKind::Link),
                None => false,
            };
            let millis = key
                .get(prefix.len()..prefix.len() + 8)
                .and_then(|b| b.try_into().ok())
                .map(i64::from_be_bytes);
            if let Some(at) = millis.and_then(DateTime::from_timestamp_millis)
                && is_link
            {
                out.push(at);
            }
        }
        Ok(out)
    }

    /// Ends the session or link stored under `hash` if it still works, reading and writing
    /// in one transaction: a link opened (spent) meanwhile stays spent, and its new session
    /// is not hidden behind a link marked ended. Returns whether it ended something that
    /// worked.
    pub async fn revoke_session(&self, hash: &[u8; 32], now: DateTime<Utc>) -> StoreResult<bool> {
        self.pause_point("revoke_session").await;
        let ended = self.sessions.tree.transaction(|sessions| {
            let Some(bytes) = sessions.get(hash.as_slice())? else {
                return Ok(false);
            };
            let Ok(mut session) = decode::<Session>(&bytes) else {
                return Ok(false);
            };
            if !session.is_active_at(now) {
                return Ok(false);
            }
            session.revoked_at = Some(now);
            let bytes = encode(&session).map_err(ConflictableTransactionError::Abort)?;
            sessions.insert(hash.as_slice(), bytes)?;
            Ok(true)
        })?;
        if ended {
            self.flush().await?;
        }
        Ok(ended)
    }

    pub(crate) fn friend_session_hashes(
        &self,
        friend_id: &str,
    ) -> StoreResult<Vec<(sled::IVec, [u8; 32])>> {
        let prefix = prefix_key(friend_id);
        let mut out = Vec::new();
        for key in self.friend_sessions.scan_prefix(&prefix).keys() {
            let key = key?;
            if let Some(hash) = key
                .get(key.len().saturating_sub(32)..)
                .and_then(|h| <[u8; 32]>::try_from(h).ok())
            {
                out.push((key, hash));
            }
        }
        Ok(out)
    }

    /// Revokes every live session of the friend; returns how many were live. One
    /// transaction over the sessions listed, listed again if one was made meanwhile.
    pub async fn revoke_friend_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let revoked = loop {
            let epoch = self.session_epoch(friend_id)?;
            let listed = self.friend_session_hashes(friend_id)?;
            let outcome =
                (&self.sessions.tree, &self.session_epochs).transaction(|(sessions, epochs)| {
                    if epochs.get(friend_id.as_bytes())? != epoch {
                        return Ok(None);
                    }
                    let mut revoked = 0;
                    for (_, hash) in &listed {
                        let Some(bytes) = sessions.get(hash.as_slice())? else {
                            continue;
                        };
                        let Ok(mut session) = decode::<Session>(&bytes) else {
                            continue;
                        };
                        if session.revoked_at.is_none() {
                            revoked += usize::from(session.is_active_at(now));
                            session.revoked_at = Some(now);
                            let bytes =
                                encode(&session).map_err(ConflictableTransactionError::Abort)?;
                            sessions.insert(hash.as_slice(), bytes)?;
                        }
                    }
                    Ok(Some(revoked))
                });
            if let Some(revoked) = outcome.map_err(StoreError::from)? {
                break revoked;
            }
        };
        self.flush().await?;
        Ok(revoked)
    }

    pub fn live_session_count(&self, friend_id: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        Ok(self.live_sessions(friend_id, now)?.len())
    }
}
