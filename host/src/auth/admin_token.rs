//! The operator's admin token: given by flag or environment, or generated on first start
//! and kept in the data dir, readable by its owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::tokens;

pub enum AdminToken {
    Configured(String),
    Stored(String),
    /// Made on this start: the caller prints it once.
    Generated {
        token: String,
        path: PathBuf,
    },
}

impl AdminToken {
    pub fn secret(&self) -> &str {
        match self {
            AdminToken::Configured(t)
            | AdminToken::Stored(t)
            | AdminToken::Generated { token: t, .. } => t,
        }
    }
}

pub fn load_or_create(configured: Option<&str>, file: &Path) -> std::io::Result<AdminToken> {
    if let Some(token) = configured.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok(AdminToken::Configured(token.to_owned()));
    }
    if let Ok(stored) = std::fs::read_to_string(file) {
        let stored = stored.trim();
        if !stored.is_empty() {
            return Ok(AdminToken::Stored(stored.to_owned()));
        }
    }
    let token = tokens::generate();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(file)?;
    f.write_all(token.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    Ok(AdminToken::Generated {
        token,
        path: file.to_owned(),
    })
}
