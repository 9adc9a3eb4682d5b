//! The namespace endpoints: the friend's overview, and the operators' management of the
//! namespace (provision, apply, pods, logs, deleting a deployment). The host scopes every
//! call to the friend's namespace and checks manifests; this plugin shapes requests.

wit_bindgen::generate!({
    path: "../../wit",
    world: "namespace-plugin",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use friend::portal::cluster::{self, Error as ClusterError, ManifestFormat};
use portal_sdk::{Error, Request, Response, Result};

/// `?tail=` of the logs route: default and ceiling.
const DEFAULT_TAIL: u32 = 100;
const MAX_TAIL: u32 = 500;

struct Namespace;

impl exports::friend::portal::handler::Guest for Namespace {
    fn handle(request: Request) -> Response {
        portal_sdk::dispatch(
            request,
            &[
                ("namespace.overview", overview),
                ("namespace.pods", pods),
                ("namespace.provision", provision),
                ("namespace.apply", apply),
                ("namespace.delete-deployment", delete_deployment),
                ("namespace.logs", logs),
            ],
        )
    }
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
        return Err(Error::new(415, "unsupported_media_type", "send manifests as application/yaml or application/json"));
    };
    let body = std::str::from_utf8(&request.body).map_err(|_| Error::bad_request("the body is not UTF-8"))?;
    let applied = cluster::apply(body, format).map_err(error)?;
    Ok(json_text(200, format!("{{\"applied\":{applied}}}")))
}

fn delete_deployment(request: &Request) -> Result<Response> {
    cluster::delete_deployment(request.required_param("name")?).map_err(error)?;
    Ok(Response::no_content())
}

fn logs(request: &Request) -> Result<Response> {
    let pod = request.required_param("pod")?;
    let tail = match request.query("tail") {
        None => DEFAULT_TAIL,
        Some(t) => match t.parse::<u32>() {
            Ok(n) if (1..=MAX_TAIL).contains(&n) => n,
            _ => return Err(Error::bad_request(format!("tail: must be a whole number from 1 to {MAX_TAIL}"))),
        },
    };
    let lines = cluster::pod_logs(pod, tail).map_err(error)?;
    Ok(Response::ok(&serde_json::json!({"pod": pod, "lines": lines})))
}

export!(Namespace);
