//! What the API server fills in on a write: a Secret's type, a Service's type, cluster IP
//! and port defaults, and the defaults of a workload's pod template. Without them an
//! object read back from the embedded cluster would look like what was sent, where a real
//! cluster's does not, and code that compares the two would pass here and fail there.

use serde_json::Value;

use super::resources::ResourceType;

pub fn normalise(rt: &ResourceType, object: &mut Value) {
    match rt.kind {
        "Secret" => secret(object),
        "Service" => service(object),
        "Deployment" => {
            set(&mut object["spec"], "revisionHistoryLimit", 10.into());
            set(&mut object["spec"], "progressDeadlineSeconds", 600.into());
            if object["spec"]["strategy"].is_null() {
                object["spec"]["strategy"] = serde_json::json!({"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
            }
            pod_template(&mut object["spec"]["template"], "Always");
        }
        "Job" => pod_template(&mut object["spec"]["template"], "Never"),
        "CronJob" => {
            set(&mut object["spec"], "concurrencyPolicy", "Allow".into());
            set(&mut object["spec"], "suspend", false.into());
            pod_template(
                &mut object["spec"]["jobTemplate"]["spec"]["template"],
                "Never",
            );
        }
        _ => {}
    }
}

/// A replaced Service keeps the cluster IP it was given, as on a real API server.
pub fn keep_allocated(rt: &ResourceType, old: &Value, object: &mut Value) {
    if rt.kind == "Service" && object["spec"]["clusterIP"].is_null() {
        object["spec"]["clusterIP"] = old["spec"]["clusterIP"].clone();
    }
}

fn set(object: &mut Value, key: &str, value: Value) {
    if object.is_object() && object[key].is_null() {
        object[key] = value;
    }
}

fn secret(object: &mut Value) {
    if object["type"].is_null() {
        object["type"] = "Opaque".into();
    }
    if let Some(string_data) = object.get("stringData").and_then(Value::as_object).cloned() {
        use base64::Engine;
        for (k, v) in string_data {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or_default());
            object["data"][k] = encoded.into();
        }
        if let Some(map) = object.as_object_mut() {
            map.remove("stringData");
        }
    }
}

fn service(object: &mut Value) {
    if object["spec"]["type"].is_null() {
        object["spec"]["type"] = "ClusterIP".into();
    }
    if object["spec"]["clusterIP"].is_null() {
        use rand::Rng;
        let mut rng = rand::rng();
        object["spec"]["clusterIP"] = format!(
            "10.96.{}.{}",
            rng.random_range(0..=255),
            rng.random_range(1..=254)
        )
        .into();
    }
    for port in object["spec"]["ports"].as_array_mut().into_iter().flatten() {
        set(port, "protocol", "TCP".into());
        if port["targetPort"].is_null() {
            port["targetPort"] = port["port"].clone();
        }
    }
}

/// A pod template's defaults (a Deployment's pods restart Always; a Job's say so themselves).
fn pod_template(template: &mut Value, restart_policy: &str) {
    let spec = &mut template["spec"];
    if !spec.is_object() {
        return;
    }
    set(spec, "restartPolicy", restart_policy.into());
    set(spec, "dnsPolicy", "ClusterFirst".into());
    set(spec, "schedulerName", "default-scheduler".into());
    set(spec, "terminationGracePeriodSeconds", 30.into());
    set(spec, "securityContext", serde_json::json!({}));
    for list in ["initContainers", "containers"] {
        for container in spec[list].as_array_mut().into_iter().flatten() {
            let image = container["image"].as_str().unwrap_or_default();
            let pull = if image_tag(image).is_none_or(|t| t == "latest") {
                "Always"
            } else {
                "IfNotPresent"
            };
            set(container, "imagePullPolicy", pull.into());
            set(
                container,
                "terminationMessagePath",
                "/dev/termination-log".into(),
            );
            set(container, "terminationMessagePolicy", "File".into());
            set(container, "resources", serde_json::json!({}));
            for port in container["ports"].as_array_mut().into_iter().flatten() {
                set(port, "protocol", "TCP".into());
            }
        }
    }
}

/// The tag of an image reference, if it has one (a digest counts as one).
fn image_tag(image: &str) -> Option<&str> {
    if let Some((_, digest)) = image.split_once('@') {
        return Some(digest);
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, tag)| tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), None);
        assert_eq!(image_tag("nginx:alpine"), Some("alpine"));
        assert_eq!(image_tag("registry:5000/team/app"), None);
        assert_eq!(image_tag("registry:5000/team/app:1.2"), Some("1.2"));
        assert!(image_tag("app@sha256:abc").is_some());
    }
}
