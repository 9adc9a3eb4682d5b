//! The embedded backend: one sled database in a data directory, one typed tree per kind
//! of record, each invariant kept by a sled transaction. Every write flushes (through the
//! shared [`Flusher`]) before it returns `Ok`, so a handler that got `Ok` may acknowledge it.
//!
//! The layout (tree names, keys, value JSON, [`SCHEMA_VERSION`]) is the data dir's format:
//! change it only with a version bump and a migration in [`SledStore::migrate`].

mod agents;
mod audit;
mod crons;
mod directory;
mod flusher;
mod friends;
mod hostnames;
mod kv;
mod local;
mod outbox;
mod platform_ids;
mod records;
mod releases;
mod sessions;
mod table;

use std::path::Path;
use std::sync::Arc;

pub use flusher::Flusher;
pub use local::{LocalTree, LocalTrees};

use crate::{
    AuditEntry, Friend, Friendship, Pauses, Retired, Session, Store, StoreError, StoreResult,
};
use table::Table;

/// The layout this build reads and writes. Bump it, and migrate in [`SledStore::migrate`],
/// when a tree's key or value format changes.
/// 2: the `platform_ids` index (built from the friends on file when coming from 1).
pub const SCHEMA_VERSION: u64 = 2;

/// The page cache unless configured (`--store-cache-mib`). sled's own default (1 GiB)
/// let the process grow past 300 MiB at 10,000 friends and 100,000 secrets; what is not
/// cached is read from the OS's file cache.
pub const DEFAULT_CACHE_BYTES: u64 = 64 << 20;
const SCHEMA_KEY: &[u8] = b"schema_version";

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::backend(e)
    }
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}

/// Aborts a sled transaction with one of our errors.
pub(crate) fn abort<T>(
    e: StoreError,
) -> sled::transaction::ConflictableTransactionResult<T, StoreError> {
    Err(sled::transaction::ConflictableTransactionError::Abort(e))
}

/// Opens (or creates) the embedded store in `dir` with a page cache of `cache_bytes`: the
/// portal's state, and the trees of the single-node simulations (`Store::local`).
pub fn open_embedded(dir: &Path, cache_bytes: u64) -> StoreResult<Store> {
    let backend = Arc::new(SledStore::open(dir, cache_bytes)?);
    let local = LocalTrees::new(backend.db.clone(), backend.flusher.clone());
    let pauses = backend.pauses.clone();
    let mut store = Store::new(backend, pauses, "sled");
    store.local = Some(local);
    Ok(store)
}

/// Opens (or creates) a database in `dir` holding only the single-node simulations' trees
/// (local DNS records), for a portal whose own state is kept elsewhere (`--store kube`).
pub fn open_local(dir: &Path, cache_bytes: u64) -> StoreResult<LocalTrees> {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .open()?;
    let flusher = Flusher::new(db.clone());
    Ok(LocalTrees::new(db, flusher))
}

pub struct SledStore {
    db: sled::Db,
    flusher: Flusher,
    friends: Table<Friend>,
    friendships: Table<Friendship>,
    /// `agent \0 friend` -> (): the friends of one agent, without a scan.
    agent_friends: sled::Tree,
    agents: Table<crate::Agent>,
    /// SHA-256 of an agent token -> agent id.
    agent_tokens: sled::Tree,
    /// SHA-256 of a session token -> session. Tokens themselves are never stored.
    sessions: Table<Session>,
    /// `friend \0 created-millis (BE) \0 hash` -> (): a friend's sessions in creation order.
    friend_sessions: sled::Tree,
    /// friend -> u64 (BE), moved on by every session or link made: a delete or revoke of
    /// all a friend's sessions sees one made after it listed them (`sessions.rs`).
    session_epochs: sled::Tree,
    /// `discord:<id>` / `phone:<number>` -> friend id: each platform id is one friend's.
    platform_ids: sled::Tree,
    /// Ids of friends deleted without purge, kept from new friends until purged.
    retired: Table<Retired>,
    audit: Table<AuditEntry>,
    /// `friend \0 seq (BE)` -> (): one friend's audit trail without a scan.
    audit_by_friend: sled::Tree,
    /// How many audit entries there are, and how many are kept (see `audit.rs`).
    audit_bound: audit::AuditBound,
    hostnames: hostnames::HostnameTrees,
    crons: crons::CronTrees,
    /// `seq (BE)` -> outbox entry.
    outbox: sled::Tree,
    /// Held while an outbox entry is given its id and written.
    outbox_lock: std::sync::Mutex<()>,
    kv: kv::KvTrees,
    releases: releases::ReleaseTrees,
    /// Points where tests hold an operation between its steps.
    pauses: Arc<Pauses>,
}

impl SledStore {
    /// Opens with a page cache of `cache_bytes`.
    pub fn open(dir: &Path, cache_bytes: u64) -> StoreResult<Self> {
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
            hostnames: hostnames::HostnameTrees::open(&db)?,
            crons: crons::CronTrees::open(&db)?,
            outbox: db.open_tree("cron_outbox")?,
            outbox_lock: Default::default(),
            kv: kv::KvTrees::open(&db)?,
            releases: releases::ReleaseTrees::open(&db)?,
            pauses: Default::default(),
            flusher: Flusher::new(db.clone()),
            db,
        };
        store.migrate()?;
        platform_ids::legacy_numbers(&store.friends.tree)?;
        store.count_audit()?;
        store.kv.count_once()?;
        Ok(store)
    }

    fn migrate(&self) -> StoreResult<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
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

    fn generate_id(&self) -> StoreResult<u64> {
        Ok(self.db.generate_id()?)
    }

    /// Makes every write so far durable (shared with concurrent callers: see [`Flusher`]).
    async fn flush(&self) -> StoreResult<()> {
        self.flusher.flush().await
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

/// A u64 stored big-endian (0 when absent or unreadable).
pub(crate) fn be_u64(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}
