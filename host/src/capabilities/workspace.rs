//! `workspace`: the subject friend's files in the folder shared with the agent.
//!
//! The host decides everything that matters here, from the scope: whose folder (the
//! subject friend), who may write which file (the caller kind, see [`may_write`]), the size
//! and encoding rules, the entity tags and the preconditions. Writes go to a temp file that
//! is renamed over the target (the agent never reads half a file), under a lock so that of
//! two writers holding the same etag exactly one wins.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::auth::CallerKind;
use crate::fsutil::nofollow::Refusal;
use crate::runtime::bindings::friend::portal::workspace::{Contents, Error, File, Host};
use crate::runtime::store_data::StoreData;
use crate::workspace::Workspace;

/// The most one file may hold, written or read.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Files someone else made larger than this are not even hashed.
const MAX_HASHED_BYTES: u64 = 16 * 1024 * 1024;

pub fn file_name(file: File) -> &'static str {
    match file {
        File::Memory => "MEMORY.md",
        File::Notes => "NOTES.md",
        File::Heartbeat => "HEARTBEAT.md",
    }
}

/// Friends write their memory and heartbeat, never the agent's notes; the agent (and the
/// operator) write the notes and the heartbeat, and only read the friend's memory.
pub fn may_write(caller: CallerKind, file: File) -> bool {
    match (caller, file) {
        (_, File::Heartbeat) => true,
        (CallerKind::Friend, File::Memory) => true,
        (CallerKind::Friend, File::Notes) => false,
        (CallerKind::Agent | CallerKind::Admin, File::Notes) => true,
        (CallerKind::Agent | CallerKind::Admin, File::Memory) => false,
    }
}

/// A strong entity tag of a file's bytes; a missing file has its own.
pub fn etag(bytes: Option<&[u8]>) -> String {
    match bytes {
        Some(bytes) => format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..32]),
        None => "\"absent\"".to_owned(),
    }
}

/// `If-Match` / `If-None-Match` (RFC 9110: lists, `*`, weak tags compared weakly for
/// `If-None-Match`) against the file as it is. `current` is [`etag`] of the file, so the
/// tag a GET gave for a missing file satisfies `If-Match` until someone creates it.
pub fn preconditions_hold(
    current: &str,
    exists: bool,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> bool {
    let tags = |value: &str| -> Vec<String> {
        value
            .split(',')
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .map(|t| t.to_owned())
            .collect()
    };
    if let Some(value) = if_match {
        // A missing file's tag (from a GET) matches while it is still missing.
        let ok = tags(value)
            .iter()
            .any(|t| (t == "*" && exists) || t == current);
        if !ok {
            return false;
        }
    }
    if let Some(value) = if_none_match {
        let hit = exists
            && tags(value)
                .iter()
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == current);
        if hit {
            return false;
        }
    }
    true
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Refusal::Io("workspace".into(), std::io::Error::other(e)))?
}

pub struct Files {
    workspace: Workspace,
    lock: tokio::sync::Mutex<()>,
}

impl Files {
    pub fn new(workspace: Workspace) -> Self {
        Self {
            workspace,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Where the file is (for tests); reads and writes never go through this path.
    pub fn path(&self, friend: &str, file: File) -> PathBuf {
        self.workspace.friend_dir(friend).join(file_name(file))
    }

    /// At most `cap + 1` bytes of the file; `None` when it (or the friend's folder) is absent.
    async fn read_capped(
        &self,
        friend: &str,
        file: File,
        cap: u64,
    ) -> Result<Option<Vec<u8>>, Error> {
        let workspace = self.workspace.clone();
        let id = friend.to_owned();
        blocking(move || match workspace.friend_folder(&id, false)? {
            Some(folder) => folder.read_file(file_name(file), cap),
            None => Ok(None),
        })
        .await
        .map_err(|e| refused(friend, file, e))
    }

    pub async fn read(&self, friend: &str, file: File) -> Result<Contents, Error> {
        let bytes = self
            .read_capped(friend, file, MAX_FILE_BYTES as u64)
            .await?;
        if bytes.as_ref().is_some_and(|b| b.len() > MAX_FILE_BYTES) {
            return Err(Error::TooLarge(MAX_FILE_BYTES as u32));
        }
        Ok(Contents {
            etag: etag(bytes.as_deref()),
            exists: bytes.is_some(),
            content: bytes
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
        })
    }

    pub async fn write(
        &self,
        caller: CallerKind,
        friend: &str,
        file: File,
        content: Vec<u8>,
        if_match: Option<&str>,
        if_none_match: Option<&str>,
    ) -> Result<String, Error> {
        if !may_write(caller, file) {
            return Err(Error::ReadOnly);
        }
        if content.len() > MAX_FILE_BYTES {
            return Err(Error::TooLarge(MAX_FILE_BYTES as u32));
        }
        if std::str::from_utf8(&content).is_err() {
            return Err(Error::NotUtf8);
        }
        let new_etag = etag(Some(&content));
        let _guard = self.lock.lock().await;
        if if_match.is_some() || if_none_match.is_some() {
            let current = self.read_capped(friend, file, MAX_HASHED_BYTES).await?;
            let current_etag = etag(current.as_deref());
            if !preconditions_hold(&current_etag, current.is_some(), if_match, if_none_match) {
                return Err(Error::PreconditionFailed);
            }
        }
        let workspace = self.workspace.clone();
        let id = friend.to_owned();
        blocking(move || {
            let folder = workspace
                .friend_folder(&id, true)?
                .ok_or_else(|| Refusal::Io(id.clone(), std::io::ErrorKind::NotFound.into()))?;
            folder.write_file(file_name(file), &content)
        })
        .await
        .map_err(|e| refused(friend, file, e))?;
        tracing::info!(%friend, file = file_name(file), caller = ?caller, "workspace file written");
        Ok(new_etag)
    }
}

/// A link or other non-file on the way is the caller's to hear about, naming it; any
/// other failure is logged and reported as unavailable.
fn refused(friend: &str, file: File, refusal: Refusal) -> Error {
    if refusal.is_unsafe_path() {
        tracing::warn!(%friend, file = file_name(file), %refusal, "workspace file refused");
        return Error::NotAFile(refusal.to_string());
    }
    tracing::error!(%friend, file = file_name(file), error = %refusal, "workspace file failed");
    Error::Unavailable
}

impl Host for StoreData {
    async fn read(&mut self, file: File) -> Result<Contents, Error> {
        let friend = self.scope.friend.clone().ok_or(Error::Unavailable)?;
        self.services.files.read(&friend, file).await
    }

    async fn write(
        &mut self,
        file: File,
        content: Vec<u8>,
        if_match: Option<String>,
        if_none_match: Option<String>,
    ) -> Result<String, Error> {
        let friend = self.scope.friend.clone().ok_or(Error::Unavailable)?;
        let caller = self.scope.caller.kind();
        self.services
            .files
            .write(
                caller,
                &friend,
                file,
                content,
                if_match.as_deref(),
                if_none_match.as_deref(),
            )
            .await
    }
}

#[cfg(test)]
#[path = "workspace_tests.rs"]
mod tests;
