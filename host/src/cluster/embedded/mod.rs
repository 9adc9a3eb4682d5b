//! The embedded cluster: a simulated Kubernetes API server inside the process, persisted
//! in the embedded store, served as a tower service behind the same `kube::Client` a real cluster uses.
//! It implements what the portal needs: CRUD with label selectors, merge patch and
//! server-side apply (approximated as create-or-merge), dry-run, namespaces with cascade
//! delete, simulated pods for Deployments and Jobs, LimitRange defaults, and ResourceQuota
//! usage and enforcement of counts.

mod api;
pub mod cache;
mod controllers;
mod defaults;
mod logs;
mod objects;
mod resources;
mod selectors;
mod status;

pub use api::EmbeddedApi;
