//! Leak response (issue 23): where secret scanners, and anyone holding a secret, report a leaked
//! Tessera secret, and where a member reports one of the organization's tokens as leaked. Every path
//! ends in [`tessera_core::services::leaks`], which revokes at once on every instance.
//!
//! - `POST /api/v1/leaks/github`: GitHub secret scanning's partner endpoint, signed with ECDSA P-256 /
//!   SHA-256 over the raw body (RustCrypto `p256`), keys from GitHub's keys document (a URL, cached and
//!   fetched again on an unknown key id at most once a minute) or a file. Off (404) unless configured.
//! - `GET /api/v1/leaks/gitlab/v1/revocable_token_types`, `POST /api/v1/leaks/gitlab/v1/revoke_tokens`:
//!   GitLab's Token Revocation API, with a pre-shared token. Off (404) unless configured.
//! - `POST /api/v1/credentials/revoke`: whoever holds secrets kills them. No authentication, so no
//!   oracle: one answer, and no earlier than [`POSSESSION_FLOOR`] whatever was found.
//! - `POST /api/v1/tokens/{id}/leaked`: a member (who may delete the token) reports it.

use super::{
    auth::{self, ApiCaller},
    extract::ApiPath,
    json::{
        CredentialsAccepted, ErrorJson, GithubFeedback, GithubLeak, GitlabLeak, GitlabTokenType, GitlabTokenTypes,
        LeakedJson, LeakedRequest, RevokeCredentialsRequest,
    },
};
use crate::{
    config::{GithubKeySource, LeakConfig},
    http::{
        Json, ServerState,
        client::limit_key,
        errors::{ApiError, ApiResult, error_of, too_large},
        limiter::FailureLimiter,
    },
};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier};
use p256::pkcs8::DecodePublicKey;
use std::{collections::HashMap, net::IpAddr, time::Duration};
use tessera_core::{
    Error, ErrorKind,
    crypto::same_shared_secret,
    domain::token::{LeakIntake, LeakLocation},
    ids::TokenId,
    services::leaks::{self, Sighting},
    time::Timestamp,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub const GITHUB_PATH: &str = "/api/v1/leaks/github";
/// A GitHub report may carry a few thousand secrets (about 150 bytes each).
pub const GITHUB_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// At most this many secrets per GitHub or GitLab request.
pub const MAX_REPORTED: usize = 10_000;
/// At most this many secrets per revoke-by-possession request.
pub const MAX_CREDENTIALS: usize = 100;
/// A revoke-by-possession answer never leaves earlier than this after the request came in, so that
/// revoking a real secret (a write transaction, emails queued) and finding nothing take the same time.
pub const POSSESSION_FLOOR: Duration = Duration::from_millis(250);
/// The keys document is fetched again for an unknown key id at most this often.
const KEYS_REFETCH_MS: i64 = 60_000;
/// ... and this long after a read that failed.
const KEYS_RETRY_MS: i64 = 10_000;
/// GitLab revocation requests per client address and minute.
const GITLAB_PER_MINUTE: u32 = 60;
/// The type name Tessera's secrets are registered under (GitHub, GitLab).
pub const TOKEN_TYPE: &str = "tessera_api_token";

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(github_report))
        .routes(routes!(gitlab_token_types))
        .routes(routes!(gitlab_revoke))
        .routes(routes!(revoke_credentials))
        .routes(routes!(report_leaked))
}

/// What the intakes keep between requests.
pub struct Intakes {
    github: Option<GithubKeys>,
    gitlab_token: Option<String>,
    by_client: FailureLimiter,
    gitlab_by_client: FailureLimiter,
}

impl std::fmt::Debug for Intakes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intakes").field("github", &self.github.is_some()).finish_non_exhaustive()
    }
}

impl Intakes {
    /// Whether GitHub's secret-scanning reports are taken.
    pub fn github_enabled(&self) -> bool {
        self.github.is_some()
    }

    pub fn new(config: &LeakConfig) -> Self {
        Self {
            github: config.github.clone().map(GithubKeys::new),
            gitlab_token: config.gitlab_token.clone(),
            by_client: FailureLimiter::new(config.possession_per_minute),
            gitlab_by_client: FailureLimiter::new(GITLAB_PER_MINUTE),
        }
    }
}

