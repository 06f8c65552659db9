//! The demo API's state and behaviour, free of any framework: the actix-web
//! server (`cargo run --example server`) and the hyper server
//! (`cargo run --example server-hyper`) only route requests here and copy
//! the [`Reply`] back, so that both serve exactly one contract.
//!
//! | route | needs |
//! | --- | --- |
//! | `GET /health` | nothing |
//! | `GET /v1/whoami` | any valid credential |
//! | `GET /v1/reports`, `POST /v1/reports` | `reports:read`, `reports:write` |
//! | `POST /v1/keys`, `DELETE /v1/keys/{id}`, `POST /v1/keys/{id}/roll` | `keys:admin` |
//! | `POST /oauth/token` | client authentication with an API key |
//! | `POST /oauth/introspect` | a caller with `tokens:introspect` |
//! | `POST /oauth/revoke` | client authentication, or any credential |
//! | `GET /.well-known/jwks.json` | nothing |

use std::collections::{HashMap, VecDeque};
use std::error::Error;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use credential_core::key::{
    CreatedKey, KeyFormat, KeyId, KeyManager, KeyStore, ManageError, NewKey, Peppers,
};
use credential_core::oauth::{OAuthEndpoints, OAuthFront};
use credential_core::scope::{Scope, ScopeSet};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    RefreshStore, Refresher, RevocationStore, TokenIssuer, TokenVerifier, Validation,
};
use credential_core::{CredentialVerifier, FaceConfig, Principal, Rejection, Verifier};
use credential_redb::RedbStore;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

/// The `iss` of the demo's access tokens.
pub const ISSUER: &str = "urn:credential:demo";
/// The realm of every challenge.
pub const REALM: &str = "credential-demo";
/// The subject of the bootstrap key.
pub const BOOTSTRAP_SUBJECT: &str = "demo";
/// The scopes of the bootstrap key.
pub const BOOTSTRAP_SCOPES: &str = "keys:admin reports:read reports:write tokens:introspect";
/// How long access tokens live.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(15);
/// How long a consumed refresh token still answers an honest retry.
pub const REFRESH_REUSE_GRACE: Duration = Duration::seconds(5);
/// What `GET /v1/reports` needs.
pub const READ: &str = "reports:read";
/// What `POST /v1/reports` needs.
pub const WRITE: &str = "reports:write";
/// What the `/v1/keys` routes need.
pub const ADMIN: &str = "keys:admin";
/// What an introspection caller needs.
pub const INTROSPECT: &str = "tokens:introspect";
/// Largest JSON body accepted; servers read at most one byte more.
pub const JSON_LIMIT: usize = 16 * 1024;

/// Reports kept per subject; older ones are dropped.
const REPORTS_KEPT: usize = 100;
/// Longest key lifetime and roll grace period accepted, in seconds.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;
const MAX_GRACE_SECONDS: u64 = 30 * 24 * 3600;

/// A JSON answer: status and body (none for 204).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    /// `{"error":…,"error_description":…}` with `status`.
    pub fn problem(status: u16, error: &str, description: &str) -> Self {
        Self::json(
            status,
            json!({ "error": error, "error_description": description }),
        )
    }

    /// The body as text (empty for none).
    pub fn body_text(&self) -> String {
        self.body.as_ref().map(Value::to_string).unwrap_or_default()
    }
}

/// The demo's state, shared by every worker.
#[derive(Clone)]
pub struct Demo {
    manager: Arc<KeyManager<RedbStore>>,
    verifier: Arc<dyn Verifier>,
    oauth: OAuthFront<RedbStore>,
    reports: Arc<Mutex<HashMap<String, VecDeque<Value>>>>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo").finish_non_exhaustive()
    }
}

impl Demo {
    /// Everything in memory (a redb store without a file), lost when the
    /// process ends: keys, EdDSA
    /// access tokens for 15 minutes, refresh tokens with a 5-second reuse
    /// grace, introspection requiring `tokens:introspect`.
    ///
    /// # Errors
    ///
    /// When a component cannot be built.
    pub fn new() -> Result<Self, Box<dyn Error + Send + Sync>> {
        Self::with_store(RedbStore::in_memory()?)
    }

