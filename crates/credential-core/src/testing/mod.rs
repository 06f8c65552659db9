//! Fixtures for testing code built on this crate, behind the `testing`
//! feature: keys and tokens on a manual clock over a key store that can be
//! taken down, a verifier that counts its calls, and the rejection table
//! as cases any HTTP adapter can replay.
//!
//! Adapters replay [`World::rejection_cases`] through their middleware and
//! compare each response with the case's expected [`Answer`]; every adapter
//! that passes answers every refusal byte for byte alike.
//!
//! [`conformance`] is the suite every store implementation runs;
//! [`TcpProxy`] cuts a store's connection for outage tests.
//!
//! Nothing here is meant for production: the fixtures unwrap nothing, but
//! they hold test keys in memory and read a manual clock.

pub mod conformance;
mod proxy;

pub use proxy::TcpProxy;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::{Duration, OffsetDateTime};

use crate::clock::ManualClock;
use crate::dispatch::CredentialVerifier;
use crate::key::{
    CreatedKey, CreditSpend, Credits, KeyFormat, KeyHash, KeyId, KeyManager, KeyRecord, KeyStore,
    KeyUpdate, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use crate::oauth::{OAuthEndpoints, OAuthFront};
use crate::ratelimit::RateLimit;
use crate::rejection::{FaceConfig, Reason, Rejection};
use crate::render::{Answer, Renderer};
use crate::scope::{Requirement, ScopeSet};
use crate::store::StoreError;
use crate::token::jose::{Algorithm, SigningKey};
use crate::token::{
    KeyRing, MemoryRefreshStore, MemoryRevocationStore, Refresher, TokenIssuer, TokenVerifier,
    Validation,
};
use crate::verify::{Verification, Verifier};

/// The fixtures' starting time: 2030-01-01 12:00 UTC.
pub const START: OffsetDateTime = match OffsetDateTime::from_unix_timestamp(1_893_499_200) {
    Ok(at) => at,
    Err(_) => OffsetDateTime::UNIX_EPOCH,
};
/// The issuer of the fixtures' access tokens.
pub const ISSUER: &str = "https://api.example";
/// The realm of the fixtures' refusals.
pub const REALM: &str = "reports";
/// The prefix of the fixtures' API keys.
pub const PREFIX: &str = "sk_test";
/// The scope the routes of [`World::rejection_cases`] require.
pub const REQUIRED: &str = "reports:read";

/// Why a fixture could not be set up: a bug in the fixture or the code
/// under test, reported rather than panicked.
pub type SetupError = Box<dyn std::error::Error + Send + Sync>;

/// The address of a test server in environment variable `var` (such as
/// `CREDENTIAL_TEST_POSTGRES_URL`), or `None` after saying on stderr that
/// `test` is skipped, so that tests needing a server pass without one.
pub fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("skipping {test}: {var} is not set");
            None
        }
    }
}

/// A name no other test or test run uses, for a schema or a key prefix:
/// `stem`, the process id, a counter and random bits, joined by
/// `separator`.
pub fn unique_name(stem: &str, separator: char) -> String {
    use std::hash::{BuildHasher as _, RandomState};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let random = RandomState::new().hash_one(n) & 0xffff_ffff;
    format!(
        "{stem}{separator}{}{separator}{n}{separator}{random:08x}",
        std::process::id()
    )
}

/// A memory key store that a test can take down, to see requests fail
/// closed, and that counts its lookups, to see what a cache spares it.
/// It never answers at once: every lookup waits, as a networked store's
/// does.
#[derive(Debug, Default)]
pub struct SwitchStore {
    inner: MemoryKeyStore,
    down: AtomicBool,
    gets: AtomicUsize,
}

impl SwitchStore {
    /// How many lookups ([`KeyStore::get`]) reached the store so far.
    pub fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }

    /// Takes the store down (every call fails as unavailable) or back up.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn up(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl KeyStore for SwitchStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        self.up()?;
        self.inner.insert(record).await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.up()?;
        self.inner.get(id).await
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.up()?;
        self.inner.list_by_subject(subject).await
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        self.up()?;
        self.inner.update(id, update).await
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        self.up()?;
        self.inner.roll(old, grace_until, new).await
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        self.up()?;
        self.inner.upgrade_hash(id, expected, new).await
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.up()?;
        self.inner.record_use(id, at).await
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        self.up()?;
        self.inner.spend_credit(id, now).await
    }
}

