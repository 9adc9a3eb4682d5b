//! Durable state in sled: one typed tree per kind of record. Every public write method
//! flushes before it returns, so a handler that got `Ok` may acknowledge the write.

mod agents;
mod audit;
mod flusher;
mod friends;
mod hostnames;
mod pauses;
mod platform_ids;
mod retired;
mod sessions;
mod table;

use std::path::Path;

pub use agents::Agent;
pub use audit::{
    AUDIT_FIELD_MAX, AUDIT_KEPT, AUDIT_KEPT_PER_FRIEND, AUDIT_TRIM_BATCH, AuditEntry, AuditQuery,
};
pub use flusher::Flusher;
pub use friends::{
    Friend, FriendPage, FriendPatch, Friendship, NAMESPACE_PREFIX, StoredFriend, namespace_of,
};
pub use hostnames::{ClaimError, ClaimPart, ClaimRequest, HostnameClaim, Hostnames};
pub use pauses::Paused;
pub use retired::Retired;
pub use sessions::{LinkRefusal, Session, SessionKind, SessionState};
pub use table::Table;

/// The layout this build reads and writes. Bump it, and migrate in [`Store::migrate`],
/// when a tree's key or value format changes.
/// 2: the `platform_ids` index (built from the friends on file when coming from 1).
pub const SCHEMA_VERSION: u64 = 2;

/// sled's page cache unless configured (`--store-cache-mib`). sled's own default (1 GiB)
/// let the process grow past 300 MiB at 10,000 friends and 100,000 secrets; what is not
/// cached is read from the OS's file cache.
pub const DEFAULT_CACHE_BYTES: u64 = 64 << 20;
const SCHEMA_KEY: &[u8] = b"schema_version";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record is not readable: {0}")]
    Decode(#[from] serde_json::Error),
    #[error(
        "data directory has schema version {found}, this build reads up to {SCHEMA_VERSION}; upgrade the portal"
    )]
    NewerSchema { found: u64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
        }
    }
}

/// Aborts a sled transaction with one of our errors.
pub(crate) fn abort<T>(
    e: StoreError,
) -> sled::transaction::ConflictableTransactionResult<T, StoreError> {
    Err(sled::transaction::ConflictableTransactionError::Abort(e))
}

#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    flusher: Flusher,
    pub(crate) friends: Table<Friend>,
    pub(crate) friendships: Table<Friendship>,
    /// `agent \0 friend` -> (): the friends of one agent, without a scan.
    pub(crate) agent_friends: sled::Tree,
    pub(crate) agents: Table<Agent>,
    /// SHA-256 of an agent token -> agent id.
    pub(crate) agent_tokens: sled::Tree,
    /// SHA-256 of a session token -> session. Tokens themselves are never stored.
    pub(crate) sessions: Table<Session>,
    /// `friend \0 created-millis (BE) \0 hash` -> (): a friend's sessions in creation order.
    pub(crate) friend_sessions: sled::Tree,
    /// friend -> u64 (BE), moved on by every session or link made: a delete or revoke of
    /// all a friend's sessions sees one made after it listed them (`sessions.rs`).
    pub(crate) session_epochs: sled::Tree,
    /// `discord:<id>` / `phone:<number>` -> friend id: each platform id is one friend's.
    pub(crate) platform_ids: sled::Tree,
    /// Ids of friends deleted without purge, kept from new friends until purged.
    pub(crate) retired: Table<Retired>,
    pub(crate) audit: Table<AuditEntry>,
    /// `friend \0 seq (BE)` -> (): one friend's audit trail without a scan.
    pub(crate) audit_by_friend: sled::Tree,
    /// How many audit entries there are, and how many are kept (see `audit.rs`).
    pub(crate) audit_bound: std::sync::Arc<audit::AuditBound>,
    /// Points where tests hold an operation between its steps (see `pauses.rs`).
    pub(crate) pauses: std::sync::Arc<pauses::Pauses>,
}

impl Store {
    pub fn open(dir: &Path) -> StoreResult<Self> {
        Self::open_with_cache(dir, DEFAULT_CACHE_BYTES)
    }

    /// Opens with a page cache of `cache_bytes`.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> StoreResult<Self> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(cache_bytes)
            .open()?;
        let store = Self {
            friends: Table::open(&db, "friends")?,
            friendships: Table::open(&db, "friendships")?,
            agent_friends: db.open_tree("agent_friends")?,
            agents: Table::open(&db, "agents")?,
            agent_tokens: db.open_tree("agent_tokens")?,
            sessions: Table::open(&db, "sessions")?,
            friend_sessions: db.open_tree("friend_sessions")?,
            session_epochs: db.open_tree("session_epochs")?,
            platform_ids: db.open_tree("platform_ids")?,
            retired: Table::open(&db, "retired_friends")?,
            audit: Table::open(&db, "audit")?,
            audit_by_friend: db.open_tree("audit_by_friend")?,
            audit_bound: Default::default(),
            pauses: Default::default(),
            flusher: Flusher::new(db.clone()),
            db,
        };
        store.migrate()?;
        platform_ids::legacy_numbers(&store.friends.tree)?;
        store.count_audit()?;
        Ok(store)
    }

    fn migrate(&self) -> StoreResult<()> {
        let found = match self.db.get(SCHEMA_KEY)? {
            Some(v) => u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])),
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found });
        }
        // Version 0 is a new data dir: nothing to convert.
        if found == 1 {
            platform_ids::rebuild(&self.friends.tree, &self.platform_ids)?;
        }
        if found < SCHEMA_VERSION {
            self.db.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            self.db.flush()?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> StoreResult<u64> {
        Ok(self.db.get(SCHEMA_KEY)?.map_or(0, |v| {
            u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8]))
        }))
    }

    /// A tree for another component of the host (plugin kv, scheduler, dns records...).
    pub fn tree(&self, name: &str) -> StoreResult<sled::Tree> {
        Ok(self.db.open_tree(name)?)
    }

    pub fn generate_id(&self) -> StoreResult<u64> {
        Ok(self.db.generate_id()?)
    }

    /// Makes every write so far durable (shared with concurrent callers: see [`Flusher`]).
    pub async fn flush(&self) -> StoreResult<()> {
        self.flusher.flush().await?;
        Ok(())
    }

    /// The one flusher of this database, for components that keep trees of their own.
    pub fn flusher(&self) -> Flusher {
        self.flusher.clone()
    }
}

/// `a \0 b` keys for the secondary indexes. Ids never contain NUL (they are validated).
pub(crate) fn pair_key(a: &str, b: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(a.len() + 1 + b.len());
    key.extend_from_slice(a.as_bytes());
    key.push(0);
    key.extend_from_slice(b);
    key
}

pub(crate) fn prefix_key(a: &str) -> Vec<u8> {
    pair_key(a, b"")
}
