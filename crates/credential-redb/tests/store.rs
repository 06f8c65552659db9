//! The redb store: the conformance suite, and everything surviving a
//! restart.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use std::future::Ready;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use credential_core::key::{KeyFormat, KeyManager, NewKey, Peppers};
use credential_core::testing::{SetupError, conformance};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{RevocationStore, TokenIssuer, TokenVerifier, Validation};
use credential_core::{Reason, Verifier};
use credential_redb::RedbStore;

/// A scratch directory of this test process, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "credential-redb-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh store in its own file under `scratch`.
fn fresh(scratch: &Scratch) -> impl Fn() -> Ready<Result<Arc<RedbStore>, SetupError>> + '_ {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    move || {
        let path = scratch.file(&format!("{}.redb", NEXT.fetch_add(1, Ordering::SeqCst)));
        std::future::ready(RedbStore::open(path).map(Arc::new).map_err(Into::into))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redb_store_conforms() {
    let scratch = Scratch::new("conformance");
    conformance::key_store(fresh(&scratch)).await.unwrap();
    conformance::revocation_store(fresh(&scratch))
        .await
        .unwrap();
    conformance::refresh_store(fresh(&scratch)).await.unwrap();
}

#[tokio::test]
async fn keys_tokens_and_revocations_survive_a_restart() {
    let scratch = Scratch::new("restart");
    let path = scratch.file("demo.redb");
    let format = KeyFormat::new("sk_test").unwrap();
    let validation = Validation::new("https://api.example");

    let (key, revoked_key, token, revoked_token) = {
        let store = Arc::new(RedbStore::open(&path).unwrap());
        let peppers = Peppers::new(store.pepper("keys", 1).unwrap());
        let keys = KeyManager::new(Arc::clone(&store), format.clone(), peppers);
        let key = keys
            .create(NewKey::new("acme", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        let revoked = keys
            .create(NewKey::new("acme", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        keys.revoke(&revoked.record.id).await.unwrap();

        let ring = store
            .key_ring(|| SigningKey::generate(Algorithm::EdDSA).map(|key| ("k1".to_owned(), key)))
            .unwrap();
        let issuer = TokenIssuer::new(ring, "https://api.example");
        let token = issuer.mint_for_key(&key.record, None).unwrap();
        let revoked_token = issuer.mint_for_key(&key.record, None).unwrap();
        store
            .revoke_token(&revoked_token.jti, revoked_token.expires_at)
            .await
            .unwrap();
        (
            key.key.expose_secret().to_owned(),
            revoked.key.expose_secret().to_owned(),
            token.token.expose_secret().to_owned(),
            revoked_token.token.expose_secret().to_owned(),
        )
    };

    // A new process: everything is read back from the file.
    let store = Arc::new(RedbStore::open(&path).unwrap());
    let peppers = Peppers::new(store.pepper("keys", 1).unwrap());
    let keys = KeyManager::new(Arc::clone(&store), format, peppers);
    let verifier = keys.verifier();
    assert_eq!(verifier.verify(&key, None).await.unwrap().subject(), "acme");
    assert_eq!(
        verifier
            .verify(&revoked_key, None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Revoked
    );

    let ring = store
        .key_ring(|| -> Result<_, credential_core::token::jose::JoseError> {
            panic!("the kept signing key must be found")
        })
        .unwrap();
    assert_eq!(ring.signing_key_id().as_deref(), Some("k1"));
    let tokens = TokenVerifier::new(ring, validation).with_revocations(Arc::clone(&store) as _);
    assert_eq!(tokens.verify(&token, None).await.unwrap().subject(), "acme");
    assert_eq!(
        tokens
            .verify(&revoked_token, None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Revoked
    );
}

#[tokio::test]
async fn the_file_is_private_and_held_by_one_process() {
    let scratch = Scratch::new("private");
    let path = scratch.file("keys.redb");
    let store = RedbStore::open(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A file that others could read is made private on opening.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open_to_all = scratch.file("open.redb");
        std::fs::write(&open_to_all, b"").unwrap();
        std::fs::set_permissions(&open_to_all, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(RedbStore::open(&open_to_all).unwrap());
        let mode = std::fs::metadata(&open_to_all)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second opening of a file in use fails instead of sharing it.
    assert!(RedbStore::open(&path).is_err());
    drop(store);
    assert!(RedbStore::open(&path).is_ok());

    let not_redb = scratch.file("not-redb");
    std::fs::write(&not_redb, b"this is not a database").unwrap();
    assert!(RedbStore::open(&not_redb).is_err());
}

#[tokio::test]
async fn peppers_and_signing_keys_are_made_once_and_kept() {
    let scratch = Scratch::new("secrets");
    let path = scratch.file("secrets.redb");
    let (pepper, jwks) = {
        let store = RedbStore::open(&path).unwrap();
        let pepper = store.pepper("keys", 1).unwrap();
        assert_eq!(
            store.pepper("keys", 1).unwrap().expose_secret(),
            pepper.expose_secret()
        );
        assert_ne!(
            store.pepper("keys", 2).unwrap().expose_secret(),
            pepper.expose_secret()
        );
        assert_ne!(
            store.pepper("refresh", 1).unwrap().expose_secret(),
            pepper.expose_secret()
        );
        let ring = store
            .key_ring(|| SigningKey::generate(Algorithm::EdDSA).map(|key| ("k1".to_owned(), key)))
            .unwrap();
        store
            .add_signing_key("k2", &SigningKey::generate(Algorithm::EdDSA).unwrap())
            .unwrap();
        (pepper.expose_secret().to_vec(), ring.public_jwks())
    };
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        store.pepper("keys", 1).unwrap().expose_secret(),
        pepper.as_slice()
    );
    let ring = store
        .key_ring(|| -> Result<_, credential_core::token::jose::JoseError> {
            panic!("kept keys must be found")
        })
        .unwrap();
    // The last key added signs; the first still verifies.
    assert_eq!(ring.signing_key_id().as_deref(), Some("k2"));
    let k1 = jwks
        .keys()
        .iter()
        .find(|jwk| jwk.kid() == Some("k1"))
        .unwrap()
        .to_json();
    let now_public = ring.public_jwks();
    assert!(now_public.keys().iter().any(|jwk| jwk.to_json() == k1));
    assert!(!format!("{store:?}").contains(&format!("{:?}", pepper)));
}
