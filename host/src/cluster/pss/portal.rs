//! The portal's own rules, whatever the standard: fields that let a pod leave its sandbox
//! or node pool (from the policy), only the namespace's default service account, and no
//! service-account token mounted (`apply` writes `automountServiceAccountToken: false`).

use serde_json::Value;

use super::{Pod, not_allowed, unset_or_false};
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
    )
}
