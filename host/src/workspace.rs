//! The workspace folder shared with the agent: `friends/<id>/{profile.json,MEMORY.md,...}`.
//! Every write goes to a temp file in the same folder and is renamed over the target,
//! so the agent never reads half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::Friend;

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    pub fn open(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("friends"))?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The friend's folder. `friend_id` is a validated id, never a path from a request.
    pub fn friend_dir(&self, friend_id: &str) -> PathBuf {
        self.root.join("friends").join(friend_id)
    }

    /// Writes `profile.json`, the agent's view of who the friend is.
    pub async fn write_profile(&self, friend: &Friend) -> std::io::Result<()> {
        let mut profile = serde_json::to_value(friend).map_err(std::io::Error::other)?;
        profile["namespace"] = friend.namespace().into();
        let bytes = serde_json::to_vec_pretty(&profile).map_err(std::io::Error::other)?;
        let path = self.friend_dir(&friend.id).join("profile.json");
        tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(std::io::Error::other)?
    }

    /// How many files the agent keeps in the friend's `logs/` (0 when there is none).
    pub fn log_count(&self, friend_id: &str) -> usize {
        std::fs::read_dir(self.friend_dir(friend_id).join("logs"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// Temp file beside the target, fsync, rename over it, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("path has no parent folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/MEMORY.md");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files left behind");
    }
}
