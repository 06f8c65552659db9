//! The demo API: its state and routes, apart from the command line so
//! that the tests serve exactly these routes.

use std::collections::{HashMap, VecDeque};
use std::error::Error;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use credential_actix::{Authenticated, CredentialAuth, OAuthRoutes};
use credential_core::key::{
    CreatedKey, KeyFormat, KeyId, KeyManager, ManageError, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::oauth::OAuthEndpoints;
use credential_core::scope::{Scope, ScopeSet};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    KeyRing, MemoryRefreshStore, MemoryRevocationStore, Refresher, TokenIssuer, TokenVerifier,
    Validation,
};
use credential_core::{CredentialVerifier, FaceConfig, Rejection};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

/// The `iss` of the demo's access tokens.
pub(crate) const ISSUER: &str = "urn:credential:demo";
/// The realm of every challenge.
pub(crate) const REALM: &str = "credential-demo";
/// The subject of the bootstrap key.
pub(crate) const BOOTSTRAP_SUBJECT: &str = "demo";
/// The scopes of the bootstrap key.
pub(crate) const BOOTSTRAP_SCOPES: &str = "keys:admin reports:read reports:write tokens:introspect";
/// How long access tokens live.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::minutes(15);
/// How long a consumed refresh token still answers an honest retry.
pub(crate) const REFRESH_REUSE_GRACE: Duration = Duration::seconds(5);

/// Largest JSON body accepted.
const JSON_LIMIT: usize = 16 * 1024;
/// Reports kept per subject; older ones are dropped.
const REPORTS_KEPT: usize = 100;
/// Longest key lifetime and roll grace period accepted, in seconds.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;
const MAX_GRACE_SECONDS: u64 = 30 * 24 * 3600;

/// The demo's state, shared by every worker.
#[derive(Clone)]
pub(crate) struct Demo {
    manager: Arc<KeyManager<MemoryKeyStore>>,
    oauth: OAuthRoutes<MemoryKeyStore>,
    any: CredentialAuth,
    read: CredentialAuth,
    write: CredentialAuth,
    admin: CredentialAuth,
    reports: Arc<Mutex<HashMap<String, VecDeque<Value>>>>,
}

impl Demo {
    /// Keys in memory, EdDSA access tokens for 15 minutes, refresh tokens
    /// with a 5-second reuse grace, and every route requirement parsed.
    pub(crate) fn new() -> Result<Self, Box<dyn Error>> {
        let store = Arc::new(MemoryKeyStore::new());
        let revocations = Arc::new(MemoryRevocationStore::new());
        let manager = KeyManager::new(
            Arc::clone(&store),
            KeyFormat::new("sk_demo")?,
            Peppers::new(Pepper::generate(1)?),
        )
        .with_token_revocation(revocations.clone(), TOKEN_LIFETIME);

        let ring = KeyRing::new();
        ring.add_signing_key("demo-1", SigningKey::generate(Algorithm::EdDSA)?)?;
        let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_lifetime(TOKEN_LIFETIME);
        let tokens =
            TokenVerifier::new(ring, Validation::new(ISSUER)).with_revocations(revocations.clone());
        let refresher = Refresher::new(
            Arc::new(MemoryRefreshStore::new()),
            store,
            KeyFormat::new("rt_demo")?,
            manager.format(),
            Arc::new(Peppers::new(Pepper::generate(1)?)),
        )?
        .with_reuse_grace(REFRESH_REUSE_GRACE)
        .with_revocations(revocations);

        let faces = FaceConfig::new(REALM)?;
        let any = CredentialAuth::new(CredentialVerifier::new(manager.verifier(), tokens.clone()))
            .faces(faces.clone());
        let endpoints =
            OAuthEndpoints::new(manager.verifier(), issuer, tokens).with_refresher(refresher);
        let oauth = OAuthRoutes::new(endpoints, faces)
            .require_for_introspection("tokens:introspect")?
            .accept_callers(&any);
        Ok(Self {
            read: any.require("reports:read")?,
            write: any.require("reports:write")?,
            admin: any.require("keys:admin")?,
            any,
            oauth,
            manager: Arc::new(manager),
            reports: Arc::default(),
        })
    }

    /// Creates the bootstrap key when the store holds none.
    pub(crate) async fn bootstrap(&self) -> Result<Option<CreatedKey>, Box<dyn Error>> {
        if !self.manager.store().is_empty() {
            return Ok(None);
        }
        let new = NewKey::new(BOOTSTRAP_SUBJECT, BOOTSTRAP_SCOPES.parse()?).name("bootstrap");
        Ok(Some(self.manager.create(new).await?))
    }

    /// The key manager, for tests.
    #[allow(dead_code)]
    pub(crate) fn manager(&self) -> &KeyManager<MemoryKeyStore> {
        &self.manager
    }

    /// Every route of the demo.
    pub(crate) fn configure(&self, config: &mut web::ServiceConfig) {
        let json = web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(json_error);
        config
            .app_data(json)
            .app_data(web::Data::new(self.clone()))
            .route("/health", web::get().to(health))
            .configure(|config| self.oauth.configure(config))
            .route("/v1/whoami", web::get().to(whoami).wrap(self.any.clone()))
            .service(
                web::resource("/v1/reports")
                    .route(web::get().to(list_reports).wrap(self.read.clone()))
                    .route(web::post().to(create_report).wrap(self.write.clone())),
            )
            .service(
                web::scope("/v1/keys")
                    .wrap(self.admin.clone())
                    .route("", web::post().to(create_key))
                    .route("/{id}", web::delete().to(revoke_key))
                    .route("/{id}/roll", web::post().to(roll_key)),
            )
            .default_service(web::to(not_found));
    }
}

