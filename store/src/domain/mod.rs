//! The kinds of state the portal keeps: each file holds one kind's records and the trait a
//! backend implements for it. Every write is durable when it returns `Ok`, so a handler
//! may acknowledge it; every refusal changes nothing.

mod audit;
mod crons;
mod directory;
mod hostnames;
mod kv;
mod outbox;
mod records;
mod releases;
mod sessions;

pub use audit::{AUDIT_FIELD_MAX, AuditBounds, AuditEntry, AuditLog, AuditQuery};
pub use crons::{Claim, CronStore, Job, JobRefusal, Run, RunId, RunStatus, Trigger};
pub use directory::{
    Agent, Directory, Friend, FriendPage, Friendship, NAMESPACE_PREFIX, Retired, StoredFriend,
    namespace_of, still_kept,
};
pub use hostnames::{ClaimError, ClaimPart, ClaimRequest, HostnameClaim, HostnameClaims};
pub use kv::{KvFull, KvStore, kv_entry_bytes};
pub use outbox::{OUTBOX_KEPT, OutboxEntry, OutboxStore};
pub use records::{Record, Records};
pub use releases::{RELEASES_KEPT, Release, Releases, ReplicaReport, RollbackRefusal};
pub use sessions::{LinkRefusal, Session, SessionKind, SessionState, Sessions, TokenHash};
