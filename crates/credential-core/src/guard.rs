//! What an HTTP middleware checks and how it answers, free of any
//! framework: adapters read the request into the [`Guard`]'s terms and copy
//! its [`Answer`] back, so that every adapter behaves the same.

use std::borrow::Cow;
use std::sync::Arc;

use crate::extract::CredentialSources;
use crate::rejection::{FaceConfig, InvalidRealm, PublicFace, Reason, Rejection};
use crate::render::{Answer, ErrorBody, Renderer};
use crate::scope::{Requirement, ScopeError};
use crate::verify::{Principal, Verification, Verifier};

/// A setting of a [`Guard`] (or of an adapter's OAuth routes) that cannot
/// work.
///
/// Every builder method that can fail returns this at start-up, so a typo
/// in a scope requirement stops the application from starting instead of
/// rejecting (or, worse, admitting) requests later.
///
/// ```
/// use credential_core::guard::{ConfigError, Guard};
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, Pepper, Peppers};
/// use credential_core::extract::CredentialSources;
/// use std::sync::Arc;
///
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let guard = Guard::new(manager.verifier());
/// assert!(matches!(guard.require("reports:read AND"), Err(ConfigError::Scope(_))));
/// assert!(matches!(guard.clone().realm("bad\nrealm"), Err(ConfigError::Realm(_))));
/// let sources = CredentialSources::default().with_api_key_header("x api key");
/// assert!(matches!(guard.sources(sources), Err(ConfigError::HeaderName)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The realm cannot be put in a `WWW-Authenticate` header.
    #[error(transparent)]
    Realm(#[from] InvalidRealm),
    /// The API-key header name is not a valid HTTP header name.
    #[error("the API-key header name is not a valid HTTP header name")]
    HeaderName,
    /// A scope requirement does not parse, or combining requirements
    /// exceeds their bounds.
    #[error(transparent)]
    Scope(#[from] ScopeError),
}

/// Everything a middleware decides about a request, whatever the
/// framework: where the credential comes from, whether one is needed,
/// which scopes are required, and how a refusal is answered.
///
/// An adapter reads the request's header values into
/// [`CredentialSources::extract`] (through
/// [`credential_sources`](Self::credential_sources)),
/// passes the result and any principal an enclosing middleware already
/// verified to [`check`](Self::check), and sends [`answer`](Self::answer)
/// for a refusal.
///
/// ```
/// use credential_core::guard::Guard;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use credential_core::Reason;
/// use std::sync::Arc;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
/// let guard = Guard::new(manager.verifier()).realm("reports")?.require("reports:read")?;
///
/// let principal = guard.check(None, Some(key.expose_secret())).await?;
/// assert_eq!(principal.map(|p| p.subject().to_owned()).as_deref(), Some("acme"));
///
/// let refused = guard.check(None, None).await.unwrap_err();
/// assert_eq!(refused.reason(), Reason::Missing);
/// let answer = guard.answer(&refused);
/// assert_eq!(answer.status(), 401);
/// assert_eq!(answer.headers()[0], ("www-authenticate", r#"Bearer realm="reports""#.to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Guard {
    verifier: Arc<dyn Verifier>,
    sources: CredentialSources,
    renderer: Renderer,
    optional: bool,
    skip_preflight: bool,
    requirement: Option<Requirement>,
}

impl Guard {
    /// Verifies credentials with `verifier`: a
    /// [`KeyVerifier`](crate::key::KeyVerifier), a
    /// [`TokenVerifier`](crate::token::TokenVerifier), a
    /// [`CredentialVerifier`](crate::CredentialVerifier) for both, or any
    /// other [`Verifier`]. Realm `api`, default credential sources, every
    /// request needs a credential.
    pub fn new(verifier: impl Verifier + 'static) -> Self {
        Self::from_shared(Arc::new(verifier))
    }

    /// Like [`new`](Self::new), for a verifier already shared.
    pub fn from_shared(verifier: Arc<dyn Verifier>) -> Self {
        Self {
            verifier,
            sources: CredentialSources::default(),
            renderer: Renderer::new(FaceConfig::default()),
            optional: false,
            skip_preflight: false,
            requirement: None,
        }
    }

    /// Lets requests without any credential through, with no principal; a
    /// credential that is presented must still be valid.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Lets CORS preflight requests (`OPTIONS` with
    /// `Access-Control-Request-Method`) through unchecked: browsers never
    /// attach credentials to them.
    #[must_use]
    pub fn skip_preflight(mut self) -> Self {
        self.skip_preflight = true;
        self
    }

