//! Kinds the portal touches, as kube `ApiResource`s for dynamic access.

use kube::core::{ApiResource, GroupVersionKind};

/// (kind, group, version, plural, namespaced)
const KINDS: &[(&str, &str, &str, &str, bool)] = &[
    ("Namespace", "", "v1", "namespaces", false),
    ("ResourceQuota", "", "v1", "resourcequotas", true),
    ("LimitRange", "", "v1", "limitranges", true),
    ("Secret", "", "v1", "secrets", true),
    ("Service", "", "v1", "services", true),
    ("ConfigMap", "", "v1", "configmaps", true),
    ("Pod", "", "v1", "pods", true),
    ("Deployment", "apps", "v1", "deployments", true),
    ("Job", "batch", "v1", "jobs", true),
    ("CronJob", "batch", "v1", "cronjobs", true),
    (
        "NetworkPolicy",
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        true,
    ),
    (
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        true,
    ),
    (
        "IngressRoute",
        "traefik.io",
        "v1alpha1",
        "ingressroutes",
        true,
    ),
];

pub fn api_resource(kind: &str) -> Option<(ApiResource, bool)> {
    KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map(|(kind, group, version, plural, namespaced)| {
            let gvk = GroupVersionKind::gvk(group, version, kind);
            (ApiResource::from_gvk_with_plural(&gvk, plural), *namespaced)
        })
}
