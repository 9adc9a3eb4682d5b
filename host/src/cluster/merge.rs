//! RFC 7386 JSON merge patch (the embedded cluster's PATCH), and whether a stored object
//! already holds a desired one (provisioning and apply: unchanged or not).

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

/// Whether `current` already holds everything `desired` says: each field `desired` sets
/// has the same value in `current`, arrays element by element (same length), and a null
/// (or an empty object or list) asks for nothing. What the API server adds on its own —
/// defaults such as a container's `imagePullPolicy` or a Service port's `protocol`,
/// status, metadata — is not a difference. A merge patch would say otherwise for arrays,
/// which it replaces whole, so a re-apply read as a change on a real cluster.
pub fn already_holds(current: &Value, desired: &Value) -> bool {
    match (current, desired) {
        (Value::Object(current), Value::Object(desired)) => {
            desired.iter().all(|(key, want)| match current.get(key) {
                None | Some(Value::Null) => asks_nothing(want),
                Some(have) => !want.is_null() && already_holds(have, want),
            })
        }
        (Value::Array(current), Value::Array(desired)) => {
            current.len() == desired.len()
                && current
                    .iter()
                    .zip(desired)
                    .all(|(c, d)| already_holds(c, d))
        }
        (current, desired) => current == desired,
    }
}

fn asks_nothing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_api_server_adds_is_not_a_difference() {
        let stored = json!({
            "metadata": {"name": "web", "uid": "u", "labels": {"app": "web", "extra": "x"}},
            "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                     "containers": [{"name": "c", "image": "i", "imagePullPolicy": "IfNotPresent"}]},
            "status": {"phase": "Running"}
        });
        let sent = json!({
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"ports": [{"port": 80}], "containers": [{"name": "c", "image": "i"}],
                     "securityContext": {}, "volumes": []}
        });
        assert!(already_holds(&stored, &sent));
    }

    #[test]
    fn a_changed_value_an_extra_element_or_a_removal_is_a_difference() {
        let stored = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}], "replicas": 2}});
        for sent in [
            json!({"spec": {"ports": [{"port": 81}]}}),
            json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}}),
            json!({"spec": {"ports": []}}),
            json!({"spec": {"replicas": "2"}}),
            json!({"spec": {"replicas": null}}),
            json!({"spec": {"paused": true}}),
        ] {
            assert!(!already_holds(&stored, &sent), "{sent}");
        }
    }
}