    /// The realm named in `WWW-Authenticate`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Realm`] when it cannot be put in a quoted string.
    pub fn realm(self, realm: &str) -> Result<Self, ConfigError> {
        Ok(self.faces(FaceConfig::new(realm)?))
    }

    /// The realm and the status for used-up credits, at once.
    #[must_use]
    pub fn faces(mut self, faces: FaceConfig) -> Self {
        self.renderer = self.renderer.with_faces(faces);
        self
    }

    /// Where credentials are read from: another API-key header, none, or
    /// also a query parameter.
    ///
    /// # Errors
    ///
    /// [`ConfigError::HeaderName`] when the API-key header name is not an
    /// HTTP field name (RFC 9110 §5.1).
    pub fn sources(mut self, sources: CredentialSources) -> Result<Self, ConfigError> {
        if let Some(name) = sources.api_key_header()
            && !is_field_name(name)
        {
            return Err(ConfigError::HeaderName);
        }
        self.sources = sources;
        Ok(self)
    }

    /// Replaces the JSON error body with `hook`'s. The status,
    /// `WWW-Authenticate` and `Retry-After` stay those of the rejection.
    #[must_use]
    pub fn error_body<F>(mut self, hook: F) -> Self
    where
        F: Fn(&PublicFace) -> ErrorBody + Send + Sync + 'static,
    {
        self.renderer = self.renderer.with_error_body(hook);
        self
    }

    /// A copy that also requires the scope expression `expression` (for
    /// example `reports:read AND (billing:write OR admin)`). Requirements
    /// added this way all apply.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the expression does not parse or the
    /// combined requirement exceeds its bounds.
    pub fn require(&self, expression: &str) -> Result<Self, ConfigError> {
        self.with_requirement(Requirement::parse(expression)?)
    }

    /// A copy that also requires `requirement`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the combined requirement exceeds its
    /// bounds.
    pub fn with_requirement(&self, requirement: Requirement) -> Result<Self, ConfigError> {
        let mut copy = self.clone();
        copy.requirement = Some(match copy.requirement.take() {
            Some(existing) => Requirement::all_of([existing, requirement])?,
            None => requirement,
        });
        Ok(copy)
    }

    /// A copy with no scope requirement: it only verifies.
    #[must_use]
    pub fn without_requirement(&self) -> Self {
        Self {
            requirement: None,
            ..self.clone()
        }
    }

    /// The requirement every request must meet, if any.
    pub fn requirement(&self) -> Option<&Requirement> {
        self.requirement.as_ref()
    }

    /// Whether requests without a credential are let through.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// Where credentials are read from.
    pub fn credential_sources(&self) -> &CredentialSources {
        &self.sources
    }

    /// How refusals are answered.
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// Whether a request with `method` that does (`requests_method`) or
    /// does not carry `Access-Control-Request-Method` goes through
    /// unchecked as a CORS preflight.
    pub fn lets_through_preflight(&self, method: &str, requests_method: bool) -> bool {
        self.skip_preflight && requests_method && method == "OPTIONS"
    }

    /// Checks a request. `verified` is the principal an enclosing
    /// middleware already put in the request, which is then only held to
    /// this guard's requirement; `presented` is what
    /// [`CredentialSources::extract`] found. `Ok(None)`: optional mode and
    /// no credential.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] to answer with [`answer`](Self::answer).
    pub async fn check(
        &self,
        verified: Option<Principal>,
        presented: Option<&str>,
    ) -> Result<Option<Principal>, Rejection> {
        match self.start(verified, presented) {
            Ok(outcome) => outcome,
            Err(verification) => verification.await.map(Some),
        }
    }

