//! Declarative configuration read at start: which plugins exist, what each may touch,
//! its limits and its routes. Operators edit `policies/`; the binary carries a copy.

pub mod plugins;

use std::path::{Path, PathBuf};

pub use plugins::{PluginPolicy, PluginsPolicy, RoutePolicy};

/// The repository's `policies/plugins.toml`, carried by the binary.
pub const EMBEDDED_PLUGINS_TOML: &str = include_str!("../../../policies/plugins.toml");

/// A policy that cannot be used: which file, which entry, what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {entry}: {problem}")]
pub struct PolicyError {
    pub file: String,
    pub entry: String,
    pub problem: String,
}

impl PolicyError {
    pub fn new(file: &str, entry: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            entry: entry.into(),
            problem: problem.into(),
        }
    }
}

/// Where the policies come from: a folder the operator keeps, or the embedded defaults.
#[derive(Debug, Clone, Default)]
pub enum PolicySource {
    #[default]
    Embedded,
    Dir(PathBuf),
}

impl PolicySource {
    /// Loads `plugins.toml`, resolving relative component paths against its folder.
    pub fn load_plugins(&self) -> Result<PluginsPolicy, PolicyError> {
        match self {
            PolicySource::Embedded => PluginsPolicy::parse(
                EMBEDDED_PLUGINS_TOML,
                "policies/plugins.toml (embedded)",
                None,
            ),
            PolicySource::Dir(dir) => {
                let path = dir.join("plugins.toml");
                let file = path.display().to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| PolicyError::new(&file, "file", e.to_string()))?;
                PluginsPolicy::parse(&text, &file, Some(dir.as_path()))
            }
        }
    }
}

/// Resolves a policy's `component = "..."` to where its bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ComponentSource {
    /// `builtin:<name>`: built from `plugins/` and carried by the binary.
    Builtin(String),
    File(PathBuf),
}

impl ComponentSource {
    pub fn parse(value: &str, base: Option<&Path>) -> Self {
        match value.strip_prefix("builtin:") {
            Some(name) => ComponentSource::Builtin(name.to_owned()),
            None => {
                let path = PathBuf::from(value);
                ComponentSource::File(match base {
                    Some(base) if path.is_relative() => base.join(path),
                    _ => path,
                })
            }
        }
    }
}
