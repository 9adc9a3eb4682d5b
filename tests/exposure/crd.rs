//! IngressRoutes the portal makes, against Traefik's own CRD (`deploy/crds/`, vendored with
//! its source and license in `deploy/crds/NOTICE.md`).

use portal::cluster::ingress::ingress_route;
use portal::exposure::TraefikPolicy;
use serde_json::Value;

/// The CRD's `openAPIV3Schema` for `traefik.io/v1alpha1`.
pub fn schema() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/crds/traefik.io_ingressroutes.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let crd: Value = serde_saphyr::from_str(&text).unwrap();
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "v1alpha1")
        .unwrap();
    version["schema"]["openAPIV3Schema"].clone()
}

/// Validates against the schema, and checks that no field would be pruned (the API server
/// silently drops fields a structural schema does not declare).
pub fn assert_valid(object: &Value) {
    let schema = schema();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(object)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "IngressRoute breaks Traefik's schema: {errors:?}\n{object:#}"
    );
    assert_declared(object, &schema, "");
}

fn assert_declared(value: &Value, schema: &Value, at: &str) {
    match value {
        Value::Object(fields) => {
            if schema["x-kubernetes-preserve-unknown-fields"] == true
                || schema.get("additionalProperties").is_some()
            {
                return;
            }
            for (k, v) in fields {
                let top_level_meta =
                    at.is_empty() && matches!(k.as_str(), "apiVersion" | "kind" | "metadata");
                if top_level_meta {
                    continue;
                }
                let sub = &schema["properties"][k];
                assert!(
                    !sub.is_null(),
                    "field {at}.{k} is not in the CRD schema and would be pruned"
                );
                assert_declared(v, sub, &format!("{at}.{k}"));
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| assert_declared(i, &schema["items"], &format!("{at}[]"))),
        _ => {}
    }
}

#[test]
fn the_routes_the_portal_builds_fit_traefiks_schema() {
    for cert_resolver in [Some("letsencrypt".to_owned()), None] {
        let traefik = TraefikPolicy {
            entry_points: vec!["websecure".into()],
            cert_resolver,
        };
        let route = ingress_route(
            "friend-alice",
            "my-app",
            "my-app-alice.your-domain.net",
            "web",
            8080,
            &traefik,
        );
        assert_valid(&route);
    }
}

#[test]
fn the_schema_check_catches_a_broken_route() {
    let traefik = TraefikPolicy {
        entry_points: vec!["websecure".into()],
        cert_resolver: None,
    };
    let mut route = ingress_route(
        "friend-alice",
        "x",
        "x-alice.your-domain.net",
        "web",
        80,
        &traefik,
    );
    route["spec"]["routes"][0]["kind"] = "NotARule".into();
    let schema = schema();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    assert!(
        !validator.is_valid(&route),
        "an enum violation must be caught"
    );
    route["spec"]["routes"][0]["kind"] = "Rule".into();
    route["spec"]["routes"][0]["matchh"] = "typo".into();
    assert!(
        std::panic::catch_unwind(|| assert_declared(&route, &schema, "")).is_err(),
        "an undeclared field must be caught"
    );
}