    /// Checks a request from its raw values: `verified` as for
    /// [`check`](Self::check), every `Authorization` value, every value of
    /// the API-key header (none when it is disabled) and the query string,
    /// which [`CredentialSources::extract_values`] reads. A principal an
    /// enclosing middleware verified skips the reading.
    ///
    /// # Errors
    ///
    /// The [`Rejection`] to answer with [`answer`](Self::answer).
    pub async fn check_values<'r>(
        &self,
        verified: Option<Principal>,
        authorization: impl IntoIterator<Item = &'r [u8]>,
        api_key: impl IntoIterator<Item = &'r [u8]>,
        query: Option<&'r str>,
    ) -> Result<Option<Principal>, Rejection> {
        let presented = self.read(&verified, authorization, api_key, query)?;
        self.check(verified, presented.as_deref()).await
    }

    /// [`check_values`](Self::check_values) without waiting: `Some` with
    /// its outcome when the verifier answered at once (an in-memory store,
    /// a token it had verified before), `None` when it has to wait (a
    /// networked store). After `None`, `check_values` does the check; the
    /// verifier then starts over, so what it did before it had to wait is
    /// done twice. The verifiers of this crate wait before any costly
    /// step when their store cannot answer at once, except that a
    /// signature is checked before a networked revocation store is asked
    /// (a second time it is found in the verified-token cache).
    ///
    /// An adapter that answers from here skips a boxed future per
    /// request.
    pub fn check_values_now<'r>(
        &self,
        verified: Option<Principal>,
        authorization: impl IntoIterator<Item = &'r [u8]>,
        api_key: impl IntoIterator<Item = &'r [u8]>,
        query: Option<&'r str>,
    ) -> Option<Result<Option<Principal>, Rejection>> {
        let presented = match self.read(&verified, authorization, api_key, query) {
            Ok(presented) => presented,
            Err(rejection) => return Some(Err(rejection)),
        };
        self.start(verified, presented.as_deref()).ok()
    }

    /// The credential the request presents, unless an enclosing
    /// middleware verified it already.
    fn read<'r>(
        &self,
        verified: &Option<Principal>,
        authorization: impl IntoIterator<Item = &'r [u8]>,
        api_key: impl IntoIterator<Item = &'r [u8]>,
        query: Option<&'r str>,
    ) -> Result<Option<Cow<'r, str>>, Rejection> {
        if verified.is_some() {
            return Ok(None);
        }
        let query = self.sources.query_parameter().and(query);
        self.sources.extract_values(authorization, api_key, query)
    }

    /// The check as far as it goes without waiting: `Ok` with the
    /// outcome, or `Err` with the verification still to wait for.
    fn start<'a>(
        &'a self,
        verified: Option<Principal>,
        presented: Option<&'a str>,
    ) -> Result<Result<Option<Principal>, Rejection>, Verification<'a>> {
        if let Some(principal) = verified {
            if let Some(required) = &self.requirement
                && let Err(rejection) = principal.require(required)
            {
                return Ok(Err(rejection));
            }
            return Ok(Ok(Some(principal)));
        }
        match presented {
            // Through the trait object itself: `Arc<dyn Verifier>` also
            // implements `Verifier`, at the cost of one more boxed future.
            Some(credential) => (*self.verifier)
                .verify(credential, self.requirement.as_ref())
                .now()
                .map(|outcome| outcome.map(Some)),
            None if self.optional => Ok(Ok(None)),
            None => Ok(Err(Rejection::new(Reason::Missing))),
        }
    }

    /// The answer to `rejection`: status, headers, body.
    pub fn answer(&self, rejection: &Rejection) -> Answer {
        self.renderer.render(rejection)
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("sources", &self.sources)
            .field("renderer", &self.renderer)
            .field("optional", &self.optional)
            .field("skip_preflight", &self.skip_preflight)
            .field("requirement", &self.requirement)
            .finish_non_exhaustive()
    }
}

