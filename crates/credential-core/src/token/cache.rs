//! Access tokens that passed their signature and claim checks, kept so that
//! the same token presented again skips the signature and the parsing.
//!
//! A hit needs the exact bytes of a token verified before, by the same
//! verifier, while the key ring is unchanged: every change to the ring
//! (a key added, rotated, retired or removed) makes every entry stale.
//! What depends on the moment is checked again on every hit by the
//! caller: `exp`, `nbf`, the key's retirement time, revocation and scopes.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::token::claims::Claims;

/// How many tokens a [`TokenVerifier`](super::TokenVerifier) keeps unless
/// told otherwise.
pub const DEFAULT_CACHE_CAPACITY: usize = 1024;

/// Locks are split so that workers verifying different tokens rarely wait
/// for each other.
const SHARDS: usize = 8;

/// The bytes hashed to find a token: the end of its signature, which
/// differs between any two tokens a key signed.
const HASHED_SUFFIX: usize = 32;

/// One shard: entries by the keyed hash of their token, which is already
/// uniform and unknown to callers, so the map uses it as it is.
type Shard = Mutex<HashMap<u64, Entry, BuildHasherDefault<Passthrough>>>;

/// A bounded map from token bytes to the claims they verified to.
pub(crate) struct VerifiedTokens {
    shards: Box<[Shard]>,
    per_shard: usize,
    hasher: RandomState,
}

/// One verified token.
struct Entry {
    /// The whole token: a bearer credential, wiped when the entry goes.
    token: Zeroizing<Box<[u8]>>,
    claims: Arc<Claims>,
    /// The key ring's generation the token was verified against.
    generation: u64,
    /// When the entry stops being of use: the key that signed the token
    /// retires, or the token expires (leeway included).
    until: Option<OffsetDateTime>,
}

impl Entry {
    fn is_current(&self, generation: u64, now: OffsetDateTime) -> bool {
        self.generation == generation && self.until.is_none_or(|until| now < until)
    }
}

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens (rounded up to a multiple of the
    /// shard count); `None` when `capacity` is 0.
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let shards = capacity.min(SHARDS);
        Some(Self {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(shards),
            hasher: RandomState::new(),
        })
    }

    /// The most tokens kept at once.
    pub(crate) fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    /// How many tokens are kept now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// The claims `token` verified to against ring `generation`, when it
    /// was verified before and is still of use at `now`. The comparison of
    /// the bytes takes the same time wherever they differ.
    pub(crate) fn get(
        &self,
        token: &[u8],
        generation: u64,
        now: OffsetDateTime,
    ) -> Option<Arc<Claims>> {
        let (hash, shard) = self.locate(token)?;
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.get(&hash)?;
        if !equal_in_constant_time(&entry.token, token) {
            return None;
        }
        if entry.is_current(generation, now) {
            Some(Arc::clone(&entry.claims))
        } else {
            map.remove(&hash);
            None
        }
    }

    /// Keeps `token`, which verified to `claims` against ring `generation`
    /// and is of use until `until` (its key's retirement or its expiry,
    /// whichever comes first). When the shard is full, an arbitrary entry
    /// makes room: entries that are no longer of use go when next looked
    /// up, so an insertion never scans the shard.
    pub(crate) fn insert(
        &self,
        token: &[u8],
        claims: Arc<Claims>,
        generation: u64,
        until: Option<OffsetDateTime>,
    ) {
        let Some((hash, shard)) = self.locate(token) else {
            return;
        };
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.per_shard
            && !map.contains_key(&hash)
            && let Some(&victim) = map.keys().next()
        {
            map.remove(&victim);
        }
        map.insert(
            hash,
            Entry {
                token: Zeroizing::new(token.into()),
                claims,
                generation,
                until,
            },
        );
    }

    /// The hash of `token` and the shard it belongs to.
    fn locate(&self, token: &[u8]) -> Option<(u64, &Shard)> {
        let suffix = token
            .get(token.len().saturating_sub(HASHED_SUFFIX)..)
            .unwrap_or(token);
        let hash = self.hasher.hash_one(suffix);
        // The shard from the middle bits: the map itself uses the lowest
        // (the slot) and the highest seven (the tag).
        let index = usize::try_from((hash >> 32) % self.shards.len() as u64).ok()?;
        Some((hash, self.shards.get(index)?))
    }
}

