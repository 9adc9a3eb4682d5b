//! The one error type of this crate, and how the OCI client's errors map onto it.
//!
//! Messages are plain sentences for an operator; they name registries and references,
//! never credentials (a URL carries none: credentials travel in headers only).

use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};

/// What can go wrong pushing or pulling a plugin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The reference is not `[oci://]host[:port]/repository[:tag][@sha256:…]`, or cannot be used
    /// for this operation.
    #[error("invalid OCI reference `{input}`: {reason}")]
    InvalidReference { input: String, reason: String },

    /// A digest given by the caller is not `sha256:` and 64 lowercase hex digits.
    #[error("invalid digest `{0}`: expected `sha256:` followed by 64 lowercase hex digits")]
    InvalidDigest(String),

    /// The client could not be set up (TLS, options).
    #[error("cannot set up the registry client: {0}")]
    Client(String),

    /// The registry could not be reached, or the connection broke off.
    #[error("cannot reach the registry {registry}: {message}")]
    Connection { registry: String, message: String },

    /// The registry refused the credentials, or wants some and none were given.
    #[error(
        "the registry {registry} refused access to {reference}: wrong or missing credentials, or no permission to {step}"
    )]
    Unauthorized {
        registry: String,
        reference: String,
        step: Step,
    },

    /// The repository, tag, digest or blob does not exist in the registry.
    #[error("{reference} was not found in its registry (while trying to {step})")]
    NotFound { reference: String, step: Step },

    /// Content does not hash to the digest that names it, or a pinned digest differs from what
    /// the registry serves.
    #[error("{what} digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: &'static str,
        expected: String,
        actual: String,
    },

    /// The artifact is not a WebAssembly component in the Wasm OCI artifact layout.
    #[error("{reference} is not a WebAssembly component artifact: {reason}")]
    NotWasm { reference: String, reason: String },

    /// The manifest is not valid OCI image-manifest JSON.
    #[error("the manifest of {reference} is malformed: {reason}")]
    InvalidManifest { reference: String, reason: String },

    /// A manifest or layer is over the caller's limit (`size` may be a lower bound: what had
    /// arrived when the download was cut off).
    #[error("the {what} has at least {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        what: &'static str,
        size: u64,
        limit: u64,
    },

    /// The layer's length differs from the size its manifest declares.
    #[error("the layer's manifest declares {declared} bytes but the registry sent {received}")]
    LayerSizeMismatch { declared: u64, received: u64 },

    /// Any other refusal or failure reported by the registry.
    #[error("the registry {registry} failed to {step} for {reference}: {message}")]
    Registry {
        registry: String,
        reference: String,
        step: Step,
        message: String,
    },
}

/// The step of a push or pull an error happened in, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Authenticate,
    PushConfig,
    PushLayer,
    PushManifest,
    PullManifest,
    PullLayer,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Authenticate => "authenticate",
            Step::PushConfig => "push the config blob",
            Step::PushLayer => "push the component layer",
            Step::PushManifest => "push the manifest",
            Step::PullManifest => "pull the manifest",
            Step::PullLayer => "pull the component layer",
        })
    }
}

impl Step {
    /// What a digest error in this step is about.
    fn subject(self) -> &'static str {
        match self {
            Step::PullManifest | Step::PushManifest | Step::Authenticate => "manifest",
            Step::PushConfig => "config",
            Step::PushLayer | Step::PullLayer => "layer",
        }
    }
}

/// Maps an OCI client error met in `step` on `reference` (whose registry is `registry`).
pub(crate) fn from_oci(
    err: OciDistributionError,
    registry: &str,
    reference: &str,
    step: Step,
) -> Error {
    let unauthorized = || Error::Unauthorized {
        registry: registry.to_owned(),
        reference: reference.to_owned(),
        step,
    };
    let not_found = || Error::NotFound {
        reference: reference.to_owned(),
        step,
    };
    let other = |message: String| Error::Registry {
        registry: registry.to_owned(),
        reference: reference.to_owned(),
        step,
        message,
    };
    match err {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => unauthorized(),
        OciDistributionError::ServerError {
            code: 401 | 403, ..
        } => unauthorized(),
        OciDistributionError::ServerError { code: 404, .. }
        | OciDistributionError::ImageManifestNotFoundError(_) => not_found(),
        OciDistributionError::ServerError { code, message, .. } => {
            other(format!("HTTP {code}: {}", first_line(&message)))
        }
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes = || envelope.errors.iter().map(|e| &e.code);
            if codes().any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied)) {
                unauthorized()
            } else if codes().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::BlobUnknown
                        | OciErrorCode::NotFound
                )
            }) {
                not_found()
            } else {
                let messages: Vec<String> = envelope
                    .errors
                    .iter()
                    .map(|e| format!("{:?}: {}", e.code, e.message))
                    .collect();
                other(messages.join("; "))
            }
        }
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            Error::DigestMismatch {
                what: step.subject(),
                expected,
                actual,
            }
        }
        OciDistributionError::RequestError(e) if e.is_connect() || e.is_timeout() => {
            Error::Connection {
                registry: registry.to_owned(),
                message: error_chain(&e),
            }
        }
        OciDistributionError::RequestError(e) => other(error_chain(&e)),
        OciDistributionError::IoError(e) => from_stream_error(e, registry, reference, step),
        e => other(e.to_string()),
    }
}

/// Maps an error from a blob's byte stream: the OCI client reports a digest mismatch it
/// caught itself as an I/O error wrapping a [`DigestError`].
pub(crate) fn from_stream_error(
    err: std::io::Error,
    registry: &str,
    reference: &str,
    step: Step,
) -> Error {
    if let Some(DigestError::VerificationError { expected, actual }) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<DigestError>())
    {
        return Error::DigestMismatch {
            what: step.subject(),
            expected: expected.clone(),
            actual: actual.clone(),
        };
    }
    Error::Connection {
        registry: registry.to_owned(),
        message: format!(
            "while trying to {step} for {reference}: {}",
            error_chain(&err)
        ),
    }
}

/// An error and its sources on one line ("error sending request: connection refused"), since
/// reqwest's own message leaves the useful part in the sources.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The first line of a registry's error body, capped, so an HTML error page stays readable.
fn first_line(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    line.chars().take(200).collect()
}
