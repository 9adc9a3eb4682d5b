//! The `restricted` Pod Security Standard, on top of baseline, control by control as
//! upstream's pod-security-admission checks it at its newest policy version. Stricter
//! than upstream in two ways, on purpose: no exemption for Windows pods (`spec.os.name`)
//! or for pods in a user namespace (`hostUsers: false`) from runAsNonRoot, runAsUser,
//! seccomp or capabilities; a friend's pods need neither.

use serde_json::Value;

use super::{Container, Pod, items, keys, not_allowed, text};

/// check_restrictedVolumes.go: the volume types restricted allows.
const VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
const CONFINED_SECCOMP: &[&str] = &["RuntimeDefault", "Localhost"];

pub(super) fn check(pod: &Pod) -> Result<(), String> {
    for (i, volume) in pod.volumes()?.iter().enumerate() {
        if let Some(kind) =
            keys(volume).find(|k| *k != "name" && !VOLUME_TYPES.contains(&k.as_str()))
        {
            return Err(not_allowed(
                &pod.field(&format!("volumes[{i}].{kind}")),
                format!("a {kind} volume under the restricted standard"),
            ));
        }
    }
    let pod_sc = pod.security_context();
    // check_runAsNonRoot.go: the pod may not say false.
    if pod_sc["runAsNonRoot"] == false {
        return Err(not_allowed(
            &pod.field("securityContext.runAsNonRoot"),
            "runAsNonRoot: false under the restricted standard",
        ));
    }
    root_user(
        &pod_sc["runAsUser"],
        &pod.field("securityContext.runAsUser"),
    )?;
    for c in &pod.containers {
        container(c, pod_sc)?;
    }
    Ok(())
}

fn container(c: &Container, pod_sc: &Value) -> Result<(), String> {
    // check_procMount_restricted.go: the masks stay, user namespace or not.
    super::baseline::proc_mount(c)?;
    let sc = c.security_context();
    // check_allowPrivilegeEscalation.go: explicitly false.
    if sc["allowPrivilegeEscalation"] != false {
        return Err(format!(
            "{}: must be false under the restricted standard",
            c.sc_field("allowPrivilegeEscalation")
        ));
    }
    // check_runAsNonRoot.go: true here, or true on the pod and not false here.
    let non_root = match &sc["runAsNonRoot"] {
        Value::Null => pod_sc["runAsNonRoot"] == true,
        v => *v == true,
    };
    if !non_root {
        return Err(format!(
            "{}: must be true (here or on the pod) under the restricted standard",
            c.sc_field("runAsNonRoot")
        ));
    }
    // check_runAsUser.go
    root_user(&sc["runAsUser"], &c.sc_field("runAsUser"))?;
    seccomp(c, pod_sc)?;
    capabilities(c)?;
    // check_cgroupOptions.go: cgroups mounted read-only, if at all.
    let mount_mode = c.sc_field("cgroupOptions.mountMode");
    if let Some(mode) = text(&sc["cgroupOptions"]["mountMode"], &mount_mode)?
        && mode != "ReadOnly"
    {
        return Err(not_allowed(
            &mount_mode,
            format!("cgroup mount mode '{mode}' under the restricted standard"),
        ));
    }
    Ok(())
}

/// check_runAsUser.go: never user 0.
fn root_user(value: &Value, field: &str) -> Result<(), String> {
    if value.as_i64() == Some(0) {
        Err(not_allowed(
            field,
            "runAsUser: 0 under the restricted standard",
        ))
    } else {
        Ok(())
    }
}

/// check_seccompProfile_restricted.go: RuntimeDefault or Localhost, set on the container
/// or inherited from the pod (baseline has already refused any other type that is set).
fn seccomp(c: &Container, pod_sc: &Value) -> Result<(), String> {
    let own = &c.security_context()["seccompProfile"]["type"];
    let kind = if own.is_null() {
        &pod_sc["seccompProfile"]["type"]
    } else {
        own
    };
    if kind.as_str().is_some_and(|k| CONFINED_SECCOMP.contains(&k)) {
        Ok(())
    } else {
        Err(format!(
            "{}: must be RuntimeDefault or Localhost (here or on the pod) under the restricted standard",
            c.sc_field("seccompProfile.type")
        ))
    }
}

/// check_capabilities_restricted.go: drop ALL, add nothing but NET_BIND_SERVICE.
fn capabilities(c: &Container) -> Result<(), String> {
    let caps = &c.security_context()["capabilities"];
    let drop = c.sc_field("capabilities.drop");
    if !items(&caps["drop"], &drop)?.iter().any(|d| d == "ALL") {
        return Err(format!(
            "{drop}: must include ALL under the restricted standard"
        ));
    }
    let add = c.sc_field("capabilities.add");
    for (i, cap) in items(&caps["add"], &add)?.iter().enumerate() {
        let at = format!("{add}[{i}]");
        let cap = text(cap, &at)?.unwrap_or_default();
        if cap != "NET_BIND_SERVICE" {
            return Err(not_allowed(
                &at,
                format!(
                    "adding the capability '{cap}' under the restricted standard (only NET_BIND_SERVICE)"
                ),
            ));
        }
    }
    Ok(())
}
