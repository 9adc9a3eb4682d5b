//! `policies/cluster.toml` and the namespace templates in `policies/namespace/`.

use serde::Deserialize;

use crate::policy::{PolicyError, PolicySource};

const EMBEDDED_CLUSTER_TOML: &str = include_str!("../../../policies/cluster.toml");
const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[
    (
        "00-namespace.yaml",
        include_str!("../../../policies/namespace/00-namespace.yaml"),
    ),
    (
        "05-portal-access.yaml",
        include_str!("../../../policies/namespace/05-portal-access.yaml"),
    ),
    (
        "10-quota.yaml",
        include_str!("../../../policies/namespace/10-quota.yaml"),
    ),
    (
        "20-limits.yaml",
        include_str!("../../../policies/namespace/20-limits.yaml"),
    ),
    (
        "30-network.yaml",
        include_str!("../../../policies/namespace/30-network.yaml"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterPolicy {
    pub pod_security: PodSecurity,
    pub ingress_namespace: String,
    /// The portal's own namespace and ServiceAccount, named in each friend's RoleBinding.
    pub portal_namespace: String,
    pub portal_service_account: String,
    /// Address ranges friends' pods may not connect to (the NetworkPolicy template's
    /// `ipBlock.except`); the private and link-local ranges when cluster.toml lists none.
    #[serde(default = "super::egress::default_denied")]
    pub egress_denied_cidrs: Vec<String>,
    /// The same, checked and split by family for the template.
    #[serde(skip)]
    pub egress_denied: super::egress::DeniedEgress,
    pub apply: ApplyPolicy,
    /// Namespace templates, in file order: (file name, YAML text).
    #[serde(skip)]
    pub templates: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurity {
    Baseline,
    Restricted,
}

impl PodSecurity {
    pub fn label(self) -> &'static str {
        match self {
            PodSecurity::Baseline => "baseline",
            PodSecurity::Restricted => "restricted",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyPolicy {
    pub allowed_kinds: Vec<String>,
    pub refused_service_types: Vec<String>,
    pub refused_pod_fields: Vec<String>,
    pub baseline_capabilities: Vec<String>,
    pub safe_sysctls: Vec<String>,
    /// Tolerations a pod template may carry, compared whole; none unless the operator
    /// lists some.
    #[serde(default)]
    pub allowed_tolerations: Vec<AllowedToleration>,
    /// Node labels (`key=value`) a pod template's nodeSelector may ask for; none by default.
    #[serde(default)]
    pub allowed_node_selectors: Vec<String>,
}

/// One toleration as cluster.toml lists it; what a template leaves out compares as the API
/// server defaults it (operator `Equal`, the rest empty). `tolerationSeconds` is not compared.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedToleration {
    #[serde(default)]
    pub key: String,
    #[serde(default = "equal")]
    pub operator: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub effect: String,
}

fn equal() -> String {
    "Equal".to_owned()
}

impl ClusterPolicy {
    pub fn load(source: &PolicySource) -> Result<Self, PolicyError> {
        let source = source.read("cluster.toml", EMBEDDED_CLUSTER_TOML)?;
        // The templates come with the cluster.toml they belong to: from its folder's
        // namespace/, or the embedded ones.
        let templates = match &source.dir {
            Some(dir) => read_templates(&dir.join("namespace"))?,
            None => EMBEDDED_TEMPLATES
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect(),
        };
        let file = source.label.clone();
        let mut policy: ClusterPolicy = source.parse()?;
        if policy
            .portal_namespace
            .starts_with(portal_store::NAMESPACE_PREFIX)
        {
            return Err(PolicyError::new(
                &file,
                "portal_namespace",
                format!(
                    "'{}' begins with '{}', which every friend's namespace does: a friend could be given it",
                    policy.portal_namespace,
                    portal_store::NAMESPACE_PREFIX
                ),
            ));
        }
        check_allowed_kinds(&file, &policy.apply.allowed_kinds)?;
        policy.egress_denied = super::egress::denied_egress(&file, &policy.egress_denied_cidrs)?;
        if policy.templates.is_empty() {
            policy.templates = templates;
        }
        if policy.templates.is_empty() {
            return Err(PolicyError::new(
                &file,
                "namespace/",
                "no namespace templates found",
            ));
        }
        Ok(policy)
    }
}

/// The kinds `apply`'s checks cover: the workloads whose pod template they read
/// (`pss::template_location`), Services (type, externalIPs) and ConfigMaps (nothing in them
/// reaches past the namespace). Any other kind would go to the cluster unchecked: a Pod
/// skips the pod-template checks, a Secret the portal's labels, a RoleBinding or a
/// NetworkPolicy the namespace's boundary.
pub const CHECKED_KINDS: &[&str] = &["Deployment", "Job", "CronJob", "Service", "ConfigMap"];

fn check_allowed_kinds(file: &str, kinds: &[String]) -> Result<(), PolicyError> {
    match kinds.iter().find(|k| !CHECKED_KINDS.contains(&k.as_str())) {
        None => Ok(()),
        Some(kind) => Err(PolicyError::new(
            file,
            "apply.allowed_kinds",
            format!(
                "'{kind}' is not a kind the portal's checks cover (only {}): its manifests \
                 would reach the cluster unchecked",
                CHECKED_KINDS.join(", ")
            ),
        )),
    }
}

fn read_templates(dir: &std::path::Path) -> Result<Vec<(String, String)>, PolicyError> {
    let file = dir.display().to_string();
    let entries =
        std::fs::read_dir(dir).map_err(|e| PolicyError::new(&file, "folder", e.to_string()))?;
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n))
                .map_err(|e| PolicyError::new(&file, &n, e.to_string()))?;
            Ok((n, text))
        })
        .collect()
}
