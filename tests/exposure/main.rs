//! Exposure over HTTP in embedded mode with the local DNS provider: IngressRoute + DNS
//! record, all or nothing; every IngressRoute checked against Traefik's own CRD schema.

#[path = "../support/mod.rs"]
mod support;

mod crd;
mod expose;
mod not_set_up;
