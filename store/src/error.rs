//! The one error type of every store operation.

/// A storage failure of whichever backend, kept as its source.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not read or write (disk, API server): worth a retry later.
    #[error("storage: {0}")]
    Backend(#[source] BackendError),
    #[error("stored record is not readable: {0}")]
    Decode(#[from] serde_json::Error),
    #[error(
        "the stored data has schema version {found}, this build reads up to {supported}; upgrade the portal"
    )]
    NewerSchema { found: u64, supported: u64 },
    /// The operation would break an invariant (the id is taken, the link was spent...);
    /// the text says which, in words a caller can show.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// Writers kept racing for the same record past the retries allowed.
    #[error("too many concurrent changes to {0}; try again")]
    Contended(String),
}

impl StoreError {
    pub fn backend(e: impl Into<BackendError>) -> Self {
        StoreError::Backend(e.into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