/// A verifier that counts the verifications of another that reached an
/// outcome. One that had to wait counts when its outcome arrives: a caller
/// that drops it unawaited (and starts over, as an adapter does after
/// [`Guard::check_values_now`](crate::guard::Guard::check_values_now))
/// has not verified anything.
#[derive(Debug)]
pub struct Counting<V> {
    /// The verifier that answers.
    pub inner: V,
    /// How many verifications reached an outcome.
    pub calls: Arc<AtomicUsize>,
}

impl<V> Counting<V> {
    /// Counts the verifications of `inner`.
    pub fn new(inner: V) -> Self {
        Self {
            inner,
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many verifications reached an outcome so far.
    pub fn count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl<V: Verifier> Verifier for Counting<V> {
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a> {
        match self.inner.verify(credential, required).now() {
            Ok(outcome) => {
                self.calls.fetch_add(1, Ordering::SeqCst);
                Verification::ready(outcome)
            }
            Err(waiting) => Verification::waiting(async move {
                let outcome = waiting.await;
                self.calls.fetch_add(1, Ordering::SeqCst);
                outcome
            }),
        }
    }
}

/// Keys, EdDSA access tokens and refresh tokens on one manual clock,
/// starting at [`START`].
#[derive(Debug)]
pub struct World {
    /// The clock every component reads.
    pub clock: ManualClock,
    /// The key store, which can be taken down.
    pub store: Arc<SwitchStore>,
    /// Keys with prefix [`PREFIX`], revoking their tokens on revocation.
    pub manager: KeyManager<SwitchStore>,
    /// The signing keys (`k1`, EdDSA).
    pub ring: KeyRing,
    /// Mints access tokens of issuer [`ISSUER`].
    pub issuer: TokenIssuer,
    /// Verifies them, against [`revocations`](Self::revocations).
    pub tokens: TokenVerifier,
    /// Revoked tokens.
    pub revocations: Arc<MemoryRevocationStore>,
}

impl World {
    /// A fresh world at [`START`].
    ///
    /// # Errors
    ///
    /// When a fixture cannot be built, which is a bug.
    pub fn new() -> Result<Self, SetupError> {
        let clock = ManualClock::new(START);
        let shared_clock = Arc::new(clock.clone());
        let store = Arc::new(SwitchStore::default());
        let revocations = Arc::new(MemoryRevocationStore::new());
        let manager = KeyManager::new(
            Arc::clone(&store),
            KeyFormat::new(PREFIX)?,
            Peppers::new(Pepper::generate(1)?),
        )
        .with_clock(shared_clock.clone())
        .with_token_revocation(revocations.clone(), Duration::minutes(15));
        let ring = KeyRing::new();
        ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA)?)?;
        let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_clock(shared_clock.clone());
        let tokens = TokenVerifier::new(ring.clone(), Validation::new(ISSUER))
            .with_revocations(revocations.clone())
            .with_clock(shared_clock);
        Ok(Self {
            clock,
            store,
            manager,
            ring,
            issuer,
            tokens,
            revocations,
        })
    }

    /// A key of subject `acme` with `scopes`.
    ///
    /// # Errors
    ///
    /// When the scopes do not parse or the store is down.
    pub async fn key(&self, scopes: &str) -> Result<CreatedKey, SetupError> {
        self.create(NewKey::new("acme", scopes.parse()?)).await
    }

    /// A key as `new` describes it.
    ///
    /// # Errors
    ///
    /// When the store is down.
    pub async fn create(&self, new: NewKey) -> Result<CreatedKey, SetupError> {
        Ok(self.manager.create(new).await?)
    }

    /// An access token for `key`, narrowed to `scopes` when given.
    ///
    /// # Errors
    ///
    /// When the scopes do not parse or are not the key's.
    pub fn token(&self, key: &CreatedKey, scopes: Option<&str>) -> Result<String, SetupError> {
        let scopes: Option<ScopeSet> = scopes.map(str::parse).transpose()?;
        let issued = self.issuer.mint_for_key(&key.record, scopes.as_ref())?;
        Ok(issued.token.expose_secret().to_owned())
    }

    /// Keys and tokens through one verifier.
    pub fn verifier(&self) -> CredentialVerifier<SwitchStore> {
        CredentialVerifier::new(self.manager.verifier(), self.tokens.clone())
    }

    /// A refresher (prefix `rt_test`) with the given reuse grace.
    ///
    /// # Errors
    ///
    /// When a fixture cannot be built, which is a bug.
    pub fn refresher(&self, grace: Duration) -> Result<Refresher, SetupError> {
        let keys: Arc<dyn KeyStore> = self.store.clone();
        Ok(Refresher::new(
            Arc::new(MemoryRefreshStore::new()),
            keys,
            KeyFormat::new("rt_test")?,
            self.manager.format(),
            Arc::new(Peppers::new(Pepper::generate(1)?)),
        )?
        .with_reuse_grace(grace)
        .with_revocations(self.revocations.clone())
        .with_clock(Arc::new(self.clock.clone())))
    }

    /// The OAuth endpoints, with a refresher of 5 s reuse grace.
    ///
    /// # Errors
    ///
    /// When a fixture cannot be built, which is a bug.
    pub fn endpoints(&self) -> Result<OAuthEndpoints<SwitchStore>, SetupError> {
        Ok(OAuthEndpoints::new(
            self.manager.verifier(),
            self.issuer.clone(),
            self.tokens.clone(),
        )
        .with_refresher(self.refresher(Duration::seconds(5))?)
        .with_clock(Arc::new(self.clock.clone())))
    }

    /// Realm [`REALM`], credits refused with 429.
    ///
    /// # Errors
    ///
    /// Never: the realm is a valid one.
    pub fn faces(&self) -> Result<FaceConfig, SetupError> {
        Ok(FaceConfig::new(REALM)?)
    }

    /// Every row of the rejection table, as requests to a route that
    /// requires [`REQUIRED`] behind middleware over
    /// [`verifier`](Self::verifier) with realm [`REALM`], and the answer
    /// each must get. Keys and tokens are created here; rate-limited and
    /// metered keys have already spent what they had.
    ///
    /// # Errors
    ///
    /// When a fixture cannot be built, which is a bug.
    pub async fn rejection_cases(&self) -> Result<Vec<RejectionCase>, SetupError> {
        let renderer = Renderer::new(self.faces()?);
        let answer = |rejection: Rejection| renderer.render(&rejection);
        let invalid = || answer(Rejection::new(Reason::Revoked));
        let bearer = |credential: &str| ("authorization", format!("Bearer {credential}"));
        let key = |created: &CreatedKey| ("x-api-key", created.key.expose_secret().to_owned());

        let live = self.key(REQUIRED).await?;
        let writer = self.key("reports:write").await?;
        let revoked = self.key(REQUIRED).await?;
        self.manager.revoke(&revoked.record.id).await?;
        let disabled = self.key(REQUIRED).await?;
        self.manager.disable(&disabled.record.id).await?;
        let unknown = {
            let other = KeyManager::new(
                Arc::new(MemoryKeyStore::new()),
                KeyFormat::new(PREFIX)?,
                Peppers::new(Pepper::generate(1)?),
            );
            other.create(NewKey::new("acme", REQUIRED.parse()?)).await?
        };
        let forged = {
            let ring = KeyRing::new();
            ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA)?)?;
            let issued = TokenIssuer::new(ring, ISSUER).mint_for_key(&live.record, None)?;
            issued.token.expose_secret().to_owned()
        };
        let expired_token = {
            let past = ManualClock::new(START - Duration::hours(2));
            let issuer = self.issuer.clone().with_clock(Arc::new(past));
            issuer
                .mint_for_key(&live.record, None)?
                .token
                .expose_secret()
                .to_owned()
        };
        let limited = self
            .create(
                NewKey::new("acme", REQUIRED.parse()?)
                    .rate_limit(RateLimit::new(1, Duration::minutes(1))?),
            )
            .await?;
        let metered = self
            .create(NewKey::new("acme", REQUIRED.parse()?).credits(Credits::new(1)))
            .await?;
        let required = Requirement::parse(REQUIRED)?;
        for spent in [&limited, &metered] {
            self.verifier()
                .verify(spent.key.expose_secret(), Some(&required))
                .await?;
        }
        let narrowed = self.token(
            &self.key("reports:read reports:write").await?,
            Some("reports:write"),
        )?;

