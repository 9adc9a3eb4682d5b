//! The workspace folder shared with the agent: `friends/<id>/{profile.json,MEMORY.md,...}`.
//! Every write goes to a temp file in the same folder and is renamed over the target,
//! so the agent never reads half a file.

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
        tokio::task::spawn_blocking(move || crate::fsutil::write_atomic(&path, &bytes))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Moves a deleted friend's folder to `friends/.deleted/<id>-<time>/`: nothing the agent
    /// wrote is destroyed, and a friend later given the same id starts with a clean folder.
    pub async fn archive(
        &self,
        friend_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> std::io::Result<()> {
        let from = self.friend_dir(friend_id);
        if !from.exists() {
            return Ok(());
        }
        let to = self
            .root
            .join("friends")
            .join(".deleted")
            .join(format!("{friend_id}-{}", now.format("%Y%m%dT%H%M%S%.3fZ")));
        tokio::fs::create_dir_all(to.parent().unwrap_or(&self.root)).await?;
        tokio::fs::rename(from, to).await
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
