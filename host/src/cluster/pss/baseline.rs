//! The `baseline` Pod Security Standard, control by control as upstream's
//! pod-security-admission checks it at its newest policy version (`policy/check_*.go`).
//! Names and values are compared exactly, as upstream does: `CAP_CHOWN` is not `CHOWN`.

use serde_json::Value;

use super::{Container, Pod, items, keys, not_allowed, text, unset_or_false};
use crate::cluster::policy::ApplyPolicy;

/// SELinux types a pod or container may ask for (check_seLinuxOptions.go).
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];
/// Seccomp and AppArmor profile types that keep the container confined.
const CONFINED_TYPES: &[&str] = &["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";
const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION: &str = "container.seccomp.security.alpha.kubernetes.io/";
const PROBES: &[&str] = &["livenessProbe", "readinessProbe", "startupProbe"];
const LIFECYCLE_HOOKS: &[&str] = &["postStart", "preStop"];

pub(super) fn check(pod: &Pod, policy: &ApplyPolicy) -> Result<(), String> {
    host_namespaces(pod)?;
    volumes(pod)?;
    sysctls(pod, policy)?;
    annotations(pod)?;
    let pod_sc = pod.security_context();
    let pod_sc_field = pod.field("securityContext");
    host_process(&pod_sc["windowsOptions"], &pod_sc_field)?;
    se_linux(&pod_sc["seLinuxOptions"], &pod_sc_field)?;
    confined(&pod_sc["seccompProfile"], &pod_sc_field, "seccompProfile")?;
    confined(&pod_sc["appArmorProfile"], &pod_sc_field, "appArmorProfile")?;
    // check_procMount_baseline.go (policy version 1.35): a pod in its own user namespace
    // may unmask /proc, which then shows that namespace's view, not the node's.
    let user_namespace = pod.spec["hostUsers"] == false;
    for c in &pod.containers {
        container(c, policy)?;
        if !user_namespace {
            proc_mount(c)?;
        }
    }
    Ok(())
}

/// check_procMount (policy version 1.0, and restricted's procMount_restricted at 1.35):
/// the default /proc masks stay.
pub(super) fn proc_mount(c: &Container) -> Result<(), String> {
    let field = c.sc_field("procMount");
    match text(&c.security_context()["procMount"], &field)? {
        Some(mount) if mount != "Default" => {
            Err(not_allowed(&field, format!("procMount '{mount}'")))
        }
        _ => Ok(()),
    }
}

/// check_hostNamespaces.go: hostNetwork, hostPID, hostIPC unset or false.
fn host_namespaces(pod: &Pod) -> Result<(), String> {
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        unset_or_false(&pod.spec[key], &pod.field(key), &format!("{key}: true"))?;
    }
    Ok(())
}

/// check_hostPathVolumes.go (no hostPath), and the newer baseline volumes check (no
/// gitRepo: it runs git on the node).
fn volumes(pod: &Pod) -> Result<(), String> {
    for (i, volume) in pod.volumes()?.iter().enumerate() {
        for kind in keys(volume) {
            if kind == "hostPath" || kind == "gitRepo" {
                return Err(not_allowed(
                    &pod.field(&format!("volumes[{i}].{kind}")),
                    format!("a {kind} volume"),
                ));
            }
        }
    }
    Ok(())
}

/// check_sysctls.go: only the sysctls the standard calls safe (the list is in the policy).
fn sysctls(pod: &Pod, policy: &ApplyPolicy) -> Result<(), String> {
    let field = pod.field("securityContext.sysctls");
    for (i, sysctl) in items(&pod.security_context()["sysctls"], &field)?
        .iter()
        .enumerate()
    {
        let at = format!("{field}[{i}].name");
        let name = text(&sysctl["name"], &at)?.unwrap_or_default();
        if !policy.safe_sysctls.iter().any(|s| s == name) {
            return Err(not_allowed(&at, format!("sysctl '{name}'")));
        }
    }
    Ok(())
}

/// check_appArmorProfile.go and the seccomp annotations of check_seccompProfile_baseline.go
/// (v1.0): an annotation may keep the default profile or name a local one, never turn
/// confinement off.
fn annotations(pod: &Pod) -> Result<(), String> {
    let Some(annotations) = pod.metadata["annotations"].as_object() else {
        return Ok(());
    };
    for (key, value) in annotations {
        let field = format!("{}.metadata.annotations[{key}]", pod.at);
        let value = text(value, &field)?.unwrap_or_default();
        let allowed = if key.starts_with(APPARMOR_ANNOTATION) {
            value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
        } else if key == SECCOMP_POD_ANNOTATION || key.starts_with(SECCOMP_CONTAINER_ANNOTATION) {
            value.is_empty()
                || value == "runtime/default"
                || value == "docker/default"
                || value.starts_with("localhost/")
        } else {
            true
        };
        if !allowed {
            return Err(not_allowed(&field, format!("the profile '{value}'")));
        }
    }
    Ok(())
}

