//! JSON request bodies with JSON errors: malformed JSON is a 400 that names the problem,
//! a well-formed body of the wrong shape a 422, an oversize one a 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let ok = content_type
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .map(|mime| mime.trim().to_ascii_lowercase())
                .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
            if !ok {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as application/json",
                ));
            }
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_error)?;
        parse(&bytes).map(JsonBody)
    }
}

/// The body as `T`, a struct: a JSON object. (serde would also fill a struct from an array
/// of its fields in order, `[null, null]`; the API takes objects only.)
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
        }
        _ => ApiError::bad_request(format!("malformed JSON: {e}")),
    })?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

pub fn body_error(rejection: axum::extract::rejection::BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("request body is over the size limit")
    } else {
        ApiError::bad_request(format!("could not read the request body: {rejection}"))
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        a: Option<String>,
        b: Option<u32>,
    }

    #[test]
    fn bodies_are_objects() {
        assert!(super::parse::<Body>(b" {\"a\": \"x\"}").is_ok());
        let array = super::parse::<Body>(b"[null, 3]").unwrap_err();
        assert_eq!((array.status.as_u16(), array.code), (422, "invalid"));
        assert_eq!(
            super::parse::<Body>(b"[null,").unwrap_err().status.as_u16(),
            400
        );
        assert_eq!(super::parse::<Body>(b"7").unwrap_err().status.as_u16(), 422);
    }
}
