//! `portal serve --cluster kube` against a real Kubernetes control plane (tests/kube/up.sh:
//! etcd, kube-apiserver, controller manager, scheduler and kwok, built from Go modules).
//! The portal runs as the ServiceAccount deploy/rbac.yaml creates, with a TokenRequest
//! token, so every call it makes meets real RBAC, Pod Security admission, CRD validation
//! and namespace finalization. Never skipped: without Go (and no built cache) it fails.

#[path = "../support/child.rs"]
mod child;
mod control_plane;
mod portal;

mod boundary;
mod caches;
mod escalation;
mod exposure;
mod install;
mod plugin_releases;
mod provisioning;
mod purge;
mod registry;
mod replicas;
mod replicas_support;
mod rolling;
mod secrets;
mod store_conformance;
mod store_kube;
mod store_move;
mod store_races;
mod store_support;
mod workloads;
