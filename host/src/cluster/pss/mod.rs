//! Pod templates, checked before `apply` sends them: admission checks Pods only, so a bad
//! Deployment would be accepted and fail later. The Kubernetes Pod Security Standards
//! (`baseline` always, `restricted` on top when the policy says so, control by control as
//! upstream's pod-security-admission checks them), the portal's own rules (where pods may
//! run among them), and the Secrets a template may reference. Every refusal names the field and the rule broken.

mod baseline;
mod portal;
mod restricted;
mod scheduling;
mod secret_refs;

use serde_json::Value;

use super::policy::{ApplyPolicy, PodSecurity};

pub use secret_refs::secret_references;

/// Where a kind keeps its pod template: a JSON pointer and the same as a field path.
pub fn template_location(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "Deployment" | "Job" => Some(("/spec/template", "spec.template")),
        "CronJob" => Some((
            "/spec/jobTemplate/spec/template",
            "spec.jobTemplate.spec.template",
        )),
        _ => None,
    }
}

/// Checks a pod template (`metadata` + `spec`) found at `at` (e.g. `spec.template`).
pub fn check_template(
    template: &Value,
    at: &str,
    level: PodSecurity,
    policy: &ApplyPolicy,
) -> Result<(), String> {
    let pod = Pod::new(template, at)?;
    portal::check(&pod, policy)?;
    scheduling::check(&pod, policy)?;
    baseline::check(&pod, policy)?;
    if level == PodSecurity::Restricted {
        restricted::check(&pod)?;
    }
    Ok(())
}

/// The refusal every control words the same way.
fn not_allowed(field: &str, what: impl std::fmt::Display) -> String {
    format!("{field}: {what} is not allowed in a friend's namespace")
}

/// A pod template's parts, with the field path of each.
struct Pod<'a> {
    metadata: &'a Value,
    spec: &'a Value,
    at: String,
    containers: Vec<Container<'a>>,
}

/// One container of any of the three lists.
struct Container<'a> {
    value: &'a Value,
    at: String,
}

impl<'a> Container<'a> {
    fn security_context(&self) -> &'a Value {
        &self.value["securityContext"]
    }

    /// `<container>.securityContext.<rest>`
    fn sc_field(&self, rest: &str) -> String {
        format!("{}.securityContext.{rest}", self.at)
    }
}

impl<'a> Pod<'a> {
    fn new(template: &'a Value, at: &str) -> Result<Self, String> {
        let spec = &template["spec"];
        let mut containers = Vec::new();
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            let field = format!("{at}.spec.{list}");
            for (i, value) in items(&spec[list], &field)?.iter().enumerate() {
                containers.push(Container {
                    value,
                    at: format!("{field}[{i}]"),
                });
            }
        }
        Ok(Self {
            metadata: &template["metadata"],
            spec,
            at: at.to_owned(),
            containers,
        })
    }

    /// `<template>.spec.<rest>`
    fn field(&self, rest: &str) -> String {
        format!("{}.spec.{rest}", self.at)
    }

    fn security_context(&self) -> &'a Value {
        &self.spec["securityContext"]
    }

    fn volumes(&self) -> Result<&'a [Value], String> {
        items(&self.spec["volumes"], &self.field("volumes"))
    }
}

/// A list field: absent is empty; anything but a list is refused (the API server would
/// refuse it too, but a check must never skip what it cannot read).
fn items<'a>(value: &'a Value, field: &str) -> Result<&'a [Value], String> {
    match value {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        _ => Err(format!("{field}: must be a list")),
    }
}

/// A string field: absent is `None`; anything but a string is refused.
fn text<'a>(value: &'a Value, field: &str) -> Result<Option<&'a str>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(format!("{field}: must be a string")),
    }
}

/// A flag the standards allow only unset or false.
fn unset_or_false(value: &Value, field: &str, what: &str) -> Result<(), String> {
    match value {
        Value::Null | Value::Bool(false) => Ok(()),
        _ => Err(not_allowed(field, what)),
    }
}

/// The keys of an object (a volume's source type, say), absent or not an object: none.
fn keys(value: &Value) -> impl Iterator<Item = &String> {
    value.as_object().into_iter().flat_map(|o| o.keys())
}
