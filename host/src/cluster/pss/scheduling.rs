//! Where a friend's pods may run. `nodeName` and `affinity` choose a node outright, and a
//! toleration or a `nodeSelector` lets a pod onto nodes kept for something else (a control
//! plane's, tainted `NoSchedule`): all refused, but for the tolerations and node labels the
//! operator lists in `cluster.toml` (`allowed_tolerations`, `allowed_node_selectors`).
//! `schedulerName` other than the default hands the pod to another scheduler, which need
//! not respect taints at all: refused too.

use serde_json::Value;

use super::{Pod, items, not_allowed, text};
use crate::cluster::policy::{AllowedToleration, ApplyPolicy};

/// The name Kubernetes gives a pod that names no scheduler.
const DEFAULT_SCHEDULER: &str = "default-scheduler";

pub(super) fn check(pod: &Pod, policy: &ApplyPolicy) -> Result<(), String> {
    if text(&pod.spec["nodeName"], &pod.field("nodeName"))?.is_some_and(|n| !n.is_empty()) {
        return Err(not_allowed(&pod.field("nodeName"), "choosing a node"));
    }
    if let Some(name) = text(&pod.spec["schedulerName"], &pod.field("schedulerName"))?
        && !name.is_empty()
        && name != DEFAULT_SCHEDULER
    {
        return Err(not_allowed(
            &pod.field("schedulerName"),
            format!("a scheduler other than '{DEFAULT_SCHEDULER}'"),
        ));
    }
    match &pod.spec["affinity"] {
        Value::Null => {}
        Value::Object(parts) if parts.values().all(Value::is_null) => {}
        _ => {
            return Err(not_allowed(
                &pod.field("affinity"),
                "choosing nodes by affinity",
            ));
        }
    }
    tolerations(pod, &policy.allowed_tolerations)?;
    node_selector(pod, &policy.allowed_node_selectors)
}

fn tolerations(pod: &Pod, allowed: &[AllowedToleration]) -> Result<(), String> {
    let field = pod.field("tolerations");
    for (i, toleration) in items(&pod.spec["tolerations"], &field)?.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let part = |key: &str, default: &'static str| -> Result<String, String> {
            Ok(text(&toleration[key], &format!("{at}.{key}"))?
                .unwrap_or(default)
                .to_owned())
        };
        let asked = AllowedToleration {
            key: part("key", "")?,
            operator: part("operator", "Equal")?,
            value: part("value", "")?,
            effect: part("effect", "")?,
        };
        if !allowed.contains(&asked) {
            return Err(not_allowed(
                &at,
                format!(
                    "the toleration (key '{}', operator '{}', value '{}', effect '{}'), which \
                     cluster.toml's allowed_tolerations does not list,",
                    asked.key, asked.operator, asked.value, asked.effect
                ),
            ));
        }
    }
    Ok(())
}

fn node_selector(pod: &Pod, allowed: &[String]) -> Result<(), String> {
    let field = pod.field("nodeSelector");
    let selector = match &pod.spec["nodeSelector"] {
        Value::Null => return Ok(()),
        Value::Object(labels) => labels,
        _ => return Err(format!("{field}: must be an object")),
    };
    for (key, value) in selector {
        let at = format!("{field}[{key}]");
        let value = text(value, &at)?.unwrap_or_default();
        let label = format!("{key}={value}");
        if !allowed.contains(&label) {
            return Err(not_allowed(
                &at,
                format!(
                    "selecting nodes labelled '{label}', which cluster.toml's \
                     allowed_node_selectors does not list,"
                ),
            ));
        }
    }
    Ok(())
}