    /// Like [`new`](Self::new), with keys, refresh tokens, revocations,
    /// signing keys and peppers kept in the redb file at `path` (created
    /// when missing), so that they survive a restart.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened (another process has it, it is not
    /// a store) or a component cannot be built.
    pub fn open(path: &Path) -> Result<Self, Box<dyn Error + Send + Sync>> {
        Self::with_store(RedbStore::open(path)?)
    }

    /// The demo of `options`: in the file of `--data`, or in memory.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open) and [`new`](Self::new).
    pub fn from_options(options: &Options) -> Result<Self, Box<dyn Error + Send + Sync>> {
        match &options.data {
            Some(path) => Self::open(path),
            None => Self::new(),
        }
    }

    fn with_store(store: RedbStore) -> Result<Self, Box<dyn Error + Send + Sync>> {
        let store = Arc::new(store);
        let ring = store.key_ring(|| {
            SigningKey::generate(Algorithm::EdDSA).map(|key| ("demo-1".to_owned(), key))
        })?;
        let revocations: Arc<dyn RevocationStore> = Arc::clone(&store) as _;
        let manager = KeyManager::new(
            Arc::clone(&store),
            KeyFormat::new("sk_demo")?,
            Peppers::new(store.pepper("keys", 1)?),
        )
        .with_token_revocation(Arc::clone(&revocations), TOKEN_LIFETIME);
        let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_lifetime(TOKEN_LIFETIME);
        let tokens = TokenVerifier::new(ring, Validation::new(ISSUER))
            .with_revocations(Arc::clone(&revocations));
        let refresher = Refresher::new(
            Arc::clone(&store) as Arc<dyn RefreshStore>,
            Arc::clone(&store) as Arc<dyn KeyStore>,
            KeyFormat::new("rt_demo")?,
            manager.format(),
            Arc::new(Peppers::new(store.pepper("refresh", 1)?)),
        )?
        .with_reuse_grace(REFRESH_REUSE_GRACE)
        .with_revocations(revocations);
        let verifier: Arc<dyn Verifier> =
            Arc::new(CredentialVerifier::new(manager.verifier(), tokens.clone()));
        let endpoints =
            OAuthEndpoints::new(manager.verifier(), issuer, tokens).with_refresher(refresher);
        let oauth =
            OAuthFront::new(endpoints, Self::faces()?).require_for_introspection(INTROSPECT)?;
        Ok(Self {
            manager: Arc::new(manager),
            verifier,
            oauth,
            reports: Arc::default(),
        })
    }

    /// Realm [`REALM`].
    ///
    /// # Errors
    ///
    /// Never: the realm is a valid one.
    pub fn faces() -> Result<FaceConfig, Box<dyn Error + Send + Sync>> {
        Ok(FaceConfig::new(REALM)?)
    }

    /// API keys and access tokens through one verifier, for the servers'
    /// middleware.
    pub fn verifier(&self) -> Arc<dyn Verifier> {
        Arc::clone(&self.verifier)
    }

    /// The OAuth endpoints, for the servers' OAuth routes.
    pub fn oauth(&self) -> OAuthFront<RedbStore> {
        self.oauth.clone()
    }

    /// The key manager.
    pub fn manager(&self) -> &KeyManager<RedbStore> {
        &self.manager
    }

    /// Creates the bootstrap key unless subject [`BOOTSTRAP_SUBJECT`] has
    /// a key already (from an earlier run, with `--data`).
    ///
    /// # Errors
    ///
    /// When the store fails or the key cannot be created.
    pub async fn bootstrap(&self) -> Result<Option<CreatedKey>, Box<dyn Error + Send + Sync>> {
        if !self
            .manager
            .list_by_subject(BOOTSTRAP_SUBJECT)
            .await?
            .is_empty()
        {
            return Ok(None);
        }
        let new = NewKey::new(BOOTSTRAP_SUBJECT, BOOTSTRAP_SCOPES.parse()?).name("bootstrap");
        Ok(Some(self.manager.create(new).await?))
    }