/// GitHub's public keys, by key identifier.
struct GithubKeys {
    source: GithubKeySource,
    client: reqwest::Client,
    keys: parking_lot::RwLock<HashMap<String, VerifyingKey>>,
    /// When the document may be read again; held while reading, so one request reads it at a time.
    next_read: tokio::sync::Mutex<Option<Timestamp>>,
}

#[derive(serde::Deserialize)]
struct KeysDocument {
    public_keys: Vec<KeyEntry>,
}

#[derive(serde::Deserialize)]
struct KeyEntry {
    key_identifier: String,
    key: String,
}

/// The keys of a keys document; entries that aren't P-256 public keys in PEM are skipped.
fn parse_keys(bytes: &[u8]) -> Result<HashMap<String, VerifyingKey>, String> {
    let document: KeysDocument =
        serde_json::from_slice(bytes).map_err(|e| format!("not a GitHub public keys document: {e}"))?;
    Ok(document
        .public_keys
        .into_iter()
        .filter_map(|entry| Some((entry.key_identifier, VerifyingKey::from_public_key_pem(entry.key.trim()).ok()?)))
        .collect())
}

impl GithubKeys {
    fn new(source: GithubKeySource) -> Self {
        // The same client settings as webhook deliveries: no redirects, no proxies from the environment,
        // bounded times. The URL is the operator's, so private addresses are allowed.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { source, client, keys: Default::default(), next_read: Default::default() }
    }

    async fn read(&self) -> Result<HashMap<String, VerifyingKey>, String> {
        match &self.source {
            GithubKeySource::File(path) => {
                let bytes = tokio::fs::read(path).await.map_err(|e| format!("{}: {e}", path.display()))?;
                parse_keys(&bytes)
            }
            GithubKeySource::Url(url) => {
                let response = self.client.get(url).send().await.map_err(|e| e.without_url().to_string())?;
                if !response.status().is_success() {
                    return Err(format!("the keys URL answered {}", response.status()));
                }
                let bytes = response.bytes().await.map_err(|e| e.without_url().to_string())?;
                if bytes.len() > 1024 * 1024 {
                    return Err("the keys document is over 1 MiB".to_owned());
                }
                parse_keys(&bytes)
            }
        }
    }

    /// The key with this identifier: from the cache, or read again when unknown (at most once a minute;
    /// ten seconds after a failed read). A read that fails or finds no key keeps the keys already known.
    async fn key(&self, id: &str, now: Timestamp) -> Option<VerifyingKey> {
        if let Some(key) = self.keys.read().get(id) {
            return Some(*key);
        }
        let mut next_read = self.next_read.lock().await;
        if let Some(key) = self.keys.read().get(id) {
            return Some(*key);
        }
        if next_read.is_some_and(|at| now.millis() < at.millis()) {
            return None;
        }
        let read = self.read().await.and_then(|keys| {
            if keys.is_empty() { Err("the keys document holds no P-256 public key".to_owned()) } else { Ok(keys) }
        });
        match read {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "GitHub secret-scanning keys read");
                *self.keys.write() = keys;
                *next_read = Some(Timestamp(now.millis() + KEYS_REFETCH_MS));
            }
            Err(error) => {
                tracing::warn!(%error, "could not read GitHub's secret-scanning keys; the keys known so far are kept");
                *next_read = Some(Timestamp(now.millis() + KEYS_RETRY_MS));
            }
        }
        self.keys.read().get(id).copied()
    }
}

/// A raw body (signatures are over the exact bytes), or the JSON error.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state).await.map(Self).map_err(|rejection| {
            ApiError(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                Error::invalid("", "The request body could not be read. Send it again.")
            })
        })
    }
}

