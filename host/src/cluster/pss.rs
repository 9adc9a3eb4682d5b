//! Pod Security Standards, checked by the host on pod templates: admission checks Pods
//! only, so a bad Deployment would be accepted and fail later. Also the portal's own
//! refusals (node placement, service accounts). Returns the field and the rule broken.

use serde_json::Value;

use super::policy::{ApplyPolicy, PodSecurity};

/// Volume types the restricted standard allows.
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Checks a pod template (`metadata` + `spec`) found at `at` (e.g. `spec.template`).
pub fn check_template(
    template: &Value,
    at: &str,
    level: PodSecurity,
    policy: &ApplyPolicy,
) -> Result<(), String> {
    let spec = &template["spec"];
    let field = |f: &str| format!("{at}.spec.{f}");
    for name in &policy.refused_pod_fields {
        match &spec[name.as_str()] {
            Value::Null | Value::Bool(false) => {}
            Value::String(s) if s.is_empty() => {}
            _ => {
                return Err(format!(
                    "{}: not allowed in a friend's namespace",
                    field(name)
                ));
            }
        }
    }
    if let Some(sa) = spec["serviceAccountName"]
        .as_str()
        .or(spec["serviceAccount"].as_str())
        && sa != "default"
    {
        return Err(format!(
            "{}: only the namespace's default service account may be used",
            field("serviceAccountName")
        ));
    }
    for (i, volume) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
        if !volume["hostPath"].is_null() {
            return Err(format!(
                "{}: hostPath volumes are not allowed",
                field(&format!("volumes[{i}].hostPath"))
            ));
        }
        if level == PodSecurity::Restricted
            && let Some(kind) = volume
                .as_object()
                .and_then(|v| v.keys().find(|k| *k != "name"))
            && !RESTRICTED_VOLUMES.contains(&kind.as_str())
        {
            return Err(format!(
                "{}: {kind} volumes are not allowed under the restricted standard",
                field(&format!("volumes[{i}]"))
            ));
        }
    }
    let pod_sc = &spec["securityContext"];
    unconfined(
        &pod_sc["seccompProfile"],
        &field("securityContext.seccompProfile.type"),
    )?;
    unconfined(
        &pod_sc["appArmorProfile"],
        &field("securityContext.appArmorProfile.type"),
    )?;
    for (i, sysctl) in pod_sc["sysctls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = sysctl["name"].as_str().unwrap_or_default();
        if !policy.safe_sysctls.iter().any(|s| s == name) {
            return Err(format!(
                "{}: sysctl '{name}' is not one the standard calls safe",
                field(&format!("securityContext.sysctls[{i}]"))
            ));
        }
    }
    for (key, value) in template["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if key.starts_with("container.apparmor.security.beta.kubernetes.io/")
            && value == "unconfined"
        {
            return Err(format!(
                "{at}.metadata.annotations[{key}]: AppArmor may not be unconfined"
            ));
        }
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in spec[list].as_array().into_iter().flatten().enumerate() {
            check_container(c, &field(&format!("{list}[{i}]")), pod_sc, level, policy)?;
        }
    }
    Ok(())
}

fn unconfined(profile: &Value, at: &str) -> Result<(), String> {
    if profile["type"] == "Unconfined" {
        Err(format!("{at}: Unconfined is not allowed"))
    } else {
        Ok(())
    }
}

fn check_container(
    c: &Value,
    at: &str,
    pod_sc: &Value,
    level: PodSecurity,
    policy: &ApplyPolicy,
) -> Result<(), String> {
    let sc = &c["securityContext"];
    if sc["privileged"] == true {
        return Err(format!(
            "{at}.securityContext.privileged: privileged containers are not allowed"
        ));
    }
    unconfined(
        &sc["seccompProfile"],
        &format!("{at}.securityContext.seccompProfile.type"),
    )?;
    unconfined(
        &sc["appArmorProfile"],
        &format!("{at}.securityContext.appArmorProfile.type"),
    )?;
    for (j, port) in c["ports"].as_array().into_iter().flatten().enumerate() {
        if port["hostPort"].as_i64().unwrap_or(0) != 0 {
            return Err(format!(
                "{at}.ports[{j}].hostPort: host ports are not allowed"
            ));
        }
    }
    let allowed: Vec<&str> = match level {
        PodSecurity::Baseline => policy
            .baseline_capabilities
            .iter()
            .map(String::as_str)
            .collect(),
        PodSecurity::Restricted => vec!["NET_BIND_SERVICE"],
    };
    for cap in sc["capabilities"]["add"].as_array().into_iter().flatten() {
        let cap = cap.as_str().unwrap_or_default();
        if !allowed.contains(&cap.trim_start_matches("CAP_")) {
            return Err(format!(
                "{at}.securityContext.capabilities.add: '{cap}' is beyond the {} standard",
                level.label()
            ));
        }
    }
    if level == PodSecurity::Restricted {
        if sc["allowPrivilegeEscalation"] != false {
            return Err(format!(
                "{at}.securityContext.allowPrivilegeEscalation: must be false under the restricted standard"
            ));
        }
        let drops_all = sc["capabilities"]["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|v| v == "ALL"));
        if !drops_all {
            return Err(format!(
                "{at}.securityContext.capabilities.drop: must include ALL under the restricted standard"
            ));
        }
        if sc["runAsNonRoot"] != true
            && !(pod_sc["runAsNonRoot"] == true && sc["runAsNonRoot"] != false)
        {
            return Err(format!(
                "{at}.securityContext.runAsNonRoot: must be true under the restricted standard"
            ));
        }
        let seccomp = if sc["seccompProfile"]["type"].is_null() {
            &pod_sc["seccompProfile"]["type"]
        } else {
            &sc["seccompProfile"]["type"]
        };
        if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
            return Err(format!(
                "{at}.securityContext.seccompProfile.type: must be RuntimeDefault or Localhost under the restricted standard"
            ));
        }
    }
    Ok(())
}
