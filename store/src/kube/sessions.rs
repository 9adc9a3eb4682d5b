//! Sessions and links: a [`PortalSession`] object per token hash, labelled with its friend.
//!
//! Never outliving the friend: a session is made first, then the friend's object is
//! written (its epoch moves on, on the version read). A delete of the friend lists their
//! sessions after reading the friend's version and deletes the friend on that version
//! only, so a session made after its list makes it list again, and one whose friend is
//! gone when the friend's write comes is removed by its maker. A session also carries the
//! uid of its friend's object: one left behind by a crash is unknown to a later friend
//! given the same id.
//!
//! Exchanging a link spends it by compare-and-swap on its version: exactly one exchange
//! wins, the others re-read it spent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::KubeStore;
use super::crds::{PortalSession, PortalSessionSpec};
use super::names::{FRIEND_LABEL, friend_selector, labels, session_name};
use super::objects::Step;
use crate::domain::{LinkRefusal, Session, SessionKind, SessionState, Sessions, TokenHash};
use crate::{StoreError, StoreResult};

fn session_of(spec: &PortalSessionSpec) -> Session {
    Session {
        friend_id: spec.friend_id.clone(),
        created_at: spec.created_at,
        expires_at: spec.expires_at,
        created_by: spec.created_by.clone(),
        revoked_at: spec.revoked_at,
        kind: spec.kind,
        spent_at: spec.spent_at,
        last_used_at: spec.last_used_at,
        browser: spec.browser.clone(),
    }
}

fn spec_of(session: &Session, friend_uid: &str) -> PortalSessionSpec {
    PortalSessionSpec {
        friend_id: session.friend_id.clone(),
        friend_uid: friend_uid.to_owned(),
        created_at: session.created_at,
        expires_at: session.expires_at,
        created_by: session.created_by.clone(),
        kind: session.kind,
        revoked_at: session.revoked_at,
        spent_at: session.spent_at,
        last_used_at: session.last_used_at,
        browser: session.browser.clone(),
    }
}

fn ended_before(session: &Session, before: DateTime<Utc>) -> bool {
    [
        session.spent_at,
        session.revoked_at,
        Some(session.expires_at),
    ]
    .into_iter()
    .flatten()
    .any(|end| end < before)
}

impl KubeStore {
    /// The uid of the friend's object while it holds a friend.
    async fn friend_uid(&self, friend: &str) -> StoreResult<Option<String>> {
        Ok(self
            .friends
            .current(friend)
            .await?
            .filter(|o| o.spec.friend.is_some())
            .and_then(|o| o.metadata.uid))
    }

    /// The session, if its friend is the one it was made for.
    async fn owned_session(&self, name: &str) -> StoreResult<Option<PortalSession>> {
        let Some(object) = self.sessions.cached(name) else {
            return Ok(None);
        };
        let uid = self.friend_uid(&object.spec.friend_id).await?;
        Ok((uid.as_deref() == Some(object.spec.friend_uid.as_str())).then(|| (*object).clone()))
    }

    /// Writes the friend's object (epoch on) if it still is the friend `uid` names.
    async fn attach_to_friend(&self, friend: &str, uid: &str) -> StoreResult<bool> {
        Ok(self
            .friends
            .update(friend, |o| {
                if o.spec.friend.is_none() || o.metadata.uid.as_deref() != Some(uid) {
                    return Ok(Step::Keep(false));
                }
                o.spec.epoch += 1;
                Ok(Step::Write(true))
            })
            .await?
            .unwrap_or(false))
    }

    /// Makes the session object, then attaches it to its friend; removes it again if
    /// the friend is gone.
    async fn make_session(
        &self,
        hash: &TokenHash,
        session: &Session,
        uid: &str,
    ) -> StoreResult<bool> {
        let name = session_name(hash);
        let mut object = PortalSession::new(&name, spec_of(session, uid));
        object.metadata.labels = labels(&[(FRIEND_LABEL, &session.friend_id)]);
        if self.sessions.create(&object).await?.is_none() {
            return Err(StoreError::Conflict(
                "a session with this token exists".into(),
            ));
        }
        self.pause("session_made").await;
        if self.attach_to_friend(&session.friend_id, uid).await? {
            return Ok(true);
        }
        self.sessions.delete(&name, None).await?;
        Ok(false)
    }
}

