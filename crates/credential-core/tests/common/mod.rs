//! Fixtures shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

pub mod tokens;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::clock::ManualClock;
use credential_core::key::{
    CreditSpend, KeyFormat, KeyHash, KeyId, KeyManager, KeyRecord, KeyStore, KeyUpdate,
    MemoryKeyStore, Pepper, Peppers,
};
use time::OffsetDateTime;
use time::macros::datetime;

pub const START: OffsetDateTime = datetime!(2030-01-01 12:00 UTC);

/// A store that counts calls and can be made to fail, in front of a
/// memory store.
#[derive(Debug, Default)]
pub struct ProbeStore {
    pub inner: MemoryKeyStore,
    pub gets: AtomicUsize,
    pub record_uses: AtomicUsize,
    pub upgrades: AtomicUsize,
    pub down: AtomicBool,
    pub writes_down: AtomicBool,
    /// Whether lookups are also answered through `get_immediate`.
    pub immediate: AtomicBool,
}

impl ProbeStore {
    pub fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Fails only the writes a verification makes (hash upgrade, last
    /// use, credit spend); reads keep working.
    pub fn set_writes_down(&self, down: bool) {
        self.writes_down.store(down, Ordering::SeqCst);
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        self.check_up()?;
        if self.writes_down.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("write timed out"))
        } else {
            Ok(())
        }
    }

    fn check_up(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl KeyStore for ProbeStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        self.check_up()?;
        self.inner.insert(record).await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.check_up()?;
        self.inner.get(id).await
    }

    fn get_immediate(&self, id: &KeyId) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        if !self.immediate.load(Ordering::SeqCst) {
            return None;
        }
        self.gets.fetch_add(1, Ordering::SeqCst);
        match self.check_up() {
            Ok(()) => self.inner.get_immediate(id),
            Err(error) => Some(Err(error)),
        }
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.check_up()?;
        self.inner.list_by_subject(subject).await
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        self.check_up()?;
        self.inner.update(id, update).await
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        self.check_up()?;
        self.inner.roll(old, grace_until, new).await
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        self.upgrades.fetch_add(1, Ordering::SeqCst);
        self.check_writable()?;
        self.inner.upgrade_hash(id, expected, new).await
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.record_uses.fetch_add(1, Ordering::SeqCst);
        self.check_writable()?;
        self.inner.record_use(id, at).await
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        self.check_writable()?;
        self.inner.spend_credit(id, now).await
    }
}

impl Fixture {
    /// A new key of subject `acme` granting `scopes`.
    pub async fn key(&self, scopes: &str) -> credential_core::key::CreatedKey {
        self.manager
            .create(credential_core::key::NewKey::new(
                "acme",
                scopes.parse().unwrap(),
            ))
            .await
            .unwrap()
    }
}

pub fn pepper(version: u32) -> Pepper {
    Pepper::new(version, &[version as u8; 32]).unwrap()
}

pub struct Fixture {
    pub store: Arc<ProbeStore>,
    pub clock: ManualClock,
    pub manager: KeyManager<ProbeStore>,
}

pub fn fixture() -> Fixture {
    fixture_with(Peppers::new(pepper(1)))
}

pub fn fixture_with(peppers: Peppers) -> Fixture {
    let store = Arc::new(ProbeStore::default());
    let clock = ManualClock::new(START);
    let manager = KeyManager::new(
        Arc::clone(&store),
        KeyFormat::new("sk_live").unwrap(),
        peppers,
    )
    .with_clock(Arc::new(clock.clone()));
    Fixture {
        store,
        clock,
        manager,
    }
}

/// Every string that differs from `key` in exactly one position, with the
/// replacement taken from the key alphabet.
pub fn one_char_mutations(key: &str) -> Vec<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    let bytes = key.as_bytes();
    let mut out = Vec::new();
    for i in 0..bytes.len() {
        for &c in ALPHABET.iter().step_by(7) {
            if c != bytes[i] {
                let mut mutated = bytes.to_vec();
                mutated[i] = c;
                out.push(String::from_utf8(mutated).unwrap());
            }
        }
    }
    out
}

/// A key with a valid checksum for any id and secret: what an attacker who
/// knows the (public) format can build.
pub fn forge(prefix: &str, id: &str, secret: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = format!("{prefix}_{id}_{secret}");
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut checksum = [b'0'; 6];
    for slot in checksum.iter_mut().rev() {
        *slot = ALPHABET[(crc % 62) as usize];
        crc /= 62;
    }
    format!("{body}{}", std::str::from_utf8(&checksum).unwrap())
}

/// The key with the same id but another secret, and a valid checksum.
pub fn with_wrong_secret(key: &str, prefix: &str) -> String {
    let id = &key[prefix.len() + 1..prefix.len() + 17];
    forge(prefix, id, &"Z".repeat(43))
}
