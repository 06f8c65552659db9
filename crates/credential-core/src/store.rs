//! What every store can fail with.

use std::error::Error as StdError;

/// A store operation that did not complete.
///
/// The verifier turns every store error into a `503` rejection: a store
/// that cannot answer never lets a request through and never blames the
/// caller's credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// The write conflicts with the stored state (duplicate id, a key that
    /// was already rolled or revoked).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The backend could not be reached or did not answer in time.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// A stored record could not be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Wraps a backend error as [`StoreError::Unavailable`].
    pub fn unavailable(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Unavailable(error.into())
    }
}
