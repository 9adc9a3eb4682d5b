//! The security matrix over real HTTP: every route by every kind of caller, no response
//! carrying another friend's data, path traversal in every name, hostile bodies.

#[path = "../support/child.rs"]
mod child;
#[path = "../support/mod.rs"]
mod support;

mod bodies;
mod fair_share;
mod friend_limits;
mod hostname_ownership;
mod id_reuse;
mod leaks;
mod matrix;
mod namespace_ownership;
mod operator_routes;
mod pod_placement;
mod pod_security;
mod races;
mod request_ids;
mod routes;
mod session_ownership;
mod tenant_names;
mod traversal;
mod workspace_links;
mod world;
