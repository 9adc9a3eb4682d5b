//! The portal's own rules, whatever the standard: fields that let a pod leave its sandbox
//! or node pool (from the policy), only the namespace's default service account, and no
//! service-account token mounted (`apply` writes `automountServiceAccountToken: false`,
//! and a projected volume may not carry one).

use serde_json::Value;

use super::{Pod, items, not_allowed, unset_or_false};
use crate::cluster::policy::ApplyPolicy;

pub(super) fn check(pod: &Pod, policy: &ApplyPolicy) -> Result<(), String> {
    for name in &policy.refused_pod_fields {
        match &pod.spec[name.as_str()] {
            Value::Null | Value::Bool(false) => {}
            Value::String(s) if s.is_empty() => {}
            _ => return Err(not_allowed(&pod.field(name), format!("setting {name}"))),
        }
    }
    for key in ["serviceAccountName", "serviceAccount"] {
        match &pod.spec[key] {
            Value::Null => {}
            Value::String(sa) if sa.is_empty() || sa == "default" => {}
            _ => {
                return Err(format!(
                    "{}: only the namespace's default service account may be used",
                    pod.field(key)
                ));
            }
        }
    }
    unset_or_false(
        &pod.spec["automountServiceAccountToken"],
        &pod.field("automountServiceAccountToken"),
        "mounting the service account token",
    )?;
    projected_credentials(pod)
}

/// A projected volume can mount the service account's token (`serviceAccountToken`) or a
/// client certificate the API server accepts as the pod's identity (`podCertificate`),
/// whatever `automountServiceAccountToken` says.
fn projected_credentials(pod: &Pod) -> Result<(), String> {
    for (i, volume) in pod.volumes()?.iter().enumerate() {
        let field = pod.field(&format!("volumes[{i}].projected.sources"));
        for (j, source) in items(&volume["projected"]["sources"], &field)?
            .iter()
            .enumerate()
        {
            for (kind, what) in [
                ("serviceAccountToken", "mounting a service account token"),
                ("podCertificate", "mounting a pod certificate"),
            ] {
                if !source[kind].is_null() {
                    return Err(not_allowed(&format!("{field}[{j}].{kind}"), what));
                }
            }
        }
    }
    Ok(())
}
