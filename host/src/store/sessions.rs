//! Portal sessions, keyed by the SHA-256 of their token: a leaked data dir leaks no token.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::table::encode;
use super::{Store, StoreResult, pair_key, prefix_key};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub friend_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Who asked for the link: `admin` or `agent:<id>`.
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a presented session token turns out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    Active(Session),
    Expired,
    Revoked,
    Unknown,
}

impl Session {
    pub fn state_at(self, now: DateTime<Utc>) -> SessionState {
        if self.revoked_at.is_some() {
            SessionState::Revoked
        } else if now >= self.expires_at {
            SessionState::Expired
        } else {
            SessionState::Active(self)
        }
    }
}

fn index_key(session: &Session, hash: &[u8; 32]) -> Vec<u8> {
    let mut suffix = session.created_at.timestamp_millis().to_be_bytes().to_vec();
    suffix.push(0);
    suffix.extend_from_slice(hash);
    pair_key(&session.friend_id, &suffix)
}

impl Store {
    pub async fn create_session(&self, hash: &[u8; 32], session: &Session) -> StoreResult<()> {
        let bytes = encode(session)?;
        let index = index_key(session, hash);
        (&self.sessions.tree, &self.friend_sessions).transaction(
            |(sessions, friend_sessions)| {
                sessions.insert(hash.as_slice(), bytes.as_slice())?;
                friend_sessions.insert(index.as_slice(), &[])?;
                Ok(())
            },
        )?;
        self.flush().await
    }

    pub fn session(&self, hash: &[u8; 32]) -> StoreResult<Option<Session>> {
        self.sessions.get(hash)
    }

    /// Creation times of the friend's sessions made at or after `since`, oldest first.
    pub fn sessions_created_since(
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
            let millis = key
                .get(prefix.len()..prefix.len() + 8)
                .and_then(|b| b.try_into().ok())
                .map(i64::from_be_bytes);
            if let Some(at) = millis.and_then(DateTime::from_timestamp_millis) {
                out.push(at);
            }
        }
        Ok(out)
    }

    pub async fn revoke_session(&self, hash: &[u8; 32], now: DateTime<Utc>) -> StoreResult<bool> {
        let Some(mut session) = self.session(hash)? else {
            return Ok(false);
        };
        if session.revoked_at.is_none() {
            session.revoked_at = Some(now);
            self.sessions.put(hash, &session)?;
            self.flush().await?;
        }
        Ok(true)
    }

    fn friend_session_hashes(&self, friend_id: &str) -> StoreResult<Vec<(sled::IVec, [u8; 32])>> {
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

    /// Revokes every live session of the friend; returns how many were live.
    pub async fn revoke_friend_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let mut revoked = 0;
        for (_, hash) in self.friend_session_hashes(friend_id)? {
            if let Some(mut session) = self.session(&hash)?
                && session.revoked_at.is_none()
            {
                session.revoked_at = Some(now);
                self.sessions.put(hash, &session)?;
                if now < session.expires_at {
                    revoked += 1;
                }
            }
        }
        self.flush().await?;
        Ok(revoked)
    }

    /// Forgets a deleted friend's sessions entirely.
    pub(crate) fn remove_friend_sessions(&self, friend_id: &str) -> StoreResult<()> {
        for (index_key, hash) in self.friend_session_hashes(friend_id)? {
            self.sessions.tree.remove(hash)?;
            self.friend_sessions.remove(index_key)?;
        }
        Ok(())
    }

    pub fn live_session_count(&self, friend_id: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        let mut n = 0;
        for (_, hash) in self.friend_session_hashes(friend_id)? {
            if let Some(s) = self.session(&hash)?
                && matches!(s.state_at(now), SessionState::Active(_))
            {
                n += 1;
            }
        }
        Ok(n)
    }
}
