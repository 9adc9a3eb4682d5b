//! The resource types the embedded API server knows, and how their URLs parse.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn core(plural: &'static str, kind: &'static str, namespaced: bool) -> ResourceType {
    ResourceType {
        group: "",
        version: "v1",
        plural,
        kind,
        namespaced,
    }
}

const fn grouped(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
) -> ResourceType {
    ResourceType {
        group,
        version,
        plural,
        kind,
        namespaced: true,
    }
}

pub const TYPES: &[ResourceType] = &[
    core("namespaces", "Namespace", false),
    core("secrets", "Secret", true),
    core("services", "Service", true),
    core("configmaps", "ConfigMap", true),
    core("pods", "Pod", true),
    core("resourcequotas", "ResourceQuota", true),
    core("limitranges", "LimitRange", true),
    core("persistentvolumeclaims", "PersistentVolumeClaim", true),
    core("serviceaccounts", "ServiceAccount", true),
    grouped("apps", "v1", "deployments", "Deployment"),
    grouped("batch", "v1", "jobs", "Job"),
    grouped("batch", "v1", "cronjobs", "CronJob"),
    grouped(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
    ),
    grouped("traefik.io", "v1alpha1", "ingressroutes", "IngressRoute"),
    grouped(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
    ),
];

pub fn by_plural(group: &str, version: &str, plural: &str) -> Option<ResourceType> {
    TYPES
        .iter()
        .copied()
        .find(|t| t.group == group && t.version == version && t.plural == plural)
}

pub fn by_kind(kind: &str) -> Option<ResourceType> {
    TYPES.iter().copied().find(|t| t.kind == kind)
}

/// A request path, understood.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub resource: ResourceType,
    /// `None` for cluster-scoped resources and for lists across namespaces.
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// `log` for `pods/<name>/log`, `status` for status subresources.
    pub subresource: Option<String>,
}

/// `/api/v1/namespaces/ns/secrets/x` or `/apis/apps/v1/namespaces/ns/deployments/x`.
pub fn parse_path(path: &str) -> Option<Target> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some((*ns).to_owned()), tail),
        _ => (None, rest),
    };
    let (plural, name, subresource) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some((*name).to_owned()), None),
        [plural, name, sub] => (*plural, Some((*name).to_owned()), Some((*sub).to_owned())),
        _ => return None,
    };
    let resource = by_plural(group, version, plural)?;
    Some(Target {
        resource,
        namespace,
        name,
        subresource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let t = parse_path("/api/v1/namespaces/friend-a/secrets/x").unwrap();
        assert_eq!(
            (t.resource.kind, t.namespace.as_deref(), t.name.as_deref()),
            ("Secret", Some("friend-a"), Some("x"))
        );
        let t = parse_path("/api/v1/namespaces/friend-a").unwrap();
        assert_eq!(
            (t.resource.kind, t.namespace, t.name.as_deref()),
            ("Namespace", None, Some("friend-a"))
        );
        let t = parse_path("/apis/apps/v1/namespaces/n/deployments").unwrap();
        assert_eq!((t.resource.kind, t.name), ("Deployment", None));
        let t = parse_path("/api/v1/namespaces/n/pods/p/log").unwrap();
        assert_eq!(t.subresource.as_deref(), Some("log"));
        assert!(parse_path("/apis/unknown/v1/things").is_none());
        assert!(parse_path("/healthz").is_none());
    }
}
