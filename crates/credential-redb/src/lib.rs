//! # credential-redb
//!
//! An embedded store for credential: API keys, refresh tokens, token
//! revocations, signing keys and other server secrets in one
//! [redb](https://www.redb.org) file. redb is pure Rust and ACID: every
//! write below is one transaction, committed to disk before the call
//! returns, so a server that restarts finds its keys, its revocations and
//! its signing keys as it left them.
//!
//! [`RedbStore`] implements core's
//! [`KeyStore`](credential_core::key::KeyStore),
//! [`RevocationStore`](credential_core::token::RevocationStore) and
//! [`RefreshStore`](credential_core::token::RefreshStore), and keeps
//! signing keys ([`RedbStore::key_ring`]) and peppers
//! ([`RedbStore::pepper`]). Key records and revocations are also kept in memory,
//! so verification reads them as fast as from the in-memory stores, without
//! waiting; every change goes to the file first, then to memory. Rate-limit
//! state stays in memory ([`MemoryRateLimiter`](credential_core::ratelimit::MemoryRateLimiter)):
//! it is short-lived and would cost a disk write per request.
//!
//! One process opens a file at a time (redb locks it); a fleet of servers
//! shares keys through `credential-postgres` or `credential-redis` instead.
//!
//! ```
//! use credential_core::key::{KeyFormat, KeyManager, NewKey, Peppers};
//! use credential_core::Verifier;
//! use credential_redb::RedbStore;
//! use std::sync::Arc;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let dir = std::env::temp_dir().join(format!("credential-redb-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("keys.redb");
//! # let _ = std::fs::remove_file(&path);
//!
//! let store = Arc::new(RedbStore::open(&path)?);
//! let pepper = store.pepper("keys", 1)?;
//! let manager = KeyManager::new(Arc::clone(&store), KeyFormat::new("sk_test")?, Peppers::new(pepper));
//! let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
//! drop(manager);
//! drop(store);
//!
//! // After a restart the key still verifies.
//! let store = Arc::new(RedbStore::open(&path)?);
//! let manager = KeyManager::new(Arc::clone(&store), KeyFormat::new("sk_test")?, Peppers::new(store.pepper("keys", 1)?));
//! let principal = manager.verifier().verify(key.expose_secret(), None).await?;
//! assert_eq!(principal.subject(), "acme");
//! # drop(manager);
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod error;
mod keys;
mod refresh;
mod revocation;
mod secrets;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use credential_core::StoreError;
use credential_core::key::{KeyId, KeyRecord};
use credential_core::token::MemoryRevocationStore;
use redb::backends::InMemoryBackend;
use redb::{Database, TableDefinition};

pub use error::RedbError;

/// Key records: id → JSON.
const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
/// Refresh tokens: id → JSON.
const REFRESH: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh_tokens");
/// Revoked token ids: jti → until (JSON).
const REVOKED_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("revoked_tokens");
/// Revoked clients: client id → issued-up-to and until (JSON).
const REVOKED_CLIENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("revoked_clients");
/// Signing keys: kid → private JWK and when it was added (JSON).
const SIGNING_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("signing_keys");
/// Other secrets (peppers): name → bytes.
const SECRETS: TableDefinition<&str, &[u8]> = TableDefinition::new("secrets");

/// Every table, created when the file is opened.
const TABLES: [TableDefinition<&str, &[u8]>; 6] = [
    KEYS,
    REFRESH,
    REVOKED_TOKENS,
    REVOKED_CLIENTS,
    SIGNING_KEYS,
    SECRETS,
];

/// A credential store in one redb file. Cheap to share behind an `Arc`;
/// see the [crate docs](crate).
pub struct RedbStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    path: Option<PathBuf>,
    /// Held from the start of a write transaction until memory reflects
    /// it, so memory follows the file's order of commits.
    writing: Mutex<()>,
    /// Every key record, as committed.
    keys: RwLock<HashMap<KeyId, Arc<KeyRecord>>>,
    /// Every revocation entry, as committed.
    revocations: MemoryRevocationStore,
}

impl RedbStore {
    /// Opens the store at `path`, creating the file (readable and
    /// writable by its owner only, as it holds secrets) when it does not
    /// exist; an existing file loses any permission for group and others.
    ///
    /// # Errors
    ///
    /// When the file cannot be created or opened (another process has it
    /// open, it is not a redb file, the disk fails) or a stored record
    /// cannot be read back.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RedbError> {
        let path = path.as_ref();
        create_private(path)?;
        Self::with_database(Database::create(path)?, Some(path.to_owned()))
    }

    /// A store in process memory, gone when dropped: the same behaviour
    /// without a file, for tests and for servers asked to keep nothing.
    ///
    /// # Errors
    ///
    /// Only if redb cannot set up its tables, which would be a bug.
    pub fn in_memory() -> Result<Self, RedbError> {
        let db = Database::builder().create_with_backend(InMemoryBackend::new())?;
        Self::with_database(db, None)
    }

    fn with_database(db: Database, path: Option<PathBuf>) -> Result<Self, RedbError> {
        let tx = db.begin_write()?;
        for table in TABLES {
            tx.open_table(table)?;
        }
        tx.commit()?;
        let inner = Inner {
            db,
            path,
            writing: Mutex::new(()),
            keys: RwLock::new(HashMap::new()),
            revocations: MemoryRevocationStore::new(),
        };
        inner.load_keys()?;
        inner.load_revocations()?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The file this store lives in; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }
}

impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// Serializes writers until the guard drops. A poisoned lock guards
    /// nothing but the order of writes, so it is taken over.
    fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Creates `path` with owner-only permissions if it does not exist yet,
/// and takes group and other permissions away from a file that exists
/// (created by hand, restored from a backup): it holds secrets.
fn create_private(path: &Path) -> Result<(), RedbError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mut permissions = std::fs::metadata(path)?.permissions();
                if permissions.mode() & 0o077 != 0 {
                    permissions.set_mode(permissions.mode() & 0o700);
                    std::fs::set_permissions(path, permissions)?;
                }
            }
            Ok(())
        }
        Err(error) => Err(RedbError::Io(error)),
    }
}

/// Runs `work` off the async executor when there is one: redb commits
/// wait for the disk.
async fn blocking<T: Send + 'static>(
    inner: &Arc<Inner>,
    work: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let inner = Arc::clone(inner);
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(move || work(&inner))
            .await
            .map_err(StoreError::unavailable)?,
        Err(_) => work(&inner),
    }
}

/// A record as stored: compact JSON.
fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// A stored record read back.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(error.to_string()))
}