/// check_windowsHostProcess.go: `windowsOptions.hostProcess` unset or false.
fn host_process(windows_options: &Value, sc_field: &str) -> Result<(), String> {
    unset_or_false(
        &windows_options["hostProcess"],
        &format!("{sc_field}.windowsOptions.hostProcess"),
        "a Windows HostProcess container",
    )
}

/// check_seLinuxOptions.go: an allowed type, no user, no role.
fn se_linux(options: &Value, sc_field: &str) -> Result<(), String> {
    if options.is_null() {
        return Ok(());
    }
    let at = |key: &str| format!("{sc_field}.seLinuxOptions.{key}");
    let kind = text(&options["type"], &at("type"))?.unwrap_or_default();
    if !SELINUX_TYPES.contains(&kind) {
        return Err(not_allowed(
            &at("type"),
            format!("the SELinux type '{kind}'"),
        ));
    }
    for key in ["user", "role"] {
        if !text(&options[key], &at(key))?
            .unwrap_or_default()
            .is_empty()
        {
            return Err(not_allowed(&at(key), format!("setting the SELinux {key}")));
        }
    }
    Ok(())
}

/// check_seccompProfile_baseline.go and check_appArmorProfile.go: a profile, when set,
/// is RuntimeDefault or Localhost (Unconfined, or anything else, is refused).
fn confined(profile: &Value, sc_field: &str, key: &str) -> Result<(), String> {
    if profile.is_null() {
        return Ok(());
    }
    let at = format!("{sc_field}.{key}.type");
    let kind = text(&profile["type"], &at)?.unwrap_or_default();
    if CONFINED_TYPES.contains(&kind) {
        Ok(())
    } else {
        Err(not_allowed(&at, format!("the {key} type '{kind}'")))
    }
}

fn container(c: &Container, policy: &ApplyPolicy) -> Result<(), String> {
    let sc = c.security_context();
    let sc_field = format!("{}.securityContext", c.at);
    // check_privileged.go
    unset_or_false(
        &sc["privileged"],
        &c.sc_field("privileged"),
        "a privileged container",
    )?;
    capabilities(c, policy)?;
    host_ports(c)?;
    host_process(&sc["windowsOptions"], &sc_field)?;
    se_linux(&sc["seLinuxOptions"], &sc_field)?;
    confined(&sc["seccompProfile"], &sc_field, "seccompProfile")?;
    confined(&sc["appArmorProfile"], &sc_field, "appArmorProfile")?;
    // check_ulimits_baseline.go (policy version 1.37): ulimits only for privileged pods.
    if !sc["ulimits"].is_null() {
        return Err(not_allowed(&c.sc_field("ulimits"), "setting ulimits"));
    }
    probe_hosts(c)
}

/// check_capabilities_baseline.go: added capabilities from the default set only, by exact
/// name.
fn capabilities(c: &Container, policy: &ApplyPolicy) -> Result<(), String> {
    let field = c.sc_field("capabilities.add");
    for (i, cap) in items(&c.security_context()["capabilities"]["add"], &field)?
        .iter()
        .enumerate()
    {
        let at = format!("{field}[{i}]");
        let cap = text(cap, &at)?.unwrap_or_default();
        if !policy.baseline_capabilities.iter().any(|a| a == cap) {
            return Err(not_allowed(&at, format!("adding the capability '{cap}'")));
        }
    }
    Ok(())
}

/// check_hostPorts.go: hostPort unset or 0.
fn host_ports(c: &Container) -> Result<(), String> {
    let field = format!("{}.ports", c.at);
    for (i, port) in items(&c.value["ports"], &field)?.iter().enumerate() {
        match &port["hostPort"] {
            Value::Null => {}
            Value::Number(n) if n.as_i64() == Some(0) => {}
            _ => {
                return Err(not_allowed(
                    &format!("{field}[{i}].hostPort"),
                    "a host port",
                ));
            }
        }
    }
    Ok(())
}

/// check_hostProbesAndHostLifecycle.go (policy version 1.34): probes and lifecycle hooks
/// may not aim at another host (`httpGet.host`, `tcpSocket.host` unset or empty).
fn probe_hosts(c: &Container) -> Result<(), String> {
    let handlers = PROBES
        .iter()
        .map(|p| (&c.value[*p], format!("{}.{p}", c.at)))
        .chain(
            LIFECYCLE_HOOKS
                .iter()
                .map(|h| (&c.value["lifecycle"][*h], format!("{}.lifecycle.{h}", c.at))),
        );
    for (handler, at) in handlers {
        for action in ["httpGet", "tcpSocket"] {
            let field = format!("{at}.{action}.host");
            if let Some(host) = text(&handler[action]["host"], &field)?
                && !host.is_empty()
            {
                return Err(not_allowed(
                    &field,
                    format!("a probe or hook aimed at the host '{host}'"),
                ));
            }
        }
    }
    Ok(())
}