/// An RFC 9110 field name: one or more `tchar`.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// What an adapter's middleware type shares with every other adapter's,
/// written once. The type is a struct with one field,
/// `settings: Arc<Settings>`; `$what` names it in the docs ("middleware",
/// "layer"), `$header` is the framework's header-name type and `$refusal`
/// the adapter's refusal type, with
/// `fn new(rejection: Rejection, renderer: &Renderer) -> Self`.
///
/// It defines `Settings` (core's [`Guard`] and the API-key header name in
/// the framework's type, parsed once), and gives the type its builder
/// methods, `reject`, `Debug`, and `from_guard`, `guard` and
/// `shared_settings` for the adapter itself.
#[doc(hidden)]
#[macro_export]
macro_rules! __middleware_builder {
    ($ty:ident, $what:literal, $header:ty, $refusal:ty) => {
        /// Everything a check needs, shared by every copy of the
        /// middleware and by the extensions of checked requests.
        #[derive(Clone)]
        pub(crate) struct Settings {
            pub(crate) guard: $crate::guard::Guard,
            /// The guard's API-key header, parsed once.
            api_key_header: ::std::option::Option<$header>,
        }

        impl Settings {
            /// The refusal for `rejection`.
            pub(crate) fn reject(&self, rejection: $crate::Rejection) -> $refusal {
                <$refusal>::new(rejection, self.guard.renderer())
            }
        }

        impl ::std::fmt::Debug for Settings {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("Settings")
                    .field("guard", &self.guard)
                    .finish_non_exhaustive()
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("settings", &self.settings)
                    .finish()
            }
        }

        impl $ty {
            /// Over `guard`. Its API-key header name is an HTTP field name
            /// (the guard checks), which the framework always accepts.
            fn from_guard(guard: $crate::guard::Guard) -> Self {
                let api_key_header = guard
                    .credential_sources()
                    .api_key_header()
                    .and_then(|name| <$header as ::std::str::FromStr>::from_str(name).ok());
                Self {
                    settings: ::std::sync::Arc::new(Settings {
                        guard,
                        api_key_header,
                    }),
                }
            }

            fn guard(&self) -> &$crate::guard::Guard {
                &self.settings.guard
            }

            pub(crate) fn shared_settings(&self) -> &::std::sync::Arc<Settings> {
                &self.settings
            }

            #[doc = concat!(
                "The refusal for `rejection`, rendered as this ", $what, " renders its own."
            )]
            pub fn reject(&self, rejection: $crate::Rejection) -> $refusal {
                self.settings.reject(rejection)
            }

            #[doc = concat!(
                        "A ", $what, " that verifies credentials with `verifier`: a\n",
                        "[`KeyVerifier`](credential_core::key::KeyVerifier), a\n",
                        "[`TokenVerifier`](credential_core::token::TokenVerifier), a\n",
                        "[`CredentialVerifier`](credential_core::CredentialVerifier) for both,\n",
                        "or any other [`Verifier`](credential_core::Verifier). Realm `api`,\n",
                        "default credential sources, every request needs a credential."
                    )]
            pub fn new(verifier: impl $crate::Verifier + 'static) -> Self {
                Self::from_guard($crate::guard::Guard::new(verifier))
            }

            /// Like [`new`](Self::new), for a verifier already shared.
            pub fn from_shared(verifier: ::std::sync::Arc<dyn $crate::Verifier>) -> Self {
                Self::from_guard($crate::guard::Guard::from_shared(verifier))
            }

            /// Optional mode: a request without a credential goes on with no
            /// principal; a credential that is presented must still be valid
            /// (and meet the requirement), or the request is refused.
            #[must_use]
            pub fn optional(self) -> Self {
                Self::from_guard(self.guard().clone().optional())
            }

            /// Lets CORS preflight requests (`OPTIONS` with
            /// `Access-Control-Request-Method`) through unchecked and without
            /// a principal: browsers send them without credentials.
            #[must_use]
            pub fn skip_preflight(self) -> Self {
                Self::from_guard(self.guard().clone().skip_preflight())
            }

            /// The realm of `WWW-Authenticate` challenges (default `api`).
            ///
            /// # Errors
            ///
            /// [`ConfigError::Realm`](credential_core::guard::ConfigError::Realm)
            /// unless the realm is 1 to 128 visible ASCII characters or spaces.
            pub fn realm(self, realm: &str) -> Result<Self, $crate::guard::ConfigError> {
                Ok(Self::from_guard(self.guard().clone().realm(realm)?))
            }

            /// How rejections are presented: the realm and the status for
            /// used-up credits.
            #[must_use]
            pub fn faces(self, faces: $crate::FaceConfig) -> Self {
                Self::from_guard(self.guard().clone().faces(faces))
            }

            /// Where credentials are read from: another API-key header, none,
            /// or also a query parameter.
            ///
            /// # Errors
            ///
            /// [`ConfigError::HeaderName`](credential_core::guard::ConfigError::HeaderName)
            /// when the API-key header name is not an HTTP field name.
            pub fn sources(
                self,
                sources: $crate::extract::CredentialSources,
            ) -> Result<Self, $crate::guard::ConfigError> {
                Ok(Self::from_guard(self.guard().clone().sources(sources)?))
            }

            /// Replaces the JSON error body with `hook`'s. The status,
            /// `WWW-Authenticate` and `Retry-After` stay those of the
            /// rejection.
            #[must_use]
            pub fn error_body<F>(self, hook: F) -> Self
            where
                F: Fn(&$crate::PublicFace) -> $crate::render::ErrorBody + Send + Sync + 'static,
            {
                Self::from_guard(self.guard().clone().error_body(hook))
            }

            /// A copy that also requires the scope expression `expression`
            /// (for example `reports:read AND (billing:write OR admin)`), for
            /// a route or a group of routes. Requirements added this way all
            /// apply.
            ///
            /// # Errors
            ///
            /// [`ConfigError::Scope`](credential_core::guard::ConfigError::Scope)
            /// when the expression does not parse or the combined requirement
            /// exceeds its bounds.
            pub fn require(&self, expression: &str) -> Result<Self, $crate::guard::ConfigError> {
                Ok(Self::from_guard(self.guard().require(expression)?))
            }

            /// A copy that also requires `requirement`.
            ///
            /// # Errors
            ///
            /// [`ConfigError::Scope`](credential_core::guard::ConfigError::Scope)
            /// when the combined requirement exceeds its bounds.
            pub fn with_requirement(
                &self,
                requirement: $crate::scope::Requirement,
            ) -> Result<Self, $crate::guard::ConfigError> {
                Ok(Self::from_guard(
                    self.guard().with_requirement(requirement)?,
                ))
            }

            /// The requirement every request must meet, if any.
            pub fn requirement(&self) -> Option<&$crate::scope::Requirement> {
                self.guard().requirement()
            }

            /// Whether requests without a credential are let through.
            pub fn is_optional(&self) -> bool {
                self.guard().is_optional()
            }

            /// The same verification without any scope requirement.
            #[allow(dead_code, reason = "not every adapter needs it")]
            pub(crate) fn verifying_only(&self) -> Self {
                Self::from_guard(self.guard().without_requirement())
            }
        }
    };
}