/// The hasher of a map keyed by hashes: the key is the hash.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; anything else is folded in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedTokens")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

/// Whether `a` and `b` hold the same bytes, in a time that depends only on
/// their lengths: eight bytes at a time, differences gathered with no
/// early exit, and the result read by `subtle`.
fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |chunk: &[u8]| {
        let mut bytes = [0u8; 8];
        bytes
            .iter_mut()
            .zip(chunk)
            .for_each(|(to, from)| *to = *from);
        u64::from_le_bytes(bytes)
    };
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = word(a_words.remainder()) ^ word(b_words.remainder());
    let difference = a_words
        .zip(b_words)
        .fold(tail, |acc, (x, y)| acc | (word(x) ^ word(y)));
    difference.ct_eq(&0).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_900_000_000 + seconds)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn claims(exp: i64) -> Arc<Claims> {
        let json = format!(r#"{{"sub":"acme","exp":{}}}"#, at(exp).unix_timestamp());
        Arc::new(Claims::parse_strict(json.as_bytes()).unwrap_or_else(|_| Claims::empty()))
    }

    #[test]
    fn constant_time_equality_is_equality() {
        let text = b"header.payload.signature-of-some-length-0123456789";
        for len in 0..text.len() {
            let (a, b) = (&text[..len], &text[..len]);
            assert!(equal_in_constant_time(a, b));
            for at in 0..len {
                let mut changed = a.to_vec();
                changed[at] ^= 0x20;
                assert!(!equal_in_constant_time(a, &changed), "{len} {at}");
            }
            assert!(!equal_in_constant_time(a, &text[..len + 1]));
        }
    }

    #[test]
    fn a_hit_needs_the_same_bytes_generation_and_a_live_token() {
        let Some(cache) = VerifiedTokens::new(16) else {
            panic!("a cache of 16");
        };
        let token = b"aaaa.bbbb.the-same-signature-suffix-for-both-of-them";
        let other = b"aaab.bbbb.the-same-signature-suffix-for-both-of-them";
        cache.insert(token, claims(60), 7, Some(at(60)));
        assert!(cache.get(token, 7, at(0)).is_some());
        // Same hashed suffix, different bytes: no hit.
        assert!(cache.get(other, 7, at(0)).is_none());
        assert!(cache.get(&token[1..], 7, at(0)).is_none());
        // No longer of use: gone.
        assert!(cache.get(token, 7, at(60)).is_none());
        assert_eq!(cache.len(), 0);

        cache.insert(token, claims(60), 7, None);
        // The ring changed: gone.
        assert!(cache.get(token, 8, at(0)).is_none());
        assert_eq!(cache.len(), 0);

        cache.insert(token, claims(60), 7, Some(at(10)));
        assert!(cache.get(token, 7, at(9)).is_some());
        assert!(cache.get(token, 7, at(10)).is_none());
    }

    #[test]
    fn the_cache_never_holds_more_than_its_capacity() {
        let Some(cache) = VerifiedTokens::new(20) else {
            panic!("a cache of 20");
        };
        assert_eq!(cache.capacity(), 24);
        for i in 0..1000 {
            let token = format!("header.payload.signature-{i:08}");
            cache.insert(token.as_bytes(), claims(60), 1, None);
            assert!(cache.len() <= cache.capacity());
            assert!(cache.get(token.as_bytes(), 1, at(0)).is_some(), "{i}");
        }
        assert!(cache.len() > cache.capacity() / 2);
        assert!(VerifiedTokens::new(0).is_none());
        let Some(one) = VerifiedTokens::new(1) else {
            panic!("a cache of 1");
        };
        assert_eq!(one.capacity(), 1);
    }
}