    /// `GET /health`.
    pub fn health() -> Reply {
        Reply::json(200, json!({ "status": "ok" }))
    }

    /// Any route the demo does not serve.
    pub fn not_found() -> Reply {
        Reply::problem(404, "not_found", "no such resource")
    }

    /// A request whose body could not be read to its end.
    pub fn unreadable_body() -> Reply {
        invalid("the body could not be read")
    }

    /// `GET /v1/whoami`.
    pub fn whoami(who: &Principal) -> Reply {
        let scopes: Vec<&str> = who.scopes().iter().map(Scope::as_str).collect();
        let mut body = Map::new();
        body.insert("subject".into(), who.subject().into());
        body.insert("credential".into(), who.kind().as_str().into());
        body.insert("scopes".into(), scopes.into());
        if let Some(id) = who.key_id() {
            body.insert("key_id".into(), id.as_str().into());
        }
        if let Some(jti) = who.token_id() {
            body.insert("jti".into(), jti.into());
        }
        Reply::json(200, Value::Object(body))
    }

    /// `GET /v1/reports`: the caller's subject's reports.
    pub fn list_reports(&self, who: &Principal) -> Reply {
        match self.reports.lock() {
            Ok(reports) => {
                let kept: Vec<Value> = reports
                    .get(who.subject())
                    .map(|kept| kept.iter().cloned().collect())
                    .unwrap_or_default();
                Reply::json(200, json!({ "reports": kept }))
            }
            Err(_) => unavailable(),
        }
    }

    /// `POST /v1/reports`: keeps the JSON body and echoes it.
    pub fn create_report(
        &self,
        who: &Principal,
        content_type: Option<&[u8]>,
        body: &[u8],
    ) -> Reply {
        let report: Value = match json_body(content_type, body) {
            Ok(report) => report,
            Err(refused) => return refused,
        };
        match self.reports.lock() {
            Ok(mut reports) => {
                let kept = reports.entry(who.subject().to_owned()).or_default();
                if kept.len() >= REPORTS_KEPT {
                    kept.pop_front();
                }
                kept.push_back(report.clone());
            }
            Err(_) => return unavailable(),
        }
        Reply::json(201, report)
    }

    /// `POST /v1/keys`: `{"name","scopes","expires_in"?}`, within the
    /// caller's own scopes.
    ///
    /// # Errors
    ///
    /// The 403 refusal naming the scopes the caller lacks, for the server
    /// to render as its middleware would.
    pub async fn create_key(
        &self,
        who: &Principal,
        content_type: Option<&[u8]>,
        body: &[u8],
    ) -> Result<Reply, Rejection> {
        let NewKeyRequest {
            name,
            scopes,
            expires_in,
        } = match json_body(content_type, body) {
            Ok(request) => request,
            Err(refused) => return Ok(refused),
        };
        let Ok(scopes) = ScopeSet::parse(&scopes) else {
            return Ok(invalid("scopes is not a space-separated list of scopes"));
        };
        // A key can grant only what its creator holds.
        if !who.scopes().covers(&scopes) {
            let missing: ScopeSet = scopes
                .iter()
                .filter(|scope| !who.scopes().grants(scope))
                .cloned()
                .collect();
            return Err(Rejection::insufficient_scope(missing));
        }
        let mut new = NewKey::new(who.subject(), scopes).name(name);
        if let Some(seconds) = expires_in {
            match expiry(seconds) {
                Some(at) => new = new.expires_at(at),
                None => return Ok(invalid("expires_in must be 1 to 315360000 seconds")),
            }
        }
        Ok(match self.manager.create(new).await {
            Ok(created) => Reply::json(
                201,
                json!({
                    "id": created.record.id.as_str(),
                    "key": created.key.expose_secret(),
                    "scopes": created.record.scopes.to_string(),
                }),
            ),
            Err(error) => manage_error(&error),
        })
    }

    /// `DELETE /v1/keys/{id}`: a key of the caller's own subject.
    pub async fn revoke_key(&self, who: &Principal, id: &str) -> Reply {
        let id = match self.own_key(who, id).await {
            Ok(id) => id,
            Err(refused) => return refused,
        };
        match self.manager.revoke(&id).await {
            Ok(_) => Reply {
                status: 204,
                body: None,
            },
            Err(error) => manage_error(&error),
        }
    }

