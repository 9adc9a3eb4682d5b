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

/// One policy file's text, whence it came (for error messages) and the folder relative
/// paths in it resolve against (`None` for the embedded copy).
pub struct PolicyFile {
    pub text: std::borrow::Cow<'static, str>,
    pub label: String,
    pub dir: Option<PathBuf>,
}

impl PolicyFile {
    /// Parses the file as TOML; a syntax or shape error names the file.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, PolicyError> {
        toml::from_str(&self.text)
            .map_err(|e| PolicyError::new(&self.label, "toml", e.to_string().trim().to_owned()))
    }
}

impl PolicySource {
    /// `name` from the operator's folder when it holds one, else the copy the binary
    /// carries: a folder overrides only the files it has.
    pub fn read(&self, name: &str, embedded: &'static str) -> Result<PolicyFile, PolicyError> {
        match self {
            PolicySource::Dir(dir) if dir.join(name).exists() => {
                let path = dir.join(name);
                let label = path.display().to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| PolicyError::new(&label, "file", e.to_string()))?;
                Ok(PolicyFile {
                    text: text.into(),
                    label,
                    dir: Some(dir.clone()),
                })
            }
            _ => Ok(PolicyFile {
                text: embedded.into(),
                label: format!("policies/{name} (embedded)"),
                dir: None,
            }),
        }
    }

    /// Loads `plugins.toml`, resolving relative component paths against its folder;
    /// `clash` refuses routes the host serves itself (`api::native_route_clash`).
    pub fn load_plugins(&self, clash: plugins::RouteClash) -> Result<PluginsPolicy, PolicyError> {
        let file = self.read("plugins.toml", EMBEDDED_PLUGINS_TOML)?;
        PluginsPolicy::parse(&file.text, &file.label, file.dir.as_deref(), clash)
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
