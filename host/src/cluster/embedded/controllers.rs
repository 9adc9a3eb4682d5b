//! What a real cluster's controllers and admission plugins would do, simulated: pods for
//! Deployments (one per replica, Running) and Jobs (Succeeded), LimitRange defaults,
//! ResourceQuota usage computed from the objects, and quota enforcement for counts.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::objects::Objects;
use super::resources::{ResourceType, by_kind};
use super::status::Status;
use crate::cluster::quantity::{format_milli, parse_milli};

fn pods_type() -> ResourceType {
    by_kind("Pod").expect("Pod is a known type")
}

pub fn timestamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn random_suffix(len: usize) -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn uid() -> String {
    let mut rng = rand::rng();
    let b: [u8; 16] = rng.random();
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(&b[0..4]),
        hex::encode(&b[4..6]),
        hex::encode(&b[6..8]),
        hex::encode(&b[8..10]),
        hex::encode(&b[10..16])
    )
}

/// Fills in what the API server sets on create.
pub fn stamp_new(
    objects: &Objects,
    object: &mut Value,
    namespace: Option<&str>,
    now: DateTime<Utc>,
) {
    let meta = object["metadata"].as_object_mut();
    if let Some(meta) = meta {
        meta.insert("uid".into(), uid().into());
        meta.insert("creationTimestamp".into(), timestamp(now).into());
        meta.insert(
            "resourceVersion".into(),
            objects.next_resource_version().into(),
        );
        meta.insert("generation".into(), 1.into());
        if let Some(ns) = namespace {
            meta.insert("namespace".into(), ns.into());
        }
    }
}

/// Reconciles the pods a Deployment or Job owns, after it was written.
pub fn reconcile(
    objects: &Objects,
    rt: &ResourceType,
    namespace: &str,
    owner: &mut Value,
    now: DateTime<Utc>,
) -> Result<(), Status> {
    let name = owner["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let template = owner["spec"]["template"].clone();
    let hash = hex::encode(&Sha256::digest(template.to_string().as_bytes())[..5]);
    let (desired, phase) = match rt.kind {
        "Deployment" => (
            owner["spec"]["replicas"].as_u64().unwrap_or(1) as usize,
            "Running",
        ),
        "Job" => (1, "Succeeded"),
        _ => return Ok(()),
    };
    let pods = pods_type();
    let mut current = Vec::new();
    for pod in objects.list(&pods, Some(namespace)) {
        let owned = pod["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r["kind"] == rt.kind && r["name"] == name.as_str())
            });
        if !owned {
            continue;
        }
        let pod_name = pod["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if pod["metadata"]["labels"]["pod-template-hash"] == hash.as_str()
            && current.len() < desired
        {
            current.push(pod_name);
        } else {
            objects.remove(&pods, Some(namespace), &pod_name)?;
        }
    }
    while current.len() < desired {
        if quota_exceeded(objects, namespace, &pods, &json!({})).is_some() {
            break; // as a ReplicaSet would: the pod is refused by quota and the deployment stays short
        }
        let pod_name = match rt.kind {
            "Deployment" => format!("{name}-{hash}-{}", random_suffix(5)),
            _ => format!("{name}-{}", random_suffix(5)),
        };
        let mut pod = pod_from_template(&template, &pod_name, &hash, rt, owner, phase, now);
        apply_limit_defaults(objects, namespace, &mut pod);
        stamp_new(objects, &mut pod, Some(namespace), now);
        objects.put(&pods, Some(namespace), &pod_name, &pod)?;
        current.push(pod_name);
    }
    let ready = current.len();
    owner["status"] = match rt.kind {
        "Deployment" => json!({
            "observedGeneration": owner["metadata"]["generation"],
            "replicas": ready, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": ready,
        }),
        _ => {
            json!({"succeeded": ready, "completionTime": timestamp(now), "startTime": timestamp(now)})
        }
    };
    Ok(())
}

fn pod_from_template(
    template: &Value,
    name: &str,
    hash: &str,
    rt: &ResourceType,
    owner: &Value,
    phase: &str,
    now: DateTime<Utc>,
) -> Value {
    let mut labels = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if rt.kind == "Deployment" {
        labels.insert("pod-template-hash".into(), hash.into());
    }
    let spec = template["spec"].clone();
    let started = timestamp(now);
    let statuses: Vec<Value> = spec["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let state = if phase == "Running" {
                        json!({"running": {"startedAt": started}})
                    } else {
                        json!({"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": started}})
                    };
                    json!({"name": c["name"], "image": c["image"], "ready": phase == "Running", "restartCount": 0, "state": state})
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rng = rand::rng();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": rt.api_version(), "kind": rt.kind, "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"], "controller": true,
            }],
        },
        "spec": spec,
        "status": {
            "phase": phase,
            "podIP": format!("10.244.{}.{}", rng.random_range(0..=255), rng.random_range(2..=254)),
            "startTime": started,
            "containerStatuses": statuses,
        }
    })
}

