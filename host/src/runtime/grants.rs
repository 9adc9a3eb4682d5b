//! Capabilities are granted at link time: a plugin's `Linker` holds only the interfaces
//! its policy names, and a component importing anything else is refused at load.

use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use super::bindings::friend::portal;
use super::store_data::StoreData;

/// The package every portal interface lives in.
pub const PACKAGE: &str = "friend:portal";
pub const VERSION: &str = "0.1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grant {
    Kv,
    Log,
    Workspace,
    Cron,
    Secrets,
    Cluster,
    Ingress,
    Dns,
}

impl Grant {
    pub const ALL: &[Grant] = &[
        Grant::Kv,
        Grant::Log,
        Grant::Workspace,
        Grant::Cron,
        Grant::Secrets,
        Grant::Cluster,
        Grant::Ingress,
        Grant::Dns,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Grant::Kv => "kv",
            Grant::Log => "log",
            Grant::Workspace => "workspace",
            Grant::Cron => "cron",
            Grant::Secrets => "secrets",
            Grant::Cluster => "cluster",
            Grant::Ingress => "ingress",
            Grant::Dns => "dns",
        }
    }

    pub fn from_name(name: &str) -> Option<Grant> {
        Self::ALL.iter().copied().find(|g| g.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|g| g.name()).collect()
    }

    /// The WIT interface this grant links, e.g. `friend:portal/kv@0.1.0`.
    pub fn interface(self) -> String {
        format!("{PACKAGE}/{}@{VERSION}", self.name())
    }

    fn link(self, linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
        match self {
            Grant::Kv => portal::kv::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d),
            Grant::Log => portal::log::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d),
            Grant::Workspace => {
                portal::workspace::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d)
            }
            Grant::Cron => portal::cron::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d),
            Grant::Secrets => {
                portal::secrets::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d)
            }
            Grant::Cluster => {
                portal::cluster::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d)
            }
            Grant::Ingress => {
                portal::ingress::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d)
            }
            Grant::Dns => portal::dns::add_to_linker::<_, HasSelf<StoreData>>(linker, |d| d),
        }
    }
}

/// Interfaces every plugin may import, with nothing behind them: what Rust's std needs.
/// The context is built empty (no files, no environment, no sockets), stdout and stderr
/// go to the host's log.
const WASI_BASE: &[&str] = &["wasi:io/", "wasi:cli/", "wasi:clocks/", "wasi:random/"];

/// A linker with the WASI base and exactly the granted interfaces.
pub fn linker(engine: &Engine, grants: &[Grant]) -> wasmtime::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    for grant in grants {
        grant.link(&mut linker)?;
    }
    Ok(linker)
}

/// Refuses a component that imports what its policy does not grant, naming the
/// interface and the grant to add.
pub fn check_imports(
    engine: &Engine,
    component: &Component,
    plugin: &str,
    grants: &[Grant],
) -> Result<(), String> {
    let types_interface = format!("{PACKAGE}/types@{VERSION}");
    for (name, _) in component.component_type().imports(engine) {
        if name == types_interface || WASI_BASE.iter().any(|prefix| name.starts_with(prefix)) {
            continue;
        }
        if grants.iter().any(|g| g.interface() == name) {
            continue;
        }
        return Err(match Grant::ALL.iter().find(|g| g.interface() == name) {
            Some(grant) => format!(
                "plugin '{plugin}' imports {name}, which its policy does not grant; \
                 add \"{}\" to plugins.{plugin}.grants in plugins.toml if it should have it",
                grant.name()
            ),
            None => format!(
                "plugin '{plugin}' imports {name}, which the host does not provide to plugins"
            ),
        });
    }
    Ok(())
}
