//! The Secrets a pod template names: environment (`env[].valueFrom.secretKeyRef`,
//! `envFrom[].secretRef`) of all three container lists, volumes (`secret`, `projected`
//! sources, and the `secretRef`/`secretName`/`nodePublishSecretRef` of other volume
//! types), and `imagePullSecrets`. `apply` lets through only those the portal manages.

use serde_json::Value;

use super::{Pod, items, keys, text};

/// A named Secret and the field that names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretReference {
    pub field: String,
    pub name: String,
}

/// Every Secret the template at `at` references; a reference that is not a string is
/// refused.
pub fn secret_references(template: &Value, at: &str) -> Result<Vec<SecretReference>, String> {
    let pod = Pod::new(template, at)?;
    let mut refs = References(Vec::new());
    for c in &pod.containers {
        let env = format!("{}.env", c.at);
        for (i, var) in items(&c.value["env"], &env)?.iter().enumerate() {
            let key_ref = &var["valueFrom"]["secretKeyRef"];
            if !key_ref.is_null() {
                refs.named(key_ref, format!("{env}[{i}].valueFrom.secretKeyRef.name"))?;
            }
        }
        let env_from = format!("{}.envFrom", c.at);
        for (i, source) in items(&c.value["envFrom"], &env_from)?.iter().enumerate() {
            let secret_ref = &source["secretRef"];
            if !secret_ref.is_null() {
                refs.named(secret_ref, format!("{env_from}[{i}].secretRef.name"))?;
            }
        }
    }
    for (i, volume) in pod.volumes()?.iter().enumerate() {
        let at = pod.field(&format!("volumes[{i}]"));
        for kind in keys(volume) {
            let source = &volume[kind.as_str()];
            match kind.as_str() {
                "name" => {}
                "projected" => {
                    let sources = format!("{at}.projected.sources");
                    for (j, s) in items(&source["sources"], &sources)?.iter().enumerate() {
                        if !s["secret"].is_null() {
                            refs.named(&s["secret"], format!("{sources}[{j}].secret.name"))?;
                        }
                    }
                }
                _ => refs.volume_source(source, &format!("{at}.{kind}"))?,
            }
        }
    }
    let pull = pod.field("imagePullSecrets");
    for (i, secret) in items(&pod.spec["imagePullSecrets"], &pull)?
        .iter()
        .enumerate()
    {
        refs.named(secret, format!("{pull}[{i}].name"))?;
    }
    Ok(refs.0)
}

struct References(Vec<SecretReference>);

impl References {
    /// A reference object's `name`; a missing name is recorded as "" (never a managed one).
    fn named(&mut self, reference: &Value, field: String) -> Result<(), String> {
        let name = text(&reference["name"], &field)?
            .unwrap_or_default()
            .to_owned();
        self.0.push(SecretReference { field, name });
        Ok(())
    }

    /// `secret.secretName`, `azureFile.secretName`, and the `secretRef` or
    /// `nodePublishSecretRef` of the other volume types.
    fn volume_source(&mut self, source: &Value, at: &str) -> Result<(), String> {
        if !source["secretName"].is_null() {
            let field = format!("{at}.secretName");
            let name = text(&source["secretName"], &field)?.unwrap_or_default();
            self.0.push(SecretReference {
                field,
                name: name.to_owned(),
            });
        }
        for key in ["secretRef", "nodePublishSecretRef"] {
            if !source[key].is_null() {
                self.named(&source[key], format!("{at}.{key}.name"))?;
            }
        }
        Ok(())
    }
}
