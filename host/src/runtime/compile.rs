//! Compiling components, with the compiled artifacts cached in the data dir keyed by the
//! component's SHA-256 and the engine's compatibility hash: a restart does not recompile.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

impl ArtifactCache {
    pub fn new(dir: PathBuf, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        })
    }

    fn path_for(&self, sha: &str) -> PathBuf {
        self.dir.join(format!("{sha}-{}.cwasm", self.engine_key))
    }

    /// The compiled component for these bytes: from the cache, or compiled and cached.
    pub fn load(&self, engine: &Engine, bytes: &[u8], sha: &str) -> wasmtime::Result<Component> {
        let path = self.path_for(sha);
        if path.exists() {
            // SAFETY: the file was written by `precompile_component` of an engine with the
            // same compatibility hash, into the operator's own data dir.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok(component),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable compiled artifact")
                }
            }
        }
        let compiled = engine.precompile_component(bytes)?;
        if let Err(e) = write_file(&path, &compiled) {
            tracing::warn!(path = %path.display(), error = %e, "could not cache the compiled artifact");
        }
        // SAFETY: `compiled` was produced just now by this engine.
        unsafe { Component::deserialize(engine, &compiled) }
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, bytes)
}
