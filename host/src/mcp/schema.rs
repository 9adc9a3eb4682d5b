//! The API document's schemas (OpenAPI 3.0 dialect, named types under
//! `#/components/schemas`) as self-contained JSON Schema for a tool's `inputSchema`: the
//! named types a schema uses are copied into its `$defs`, and `nullable` becomes a `null`
//! alternative, as a JSON Schema validator expects.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

const COMPONENTS: &str = "#/components/schemas/";
const DEFS: &str = "#/$defs/";

/// Collects what one tool's schema refers to, then hands it out as `$defs`.
pub struct Defs<'a> {
    components: &'a Map<String, Value>,
    names: BTreeSet<String>,
}

impl<'a> Defs<'a> {
    pub fn new(document: &'a Value) -> Self {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let components = document["components"]["schemas"]
            .as_object()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        Self {
            components,
            names: BTreeSet::new(),
        }
    }

    /// `schema` in JSON Schema terms; the named types it uses are noted for [`Self::finish`].
    pub fn convert(&mut self, schema: &Value) -> Value {
        let mut out = schema.clone();
        self.rewrite(&mut out);
        out
    }

    /// The `$defs` of every named type noted, and those they use in turn.
    pub fn finish(mut self) -> Map<String, Value> {
        let mut defs = Map::new();
        let mut pending: Vec<String> = self.names.iter().cloned().collect();
        while let Some(name) = pending.pop() {
            if defs.contains_key(&name) {
                continue;
            }
            let before = self.names.clone();
            let schema = self
                .components
                .get(&name)
                .cloned()
                .unwrap_or_else(|| json!({}));
            let converted = self.convert(&schema);
            defs.insert(name, converted);
            pending.extend(self.names.difference(&before).cloned());
        }
        defs
    }

    fn rewrite(&mut self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get_mut("$ref")
                    && let Some(name) = reference.strip_prefix(COMPONENTS)
                {
                    let name = name.to_owned();
                    *reference = format!("{DEFS}{name}");
                    self.names.insert(name);
                }
                for child in map.values_mut() {
                    self.rewrite(child);
                }
                if map.remove("nullable") == Some(Value::Bool(true)) {
                    nullable(map);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.rewrite(item)),
            _ => {}
        }
    }
}

/// OpenAPI 3.0's `nullable: true` in JSON Schema terms: `null` is also allowed.
fn nullable(map: &mut Map<String, Value>) {
    match map.get_mut("type") {
        Some(Value::String(kind)) => {
            let kind = std::mem::take(kind);
            map.insert("type".into(), json!([kind, "null"]));
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
        _ => {
            let inner = std::mem::take(map);
            map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_types_are_copied_with_what_they_use() {
        let document = json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"type": "string", "nullable": true, "enum": ["x"]},
            "Unused": {"type": "integer"},
        }}});
        let mut defs = Defs::new(&document);
        let schema = defs.convert(&json!({"$ref": "#/components/schemas/A"}));
        assert_eq!(schema, json!({"$ref": "#/$defs/A"}));
        let defs = defs.finish();
        assert_eq!(
            Value::Object(defs),
            json!({
                "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
                "B": {"type": ["string", "null"], "enum": ["x", null]},
            })
        );
    }

    #[test]
    fn nullable_without_a_type_becomes_a_null_alternative() {
        let document = json!({});
        let mut defs = Defs::new(&document);
        let schema = defs.convert(&json!({"allOf": [{"type": "integer"}], "nullable": true}));
        assert_eq!(
            schema,
            json!({"anyOf": [{"allOf": [{"type": "integer"}]}, {"type": "null"}]})
        );
    }
}
