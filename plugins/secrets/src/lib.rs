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
use portal_sdk::{Error, Request, Response, Result, Route};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

struct Secrets;

const ROUTES: &[Route] = &[
    Route::new("secrets.list", list).answers::<Vec<SecretItem>>(200),
    Route::new("secrets.create", create).takes::<NewSecret>().answers::<SecretItem>(201),
    Route::new("secrets.get", get).answers::<SecretValues>(200),
    Route::new("secrets.replace", replace).takes::<SecretData>().answers::<SecretItem>(200),
    Route::new("secrets.delete", delete).answers_nothing(204),
];

portal_sdk::serve_routes!(Secrets, ROUTES);

/// Key names as Kubernetes allows them in a Secret; values are text.
type Data = BTreeMap<String, String>;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewSecret {
    /// A DNS-1123 subdomain: lower-case letters, digits, '-' and '.', each part starting
    /// and ending with a letter or digit.
    #[schemars(
        length(min = 1, max = 253),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    )]
    name: String,
    data: Data,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SecretData {
    data: Data,
}

/// A secret without its values.
#[derive(Serialize, JsonSchema)]
struct SecretItem {
    name: String,
    keys: Vec<String>,
    created_at: String,
    updated_at: String,
}

/// A secret with its values, shown only on this request.
#[derive(Serialize, JsonSchema)]
struct SecretValues {
    name: String,
    data: Data,
    created_at: String,
    updated_at: String,
}

fn item(info: SecretInfo) -> SecretItem {
    SecretItem { name: info.name, keys: info.keys, created_at: info.created_at, updated_at: info.updated_at }
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
    Ok(Response::ok(&all.into_iter().map(item).collect::<Vec<_>>()))
}

fn create(request: &Request) -> Result<Response> {
    let body: NewSecret = request.json()?;
    let info = secrets::create(&body.name, &body.data.into_iter().collect::<Vec<_>>()).map_err(error)?;
    Ok(Response::created(&item(info)))
}

fn get(request: &Request) -> Result<Response> {
    let secret = secrets::get(request.required_param("name")?).map_err(error)?;
    let info = secret.info;
    Ok(Response::ok(&SecretValues {
        name: info.name,
        data: secret.data.into_iter().collect(),
        created_at: info.created_at,
        updated_at: info.updated_at,
    }))
}

fn replace(request: &Request) -> Result<Response> {
    let body: SecretData = request.json()?;
    let info =
        secrets::replace(request.required_param("name")?, &body.data.into_iter().collect::<Vec<_>>()).map_err(error)?;
    Ok(Response::ok(&item(info)))
}

fn delete(request: &Request) -> Result<Response> {
    secrets::delete(request.required_param("name")?).map_err(error)?;
    Ok(Response::no_content())
}

export!(Secrets);