        let case = |name, headers: Vec<(&'static str, String)>, expected| RejectionCase {
            name,
            headers,
            store_down: false,
            expected,
        };
        Ok(vec![
            case(
                "no credential",
                vec![],
                answer(Rejection::new(Reason::Missing)),
            ),
            case(
                "two credentials",
                vec![key(&live), bearer(&self.token(&live, None)?)],
                answer(Rejection::new(Reason::Malformed)),
            ),
            case(
                "a bearer token outside RFC 6750's syntax",
                vec![("authorization", "Bearer a b".to_owned())],
                answer(Rejection::new(Reason::Malformed)),
            ),
            case("an unknown key", vec![key(&unknown)], invalid()),
            case("a revoked key", vec![key(&revoked)], invalid()),
            case("a disabled key", vec![key(&disabled)], invalid()),
            case(
                "a key with a bad checksum",
                vec![("x-api-key", tamper(live.key.expose_secret()))],
                invalid(),
            ),
            case(
                "a token with a bad signature",
                vec![bearer(&forged)],
                invalid(),
            ),
            case("an expired token", vec![bearer(&expired_token)], invalid()),
            case(
                "a key without the scope",
                vec![key(&writer)],
                answer(Rejection::insufficient_scope(REQUIRED.parse()?)),
            ),
            case(
                "a token narrowed to another scope",
                vec![bearer(&narrowed)],
                answer(Rejection::insufficient_scope(REQUIRED.parse()?)),
            ),
            case(
                "a rate-limited key",
                vec![key(&limited)],
                answer(Rejection::rate_limited(std::time::Duration::from_secs(60))),
            ),
            case(
                "a key whose credits are used up",
                vec![key(&metered)],
                answer(Rejection::credits_exhausted(None)),
            ),
            RejectionCase {
                name: "a store outage",
                headers: vec![key(&live)],
                store_down: true,
                expected: answer(Rejection::new(Reason::StoreUnavailable)),
            },
        ])
    }
}

