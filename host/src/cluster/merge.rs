//! RFC 7386 JSON merge patch, used to tell whether a desired object changes a stored one.

use serde_json::{Value, json};

pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in fields {
                if v.is_null() {
                    if let Some(map) = target.as_object_mut() {
                        map.remove(k);
                    }
                } else {
                    merge_patch(&mut target[k], v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Whether applying `desired` as a merge patch would leave `current` as it is.
pub fn already_holds(current: &Value, desired: &Value) -> bool {
    let mut merged = current.clone();
    merge_patch(&mut merged, desired);
    merged == *current
}