/// An optional JSON object: an empty body or `null` means `T::default()`; anything but an object (an
/// array, a string…) is the JSON 422, so a struct is never read from an array.
pub struct ObjectBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Default> FromRequest<S> for ObjectBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        let not_an_object =
            || ApiError(Error::invalid("", "The body must be a JSON object as the API documentation shows."));
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        match serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|_| not_an_object())? {
            serde_json::Value::Null => Ok(Self(T::default())),
            object @ serde_json::Value::Object(_) => {
                serde_json::from_value(object).map(Self).map_err(|_| not_an_object())
            }
            _ => Err(not_an_object()),
        }
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn intake_off() -> ApiError {
    ApiError(Error::not_found("That API endpoint"))
}

fn bad_signature() -> ApiError {
    ApiError(Error::unauthorized().with_message(
        "The report's signature is missing or does not verify with GitHub's secret-scanning keys. Nothing was changed.",
    ))
}

/// GitHub secret scanning's partner endpoint. GitHub sends a JSON array of `{token, type, url, source}`,
/// signed with ECDSA P-256 / SHA-256 over the raw body (key id in `Github-Public-Key-Identifier`, base64
/// DER signature in `Github-Public-Key-Signature`). Each item is answered in GitHub's feedback format:
/// `true_positive` for a live Tessera token, now revoked with its rotation family, `false_positive` for
/// anything else. Off (404) unless `TESSERA_GITHUB_KEYS_URL`, `TESSERA_GITHUB_KEYS_FILE` or
/// `TESSERA_GITHUB_LEAKS=true` is set.
#[utoipa::path(post, path = "/api/v1/leaks/github", tag = "leaks", security(()),
    params(
        ("Github-Public-Key-Identifier" = Option<String>, Header, description = "The id of the key that signed the body"),
        ("Github-Public-Key-Signature" = Option<String>, Header, description = "Base64 DER ECDSA P-256 / SHA-256 signature of the raw body"),
    ),
    request_body = Vec<GithubLeak>,
    responses((status = 200, body = Vec<GithubFeedback>), (status = 401, description = "Missing, unknown or bad signature", body = ErrorJson),
        (status = 404, description = "The intake is off", body = ErrorJson), (status = 413, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn github_report(
    State(state): State<ServerState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Vec<GithubFeedback>>> {
    let Some(keys) = &state.leaks.github else { return Err(intake_off()) };
    let core = &state.app.core;
    let (Some(key_id), Some(signature)) =
        (header(&headers, "github-public-key-identifier"), header(&headers, "github-public-key-signature"))
    else {
        return Err(bad_signature());
    };
    use base64::Engine;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .ok()
        .and_then(|der| Signature::from_der(&der).ok())
        .ok_or_else(bad_signature)?;
    if key_id.len() > 200 {
        return Err(bad_signature());
    }
    let key = keys.key(key_id, core.clock.now()).await.ok_or_else(bad_signature)?;
    if key.verify(&body, &signature).is_err() {
        return Err(bad_signature());
    }
    let items: Vec<GithubLeak> = serde_json::from_slice(&body).map_err(|_| {
        ApiError(Error::invalid("", "The body must be a JSON array of {token, type, url, source} objects."))
    })?;
    if items.len() > MAX_REPORTED {
        return Err(ApiError(Error::invalid("", format!("At most {MAX_REPORTED} secrets per report."))));
    }
    let locations: Vec<LeakLocation> =
        items.iter().map(|i| LeakLocation::new(i.url.as_deref(), i.source.as_deref())).collect();
    let sightings: Vec<Sighting<'_>> =
        items.iter().zip(&locations).map(|(i, location)| Sighting { secret: &i.token, location }).collect();
    let verdicts = leaks::report_secrets(core, LeakIntake::Github, &sightings).await?;
    let feedback = items
        .into_iter()
        .zip(verdicts)
        .map(|(item, verdict)| GithubFeedback {
            token_raw: item.token,
            token_type: item.token_type.unwrap_or_else(|| TOKEN_TYPE.to_owned()),
            label: if verdict.revoked() { "true_positive" } else { "false_positive" }.to_owned(),
        })
        .collect();
    Ok(Json(feedback))
}

/// GitLab's calls: at most [`GITLAB_PER_MINUTE`] a minute from one address, counted before the token
/// is looked at (so the pre-shared token can't be guessed at speed), then the token, compared by digest
/// in constant time (`Bearer ` before it is accepted too).
fn gitlab_allowed(state: &ServerState, headers: &HeaderMap, ip: IpAddr) -> Result<(), ApiError> {
    let Some(expected) = &state.leaks.gitlab_token else { return Err(intake_off()) };
    let now = state.app.core.clock.now().millis();
    let key = limit_key(ip);
    if let Some(wait) = state.leaks.gitlab_by_client.blocked(&key, now) {
        return Err(ApiError(Error::rate_limited(wait)));
    }
    state.leaks.gitlab_by_client.record(&key, now);
    let given = header(headers, "authorization").unwrap_or("");
    let given = given.strip_prefix("Bearer ").unwrap_or(given).trim();
    if same_shared_secret(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError(Error::unauthorized().with_message(
            "Send the revocation token configured in TESSERA_GITLAB_REVOCATION_TOKEN in the Authorization header.",
        )))
    }
}

fn example_secret(state: &ServerState) -> String {
    format!("{}_{}", state.app.core.settings.token_prefix.as_str(), "0".repeat(49))
}

/// GitLab Token Revocation API: the token types this service revokes. Off (404) unless
/// `TESSERA_GITLAB_REVOCATION_TOKEN` is set.
#[utoipa::path(get, path = "/api/v1/leaks/gitlab/v1/revocable_token_types", tag = "leaks", security(()),
    params(("Authorization" = Option<String>, Header, description = "The pre-shared revocation token (required unless the intake is off)")),
    responses((status = 200, body = GitlabTokenTypes), (status = 401, body = ErrorJson), (status = 404, description = "The intake is off", body = ErrorJson)))]