impl World {
    /// The OAuth front the OAuth cases run against: the world's endpoints,
    /// realm [`REALM`], introspection requiring `tokens:introspect`.
    ///
    /// # Errors
    ///
    /// When a fixture cannot be built, which is a bug.
    pub fn oauth_front(&self) -> Result<OAuthFront<SwitchStore>, SetupError> {
        Ok(OAuthFront::new(self.endpoints()?, self.faces()?)
            .require_for_introspection("tokens:introspect")?)
    }

    /// Each OAuth endpoint's success and the errors it can return, as
    /// requests to an adapter serving `front` at the default paths, with
    /// introspection and revocation callers also accepted by middleware
    /// over [`verifier`](Self::verifier) (realm [`REALM`]). Refresh tokens
    /// are obtained from `front` here, so the adapter must serve this very
    /// front.
    ///
    /// # Errors
    ///
    /// When a fixture cannot be built, which is a bug.
    pub async fn oauth_cases(
        &self,
        front: &OAuthFront<SwitchStore>,
    ) -> Result<Vec<OAuthCase>, SetupError> {
        use crate::oauth::{INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH};

        let client = self.key("reports:read").await?;
        let other = self.key("reports:read").await?;
        let introspector = self.key("tokens:introspect").await?;
        let id = client.record.id.as_str().to_owned();
        let secret = client.key.expose_secret().to_owned();
        let basic = |id: &str, secret: &str| {
            let pair = format!("{}:{}", form_encode(id), form_encode(secret));
            (
                "authorization",
                format!("Basic {}", STANDARD.encode(pair.as_bytes())),
            )
        };
        let form_type = (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        );
        let client_basic = basic(&id, &secret).1;
        let head = front
            .check_head(
                Some(b"application/x-www-form-urlencoded"),
                &[client_basic.as_bytes()],
            )
            .map_err(|refused| format!("head refused: {}", refused.body()))?;
        let granted = front
            .token(&head, b"grant_type=client_credentials&scope=reports%3Aread")
            .await;
        let refresh = serde_json::from_str::<serde_json::Value>(granted.body())?
            .get("refresh_token")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or("the token endpoint gave no refresh token")?;
        let access = self.token(&client, None)?;
        let challenge = Some(format!(r#"Basic realm="{REALM}""#));
        let bearer = |key: &CreatedKey| {
            (
                "authorization",
                format!("Bearer {}", key.key.expose_secret()),
            )
        };

        let post =
            |name, path, headers: Vec<(&'static str, String)>, body: String, expected| OAuthCase {
                name,
                method: "POST",
                path,
                headers,
                body,
                expected,
            };
        let error =
            |status, code, challenge: Option<String>| Expected::error(status, code, challenge);
        Ok(vec![
            post(
                "client_credentials with Basic",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                "grant_type=client_credentials".into(),
                Expected::token(&[("token_type", "Bearer"), ("scope", "reports:read")]),
            ),
            post(
                "client_credentials with the form",
                TOKEN_PATH,
                vec![form_type.clone()],
                format!(
                    "grant_type=client_credentials&client_id={id}&client_secret={}",
                    form_encode(&secret)
                ),
                Expected::token(&[("token_type", "Bearer")]),
            ),
            post(
                "refresh_token",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                format!(
                    "grant_type=refresh_token&refresh_token={}",
                    form_encode(&refresh)
                ),
                Expected::json(200, &[("token_type", "Bearer")]),
            ),
            post(
                "a JSON body",
                TOKEN_PATH,
                vec![
                    ("content-type", "application/json".to_owned()),
                    basic(&id, &secret),
                ],
                r#"{"grant_type":"client_credentials"}"#.into(),
                error(400, "invalid_request", None),
            ),
            post(
                "no grant_type",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                "scope=reports%3Aread".into(),
                error(400, "invalid_request", None),
            ),
            post(
                "Authorization sent twice",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret), basic(&id, &secret)],
                "grant_type=client_credentials".into(),
                error(400, "invalid_request", None),
            ),
            post(
                "a body over the limit",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                format!(
                    "grant_type=client_credentials&pad={}",
                    "a".repeat(64 * 1024)
                ),
                error(400, "invalid_request", None),
            ),
            post(
                "a wrong secret with Basic",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, other.key.expose_secret())],
                "grant_type=client_credentials".into(),
                error(401, "invalid_client", challenge.clone()),
            ),
            post(
                "no client authentication",
                TOKEN_PATH,
                vec![form_type.clone()],
                "grant_type=client_credentials".into(),
                error(400, "invalid_client", None),
            ),
            post(
                "an unsupported grant",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                "grant_type=password".into(),
                error(400, "unsupported_grant_type", None),
            ),
            post(
                "a scope beyond the key's",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                "grant_type=client_credentials&scope=admin".into(),
                error(400, "invalid_scope", None),
            ),
            post(
                "an unknown refresh token",
                TOKEN_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                "grant_type=refresh_token&refresh_token=rt_test_nope".into(),
                error(400, "invalid_grant", None),
            ),
            post(
                "introspection by a caller with tokens:introspect",
                INTROSPECTION_PATH,
                vec![form_type.clone(), bearer(&introspector)],
                format!("token={access}"),
                Expected::json(200, &[("token_type", "Bearer")]).active(true),
            ),
            post(
                "introspection of an unknown token",
                INTROSPECTION_PATH,
                vec![form_type.clone(), bearer(&introspector)],
                "token=nope".into(),
                Expected::json(200, &[]).active(false),
            ),
            post(
                "introspection by a caller without tokens:introspect",
                INTROSPECTION_PATH,
                vec![form_type.clone(), bearer(&client)],
                format!("token={access}"),
                Expected::refusal(
                    403,
                    "insufficient_scope",
                    format!(
                        r#"Bearer realm="{REALM}", error="insufficient_scope", scope="tokens:introspect""#
                    ),
                ),
            ),
            post(
                "introspection by a caller with a bad bearer token and good client credentials",
                INTROSPECTION_PATH,
                vec![
                    form_type.clone(),
                    ("authorization", "Bearer sk_test_not-a-key".to_owned()),
                ],
                format!(
                    "token={access}&client_id={id}&client_secret={}",
                    form_encode(&secret)
                ),
                Expected::refusal(
                    400,
                    "invalid_request",
                    format!(r#"Bearer realm="{REALM}", error="invalid_request""#),
                ),
            ),
            post(
                "introspection without caller credentials",
                INTROSPECTION_PATH,
                vec![form_type.clone()],
                format!("token={access}"),
                error(400, "invalid_client", None),
            ),
            post(
                "introspection without a token",
                INTROSPECTION_PATH,
                vec![form_type.clone(), bearer(&introspector)],
                String::new(),
                error(400, "invalid_request", None),
            ),
            post(
                "revocation by the client",
                REVOCATION_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                format!("token={access}"),
                Expected::empty(200),
            ),
            post(
                "revocation without a token",
                REVOCATION_PATH,
                vec![form_type.clone(), basic(&id, &secret)],
                String::new(),
                error(400, "invalid_request", None),
            ),
            post(
                "revocation with a wrong client secret",
                REVOCATION_PATH,
                vec![form_type.clone(), basic(other.record.id.as_str(), &secret)],
                format!("token={access}"),
                error(401, "invalid_client", challenge),
            ),
            OAuthCase {
                name: "the JWKS document",
                method: "GET",
                path: JWKS_PATH,
                headers: vec![],
                body: String::new(),
                expected: Expected::jwks(),
            },
        ])
    }
}