#[async_trait]
impl Sessions for KubeStore {
    async fn create_session(&self, hash: &TokenHash, session: &Session) -> StoreResult<()> {
        let missing = || StoreError::NotFound(format!("no friend '{}'", session.friend_id));
        let uid = self
            .friend_uid(&session.friend_id)
            .await?
            .ok_or_else(missing)?;
        match self.make_session(hash, session, &uid).await? {
            true => Ok(()),
            false => Err(missing()),
        }
    }

    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        Ok(self
            .owned_session(&session_name(hash))
            .await?
            .map(|o| session_of(&o.spec)))
    }

    async fn exchange_link(
        &self,
        link: &TokenHash,
        now: DateTime<Utc>,
        hash: &TokenHash,
        make: &(dyn for<'s> Fn(&'s Session) -> Session + Send + Sync),
    ) -> StoreResult<Result<Session, LinkRefusal>> {
        let link_name = session_name(link);
        let Some(found) = self.owned_session(&link_name).await? else {
            return Ok(Err(LinkRefusal::Unknown));
        };
        let refusal = |spec: &PortalSessionSpec| match session_of(spec).state_at(now) {
            _ if spec.kind != SessionKind::Link => Some(LinkRefusal::Unknown),
            SessionState::Spent => Some(LinkRefusal::Used),
            SessionState::Revoked => Some(LinkRefusal::Revoked),
            SessionState::Expired => Some(LinkRefusal::Expired),
            SessionState::Unknown => Some(LinkRefusal::Unknown),
            SessionState::Active(_) => None,
        };
        if let Some(why) = refusal(&found.spec) {
            return Ok(Err(why));
        }
        let link_session = session_of(&found.spec);
        let session = make(&link_session);
        let uid = found.spec.friend_uid.clone();
        if !self.make_session(hash, &session, &uid).await? {
            return Ok(Err(LinkRefusal::Unknown));
        }
        // The one winner: the link spent on the version read.
        let spent = self
            .sessions
            .update_pausing(
                &link_name,
                Some((&self.pauses, "link_read")),
                |o| match refusal(&o.spec) {
                    Some(why) => Ok(Step::Keep(Err(why))),
                    None => {
                        o.spec.spent_at = Some(now);
                        Ok(Step::Write(Ok(())))
                    }
                },
            )
            .await?
            .unwrap_or(Err(LinkRefusal::Unknown));
        if let Err(why) = spent {
            self.sessions.delete(&session_name(hash), None).await?;
            return Ok(Err(why));
        }
        Ok(Ok(session))
    }

    async fn touch_session(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
        browser: Option<String>,
    ) -> StoreResult<()> {
        self.sessions
            .update(&session_name(hash), |o| {
                // A replica that lost the race to a later use finds it recorded.
                if o.spec.last_used_at.is_some_and(|at| at >= now)
                    && (browser.is_none() || browser == o.spec.browser)
                {
                    return Ok(Step::Keep(()));
                }
                o.spec.last_used_at = Some(now);
                if browser.is_some() {
                    o.spec.browser.clone_from(&browser);
                }
                Ok(Step::Write(()))
            })
            .await?;
        Ok(())
    }

    async fn live_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(TokenHash, Session)>> {
        let Some(uid) = self.friend_uid(friend_id).await? else {
            return Ok(Vec::new());
        };
        let mut live: Vec<(TokenHash, Session)> = self
            .sessions
            .all()
            .iter()
            .filter(|o| o.spec.friend_id == friend_id && o.spec.friend_uid == uid)
            .filter_map(|o| {
                let name = o.metadata.name.as_deref()?;
                let hash = hex::decode(name).ok()?.try_into().ok()?;
                Some((hash, session_of(&o.spec)))
            })
            .filter(|(_, s)| s.is_active_at(now))
            .collect();
        live.sort_by_key(|(hash, s)| (s.created_at, *hash));
        Ok(live)
    }

    async fn links_created_since(
        &self,
        friend_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        let mut times: Vec<DateTime<Utc>> = self
            .sessions
            .all()
            .iter()
            .filter(|o| o.spec.friend_id == friend_id && o.spec.kind == SessionKind::Link)
            .map(|o| o.spec.created_at)
            .filter(|at| *at >= since)
            .collect();
        times.sort();
        Ok(times)
    }

    async fn revoke_session(&self, hash: &TokenHash, now: DateTime<Utc>) -> StoreResult<bool> {
        self.pause("revoke_session").await;
        Ok(self
            .sessions
            .update(&session_name(hash), |o| {
                if !session_of(&o.spec).is_active_at(now) {
                    return Ok(Step::Keep(false));
                }
                o.spec.revoked_at = Some(now);
                Ok(Step::Write(true))
            })
            .await?
            .unwrap_or(false))
    }

    async fn revoke_friend_sessions(
        &self,
        friend_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let mut revoked = 0;
        for _ in 0..50 {
            let before = self.friends.fetch(friend_id).await?;
            for listed in self
                .sessions
                .list_direct(&friend_selector(friend_id))
                .await?
            {
                let name = listed.metadata.name.clone().unwrap_or_default();
                let ended = self
                    .sessions
                    .update(&name, |o| {
                        if o.spec.revoked_at.is_some() {
                            return Ok(Step::Keep(false));
                        }
                        let was_live = session_of(&o.spec).is_active_at(now);
                        o.spec.revoked_at = Some(now);
                        Ok(Step::Write(was_live))
                    })
                    .await?;
                revoked += usize::from(ended == Some(true));
            }
            // Nothing made since the list: every session is in it.
            let after = self.friends.fetch(friend_id).await?;
            let version = |o: &Option<super::crds::PortalFriend>| {
                o.as_ref().and_then(|o| o.metadata.resource_version.clone())
            };
            if version(&before) == version(&after) {
                return Ok(revoked);
            }
        }
        Err(StoreError::Contended(format!("sessions of {friend_id}")))
    }

    async fn live_session_count(&self, friend_id: &str, now: DateTime<Utc>) -> StoreResult<usize> {
        Ok(self.live_sessions(friend_id, now).await?.len())
    }

    async fn remove_ended(&self, before: DateTime<Utc>) -> StoreResult<usize> {
        let mut removed = 0;
        for object in self.sessions.all() {
            if !ended_before(&session_of(&object.spec), before) {
                continue;
            }
            let name = object.metadata.name.clone().unwrap_or_default();
            let gone = self
                .sessions
                .delete_if(&name, |o| ended_before(&session_of(&o.spec), before))
                .await?;
            removed += usize::from(gone);
        }
        Ok(removed)
    }
}