pub async fn gitlab_token_types(
    State(state): State<ServerState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> ApiResult<Json<GitlabTokenTypes>> {
    gitlab_allowed(&state, &headers, ip)?;
    let prefix = state.app.core.settings.token_prefix.as_str();
    Ok(Json(GitlabTokenTypes {
        types: vec![GitlabTokenType {
            token_type: TOKEN_TYPE.to_owned(),
            name: "Tessera API token".to_owned(),
            description: format!(
                "A Tessera API token secret: {prefix}_ followed by 49 base62 characters (the last 6 a CRC32 checksum)."
            ),
            example: example_secret(&state),
        }],
    }))
}

fn bad_request(message: &str) -> Response {
    let mut response = error_of(ErrorKind::Invalid, message);
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

/// The client's address, as the gate worked it out (every `/api/` request has it).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(auth::client_ip().unwrap_or(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// GitLab Token Revocation API: revokes the reported tokens (a JSON array of `{type, token, location}`).
/// 204 whatever was found, 400 for a body that isn't such an array, 401 without the right token, 429
/// beyond 60 requests a minute from one address (wrong tokens count too). Idempotent. Off (404) unless
/// `TESSERA_GITLAB_REVOCATION_TOKEN` is set.
#[utoipa::path(post, path = "/api/v1/leaks/gitlab/v1/revoke_tokens", tag = "leaks", security(()),
    params(("Authorization" = Option<String>, Header, description = "The pre-shared revocation token (required unless the intake is off)")),
    request_body = Vec<GitlabLeak>,
    responses((status = 204, description = "Handled"), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson),
        (status = 404, description = "The intake is off", body = ErrorJson), (status = 413, body = ErrorJson), (status = 429, body = ErrorJson)))]
pub async fn gitlab_revoke(
    State(state): State<ServerState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<RawBody, ApiError>,
) -> Response {
    if let Err(refused) = gitlab_allowed(&state, &headers, ip) {
        return refused.into_response();
    }
    let body = match body {
        Ok(RawBody(body)) => body,
        Err(too_large) if too_large.0.kind() == ErrorKind::TooLarge => return too_large.into_response(),
        Err(_) => return bad_request("The request body could not be read. Send it again."),
    };
    let core = &state.app.core;
    let Ok(items) = serde_json::from_slice::<Vec<GitlabLeak>>(&body) else {
        return bad_request("The body must be a JSON array of {type, token, location} objects.");
    };
    if items.len() > MAX_REPORTED {
        return bad_request("Too many tokens in one request: at most 10000.");
    }
    let locations: Vec<LeakLocation> =
        items.iter().map(|i| LeakLocation::new(i.location.as_deref(), Some("gitlab"))).collect();
    let sightings: Vec<Sighting<'_>> =
        items.iter().zip(&locations).map(|(i, location)| Sighting { secret: &i.token, location }).collect();
    match leaks::report_secrets(core, LeakIntake::Gitlab, &sightings).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => ApiError(error).into_response(),
    }
}