/// `value` percent-encoded for a form or a Basic credential (RFC 6749
/// §2.3.1).
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One request to an OAuth endpoint and what its answer must show.
#[derive(Debug, Clone)]
pub struct OAuthCase {
    /// What the case shows.
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The endpoint's default path.
    pub path: &'static str,
    /// Headers to send, repeated names included.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
    /// What the answer must show.
    pub expected: Expected,
}

/// What an OAuth answer must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The status.
    pub status: u16,
    /// The `error` member, for an error.
    pub error: Option<&'static str>,
    /// The exact `WWW-Authenticate` header, or its absence.
    pub challenge: Option<String>,
    /// String members the JSON body must hold.
    pub members: Vec<(&'static str, &'static str)>,
    /// The `active` member of an introspection answer.
    pub active: Option<bool>,
    /// Whether `Cache-Control: no-store` and `Pragma: no-cache` are sent.
    pub no_store: bool,
    /// Whether the body is a JWK Set of public keys only.
    pub jwks: bool,
    /// Whether the body is a token answer: `access_token` and `expires_in`.
    pub token: bool,
}

impl Expected {
    fn json(status: u16, members: &[(&'static str, &'static str)]) -> Self {
        Self {
            status,
            error: None,
            challenge: None,
            members: members.to_vec(),
            active: None,
            no_store: true,
            jwks: false,
            token: false,
        }
    }

