//! The portal web page (`portal-static/`), carried by the binary and served at `/portal`
//! with a strict Content-Security-Policy: no inline script, no eval, nothing from another
//! host. The magic-link token arrives in `/portal?s=`; the page moves it to localStorage
//! and out of the address bar, and no log line here records a query string.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::state::SharedState;

#[derive(rust_embed::Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../portal-static"]
struct Assets;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/portal", get(|| async { asset("index.html") }))
        .route("/portal/", get(|| async { asset("index.html") }))
        .route(
            "/portal/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

fn asset(path: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        return ApiError::not_found(format!("no file '{path}' in the portal")).into_response();
    };
    let mime = file.metadata.mimetype().to_owned();
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    let mime = match mime.as_str() {
        "application/javascript" | "text/javascript" => "text/javascript; charset=utf-8".to_owned(),
        m if m.starts_with("text/") => format!("{m}; charset=utf-8"),
        m => m.to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The page is small and changes with the binary; always revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
