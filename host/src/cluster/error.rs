//! What can go wrong in the cluster, in terms the capabilities pass on to plugins.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unavailable(String),
}

impl From<kube::Error> for ClusterError {
    fn from(e: kube::Error) -> Self {
        match e {
            kube::Error::Api(status) => {
                let message = status.message.clone();
                match status.code {
                    404 => ClusterError::NotFound(message),
                    409 => ClusterError::Conflict(message),
                    400 | 422 => ClusterError::Invalid(message),
                    403 => ClusterError::Forbidden(message),
                    413 => ClusterError::TooLarge(message),
                    _ => ClusterError::Unavailable(format!(
                        "the cluster answered {}: {message}",
                        status.code
                    )),
                }
            }
            other => ClusterError::Unavailable(format!("cannot reach the cluster: {other}")),
        }
    }
}

impl From<serde_json::Error> for ClusterError {
    fn from(e: serde_json::Error) -> Self {
        ClusterError::Invalid(e.to_string())
    }
}
