//! `apply`: manifests into a friend's namespace. Every document is checked (kind, name,
//! namespace, service type, pod templates against the namespace's Pod Security Standard,
//! the Secrets they reference) before any is applied: all or nothing.

use std::collections::BTreeSet;

use kube::api::{Api, DynamicObject, PostParams};
use serde_json::Value;

use super::kinds::api_resource;
use super::merge::already_holds;
use super::provision::Applied;
use super::{Cluster, ClusterError, pss};

/// The formats `apply` accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Yaml,
    Json,
}

/// Turns a request body into documents: YAML (multi-document), or JSON (one object or
/// `{"manifests":[...]}`).
pub fn parse(body: &str, format: Format) -> Result<Vec<Value>, ClusterError> {
    let documents: Vec<Value> = match format {
        Format::Yaml => serde_saphyr::from_multiple::<Value>(body)
            .map_err(|e| ClusterError::Invalid(format!("body: not valid YAML: {e}")))?,
        Format::Json => {
            let value: Value = serde_json::from_str(body)
                .map_err(|e| ClusterError::Invalid(format!("body: not valid JSON: {e}")))?;
            match value.get("manifests") {
                Some(Value::Array(items)) => items.clone(),
                Some(_) => return Err(ClusterError::Invalid("manifests: must be an array".into())),
                None => vec![value],
            }
        }
    };
    let documents: Vec<Value> = documents.into_iter().filter(|d| !d.is_null()).collect();
    if documents.is_empty() {
        return Err(ClusterError::Invalid("body: holds no manifest".into()));
    }
    Ok(documents)
}

impl Cluster {
    /// Checks one document; the error names the document and the field.
    pub fn check_manifest(
        &self,
        index: usize,
        doc: &Value,
        namespace: &str,
    ) -> Result<(), ClusterError> {
        let kind = doc["kind"].as_str().unwrap_or_default();
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let fail = |rule: String| refusal(index, doc, rule);
        let policy = &self.policy.apply;
        if !doc.is_object() {
            return Err(fail("is not an object".into()));
        }
        if kind.ends_with("List") {
            return Err(fail(
                "kind: List wrappers are not accepted; send the items as separate documents".into(),
            ));
        }
        if !policy.allowed_kinds.iter().any(|k| k == kind) {
            return Err(fail(format!(
                "kind: '{kind}' is not one of {}",
                policy.allowed_kinds.join(", ")
            )));
        }
        let (resource, _) =
            api_resource(kind).ok_or_else(|| fail(format!("kind: '{kind}' is unknown")))?;
        if doc["apiVersion"] != resource.api_version.as_str() {
            return Err(fail(format!(
                "apiVersion: {kind} must be {}",
                resource.api_version
            )));
        }
        crate::validate::dns_label(name).map_err(|r| fail(format!("metadata.name: {r}")))?;
        if let Some(ns) = doc["metadata"]["namespace"].as_str()
            && ns != namespace
        {
            return Err(fail(format!(
                "metadata.namespace: '{ns}' is another namespace; this one is '{namespace}'"
            )));
        }
        if kind == "Service" {
            if let Some(t) = doc["spec"]["type"].as_str()
                && policy.refused_service_types.iter().any(|r| r == t)
            {
                return Err(fail(format!(
                    "spec.type: {t} services are not allowed; expose a service through the portal instead"
                )));
            }
            if doc["spec"]["externalIPs"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                return Err(fail("spec.externalIPs: not allowed".into()));
            }
        }
        if let Some((pointer, at)) = pss::template_location(kind) {
            let template = doc.pointer(pointer).unwrap_or(&Value::Null);
            pss::check_template(template, at, self.policy.pod_security, policy).map_err(fail)?;
        }
        Ok(())
    }

    /// Pod templates may name only the friend's own Secrets, the ones the portal manages:
    /// not a service-account token, not a Secret an operator put there.
    async fn check_secret_references(
        &self,
        documents: &[Value],
        namespace: &str,
    ) -> Result<(), ClusterError> {
        let mut references = Vec::new();
        for (i, doc) in documents.iter().enumerate() {
            let kind = doc["kind"].as_str().unwrap_or_default();
            if let Some((pointer, at)) = pss::template_location(kind) {
                let template = doc.pointer(pointer).unwrap_or(&Value::Null);
                for reference in
                    pss::secret_references(template, at).map_err(|rule| refusal(i, doc, rule))?
                {
                    references.push((i, reference));
                }
            }
        }
        if references.is_empty() {
            return Ok(());
        }
        let managed: BTreeSet<String> = self
            .list_secrets(namespace)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect();
        match references.iter().find(|(_, r)| !managed.contains(&r.name)) {
            None => Ok(()),
            Some((i, r)) => Err(refusal(
                *i,
                &documents[*i],
                format!(
                    "{}: the secret '{}' is not one of this friend's portal secrets; referencing it is not allowed in a friend's namespace",
                    r.field, r.name
                ),
            )),
        }
    }

    pub async fn apply(
        &self,
        namespace: &str,
        documents: Vec<Value>,
    ) -> Result<Vec<Applied>, ClusterError> {
        for (i, doc) in documents.iter().enumerate() {
            self.check_manifest(i, doc, namespace)?;
        }
        self.require_owned(namespace).await?;
        self.check_secret_references(&documents, namespace).await?;
        let mut applied = Vec::new();
        for mut doc in documents {
            doc["metadata"]["namespace"] = namespace.into();
            no_token_mounted(&mut doc);
            let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let (resource, _) = api_resource(&kind)
                .ok_or_else(|| ClusterError::Invalid(format!("kind '{kind}' is unknown")))?;
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), namespace, &resource);
            let action = match api.get_opt(&name).await? {
                None => {
                    let created = api
                        .create(&PostParams::default(), &serde_json::from_value(doc)?)
                        .await?;
                    self.wrote_object(namespace, &kind, &created);
                    "created"
                }
                Some(current) if already_holds(&serde_json::to_value(&current)?, &doc) => {
                    "unchanged"
                }
                Some(current) => {
                    let mut object: DynamicObject = serde_json::from_value(doc)?;
                    object.metadata.resource_version = current.metadata.resource_version;
                    let replaced = api.replace(&name, &PostParams::default(), &object).await?;
                    self.wrote_object(namespace, &kind, &replaced);
                    "configured"
                }
            };
            applied.push(Applied { kind, name, action });
        }
        Ok(applied)
    }
}

/// "document N (Kind name): rule", the shape of every refusal.
fn refusal(index: usize, doc: &Value, rule: String) -> ClusterError {
    let part = |v: &Value| {
        v.as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("?")
            .to_owned()
    };
    ClusterError::Invalid(format!(
        "document {} ({} {}): {rule}",
        index + 1,
        part(&doc["kind"]),
        part(&doc["metadata"]["name"])
    ))
}

/// A friend's pods never get a service-account token: the portal writes
/// `automountServiceAccountToken: false` into every pod template it applies.
fn no_token_mounted(doc: &mut Value) {
    let kind = doc["kind"].as_str().unwrap_or_default();
    if let Some((pointer, _)) = pss::template_location(kind)
        && let Some(template) = doc.pointer_mut(pointer)
        && let Some(template) = template.as_object_mut()
    {
        let spec = template
            .entry("spec")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(spec) = spec.as_object_mut() {
            spec.insert("automountServiceAccountToken".into(), Value::Bool(false));
        }
    }
}
