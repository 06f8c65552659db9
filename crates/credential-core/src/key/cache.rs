//! A cache in front of any key store.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher as _, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::key::id::KeyId;
use crate::key::pepper::KeyHash;
use crate::key::record::{CreditSpend, Credits, KeyRecord, KeyUpdate};
use crate::key::store::KeyStore;
use crate::store::StoreError;

/// How long a record is served from the cache by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
/// How long an unknown id is remembered as unknown by default.
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(5);
/// Records kept at most by default.
pub const DEFAULT_CAPACITY: usize = 100_000;
/// Unknown ids kept at most by default.
pub const DEFAULT_NEGATIVE_CAPACITY: usize = 100_000;

/// A change another server made, pushed by the shared store (PostgreSQL
/// `LISTEN`/`NOTIFY`, Redis pub/sub): what a cache must forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalidation {
    /// The record of this key changed.
    Key(KeyId),
    /// Anything may have changed: the push channel was lost and is back,
    /// or fell behind.
    All,
}

/// A cache in front of any [`KeyStore`], so that verification through a
/// networked store costs a map lookup instead of a round trip.
///
/// - A record is served for at most its TTL (default 5 s) after it was
///   read: that is the **maximum staleness** of a revocation, disable or
///   roll made by another server when no push arrives. Changes made
///   through this cache are seen at once.
/// - Ids the store does not know are remembered as unknown for the
///   negative TTL, in a map of their own with its own bound, so that
///   garbage keys neither reach the database more than once per id and
///   TTL nor push real keys out of the cache.
/// - Pushes from the shared store ([`Invalidation`], through
///   [`invalidator`](Self::invalidator)) make other servers' changes
///   visible as soon as they arrive. A store crate's listener forgets
///   everything when its channel is lost, so a server cut off from the
///   store stops serving from the cache and fails closed with the store.
/// - Writes go to the store and drop the entry, or bring it up to date;
///   spending a credit always reaches the store (and a key whose credits
///   refill is read again after a spend).
/// - Store errors are never cached.
///
/// ```
/// use credential_core::key::{CachedKeyStore, KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use credential_core::Verifier;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let shared = Arc::new(MemoryKeyStore::new()); // a database, in a fleet
/// let cached = Arc::new(CachedKeyStore::new(Arc::clone(&shared)).with_ttl(Duration::from_secs(2)));
/// let manager = KeyManager::new(cached, KeyFormat::new("sk_test")?, Peppers::new(Pepper::generate(1)?));
/// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
/// let principal = manager.verifier().verify(key.expose_secret(), None).await?;
/// assert_eq!(principal.subject(), "acme");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CachedKeyStore<S: ?Sized> {
    inner: Arc<S>,
    entries: Arc<Entries>,
    limits: Limits,
}

/// How long and how many entries are kept.
#[derive(Debug, Clone, Copy)]
struct Limits {
    ttl: Duration,
    negative_ttl: Duration,
    capacity: usize,
    negative_capacity: usize,
}

/// Shards of the forgetting counters: forgetting one id holds back only
/// the reads in flight of the ids that share its shard.
const SHARDS: usize = 64;

/// What is cached, shared with the [`Invalidator`]s.
struct Entries {
    /// Move on at every forgetting, before the entry goes: an answer read
    /// from the store before that is not kept, since it may predate the
    /// change. One counter for forgetting everything, one per shard of
    /// ids.
    everything: AtomicU64,
    shards: [AtomicU64; SHARDS],
    /// Picks an id's shard.
    hasher: RandomState,
    known: RwLock<HashMap<KeyId, Known>>,
    unknown: RwLock<HashMap<KeyId, Instant>>,
}

struct Known {
    record: Arc<KeyRecord>,
    read_at: Instant,
}

/// A handle that makes a [`CachedKeyStore`] forget what another server
/// changed; cheap to clone and to move into a listener task.
#[derive(Clone)]
pub struct Invalidator {
    entries: Arc<Entries>,
}

