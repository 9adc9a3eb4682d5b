//! The HTTP API, over real HTTP on 127.0.0.1, one fresh portal per test.

#[path = "../support/mod.rs"]
mod support;

mod agents;
mod audit_metrics;
mod conventions;
mod friends;
mod links;
mod portal_me;
mod portal_sessions;
mod quick_start;
mod restart;
mod sessions;
