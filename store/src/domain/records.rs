//! Every record a store holds, in one form both backends read and write: what
//! `portal store export` writes (one JSON line per record) and `portal store import` reads,
//! to move a portal from one backend to the other without loss.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{
    Agent, AuditEntry, Friend, Friendship, HostnameClaim, Job, OutboxEntry, Retired, Run, Session,
};
use crate::StoreResult;

/// One record. Hashes are hex (never a token), kv values base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Friend {
        friend: Friend,
    },
    Retired {
        id: String,
        retired: Retired,
    },
    Friendship {
        friendship: Friendship,
    },
    Agent {
        agent: Agent,
        token_sha256: String,
    },
    Session {
        token_sha256: String,
        session: Session,
    },
    HostnameClaim {
        hostname: String,
        claim: HostnameClaim,
    },
    Kv {
        plugin: String,
        friend: String,
        key: String,
        value_base64: String,
    },
    Job {
        job: Job,
    },
    /// Runs of one job in the order they were made, oldest first.
    Run {
        friend: String,
        job: String,
        run: Run,
    },
    Outbox {
        entry: OutboxEntry,
    },
    Audit {
        entry: AuditEntry,
    },
}

impl Record {
    /// The kind's name as written in the `kind` field (for counts in messages).
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Friend { .. } => "friend",
            Record::Retired { .. } => "retired",
            Record::Friendship { .. } => "friendship",
            Record::Agent { .. } => "agent",
            Record::Session { .. } => "session",
            Record::HostnameClaim { .. } => "hostname_claim",
            Record::Kv { .. } => "kv",
            Record::Job { .. } => "job",
            Record::Run { .. } => "run",
            Record::Outbox { .. } => "outbox",
            Record::Audit { .. } => "audit",
        }
    }
}

#[async_trait]
pub trait Records: Send + Sync {
    /// Whether the store holds no record at all (import refuses to write into one that does).
    async fn is_empty(&self) -> StoreResult<bool>;

    /// Every record: friends before what refers to them, runs and outbox and audit entries
    /// oldest first.
    async fn export(&self) -> StoreResult<Vec<Record>>;

    /// Writes `records` as they are (hashes, ids and times kept) into an empty store;
    /// `Conflict` if it is not empty. Records come in [`Records::export`]'s order.
    async fn import(&self, records: &[Record]) -> StoreResult<()>;
}
