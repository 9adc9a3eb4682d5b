//! The security matrix over real HTTP: every route by every kind of caller, no response
//! carrying another friend's data, path traversal in every name, hostile bodies.

#[path = "../support/mod.rs"]
mod support;

mod bodies;
mod friend_limits;
mod hostname_ownership;
mod id_reuse;
mod leaks;
mod matrix;
mod namespace_ownership;
mod pod_placement;
mod pod_security;
mod races;
mod routes;
mod session_ownership;
mod traversal;
mod workspace_links;
mod world;