    /// `POST /v1/keys/{id}/roll`: `{"grace_seconds"}`.
    pub async fn roll_key(
        &self,
        who: &Principal,
        id: &str,
        content_type: Option<&[u8]>,
        body: &[u8],
    ) -> Reply {
        let RollRequest { grace_seconds } = match json_body(content_type, body) {
            Ok(request) => request,
            Err(refused) => return refused,
        };
        let id = match self.own_key(who, id).await {
            Ok(id) => id,
            Err(refused) => return refused,
        };
        let grace = match i64::try_from(grace_seconds) {
            Ok(seconds) if grace_seconds <= MAX_GRACE_SECONDS => Duration::seconds(seconds),
            _ => return invalid("grace_seconds must be at most 2592000"),
        };
        match self.manager.roll(&id, grace).await {
            Ok(created) => Reply::json(
                201,
                json!({
                    "id": created.record.id.as_str(),
                    "key": created.key.expose_secret(),
                }),
            ),
            Err(error) => manage_error(&error),
        }
    }

    /// The id of a key of the caller's own subject; any other id,
    /// well-formed or not, is 404, so ids of other subjects' keys cannot be
    /// probed.
    async fn own_key(&self, who: &Principal, id: &str) -> Result<KeyId, Reply> {
        let not_found = || Reply::problem(404, "not_found", "no such key");
        let id = KeyId::from_str(id).map_err(|_| not_found())?;
        match self.manager.get(&id).await {
            Ok(record) if record.subject == who.subject() => Ok(id),
            Ok(_) | Err(ManageError::NotFound) => Err(not_found()),
            Err(error) => Err(manage_error(&error)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyRequest {
    name: String,
    scopes: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollRequest {
    grace_seconds: u64,
}

/// A JSON body of type `T`: `application/json`, at most [`JSON_LIMIT`]
/// bytes, well-formed. Anything else is a 4xx with a JSON body.
fn json_body<T: serde::de::DeserializeOwned>(
    content_type: Option<&[u8]>,
    body: &[u8],
) -> Result<T, Reply> {
    let is_json = content_type
        .and_then(|value| std::str::from_utf8(value).ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(invalid("the body must be application/json"));
    }
    if body.len() > JSON_LIMIT {
        return Err(Reply::problem(
            413,
            "invalid_request",
            "the body is too large",
        ));
    }
    serde_json::from_slice(body).map_err(|_| invalid("the body is not valid JSON for this request"))
}

fn expiry(seconds: u64) -> Option<OffsetDateTime> {
    if seconds == 0 || seconds > MAX_EXPIRES_IN {
        return None;
    }
    let seconds = i64::try_from(seconds).ok()?;
    OffsetDateTime::now_utc().checked_add(Duration::seconds(seconds))
}

fn manage_error(error: &ManageError) -> Reply {
    match error {
        ManageError::NotFound => Reply::problem(404, "not_found", "no such key"),
        ManageError::Revoked => Reply::problem(409, "conflict", "the key is revoked"),
        ManageError::AlreadyRolled => Reply::problem(409, "conflict", "the key was already rolled"),
        ManageError::InvalidInput(why) => invalid(why),
        ManageError::Store(_) => unavailable(),
        _ => Reply::problem(500, "server_error", "the key could not be changed"),
    }
}

fn invalid(description: &str) -> Reply {
    Reply::problem(400, "invalid_request", description)
}

fn unavailable() -> Reply {
    Reply::problem(
        503,
        "temporarily_unavailable",
        "the service is temporarily unavailable",
    )
}

/// The servers' usage text.
pub const USAGE: &str = "usage: server [--bind ADDR] [--key-out FILE] [--data FILE | --in-memory]

  --bind ADDR      address to listen on (default 127.0.0.1:8080)
  --key-out FILE   also write the bootstrap API key to FILE (mode 0600)
  --data FILE      keep keys, tokens and signing keys in FILE
                   (default ./credential-demo.redb)
  --in-memory      keep everything in memory, lost on exit";

/// Where the servers keep their state unless told otherwise.
pub const DEFAULT_DATA: &str = "./credential-demo.redb";

/// What a server's command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Where to write the bootstrap key too.
    pub key_out: Option<PathBuf>,
    /// The store file; `None` keeps everything in memory.
    pub data: Option<PathBuf>,
}

impl Options {
    /// Reads the arguments after the program name; `Ok(None)` for
    /// `--help`.
    ///
    /// # Errors
    ///
    /// What is wrong with the arguments.
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Self>, String> {
        let mut options = Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            key_out: None,
            data: Some(PathBuf::from(DEFAULT_DATA)),
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bind" => {
                    let value = args.next().ok_or("--bind needs an address")?;
                    options.bind = value
                        .parse()
                        .map_err(|_| format!("--bind: not an address: {value}"))?;
                }
                "--key-out" => {
                    let value = args.next().ok_or("--key-out needs a file name")?;
                    options.key_out = Some(PathBuf::from(value));
                }
                "--data" => {
                    let value = args.next().ok_or("--data needs a file name")?;
                    options.data = Some(PathBuf::from(value));
                }
                "--in-memory" => options.data = None,
                "-h" | "--help" => return Ok(None),
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        Ok(Some(options))
    }
}

/// Writes the key, readable by its owner only.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_key(path: &Path, key: &str) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{key}")
}

/// The command line of `program`, or the exit code after printing the
/// usage (`--help`: success) or what is wrong (2).
///
/// # Errors
///
/// The exit code when the server should not start.
pub fn options_or_exit(program: &str) -> Result<Options, std::process::ExitCode> {
    match Options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => Ok(options),
        Ok(None) => {
            println!("{USAGE}");
            Err(std::process::ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{program}: {error}\n{USAGE}");
            Err(std::process::ExitCode::from(2))
        }
    }
}

/// Creates the bootstrap key when there is none, writes it to
/// `--key-out` if asked, and prints it with ways to try it on the server
/// listening at `addr`.
///
/// # Errors
///
/// When the key cannot be created or written.
pub async fn welcome(
    demo: &Demo,
    options: &Options,
    addr: SocketAddr,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let base = format!("http://{addr}");
    if let Some(created) = demo.bootstrap().await? {
        let key = created.key.expose_secret();
        if let Some(path) = &options.key_out {
            write_key(path, key)?;
        }
        print_welcome(&base, created.record.id.as_str(), key);
    } else if let Some(path) = &options.data {
        println!(
            "Using the keys kept in {}; the bootstrap key was shown when it was created.",
            path.display()
        );
    }
    println!("Listening on {base} (Ctrl-C stops).");
    Ok(())
}

/// Prints the bootstrap key once, with a few `curl` lines to try.
pub fn print_welcome(base: &str, id: &str, key: &str) {
    println!(
        "Created a bootstrap API key for subject \"{BOOTSTRAP_SUBJECT}\" \
         (scopes: {BOOTSTRAP_SCOPES}).\nIt is shown this once:\n\n    {key}\n"
    );
    println!("Try:");
    println!("    KEY={key}");
    println!("    curl -s {base}/v1/whoami -H \"X-API-Key: $KEY\"");
    println!("    curl -s {base}/v1/reports -H \"Authorization: Bearer $KEY\"");
    println!(
        "    curl -s {base}/v1/reports -H \"X-API-Key: $KEY\" \
         -H 'Content-Type: application/json' -d '{{\"title\":\"q3\"}}'"
    );
    println!(
        "    curl -s {base}/v1/keys -H \"X-API-Key: $KEY\" \
         -H 'Content-Type: application/json' -d '{{\"name\":\"ci\",\"scopes\":\"reports:read\"}}'"
    );
    println!(
        "    curl -s {base}/oauth/token -u \"{id}:$KEY\" \
         -d grant_type=client_credentials -d scope=reports:read"
    );
    println!("    curl -s {base}/v1/whoami -H \"Authorization: Bearer ACCESS_TOKEN\"");
    println!();
}
