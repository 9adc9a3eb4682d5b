//! `deploy/` agrees with the rest of the repository: the policies ConfigMaps hold exactly
//! `policies/`, the Deployment mounts every namespace template, and the portal's namespace
//! is the one `cluster.toml` names in each friend's RoleBinding and the admission policy
//! holds (with its Pod Security level).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn documents(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    serde_saphyr::from_multiple::<Value>(&text)
        .unwrap()
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

fn files(dir: &Path, suffixes: &[&str]) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && suffixes.iter().any(|s| p.to_string_lossy().ends_with(s)))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn configmap_data(docs: &[Value], name: &str) -> BTreeMap<String, String> {
    let cm = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("deploy/policies.yaml has no ConfigMap {name}"));
    cm["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// The same files with the same text; the message names the first that differs.
fn assert_same(configmap: &BTreeMap<String, String>, files: &BTreeMap<String, String>) {
    let stale = "deploy/policies.yaml is stale: run deploy/policies-configmap.sh";
    assert_eq!(
        configmap.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>(),
        "{stale}"
    );
    for (name, text) in files {
        assert!(configmap[name] == *text, "{stale} ({name} differs)");
    }
}

#[test]
fn the_policies_configmaps_are_policies() {
    let docs = documents("deploy/policies.yaml");
    assert_same(
        &configmap_data(&docs, "friend-portal-policies"),
        &files(&repo().join("policies"), &[".toml"]),
    );
    let templates = files(&repo().join("policies/namespace"), &[".yaml", ".yml"]);
    assert_same(
        &configmap_data(&docs, "friend-portal-namespace-policies"),
        &templates,
    );
    let portal = std::fs::read_to_string(repo().join("deploy/portal.yaml")).unwrap();
    for name in templates.keys() {
        assert!(
            portal.contains(&format!("path: namespace/{name}")),
            "deploy/portal.yaml does not mount namespace/{name}"
        );
    }
}

#[test]
fn the_portals_namespace_and_account_are_the_ones_friends_bind() {
    let policy =
        portal::cluster::ClusterPolicy::load(&portal::policy::PolicySource::Embedded).unwrap();
    let namespaces: Vec<Value> = documents("deploy/namespace.yaml");
    assert_eq!(
        namespaces[0]["metadata"]["name"],
        policy.portal_namespace.as_str()
    );
    let rbac = documents("deploy/rbac.yaml");
    let account = rbac.iter().find(|d| d["kind"] == "ServiceAccount").unwrap();
    assert_eq!(
        account["metadata"]["name"],
        policy.portal_service_account.as_str()
    );
    assert_eq!(
        account["metadata"]["namespace"],
        policy.portal_namespace.as_str()
    );
    let username = format!(
        "system:serviceaccount:{}:{}",
        policy.portal_namespace, policy.portal_service_account
    );
    let admission = std::fs::read_to_string(repo().join("deploy/admission-policy.yaml")).unwrap();
    assert!(
        admission.contains(&format!("'{username}'\" # cluster.toml")),
        "admission-policy.yaml names {username}: run deploy/admission-policy.sh"
    );
    let level = format!(
        "{{name: podSecurity, expression: \"'{}'\"}} # cluster.toml",
        policy.pod_security.label()
    );
    assert!(
        admission.contains(&level),
        "admission-policy.yaml holds namespaces at {}: run deploy/admission-policy.sh",
        policy.pod_security.label()
    );
}

/// deploy/admission-policy.sh, which writes cluster.toml's values into the policy, leaves
/// the checked-in policy as it is: the file is what the script makes of cluster.toml.
#[test]
fn the_admission_policy_is_what_its_script_makes_of_cluster_toml() {
    let out = tempfile::NamedTempFile::new().unwrap();
    let run = std::process::Command::new("bash")
        .arg(repo().join("deploy/admission-policy.sh"))
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let made = std::fs::read_to_string(out.path()).unwrap();
    let checked_in = std::fs::read_to_string(repo().join("deploy/admission-policy.yaml")).unwrap();
    assert!(
        made == checked_in,
        "deploy/admission-policy.yaml is stale: run deploy/admission-policy.sh"
    );
}