    /// A token answer with `members`.
    fn token(members: &[(&'static str, &'static str)]) -> Self {
        Self {
            token: true,
            ..Self::json(200, members)
        }
    }

    fn error(status: u16, code: &'static str, challenge: Option<String>) -> Self {
        Self {
            error: Some(code),
            challenge,
            ..Self::json(status, &[])
        }
    }

    /// A refusal of the rejection table, rendered by the front.
    fn refusal(status: u16, code: &'static str, challenge: String) -> Self {
        Self {
            error: Some(code),
            challenge: Some(challenge),
            no_store: false,
            ..Self::json(status, &[])
        }
    }

    /// An empty answer, such as revocation's 200.
    fn empty(status: u16) -> Self {
        Self {
            no_store: false,
            ..Self::json(status, &[])
        }
    }

    fn jwks() -> Self {
        Self {
            no_store: false,
            jwks: true,
            ..Self::json(200, &[])
        }
    }

    fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// Checks an answer's status, headers and body; `Err` says what
    /// differs.
    ///
    /// # Errors
    ///
    /// A description of the first difference.
    pub fn check(
        &self,
        status: u16,
        header: &dyn Fn(&str) -> Vec<String>,
        body: &str,
    ) -> Result<(), String> {
        let one = |name: &str| {
            let values = header(name);
            match values.as_slice() {
                [] => Ok(None),
                [one] => Ok(Some(one.clone())),
                _ => Err(format!("{name} sent {} times", values.len())),
            }
        };
        if status != self.status {
            return Err(format!("status {status}, expected {}: {body}", self.status));
        }
        let challenge = one("www-authenticate")?;
        if challenge != self.challenge {
            return Err(format!(
                "www-authenticate {challenge:?}, expected {:?}",
                self.challenge
            ));
        }
        let no_store = one("cache-control")?.as_deref() == Some("no-store")
            && one("pragma")?.as_deref() == Some("no-cache");
        if no_store != self.no_store {
            return Err(format!(
                "no-store headers: {no_store}, expected {}",
                self.no_store
            ));
        }
        let is_json = self.error.is_some()
            || !self.members.is_empty()
            || self.active.is_some()
            || self.jwks
            || self.token;
        if !is_json {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!("a body where none was expected: {body}"))
            };
        }
        if one("content-type")?.as_deref() != Some("application/json") {
            return Err(format!("content-type {:?}", header("content-type")));
        }
        let json: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body}"))?;
        let text = |name: &str| json.get(name).and_then(serde_json::Value::as_str);
        if let Some(code) = self.error
            && text("error") != Some(code)
        {
            return Err(format!("error is not {code}: {body}"));
        }
        if let Some((name, value)) = self.members.iter().find(|(n, v)| text(n) != Some(*v)) {
            return Err(format!("{name} is not {value}: {body}"));
        }
        match self.active {
            Some(true) if json.get("active") != Some(&serde_json::Value::Bool(true)) => {
                return Err(format!("not active: {body}"));
            }
            // An inactive token's answer says nothing else (RFC 7662 §2.2).
            Some(false) if json != serde_json::json!({ "active": false }) => {
                return Err(format!("more than inactive: {body}"));
            }
            _ => {}
        }
        if self.token
            && (text("access_token").is_none_or(str::is_empty)
                || !json
                    .get("expires_in")
                    .is_some_and(serde_json::Value::is_u64))
        {
            return Err(format!("no access_token or expires_in: {body}"));
        }
        if self.jwks {
            let keys = json
                .get("keys")
                .and_then(serde_json::Value::as_array)
                .cloned()
                .unwrap_or_default();
            let private = ["d", "p", "q", "dp", "dq", "qi", "k"];
            if keys.is_empty()
                || keys
                    .iter()
                    .any(|key| private.iter().any(|m| key.get(m).is_some()))
            {
                return Err(format!("no keys, or a private member: {body}"));
            }
        }
        Ok(())
    }
}

