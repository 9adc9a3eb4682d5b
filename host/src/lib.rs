//! Friend Portal: a WebAssembly plugin host that runs an AI agent's self-service portal.
//!
//! A request passes `server` (layers, routing), `auth` (who is calling), then either a
//! host-native handler in `api` or a sandboxed plugin. State lives in the `portal_store` crate
//! (behind its domain traits) and the shared `workspace` folder.

pub mod api;
pub mod auth;
pub mod capabilities;
pub mod cli;
pub mod cli_secrets;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod dns;
pub mod error;
pub mod exposure;
pub mod fsutil;
pub mod leader;
pub mod mcp;
pub mod plugin_cli;
pub mod policy;
pub mod releases;
pub mod runtime;
pub mod scheduler;
pub mod server;
pub mod state;
pub mod store_cli;
pub mod telemetry;

pub mod validate;
pub mod workspace;
