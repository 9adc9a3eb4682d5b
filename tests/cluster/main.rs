//! Kubernetes: the cluster code against kube-fake-client (an independent implementation
//! of the API semantics), and the endpoints over HTTP against the embedded cluster.

#[path = "../support/mod.rs"]
mod support;

mod apply;
mod defaults;
mod deploy;
mod fake_namespaces;
mod friend_apps;
mod kube_fake;
mod namespace;
mod pod_template_refs;
mod secrets;
