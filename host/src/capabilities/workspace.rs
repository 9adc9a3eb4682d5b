//! `workspace`: the subject friend's files in the folder shared with the agent.
//!
//! The host decides everything that matters here, from the scope: whose folder (the
//! subject friend), who may write which file (the caller kind, see [`may_write`]), the size
//! and encoding rules, the entity tags and the preconditions. Writes go to a temp file that
//! is renamed over the target (the agent never reads half a file), under a lock so that of
//! two writers holding the same etag exactly one wins.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::auth::CallerKind;
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

/// Reads at most `cap + 1` bytes: `None` when there is no file.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::File::open(path) {
        Ok(file) => {
            let mut bytes = Vec::new();
            file.take(cap + 1).read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(std::io::Error::other)?
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

    /// `friend` is the scope's validated id, never a path from a request.
    pub fn path(&self, friend: &str, file: File) -> PathBuf {
        self.workspace.friend_dir(friend).join(file_name(file))
    }

    pub async fn read(&self, friend: &str, file: File) -> Result<Contents, Error> {
        let path = self.path(friend, file);
        let bytes = blocking(move || read_capped(&path, MAX_FILE_BYTES as u64))
            .await
            .map_err(|e| unavailable(friend, file, e))?;
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
        let path = self.path(friend, file);
        let _guard = self.lock.lock().await;
        if if_match.is_some() || if_none_match.is_some() {
            let current_path = path.clone();
            let current = blocking(move || read_capped(&current_path, MAX_HASHED_BYTES))
                .await
                .map_err(|e| unavailable(friend, file, e))?;
            let current_etag = etag(current.as_deref());
            if !preconditions_hold(&current_etag, current.is_some(), if_match, if_none_match) {
                return Err(Error::PreconditionFailed);
            }
        }
        blocking(move || crate::fsutil::write_atomic(&path, &content))
            .await
            .map_err(|e| unavailable(friend, file, e))?;
        tracing::info!(%friend, file = file_name(file), caller = ?caller, "workspace file written");
        Ok(new_etag)
    }
}

fn unavailable(friend: &str, file: File, error: std::io::Error) -> Error {
    tracing::error!(%friend, file = file_name(file), %error, "workspace file failed");
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