/// LimitRanger admission: containers without requests or limits get the namespace's defaults.
pub fn apply_limit_defaults(objects: &Objects, namespace: &str, pod: &mut Value) {
    let Some(limit_ranges) = by_kind("LimitRange") else {
        return;
    };
    for range in objects.list(&limit_ranges, Some(namespace)) {
        for limit in range["spec"]["limits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["type"] == "Container")
        {
            let Some(containers) = pod["spec"]["containers"].as_array_mut() else {
                continue;
            };
            for container in containers {
                for (field, defaults) in [
                    ("limits", &limit["default"]),
                    ("requests", &limit["defaultRequest"]),
                ] {
                    let Some(defaults) = defaults.as_object() else {
                        continue;
                    };
                    let resources = container["resources"].as_object_mut().map(|_| ()).is_some();
                    if !resources {
                        container["resources"] = json!({});
                    }
                    if container["resources"][field].as_object().is_none() {
                        container["resources"][field] = json!({});
                    }
                    for (k, v) in defaults {
                        if container["resources"][field].get(k).is_none() {
                            container["resources"][field][k] = v.clone();
                        }
                    }
                }
            }
        }
    }
}

/// What a quota's `status.used` would say: computed from the namespace's objects.
pub fn quota_used(
    objects: &Objects,
    namespace: &str,
    hard: &Map<String, Value>,
) -> Map<String, Value> {
    let mut used = Map::new();
    for key in hard.keys() {
        let milli = usage_milli(objects, namespace, key);
        used.insert(key.clone(), format_milli(key, milli).into());
    }
    used
}

fn count(objects: &Objects, kind: &str, namespace: &str, filter: impl Fn(&Value) -> bool) -> i128 {
    by_kind(kind).map_or(0, |rt| {
        objects
            .list(&rt, Some(namespace))
            .iter()
            .filter(|o| filter(o))
            .count() as i128
    }) * 1000
}

fn live_pod(pod: &Value) -> bool {
    !matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    )
}

fn usage_milli(objects: &Objects, namespace: &str, key: &str) -> i128 {
    match key {
        "pods" | "count/pods" => count(objects, "Pod", namespace, live_pod),
        "services" | "count/services" => count(objects, "Service", namespace, |_| true),
        "secrets" | "count/secrets" => count(objects, "Secret", namespace, |_| true),
        "configmaps" | "count/configmaps" => count(objects, "ConfigMap", namespace, |_| true),
        "persistentvolumeclaims" => count(objects, "PersistentVolumeClaim", namespace, |_| true),
        "services.loadbalancers" => count(objects, "Service", namespace, |s| {
            s["spec"]["type"] == "LoadBalancer"
        }),
        "services.nodeports" => count(objects, "Service", namespace, |s| {
            s["spec"]["type"] == "NodePort"
        }),
        "count/deployments.apps" => count(objects, "Deployment", namespace, |_| true),
        "count/jobs.batch" => count(objects, "Job", namespace, |_| true),
        "count/cronjobs.batch" => count(objects, "CronJob", namespace, |_| true),
        resource => {
            let (field, name) = match resource.split_once('.') {
                Some(("requests", name)) => ("requests", name),
                Some(("limits", name)) => ("limits", name),
                _ => ("requests", resource),
            };
            let Some(pods) = by_kind("Pod") else { return 0 };
            objects
                .list(&pods, Some(namespace))
                .iter()
                .filter(|p| live_pod(p))
                .flat_map(|p| {
                    p["spec"]["containers"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                })
                .filter_map(|c| c["resources"][field][name].as_str().and_then(parse_milli))
                .sum()
        }
    }
}

/// The quota key an object of this kind counts against, and by how much.
fn counted_keys(rt: &ResourceType, object: &Value) -> Vec<&'static str> {
    match rt.kind {
        "Pod" => vec!["pods", "count/pods"],
        "Secret" => vec!["secrets", "count/secrets"],
        "ConfigMap" => vec!["configmaps", "count/configmaps"],
        "PersistentVolumeClaim" => vec!["persistentvolumeclaims"],
        "Deployment" => vec!["count/deployments.apps"],
        "Service" => {
            let mut keys = vec!["services", "count/services"];
            match object["spec"]["type"].as_str() {
                Some("LoadBalancer") => keys.push("services.loadbalancers"),
                Some("NodePort") => keys.push("services.nodeports"),
                _ => {}
            }
            keys
        }
        _ => vec![],
    }
}

/// `Some(message)` when creating `object` would exceed a quota of the namespace.
pub fn quota_exceeded(
    objects: &Objects,
    namespace: &str,
    rt: &ResourceType,
    object: &Value,
) -> Option<String> {
    let keys = counted_keys(rt, object);
    if keys.is_empty() {
        return None;
    }
    let quotas = by_kind("ResourceQuota")?;
    for quota in objects.list(&quotas, Some(namespace)) {
        let Some(hard) = quota["spec"]["hard"].as_object() else {
            continue;
        };
        for key in &keys {
            if let Some(limit) = hard.get(*key).and_then(Value::as_str).and_then(parse_milli)
                && usage_milli(objects, namespace, key) + 1000 > limit
            {
                let name = quota["metadata"]["name"].as_str().unwrap_or("quota");
                return Some(format!(
                    "exceeded quota: {name}, requested: {key}=1, used: {key}={}, limited: {key}={}",
                    format_milli(key, usage_milli(objects, namespace, key)),
                    format_milli(key, limit)
                ));
            }
        }
    }
    None
}
