//! Why a store could not be opened or a secret not kept.

use credential_core::StoreError;
use credential_core::key::InvalidPepper;
use credential_core::token::jose::JoseError;

/// Why [`RedbStore`](crate::RedbStore) could not open its file, or read or
/// keep a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedbError {
    /// The file could not be created.
    #[error("cannot create the store file: {0}")]
    Io(#[from] std::io::Error),
    /// redb failed: the file is locked by another process, is not a redb
    /// file, or the disk failed.
    #[error("redb: {0}")]
    Redb(#[from] redb::Error),
    /// A stored record could not be read back.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A signing key could not be made, kept or read back.
    #[error("signing key: {0}")]
    SigningKey(#[from] JoseError),
    /// A pepper could not be made or read back.
    #[error("pepper: {0}")]
    Pepper(#[from] InvalidPepper),
}

macro_rules! from_redb {
    ($($error:ty),*) => {
        $(impl From<$error> for RedbError {
            fn from(error: $error) -> Self {
                Self::Redb(redb::Error::from(error))
            }
        })*
    };
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A redb failure during a store operation: the store is unavailable.
pub(crate) fn unavailable(error: impl Into<redb::Error>) -> StoreError {
    StoreError::unavailable(error.into())
}