impl<S: KeyStore + ?Sized> CachedKeyStore<S> {
    /// A cache in front of `inner` with the default TTLs and bounds.
    pub fn new(inner: Arc<S>) -> Self {
        Self {
            inner,
            entries: Arc::new(Entries {
                everything: AtomicU64::new(0),
                shards: std::array::from_fn(|_| AtomicU64::new(0)),
                hasher: RandomState::new(),
                known: RwLock::default(),
                unknown: RwLock::default(),
            }),
            limits: Limits {
                ttl: DEFAULT_TTL,
                negative_ttl: DEFAULT_NEGATIVE_TTL,
                capacity: DEFAULT_CAPACITY,
                negative_capacity: DEFAULT_NEGATIVE_CAPACITY,
            },
        }
    }

    /// Serves records for at most `ttl` after reading them: the most a
    /// change made elsewhere can go unseen without a push. Zero caches
    /// nothing.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.limits.ttl = ttl;
        self
    }

    /// Remembers unknown ids for at most `ttl`. Zero remembers none.
    #[must_use]
    pub fn with_negative_ttl(mut self, ttl: Duration) -> Self {
        self.limits.negative_ttl = ttl;
        self
    }

    /// Keeps at most `records` records and `unknown` unknown ids.
    #[must_use]
    pub fn with_capacity(mut self, records: usize, unknown: usize) -> Self {
        self.limits.capacity = records;
        self.limits.negative_capacity = unknown;
        self
    }

    /// The store behind the cache.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    /// The handle a listener uses to push other servers' changes.
    pub fn invalidator(&self) -> Invalidator {
        Invalidator {
            entries: Arc::clone(&self.entries),
        }
    }

    /// How long records are served: the documented maximum staleness.
    pub fn ttl(&self) -> Duration {
        self.limits.ttl
    }
}

impl Invalidator {
    /// Forgets what `invalidation` names.
    pub fn apply(&self, invalidation: Invalidation) {
        match invalidation {
            Invalidation::Key(id) => self.entries.forget(&id),
            Invalidation::All => self.entries.forget_all(),
        }
    }
}

impl Entries {
    fn known(&self) -> RwLockWriteGuard<'_, HashMap<KeyId, Known>> {
        self.known.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn unknown(&self) -> RwLockWriteGuard<'_, HashMap<KeyId, Instant>> {
        self.unknown.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The counter that moves when `id` (or everything) is forgotten.
    fn shard(&self, id: &KeyId) -> &AtomicU64 {
        let index = usize::try_from(self.hasher.hash_one(id) % SHARDS as u64).unwrap_or(0);
        self.shards.get(index).unwrap_or(&self.everything)
    }

    /// The cached answer for `id`, if fresh under `limits`.
    fn lookup(&self, id: &KeyId, limits: &Limits) -> Option<Option<Arc<KeyRecord>>> {
        let now = Instant::now();
        if let Some(known) = self
            .known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            && now.duration_since(known.read_at) < limits.ttl
        {
            return Some(Some(Arc::clone(&known.record)));
        }
        if let Some(read_at) = self
            .unknown
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            && now.duration_since(*read_at) < limits.negative_ttl
        {
            return Some(None);
        }
        None
    }

    /// A mark to take before reading `id` from the store.
    fn mark(&self, id: &KeyId) -> Mark {
        Mark {
            everything: self.everything.load(Ordering::Acquire),
            shard: self.shard(id).load(Ordering::Acquire),
            read_at: Instant::now(),
        }
    }

    /// Whether nothing that concerns `id` was forgotten since `mark`.
    fn unchanged(&self, id: &KeyId, mark: &Mark) -> bool {
        self.everything.load(Ordering::Acquire) == mark.everything
            && self.shard(id).load(Ordering::Acquire) == mark.shard
    }

    /// Remembers what the store answered for `id`, read after `mark`,
    /// unless something that concerns it was forgotten since.
    fn remember(&self, id: KeyId, found: Option<&Arc<KeyRecord>>, mark: &Mark, limits: &Limits) {
        let read_at = mark.read_at;
        match found {
            Some(record) if !limits.ttl.is_zero() => {
                let mut known = self.known();
                if !self.unchanged(&id, mark) {
                    return;
                }
                self.unknown().remove(&id);
                make_room(&mut known, limits.capacity, |entry| {
                    read_at.duration_since(entry.read_at) >= limits.ttl
                });
                if known.len() < limits.capacity {
                    known.insert(
                        id,
                        Known {
                            record: Arc::clone(record),
                            read_at,
                        },
                    );
                }
            }
            None if !limits.negative_ttl.is_zero() => {
                let mut unknown = self.unknown();
                if !self.unchanged(&id, mark) {
                    return;
                }
                make_room(&mut unknown, limits.negative_capacity, |at| {
                    read_at.duration_since(*at) >= limits.negative_ttl
                });
                if unknown.len() < limits.negative_capacity {
                    unknown.insert(id, read_at);
                }
            }
            _ => {}
        }
    }

