//! The selectors of list requests, as the API server reads them.

use serde_json::Value;

/// `labelSelector`: `k=v`, `k==v`, `k!=v`, `k` (has the label), `!k` (has not); all must hold.
pub fn matches_labels(object: &Value, selector: &str) -> bool {
    let labels = &object["metadata"]["labels"];
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                labels[k.trim()] != v.trim()
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels[k.trim()] == v.trim()
            } else if let Some(k) = term.strip_prefix('!') {
                labels[k.trim()].is_null()
            } else {
                !labels[term].is_null()
            }
        })
}

/// `fieldSelector`: `metadata.name` and `metadata.namespace` with `=` or `==`; other fields
/// are not filtered on.
pub fn matches_fields(object: &Value, selector: &str) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|term| match term.split_once('=') {
            Some(("metadata.name", v)) => object["metadata"]["name"] == v.trim_start_matches('='),
            Some(("metadata.namespace", v)) => {
                object["metadata"]["namespace"] == v.trim_start_matches('=')
            }
            _ => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({"metadata": {"name": "web-1", "namespace": "friend-alice", "labels": {"app": "web", "tier": "front"}}})
    }

    #[test]
    fn label_selectors_combine_every_term() {
        let pod = pod();
        for (selector, expected) in [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
        ] {
            assert_eq!(matches_labels(&pod, selector), expected, "{selector}");
        }
    }

    #[test]
    fn field_selectors_filter_on_name_and_namespace() {
        let pod = pod();
        assert!(matches_fields(&pod, "metadata.name=web-1"));
        assert!(matches_fields(&pod, "metadata.name==web-1"));
        assert!(!matches_fields(&pod, "metadata.name=web-2"));
        assert!(matches_fields(
            &pod,
            "metadata.namespace=friend-alice,metadata.name=web-1"
        ));
        assert!(!matches_fields(&pod, "metadata.namespace=friend-bob"));
    }
}