/// A well-formed key with one character of its secret changed: its
/// checksum no longer matches.
fn tamper(key: &str) -> String {
    let mut bytes = key.as_bytes().to_vec();
    if let Some(last) = bytes.last_mut() {
        *last = if *last == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One row of the rejection table: a request (its extra headers, and
/// whether the key store is down while it is served) and the answer it
/// must get.
#[derive(Debug, Clone)]
pub struct RejectionCase {
    /// What the case shows.
    pub name: &'static str,
    /// Headers to send, besides what the client adds.
    pub headers: Vec<(&'static str, String)>,
    /// Whether [`World::store`] is down while the request is served.
    pub store_down: bool,
    /// The status, headers and body the response must have.
    pub expected: Answer,
}

impl RejectionCase {
    /// Checks a response: exactly the expected status, headers (`names`
    /// lists every header sent; `header` gives the values of one) and
    /// body. `Err` says what differs.
    ///
    /// # Errors
    ///
    /// A description of the first difference.
    pub fn check(
        &self,
        status: u16,
        names: &[String],
        header: &dyn Fn(&str) -> Vec<String>,
        body: &str,
    ) -> Result<(), String> {
        let expected = &self.expected;
        if status != expected.status() {
            return Err(format!(
                "{}: status {status}, expected {}",
                self.name,
                expected.status()
            ));
        }
        if names.len() != expected.headers().len() {
            return Err(format!(
                "{}: headers {names:?}, expected {:?}",
                self.name,
                expected.headers()
            ));
        }
        for (name, value) in expected.headers() {
            if header(name) != [value.clone()] {
                return Err(format!(
                    "{}: {name} is {:?}, expected {value}",
                    self.name,
                    header(name)
                ));
            }
        }
        if body != expected.body() {
            return Err(format!(
                "{}: body {body}, expected {}",
                self.name,
                expected.body()
            ));
        }
        Ok(())
    }
}