/// The two extractor types of an adapter, `Authenticated` and
/// `MaybeAuthenticated` in each, written once for every adapter: each
/// holds the principal (or none) and the `Settings` of the middleware that
/// checked the request, to refuse the way it does. The adapter gives their
/// docs, and implements its framework's extractor trait for them; `$what`
/// names what checked the request in the docs, `$refusal` is the
/// adapter's refusal type.
#[doc(hidden)]
#[macro_export]
macro_rules! __extractors {
    (
        $what:literal, $refusal:ty,
        $(#[$authenticated:meta])* pub struct Authenticated;
        $(#[$maybe:meta])* pub struct MaybeAuthenticated;
    ) => {
        $(#[$authenticated])*
        #[derive(Debug, Clone)]
        pub struct Authenticated {
            principal: $crate::Principal,
            settings: ::std::sync::Arc<Settings>,
        }

        impl Authenticated {
            /// The verified principal.
            pub fn principal(&self) -> &$crate::Principal {
                &self.principal
            }

            /// The verified principal, moved out.
            pub fn into_principal(self) -> $crate::Principal {
                self.principal
            }

            /// `Ok` when the principal's scopes satisfy `requirement`,
            /// otherwise the 403 refusal naming the missing scopes.
            pub fn require(
                &self,
                requirement: &$crate::scope::Requirement,
            ) -> ::std::result::Result<(), $refusal> {
                self.principal
                    .require(requirement)
                    .map_err(|rejection| self.reject(rejection))
            }

            #[doc = concat!(
                "The refusal for `rejection`, rendered as the ", $what,
                " that verified\nthis principal renders its own."
            )]
            pub fn reject(&self, rejection: $crate::Rejection) -> $refusal {
                self.settings.reject(rejection)
            }
        }

        impl ::std::ops::Deref for Authenticated {
            type Target = $crate::Principal;

            fn deref(&self) -> &$crate::Principal {
                &self.principal
            }
        }

        $(#[$maybe])*
        #[derive(Debug, Clone)]
        pub struct MaybeAuthenticated {
            principal: ::std::option::Option<$crate::Principal>,
            settings: ::std::sync::Arc<Settings>,
        }

        impl MaybeAuthenticated {
            /// The verified principal, if a credential was presented.
            pub fn principal(&self) -> ::std::option::Option<&$crate::Principal> {
                self.principal.as_ref()
            }

            /// The verified principal, moved out.
            pub fn into_principal(self) -> ::std::option::Option<$crate::Principal> {
                self.principal
            }

            #[doc = concat!(
                "The refusal for `rejection`, rendered as the ", $what,
                " that checked\nthis request renders its own."
            )]
            pub fn reject(&self, rejection: $crate::Rejection) -> $refusal {
                self.settings.reject(rejection)
            }
        }
    };
}
