//! What the HTTP load benchmark's servers share (`benches/http-load.sh`):
//! their command line, the credentials they accept, and the file that
//! hands those credentials to the script.

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use credential_core::key::{
    CreatedKey, KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
use credential_core::{CredentialVerifier, Verifier};
use time::Duration;

const ISSUER: &str = "urn:credential:bench";

/// Why a bench server could not start.
pub type BenchError = Box<dyn Error + Send + Sync>;

/// A bench server's command line: `--bind ADDR` (the first of three
/// ports), `--workers N`, `--credentials FILE`, `--no-token-cache`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The open server's address; the protected ones take the next two
    /// ports.
    pub bind: SocketAddr,
    /// Worker threads.
    pub workers: usize,
    /// Where to write the credentials once listening.
    pub credentials: Option<PathBuf>,
    /// Whether the token verifiers keep verified tokens.
    pub token_cache: bool,
}

impl BenchOptions {
    /// Reads the process's arguments.
    ///
    /// # Errors
    ///
    /// What is wrong with them.
    pub fn from_args() -> Result<Self, BenchError> {
        let mut options = Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 18181)),
            workers: 1,
            credentials: None,
            token_cache: true,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--bind" => options.bind = value()?.parse()?,
                "--workers" => options.workers = value()?.parse()?,
                "--credentials" => options.credentials = Some(PathBuf::from(value()?)),
                "--no-token-cache" => options.token_cache = false,
                other => return Err(format!("unknown argument: {other}").into()),
            }
        }
        Ok(options)
    }

    /// The address `offset` ports after `--bind`: 0 open, 1 keys and HS256
    /// tokens, 2 EdDSA tokens.
    ///
    /// # Errors
    ///
    /// When the port is out of range.
    pub fn addr(&self, offset: u16) -> Result<SocketAddr, BenchError> {
        let port = self
            .bind
            .port()
            .checked_add(offset)
            .ok_or("port out of range")?;
        Ok(SocketAddr::new(self.bind.ip(), port))
    }
}

/// An API key and two one-hour access tokens for it, and the verifiers
/// that accept them.
pub struct BenchCredentials {
    key: CreatedKey,
    hs256: String,
    eddsa: String,
    /// API keys and HS256 tokens.
    pub keys_and_hs256: Arc<dyn Verifier>,
    /// API keys and EdDSA tokens.
    pub keys_and_eddsa: Arc<dyn Verifier>,
}

impl std::fmt::Debug for BenchCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchCredentials").finish_non_exhaustive()
    }
}

impl BenchCredentials {
    /// Creates the key and tokens; the token verifiers keep verified
    /// tokens when `token_cache` is set.
    ///
    /// # Errors
    ///
    /// When a component cannot be built.
    pub async fn new(token_cache: bool) -> Result<Self, BenchError> {
        let manager = KeyManager::new(
            Arc::new(MemoryKeyStore::new()),
            KeyFormat::new("sk_bench")?,
            Peppers::new(Pepper::generate(1)?),
        );
        let key = manager
            .create(NewKey::new("bench", "reports:read".parse()?))
            .await?;
        let tokens = |alg| -> Result<(String, Arc<dyn Verifier>), BenchError> {
            let ring = KeyRing::new();
            ring.add_signing_key("bench", SigningKey::generate(alg)?)?;
            let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_lifetime(Duration::hours(1));
            let token = issuer
                .mint_for_key(&key.record, None)?
                .token
                .expose_secret()
                .to_owned();
            let mut verifier = TokenVerifier::new(ring, Validation::new(ISSUER));
            if !token_cache {
                verifier = verifier.with_cache_capacity(0);
            }
            Ok((
                token,
                Arc::new(CredentialVerifier::new(manager.verifier(), verifier)),
            ))
        };
        let (hs256, keys_and_hs256) = tokens(Algorithm::HS256)?;
        let (eddsa, keys_and_eddsa) = tokens(Algorithm::EdDSA)?;
        Ok(Self {
            key,
            hs256,
            eddsa,
            keys_and_hs256,
            keys_and_eddsa,
        })
    }

    /// Writes `KEY=…`, `HS256=…` and `EDDSA=…` lines to `--credentials`,
    /// if given: call once every server is listening.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn write(&self, options: &BenchOptions) -> std::io::Result<()> {
        match &options.credentials {
            Some(path) => std::fs::write(
                path,
                format!(
                    "KEY={}\nHS256={}\nEDDSA={}\n",
                    self.key.key.expose_secret(),
                    self.hs256,
                    self.eddsa
                ),
            ),
            None => Ok(()),
        }
    }
}
