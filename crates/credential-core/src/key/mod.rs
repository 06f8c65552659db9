//! API keys: format, hashing, records, stores, lifecycle and verification.
//!
//! - [`KeyFormat`] generates and parses `{prefix}_{id}_{secret}{checksum}`
//!   keys and publishes the [`SCANNER_REGEX`] for secret scanners.
//! - [`Peppers`] hash secrets with HMAC-SHA-256 under versioned peppers.
//! - [`KeyRecord`] is what a [`KeyStore`] keeps; [`MemoryKeyStore`] is the
//!   in-memory store.
//! - [`CachedKeyStore`] puts a cache with bounded staleness and push
//!   invalidation in front of a networked store.
//! - [`KeyManager`] creates, changes, rolls and revokes keys.
//! - [`KeyVerifier`] turns a presented key into a [`crate::Principal`].

mod cache;
pub(crate) mod format;
mod id;
mod manager;
mod memory;
mod pepper;
mod record;
mod store;
mod verifier;

pub use cache::{
    CachedKeyStore, DEFAULT_CAPACITY, DEFAULT_NEGATIVE_CAPACITY, DEFAULT_NEGATIVE_TTL, DEFAULT_TTL,
    Invalidation, Invalidator,
};
pub use format::{
    CHECKSUM_LEN, InvalidPrefix, KeyFormat, KeyParseError, MAX_KEY_LEN, MAX_PREFIX_LEN, ParsedKey,
    SCANNER_REGEX, SECRET_LEN,
};
pub use id::{ID_LEN, InvalidKeyId, KeyId};
pub use manager::{CreatedKey, KeyManager, MAX_LABEL_BYTES, ManageError};
pub use memory::MemoryKeyStore;
pub use pepper::{HashCheck, InvalidPepper, KeyHash, MIN_PEPPER_LEN, Pepper, Peppers};
pub use record::{
    CreditSpend, Credits, InvalidCredits, KeyRecord, KeyUpdate, MAX_METADATA_BYTES, Metadata,
    NewKey, Refill, Rollover,
};
pub use store::KeyStore;
pub use verifier::{DEFAULT_LAST_USED_GRANULARITY, KeyVerifier};
