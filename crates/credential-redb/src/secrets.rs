//! Signing keys and peppers kept in the store file.

use credential_core::StoreError;
use credential_core::key::Pepper;
use credential_core::token::KeyRing;
use credential_core::token::jose::{Jwk, SigningKey};
use redb::{ReadableDatabase as _, ReadableTable as _};
use zeroize::Zeroizing;

use crate::error::RedbError;
use crate::{RedbStore, SECRETS, SIGNING_KEYS};

/// A signing key as kept: its place in the order of additions (8 bytes,
/// big-endian), then its private JWK.
fn stored_signing_key(seq: u64, jwk: &Jwk) -> Zeroizing<Vec<u8>> {
    let json = Zeroizing::new(jwk.to_json());
    let mut bytes = Zeroizing::new(Vec::with_capacity(8 + json.len()));
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(json.as_bytes());
    bytes
}

/// The order and the JWK of a kept signing key.
fn read_signing_key(bytes: &[u8]) -> Result<(u64, Jwk), RedbError> {
    let (seq, jwk) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| StoreError::Corrupt("a kept signing key is too short".into()))?;
    Ok((u64::from_be_bytes(*seq), Jwk::parse(jwk)?))
}

impl RedbStore {
    /// Keeps `key` as signing key `kid`: the last kept key signs when the
    /// ring is loaded again with [`key_ring`](Self::key_ring).
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn add_signing_key(&self, kid: &str, key: &SigningKey) -> Result<(), RedbError> {
        let inner = &self.inner;
        let _writing = inner.write_lock();
        let tx = inner.db.begin_write()?;
        {
            let mut table = tx.open_table(SIGNING_KEYS)?;
            let mut seq = 0;
            for entry in table.iter()? {
                let (_, value) = entry?;
                let (kept, _) = read_signing_key(value.value())?;
                seq = seq.max(kept.saturating_add(1));
            }
            let bytes = stored_signing_key(seq, &key.to_private_jwk(kid));
            table.insert(kid, bytes.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A key ring of every signing key kept here, in the order they were
    /// added, so the last one signs and the others still verify. When none
    /// is kept, `first` makes one (a kid and a key), which is kept first.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or written, a kept key cannot be read
    /// back, or `first` fails.
    pub fn key_ring<E>(
        &self,
        first: impl FnOnce() -> Result<(String, SigningKey), E>,
    ) -> Result<KeyRing, RedbError>
    where
        RedbError: From<E>,
    {
        let mut kept = self.signing_keys()?;
        if kept.is_empty() {
            let (kid, key) = first()?;
            self.add_signing_key(&kid, &key)?;
            kept = self.signing_keys()?;
        }
        let ring = KeyRing::new();
        for (kid, key) in kept {
            ring.add_signing_key(&kid, key)?;
        }
        Ok(ring)
    }

    /// Every signing key kept here, oldest first.
    fn signing_keys(&self) -> Result<Vec<(String, SigningKey)>, RedbError> {
        let tx = self.inner.db.begin_read()?;
        let table = tx.open_table(SIGNING_KEYS)?;
        let mut kept = Vec::new();
        for entry in table.iter()? {
            let (kid, value) = entry?;
            let (seq, jwk) = read_signing_key(value.value())?;
            kept.push((seq, kid.value().to_owned(), SigningKey::from_jwk(&jwk)?));
        }
        kept.sort_by_key(|(seq, _, _)| *seq);
        Ok(kept.into_iter().map(|(_, kid, key)| (kid, key)).collect())
    }

    /// Pepper `version` of the peppers named `name`, made and kept on first
    /// use.
    ///
    /// The pepper then lives in the same file as the hashes it keys. That
    /// suits a single server that must start with zero setup; a server
    /// that wants a leaked store file to be useless without a second
    /// secret loads its peppers from a secret manager instead and passes
    /// them to [`KeyManager`](credential_core::key::KeyManager) itself.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or written, the system random number
    /// generator fails, or the kept bytes are not a pepper.
    pub fn pepper(&self, name: &str, version: u32) -> Result<Pepper, RedbError> {
        let id = format!("pepper:{name}:v{version}");
        let inner = &self.inner;
        let _writing = inner.write_lock();
        let tx = inner.db.begin_write()?;
        let pepper = {
            let mut table = tx.open_table(SECRETS)?;
            let kept = table
                .get(id.as_str())?
                .map(|value| Zeroizing::new(value.value().to_vec()));
            match kept {
                Some(bytes) => Pepper::new(version, &bytes)?,
                None => {
                    let pepper = Pepper::generate(version)?;
                    table.insert(id.as_str(), pepper.expose_secret())?;
                    pepper
                }
            }
        };
        tx.commit()?;
        Ok(pepper)
    }
}