/// A JSON error body, `{"error":…,"error_description":…}`.
pub(crate) fn problem(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": error, "error_description": description }))
}

/// Malformed, mistyped or oversized JSON: a 4xx with a JSON body, never a
/// 500.
fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let response = match &error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "the body is too large",
            )
        }
        JsonPayloadError::ContentType => problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/json",
        ),
        _ => problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not valid JSON for this request",
        ),
    };
    InternalError::from_response(error, response).into()
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn not_found() -> HttpResponse {
    problem(StatusCode::NOT_FOUND, "not_found", "no such resource")
}

async fn whoami(who: Authenticated) -> HttpResponse {
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
    HttpResponse::Ok().json(body)
}

async fn list_reports(who: Authenticated, demo: web::Data<Demo>) -> HttpResponse {
    let reports: Vec<Value> = match demo.reports.lock() {
        Ok(reports) => reports
            .get(who.subject())
            .map(|kept| kept.iter().cloned().collect())
            .unwrap_or_default(),
        Err(_) => return unavailable(),
    };
    HttpResponse::Ok().json(json!({ "reports": reports }))
}

async fn create_report(
    who: Authenticated,
    demo: web::Data<Demo>,
    report: web::Json<Value>,
) -> HttpResponse {
    let report = report.into_inner();
    match demo.reports.lock() {
        Ok(mut reports) => {
            let kept = reports.entry(who.subject().to_owned()).or_default();
            if kept.len() >= REPORTS_KEPT {
                kept.pop_front();
            }
            kept.push_back(report.clone());
        }
        Err(_) => return unavailable(),
    }
    HttpResponse::Created().json(report)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyRequest {
    name: String,
    scopes: String,
    expires_in: Option<u64>,
}

async fn create_key(
    who: Authenticated,
    demo: web::Data<Demo>,
    request: web::Json<NewKeyRequest>,
) -> Result<HttpResponse, actix_web::Error> {
    let NewKeyRequest {
        name,
        scopes,
        expires_in,
    } = request.into_inner();
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
        return Err(who.reject(Rejection::insufficient_scope(missing)).into());
    }
    let mut new = NewKey::new(who.subject(), scopes).name(name);
    if let Some(seconds) = expires_in {
        match expiry(seconds) {
            Some(at) => new = new.expires_at(at),
            None => return Ok(invalid("expires_in must be 1 to 315360000 seconds")),
        }
    }
    let created = match demo.manager.create(new).await {
        Ok(created) => created,
        Err(error) => return Ok(manage_error(&error)),
    };
    Ok(HttpResponse::Created().json(json!({
        "id": created.record.id.as_str(),
        "key": created.key.expose_secret(),
        "scopes": created.record.scopes.to_string(),
    })))
}

fn expiry(seconds: u64) -> Option<OffsetDateTime> {
    if seconds == 0 || seconds > MAX_EXPIRES_IN {
        return None;
    }
    let seconds = i64::try_from(seconds).ok()?;
    OffsetDateTime::now_utc().checked_add(Duration::seconds(seconds))
}

async fn revoke_key(
    who: Authenticated,
    demo: web::Data<Demo>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = match own_key(&who, &demo, &id).await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    match demo.manager.revoke(&id).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(error) => manage_error(&error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollRequest {
    grace_seconds: u64,
}

async fn roll_key(
    who: Authenticated,
    demo: web::Data<Demo>,
    id: web::Path<String>,
    request: web::Json<RollRequest>,
) -> HttpResponse {
    let id = match own_key(&who, &demo, &id).await {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let grace = request.grace_seconds;
    let grace = match i64::try_from(grace) {
        Ok(seconds) if grace <= MAX_GRACE_SECONDS => Duration::seconds(seconds),
        _ => return invalid("grace_seconds must be at most 2592000"),
    };
    match demo.manager.roll(&id, grace).await {
        Ok(created) => HttpResponse::Created().json(json!({
            "id": created.record.id.as_str(),
            "key": created.key.expose_secret(),
        })),
        Err(error) => manage_error(&error),
    }
}

/// The id of a key of the caller's own subject; any other id, well-formed
/// or not, is 404, so ids of other subjects' keys cannot be probed.
async fn own_key(who: &Authenticated, demo: &Demo, id: &str) -> Result<KeyId, HttpResponse> {
    let not_found = || problem(StatusCode::NOT_FOUND, "not_found", "no such key");
    let id = KeyId::from_str(id).map_err(|_| not_found())?;
    match demo.manager.get(&id).await {
        Ok(record) if record.subject == who.subject() => Ok(id),
        Ok(_) | Err(ManageError::NotFound) => Err(not_found()),
        Err(error) => Err(manage_error(&error)),
    }
}

fn manage_error(error: &ManageError) -> HttpResponse {
    match error {
        ManageError::NotFound => problem(StatusCode::NOT_FOUND, "not_found", "no such key"),
        ManageError::Revoked => problem(StatusCode::CONFLICT, "conflict", "the key is revoked"),
        ManageError::AlreadyRolled => problem(
            StatusCode::CONFLICT,
            "conflict",
            "the key was already rolled",
        ),
        ManageError::InvalidInput(why) => invalid(why),
        ManageError::Store(_) => unavailable(),
        _ => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the key could not be changed",
        ),
    }
}

fn invalid(description: &str) -> HttpResponse {
    problem(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn unavailable() -> HttpResponse {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the service is temporarily unavailable",
    )
}
