//! The secrets endpoints: a friend's Kubernetes Secrets, values shown only on request.
//! The host scopes every call to the friend's namespace and enforces the naming and size
//! rules; this plugin shapes requests and answers.

wit_bindgen::generate!({
    path: "../../wit",
    world: "secrets-plugin",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use std::collections::BTreeMap;

use friend::portal::secrets::{self, Error as SecretsError, SecretInfo};
use portal_sdk::{Error, Request, Response, Result};
use serde::Deserialize;

struct Secrets;

impl exports::friend::portal::handler::Guest for Secrets {
    fn handle(request: Request) -> Response {
        portal_sdk::dispatch(
            request,
            &[
                ("secrets.list", list),
                ("secrets.create", create),
                ("secrets.get", get),
                ("secrets.replace", replace),
                ("secrets.delete", delete),
            ],
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    name: String,
    data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretData {
    data: BTreeMap<String, String>,
}

fn item(info: &SecretInfo) -> serde_json::Value {
    serde_json::json!({"name": info.name, "keys": info.keys, "created_at": info.created_at, "updated_at": info.updated_at})
}

fn error(e: SecretsError) -> Error {
    match e {
        SecretsError::NotFound(m) => Error::not_found(m),
        SecretsError::AlreadyExists(m) => Error::conflict(m),
        SecretsError::Invalid(m) => Error::new(422, "invalid", m),
        SecretsError::TooLarge(m) => Error::too_large(m),
        SecretsError::Forbidden(m) => Error::forbidden(m),
        SecretsError::Unavailable(m) => Error::new(503, "unavailable", m),
    }
}

fn list(_: &Request) -> Result<Response> {
    let all = secrets::list_all().map_err(error)?;
    Ok(Response::ok(&all.iter().map(item).collect::<Vec<_>>()))
}

fn create(request: &Request) -> Result<Response> {
    let body: NewSecret = request.json()?;
    let info = secrets::create(&body.name, &body.data.into_iter().collect::<Vec<_>>()).map_err(error)?;
    Ok(Response::created(&item(&info)))
}

fn get(request: &Request) -> Result<Response> {
    let secret = secrets::get(request.required_param("name")?).map_err(error)?;
    let data: BTreeMap<_, _> = secret.data.into_iter().collect();
    let info = secret.info;
    Ok(Response::ok(&serde_json::json!({
        "name": info.name, "data": data, "created_at": info.created_at, "updated_at": info.updated_at,
    })))
}

fn replace(request: &Request) -> Result<Response> {
    let body: SecretData = request.json()?;
    let info = secrets::replace(request.required_param("name")?, &body.data.into_iter().collect::<Vec<_>>()).map_err(error)?;
    Ok(Response::ok(&item(&info)))
}

fn delete(request: &Request) -> Result<Response> {
    secrets::delete(request.required_param("name")?).map_err(error)?;
    Ok(Response::no_content())
}

export!(Secrets);
