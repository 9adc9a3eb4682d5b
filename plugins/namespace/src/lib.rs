//! The namespace endpoints: the friend's overview, their apps' logs and restarts, and the
//! operators' management of the namespace (provision, apply, pods, logs, deleting a
//! deployment). The host scopes every
//! call to the friend's namespace and checks manifests; this plugin shapes requests.

wit_bindgen::generate!({
    path: "../../wit",
    world: "namespace-plugin",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use std::collections::BTreeMap;

use friend::portal::cluster::{self, Error as ClusterError, ManifestFormat};
use portal_sdk::{Error, Request, Response, Result, Route};
use schemars::JsonSchema;

/// `?tail=` of the logs route: default and ceiling.
const DEFAULT_TAIL: u32 = 100;
const MAX_TAIL: u32 = 500;

struct Namespace;

const ROUTES: &[Route] = &[
    Route::new("namespace.overview", overview).answers::<Overview>(200),
    Route::new("namespace.pods", pods).answers::<Vec<Pod>>(200),
    Route::new("namespace.provision", provision).answers::<AppliedList>(200),
    // Manifests are JSON or YAML (one object, a List, or YAML documents): not one schema.
    Route::new("namespace.apply", apply).answers::<AppliedList>(200),
    Route::new("namespace.delete-deployment", delete_deployment).answers_nothing(204),
    Route::new("namespace.logs", logs).answers::<Logs>(200),
    Route::new("namespace.deployment-logs", deployment_logs).answers::<DeploymentLogs>(200),
    Route::new("namespace.restart-deployment", restart_deployment).answers::<Restarted>(200),
];

portal_sdk::serve_routes!(Namespace, ROUTES);

// What the host's `cluster` interface answers, passed on as it came. These types only
// document it; the fuzzing run checks every answer against them.

#[allow(dead_code)]
#[derive(JsonSchema)]
struct Overview {
    namespace: String,
    pods: Vec<Pod>,
    services: Vec<Service>,
    deployments: Vec<Deployment>,
    quota: Quota,
    #[serde(rename = "ingressRoutes")]
    ingress_routes: Vec<IngressRoute>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct Pod {
    name: Option<String>,
    /// The pod's phase: Pending, Running, Succeeded, Failed or Unknown.
    status: String,
    /// Ready containers over all, e.g. `1/1`.
    ready: String,
    restarts: i32,
    image: Option<String>,
    /// When it was created (RFC 3339), or empty.
    age: String,
    /// The app (Deployment) whose `matchLabels` select this pod, or null.
    app: Option<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct Service {
    name: Option<String>,
    /// The apps (Deployments) whose pods this Service's selector matches.
    apps: Vec<String>,
    #[serde(rename = "type")]
    service_type: String,
    #[serde(rename = "clusterIP")]
    cluster_ip: Option<String>,
    ports: Vec<ServicePort>,
    age: String,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct ServicePort {
    name: Option<String>,
    port: i32,
    /// A port number or a container port's name.
    #[serde(rename = "targetPort")]
    target_port: Option<serde_json::Value>,
    protocol: Option<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct Deployment {
    name: Option<String>,
    /// Ready replicas over wanted, e.g. `1/1`.
    replicas: String,
    image: Option<String>,
    age: String,
    /// The Secrets its pods name (env, envFrom, volumes).
    #[serde(rename = "secretRefs")]
    secret_refs: Vec<String>,
}

/// The namespace's ResourceQuota: limits and what is used, by resource name.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct Quota {
    hard: BTreeMap<String, String>,
    used: BTreeMap<String, String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct IngressRoute {
    name: Option<String>,
    hostname: String,
    service: Option<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct AppliedList {
    applied: Vec<Applied>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct Applied {
    kind: String,
    name: String,
    /// `created`, `updated`, `configured` or `unchanged`.
    action: String,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
struct Logs {
    pod: String,
    lines: Vec<String>,
}

/// The newest pod's log of an app (a deployment).
#[allow(dead_code)]
#[derive(JsonSchema)]
struct DeploymentLogs {
    deployment: String,
    /// The pod read; null while the app has none.
    pod: Option<String>,
    lines: Vec<String>,
}

/// A rollout restart was asked for: the app's pods are being replaced.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct Restarted {
    name: String,
    /// When (RFC 3339): the pod template's `kubectl.kubernetes.io/restartedAt`.
    #[serde(rename = "restartedAt")]
    restarted_at: String,
}

fn error(e: ClusterError) -> Error {
    match e {
        ClusterError::NotFound(m) => Error::not_found(m),
        ClusterError::Conflict(m) => Error::conflict(m),
        ClusterError::Invalid(m) => Error::new(422, "invalid", m),
        ClusterError::TooLarge(m) => Error::too_large(m),
        ClusterError::Forbidden(m) => Error::forbidden(m),
        ClusterError::Unavailable(m) => Error::new(503, "unavailable", m),
    }
}

/// The host answers JSON text; it goes out as it came.
fn json_text(status: u16, text: String) -> Response {
    Response { status, headers: vec![("content-type".into(), "application/json".into())], body: text.into_bytes() }
}

fn overview(_: &Request) -> Result<Response> {
    Ok(json_text(200, cluster::overview().map_err(error)?))
}

fn pods(_: &Request) -> Result<Response> {
    Ok(json_text(200, cluster::pods().map_err(error)?))
}

fn provision(_: &Request) -> Result<Response> {
    let applied = cluster::provision().map_err(error)?;
    Ok(json_text(200, format!("{{\"applied\":{applied}}}")))
}

fn apply(request: &Request) -> Result<Response> {
    let content_type = request.header("content-type").unwrap_or("application/json").to_ascii_lowercase();
    let format = if content_type.contains("yaml") {
        ManifestFormat::Yaml
    } else if content_type.starts_with("application/json") || content_type.is_empty() {
        ManifestFormat::Json
    } else {
        return Err(Error::new(
            415,
            "unsupported_media_type",
            "send manifests as application/yaml or application/json",
        ));
    };
    let body = std::str::from_utf8(&request.body).map_err(|_| Error::bad_request("the body is not UTF-8"))?;
    let applied = cluster::apply(body, format).map_err(error)?;
    Ok(json_text(200, format!("{{\"applied\":{applied}}}")))
}

fn delete_deployment(request: &Request) -> Result<Response> {
    cluster::delete_deployment(request.required_param("name")?).map_err(error)?;
    Ok(Response::no_content())
}

/// `?tail=` of a logs route: how many of the last lines, within the host's limit.
fn tail(request: &Request) -> Result<u32> {
    match request.query("tail") {
        None => Ok(DEFAULT_TAIL),
        Some(t) => match t.parse::<u32>() {
            Ok(n) if (1..=MAX_TAIL).contains(&n) => Ok(n),
            _ => Err(Error::bad_request(format!("tail: must be a whole number from 1 to {MAX_TAIL}"))),
        },
    }
}

fn logs(request: &Request) -> Result<Response> {
    let pod = request.required_param("pod")?;
    let lines = cluster::pod_logs(pod, tail(request)?).map_err(error)?;
    Ok(Response::ok(&serde_json::json!({"pod": pod, "lines": lines})))
}

fn deployment_logs(request: &Request) -> Result<Response> {
    let name = request.required_param("name")?;
    Ok(json_text(200, cluster::deployment_logs(name, tail(request)?).map_err(error)?))
}

fn restart_deployment(request: &Request) -> Result<Response> {
    let name = request.required_param("name")?;
    Ok(json_text(200, cluster::restart_deployment(name).map_err(error)?))
}

export!(Namespace);
