//! Portal sessions and magic links, keyed by the SHA-256 of their token (`sessions`), with
//! a per-friend index in creation order (`friend_sessions`) and an epoch per friend
//! (`session_epochs`) that every session, link or friendship made moves on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};

use super::table::{decode, encode};
use super::{SledStore, pair_key, prefix_key};
use crate::{
    LinkRefusal, Session, SessionKind, SessionState, Sessions, StoreError, StoreResult, TokenHash,
};

pub(super) fn index_key(session: &Session, hash: &[u8; 32]) -> Vec<u8> {
    let mut suffix = session.created_at.timestamp_millis().to_be_bytes().to_vec();
    suffix.push(0);
    suffix.extend_from_slice(hash);
    pair_key(&session.friend_id, &suffix)
}

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

impl SledStore {
    /// The friend's sessions and links, as (index key, hash), oldest first.
    pub(super) fn friend_session_hashes(
        &self,
        friend_id: &str,
    ) -> StoreResult<Vec<(sled::IVec, TokenHash)>> {
        let prefix = prefix_key(friend_id);
        let mut out = Vec::new();
        for key in self.friend_sessions.scan_prefix(&prefix).keys() {
            let key = key?;
            if let Some(hash) = hash_of_index_key(&key) {
                out.push((key, hash));
            }
        }
        Ok(out)
    }

    pub(super) fn live_sessions_of(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(TokenHash, Session)>> {
        let mut out = Vec::new();
        for (_, hash) in self.friend_session_hashes(friend_id)? {
            if let Some(session) = self.sessions.get(hash)?
                && session.is_active_at(now)
            {
                out.push((hash, session));
            }
        }
        Ok(out)
    }
}

/// The hash at the end of a `friend_sessions` key.
fn hash_of_index_key(key: &[u8]) -> Option<TokenHash> {
    key.get(key.len().saturating_sub(32)..)
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
}

/// When the session or link stopped working: spent, revoked or expired, whichever first.
fn ended_at(session: &Session) -> DateTime<Utc> {
    [session.spent_at, session.revoked_at]
        .into_iter()
        .flatten()
        .fold(session.expires_at, DateTime::min)
}

#[async_trait]
impl Sessions for SledStore {
    /// Stores a new link or session; refused (not found) when its friend no longer exists,
    /// so that a friend deleted meanwhile leaves nothing the next friend given the id
    /// could use.
    async fn create_session(&self, hash: &TokenHash, session: &Session) -> StoreResult<()> {
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

    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        self.sessions.get(hash)
    }

    /// Spends the link `link` and creates `session` under `hash`, in one transaction: of
    /// two exchanges of one link at once, one wins and the other finds it used. The link of
    /// a friend deleted meanwhile is unknown.
    async fn exchange_link(
        &self,
        link: &TokenHash,
        now: DateTime<Utc>,
        hash: &TokenHash,
        make: &(dyn for<'s> Fn(&'s Session) -> Session + Send + Sync),
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
    async fn touch_session(
        &self,
        hash: &TokenHash,
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

    async fn live_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(TokenHash, Session)>> {
        self.live_sessions_of(friend_id, now)
    }

    /// Creation times of the friend's links made at or after `since`, oldest first
    /// (sessions made by opening a link are not counted).
    async fn links_created_since(
        &self,
        friend_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        let prefix = prefix_key(friend_id);
        let start = pair_key(friend_id, &since.timestamp_millis().to_be_bytes());
        let mut end = prefix.clone();
        if let Some(last) = end.last_mut() {
            *last = 1;
        }
        let mut out = Vec::new();
        for key in self.friend_sessions.range(start..end).keys() {
            let key = key?;
            let is_link = match hash_of_index_key(&key) {
                Some(hash) => self
                    .sessions
                    .get(hash)?
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
    async fn revoke_session(&self, hash: &TokenHash, now: DateTime<Utc>) -> StoreResult<bool> {
        self.pauses.point("revoke_session").await;
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

    /// Revokes every live session of the friend; returns how many were live. One
    /// transaction over the sessions listed, listed again if one was made meanwhile.
    async fn revoke_friend_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let revoked = loop {
            let epoch = self.session_epochs.get(friend_id.as_bytes())?;
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

    async fn live_session_count(&self, friend_id: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        Ok(self.live_sessions_of(friend_id, now)?.len())
    }

    /// Each session or link that ended before `before` goes with its index line, in one
    /// transaction that reads it again (an ended session never works again, so nothing
    /// that still works is removed).
    async fn remove_ended(&self, before: DateTime<Utc>) -> StoreResult<usize> {
        let mut ended = Vec::new();
        for item in self.sessions.tree.iter() {
            let (hash, bytes) = item?;
            if let (Ok(hash), Ok(session)) = (
                <TokenHash>::try_from(hash.as_ref()),
                decode::<Session>(&bytes),
            ) && ended_at(&session) < before
            {
                ended.push((hash, index_key(&session, &hash)));
            }
        }
        let mut removed = 0;
        for (hash, index) in &ended {
            let gone = (&self.sessions.tree, &self.friend_sessions).transaction(
                |(sessions, friend_sessions)| {
                    let Some(bytes) = sessions.get(hash.as_slice())? else {
                        return Ok(false);
                    };
                    match decode::<Session>(&bytes) {
                        Ok(session) if ended_at(&session) < before => {}
                        _ => return Ok(false),
                    }
                    sessions.remove(hash.as_slice())?;
                    friend_sessions.remove(index.as_slice())?;
                    Ok(true)
                },
            );
            removed += usize::from(gone.map_err(StoreError::from)?);
        }
        if removed > 0 {
            self.flush().await?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