    fn forget(&self, id: &KeyId) {
        self.shard(id).fetch_add(1, Ordering::AcqRel);
        self.known().remove(id);
        self.unknown().remove(id);
    }

    fn forget_all(&self) {
        self.everything.fetch_add(1, Ordering::AcqRel);
        self.known().clear();
        self.unknown().clear();
    }
}

/// Taken before a read from the store: the forgetting counters and the
/// time.
struct Mark {
    everything: u64,
    shard: u64,
    read_at: Instant,
}

/// Makes room for one more entry in a map bounded to `capacity`: drops the
/// stale entries, then, if still full, every entry. A full map of fresh
/// entries is rare (the bound is far above a server's working set) and
/// emptying it costs only reads from the store.
fn make_room<V>(map: &mut HashMap<KeyId, V>, capacity: usize, stale: impl Fn(&V) -> bool) {
    if map.len() < capacity {
        return;
    }
    map.retain(|_, value| !stale(value));
    if map.len() >= capacity {
        map.clear();
    }
}

#[async_trait]
impl<S: KeyStore + ?Sized> KeyStore for CachedKeyStore<S> {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        let id = record.id;
        let outcome = self.inner.insert(record).await;
        // An unknown id is unknown no more, whatever the outcome.
        self.entries.forget(&id);
        outcome
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        if let Some(cached) = self.entries.lookup(id, &self.limits) {
            return Ok(cached);
        }
        let mark = self.entries.mark(id);
        let found = self.inner.get(id).await?;
        self.entries
            .remember(*id, found.as_ref(), &mark, &self.limits);
        Ok(found)
    }

    fn get_immediate(&self, id: &KeyId) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        if let Some(cached) = self.entries.lookup(id, &self.limits) {
            return Some(Ok(cached));
        }
        let mark = self.entries.mark(id);
        let found = self.inner.get_immediate(id)?;
        if let Ok(found) = &found {
            self.entries
                .remember(*id, found.as_ref(), &mark, &self.limits);
        }
        Some(found)
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.inner.list_by_subject(subject).await
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        let outcome = self.inner.update(id, update).await;
        self.entries.forget(id);
        outcome
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        let new_id = new.id;
        let outcome = self.inner.roll(old, grace_until, new).await;
        self.entries.forget(old);
        self.entries.forget(&new_id);
        outcome
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        let outcome = self.inner.upgrade_hash(id, expected, new).await;
        self.entries.forget(id);
        outcome
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.inner.record_use(id, at).await?;
        // Keep the cached record in step, so the next verifications do not
        // write the use again until the granularity has passed.
        let mut known = self.entries.known();
        if let Some(entry) = known.get_mut(id)
            && entry.record.last_used_at.is_none_or(|last| last < at)
        {
            let mut record = KeyRecord::clone(&entry.record);
            record.last_used_at = Some(at);
            entry.record = Arc::new(record);
        }
        Ok(())
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        let outcome = self.inner.spend_credit(id, now).await;
        match &outcome {
            // Nothing was spent.
            Ok(CreditSpend::Unmetered | CreditSpend::Exhausted { .. }) => {}
            // The count the store now holds, when it is known; otherwise
            // the entry goes (only the count went stale, so reads in
            // flight for other keys are not held back).
            Ok(CreditSpend::Spent { remaining }) => {
                let mut known = self.entries.known();
                if let Some(entry) = known.get_mut(id) {
                    match entry.record.credits {
                        Some(credits) if credits.refill.is_none() => {
                            let mut record = KeyRecord::clone(&entry.record);
                            record.credits = Some(Credits {
                                remaining: *remaining,
                                ..credits
                            });
                            entry.record = Arc::new(record);
                        }
                        _ => {
                            known.remove(id);
                        }
                    }
                }
            }
            // The store's state is unknown.
            Err(_) => self.entries.forget(id),
        }
        outcome
    }
}

impl<S: ?Sized> fmt::Debug for CachedKeyStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedKeyStore")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Invalidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invalidator").finish_non_exhaustive()
    }
}
