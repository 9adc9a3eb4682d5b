//! Installed plugin versions, kept in the data dir: `plugins/<name>/<sha256>.wasm` and
//! `plugins/<name>/history.json` (oldest first; the last one is current). The version
//! named by the policy is the base beneath them: rolling back past every install returns
//! to it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Installed {
    pub version: String,
    pub installed_at: DateTime<Utc>,
}

pub struct VersionStore {
    dir: PathBuf,
}

impl VersionStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn plugin_dir(&self, plugin: &str) -> PathBuf {
        self.dir.join(plugin)
    }

    pub fn history(&self, plugin: &str) -> std::io::Result<Vec<Installed>> {
        match std::fs::read(self.plugin_dir(plugin).join("history.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn write_history(&self, plugin: &str, history: &[Installed]) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(history).map_err(std::io::Error::other)?;
        write_atomic(&self.plugin_dir(plugin).join("history.json"), &bytes)
    }

    pub fn bytes(&self, plugin: &str, version: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.plugin_dir(plugin).join(format!("{version}.wasm")))
    }

    /// Keeps the component and makes it the newest entry of the history.
    pub fn push(
        &self,
        plugin: &str,
        version: &str,
        bytes: &[u8],
        at: DateTime<Utc>,
    ) -> std::io::Result<()> {
        write_atomic(
            &self.plugin_dir(plugin).join(format!("{version}.wasm")),
            bytes,
        )?;
        let mut history = self.history(plugin)?;
        history.push(Installed {
            version: version.to_owned(),
            installed_at: at,
        });
        self.write_history(plugin, &history)
    }

    /// Drops the newest entry; returns the history that remains.
    pub fn pop(&self, plugin: &str) -> std::io::Result<Vec<Installed>> {
        let mut history = self.history(plugin)?;
        history.pop();
        self.write_history(plugin, &history)?;
        Ok(history)
    }
}