const ACCEPTED: &str = "Thank you. Any Tessera secret among these that still worked has been revoked, and its owners \
                        have been told. This answer is the same whether or not anything was found.";

/// Revoke by possession: whoever holds Tessera secrets (at most 100) can make them stop working, without
/// authentication. The answer is always 202 with the same body, whether anything matched or not, and it
/// leaves no earlier than 250 ms after the request arrived, so neither its content nor its timing tells
/// whether a secret was real. Limited per client address (10 requests a minute).
#[utoipa::path(post, path = "/api/v1/credentials/revoke", tag = "leaks", security(()),
    request_body(content = Option<RevokeCredentialsRequest>, description = "Empty means no secrets"),
    responses((status = 202, body = CredentialsAccepted), (status = 413, body = ErrorJson), (status = 422, body = ErrorJson), (status = 429, body = ErrorJson)))]
pub async fn revoke_credentials(
    State(state): State<ServerState>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let started = tokio::time::Instant::now();
    let core = &state.app.core;
    let now = core.clock.now().millis();
    let key = limit_key(ip);
    if let Some(wait) = state.leaks.by_client.blocked(&key, now) {
        return ApiError(Error::rate_limited(wait)).into_response();
    }
    state.leaks.by_client.record(&key, now);
    let answer = possession(&state, request).await;
    tokio::time::sleep_until(started + POSSESSION_FLOOR).await;
    answer
}

async fn possession(state: &ServerState, request: Request) -> Response {
    let request = match ObjectBody::<RevokeCredentialsRequest>::from_request(request, state).await {
        Ok(ObjectBody(request)) => request,
        Err(refused) => return refused.into_response(),
    };
    if request.credentials.len() > MAX_CREDENTIALS {
        return ApiError(Error::invalid(
            "credentials",
            format!("At most {MAX_CREDENTIALS} secrets per request; send the rest in another."),
        ))
        .into_response();
    }
    let location = LeakLocation::default();
    let sightings: Vec<Sighting<'_>> =
        request.credentials.iter().map(|secret| Sighting { secret, location: &location }).collect();
    if let Err(error) = leaks::report_secrets(&state.app.core, LeakIntake::Possession, &sightings).await {
        // Logged, not shown: the answer must not differ.
        tracing::error!(error = %error, "revoke by possession failed");
    }
    let mut response = Json(CredentialsAccepted { message: ACCEPTED.to_owned() }).into_response();
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

/// Reports a token as leaked: it is revoked at once (with every live token of its rotation family) and
/// marked exposed, with where it was found; its creator and the organization's administrators are told.
/// Whoever may delete the token may report it (its creator, an administrator or owner, the token
/// itself). A token that no longer works is reported too (`revoked: false`): recorded, nobody alerted.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/leaked", tag = "tokens", params(("id" = String, Path, description = "Token ID")),
    request_body(content = Option<LeakedRequest>, description = "Optional"),
    responses((status = 200, body = LeakedJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson), (status = 413, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn report_leaked(
    State(state): State<ServerState>,
    caller: ApiCaller,
    ApiPath(id): ApiPath<TokenId>,
    ObjectBody(request): ObjectBody<LeakedRequest>,
) -> ApiResult<Json<LeakedJson>> {
    let location = LeakLocation::new(request.url.as_deref(), request.source.as_deref());
    let revoked = leaks::report_token(&state.app.core, &caller.caller(), LeakIntake::Api, id, &location).await?;
    Ok(Json(LeakedJson { id: id.to_string(), revoked }))
}
