//! Sessions: signed tokens that name a revocable row in the database.
//!
//! The token is a JWT (HS256, and only HS256) with `sub` (user id), `sid` (session id),
//! `iat` and `exp`. A valid signature is not enough: the session row must still exist and be
//! unexpired, so logout, logout-everywhere and a password change revoke tokens at once.

use std::time::Duration;

use axum::http::HeaderValue;
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{User, store};
use crate::{config::Config, db::Db, error::AppError, tokens::Scope};

/// The session cookie's name over plain HTTP.
pub const COOKIE: &str = "doable_session";
/// The session cookie's name when it is `Secure`: the `__Host-` prefix makes browsers refuse
/// it unless it is Secure, host-only and for `Path=/`.
pub const SECURE_COOKIE: &str = "__Host-doable_session";
/// The device cookie's name over plain HTTP: it says "this browser has logged in to this
/// account before", so failed logins elsewhere do not lock it out (OWASP's device cookies).
pub const DEVICE_COOKIE: &str = "doable_device";
/// The device cookie's name when it is `Secure`.
pub const SECURE_DEVICE_COOKIE: &str = "__Host-doable_device";
/// The cookie that carries a token just made by a plain form to `/account`, which shows it
/// once and clears it.
pub const NEW_TOKEN_COOKIE: &str = "doable_new_token";
/// Its name when it is `Secure`.
pub const SECURE_NEW_TOKEN_COOKIE: &str = "__Host-doable_new_token";
/// How long it waits to be shown.
const NEW_TOKEN_TTL: cookie::time::Duration = cookie::time::Duration::minutes(5);
/// How long a device stays known after its last login.
const DEVICE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// A request's authenticated user.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user.
    pub user: User,
    /// What the request authenticated with.
    pub credential: Credential,
}

/// What a request authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A session (a login in a browser, or its token sent as a bearer).
    Session(Uuid),
    /// An API token ([`crate::tokens`]).
    Token {
        /// The token's id.
        id: Uuid,
        /// What it may do.
        scope: Scope,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
    iat: i64,
    exp: i64,
}

/// Issues, checks and revokes sessions.
pub struct Sessions {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    secure: bool,
    /// Signs device cookies; derived from the JWT secret, so it is another key than the
    /// tokens' and a device cookie can never pass for a token (or the reverse).
    device_key: Vec<u8>,
}

impl Sessions {
    /// Sessions signed with the configured secret and lasting the configured time.
    pub fn new(config: &Config) -> Self {
        let secret = config.jwt_secret.expose();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl: config.session_ttl,
            secure: config.cookie_secure,
            device_key: mac(secret, b"doable device cookie v1"),
        }
    }

    /// The name of the session cookie.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure { SECURE_COOKIE } else { COOKIE }
    }

    /// Starts a session for a user and returns its token. With `verified_hash` (a login), only
    /// while the account still has that password hash and is not disabled, checked in the
    /// statement that creates it: a password the host has just reset, or an account just
    /// disabled, gets no session from a login that checked the old state.
    pub async fn start(&self, db: &Db, user_id: Uuid, verified_hash: Option<&str>) -> Result<String, AppError> {
        let session_id = Uuid::new_v4();
        let now = crate::db::Timestamp::now();
        let expires = now + self.ttl;
        if !store::create_session(db, session_id, user_id, now, expires, verified_hash).await? {
            return Err(AppError::InvalidCredentials);
        }
        let claims =
            Claims { sub: user_id, sid: session_id, iat: now.0.unix_timestamp(), exp: expires.0.unix_timestamp() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a session token");
            AppError::Internal
        })
    }

    /// The user behind a token: a session's, if it is genuine and its session is alive, or
    /// an API token's (`dbl_...`), if it is live.
    pub async fn authenticate(&self, db: &Db, token: &str) -> Result<AuthUser, AppError> {
        if token.starts_with(crate::tokens::PREFIX) {
            return api_token_user(db, token).await;
        }
        let claims = self.decode(token).ok_or(AppError::Unauthenticated)?;
        let user = store::session_user(db, claims.sid, claims.sub, crate::db::Timestamp::now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(AuthUser { user, credential: Credential::Session(claims.sid) })
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }

    /// Ends the session a token belongs to (nothing happens for a token that is not ours).
    pub async fn end(&self, db: &Db, token: &str) -> Result<(), AppError> {
        match self.decode(token) {
            Some(claims) => store::delete_session(db, claims.sid, claims.sub).await,
            None => Ok(()),
        }
    }

    /// Ends every session of a user.
    pub async fn end_all(&self, db: &Db, user_id: Uuid) -> Result<(), AppError> {
        store::delete_user_sessions(db, user_id).await
    }

    /// The `Set-Cookie` value that stores a token in the browser.
    pub fn cookie(&self, token: &str) -> HeaderValue {
        let max_age = cookie::time::Duration::seconds(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        self.build_cookie(token.to_owned(), max_age)
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clear_cookie(&self) -> HeaderValue {
        self.build_cookie(String::new(), cookie::time::Duration::ZERO)
    }

    /// The `Set-Cookie` value of a new device cookie for an account that has just logged in
    /// (a fresh id each time: its failed attempts start from nothing).
    pub fn device_cookie(&self, email: &str) -> HeaderValue {
        let id = crate::hex::random::<16>();
        let value = format!("{id}.{}", crate::hex::encode(&self.device_signature(&id, email)));
        let max_age = cookie::time::Duration::seconds(i64::try_from(DEVICE_TTL.as_secs()).unwrap_or(i64::MAX));
        self.build_named_cookie(self.device_cookie_name(), value, max_age, SameSite::Lax)
    }

    /// The id of the device cookie a request carries, when it was issued to this browser at a
    /// login to the account `email`; `None` for no cookie, a forged one, or another account's.
    pub fn known_device(&self, headers: &axum::http::HeaderMap, email: &str) -> Option<String> {
        let value = cookie_value(headers, self.device_cookie_name())?;
        let (id, signature) = value.split_once('.')?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let signature = crate::hex::decode(signature, 128)?;
        let mut check = Hmac::<Sha256>::new_from_slice(&self.device_key).ok()?;
        check.update(device_message(id, email).as_bytes());
        check.verify_slice(&signature).ok()?;
        Some(id.to_owned())
    }

    /// The `Set-Cookie` value that carries a new API token to `/account` (or, with `None`,
    /// clears it): `SameSite=Strict`, so that no other site's link shows it.
    pub fn new_token_cookie(&self, token: Option<&str>) -> HeaderValue {
        let max_age = if token.is_some() { NEW_TOKEN_TTL } else { cookie::time::Duration::ZERO };
        let value = token.unwrap_or_default().to_owned();
        self.build_named_cookie(self.new_token_cookie_name(), value, max_age, SameSite::Strict)
    }

    /// The new API token a request carries in its cookie, if it has a token's shape.
    pub fn new_token_from(&self, headers: &axum::http::HeaderMap) -> Option<String> {
        cookie_value(headers, self.new_token_cookie_name())
            .filter(|token| crate::tokens::looks_like_token(token))
            .map(str::to_owned)
    }

    fn new_token_cookie_name(&self) -> &'static str {
        if self.secure { SECURE_NEW_TOKEN_COOKIE } else { NEW_TOKEN_COOKIE }
    }

    fn device_cookie_name(&self) -> &'static str {
        if self.secure { SECURE_DEVICE_COOKIE } else { DEVICE_COOKIE }
    }

    fn device_signature(&self, id: &str, email: &str) -> Vec<u8> {
        mac(&self.device_key, device_message(id, email).as_bytes())
    }

    fn build_cookie(&self, value: String, max_age: cookie::time::Duration) -> HeaderValue {
        self.build_named_cookie(self.cookie_name(), value, max_age, SameSite::Lax)
    }

    fn build_named_cookie(
        &self,
        name: &'static str,
        value: String,
        max_age: cookie::time::Duration,
        same_site: SameSite,
    ) -> HeaderValue {
        let cookie = Cookie::build((name, value))
            .http_only(true)
            .same_site(same_site)
            .path("/")
            .max_age(max_age)
            .secure(self.secure)
            .build();
        // A JWT, a device id and its signature, or an API token: base64url, hex and dots,
        // which are always valid in a header.
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The user of an API token, found by its SHA-256. Its use is recorded at most once a minute,
/// beside the request (a failure to record it does not fail the request).
async fn api_token_user(db: &Db, token: &str) -> Result<AuthUser, AppError> {
    if !crate::tokens::looks_like_token(token) {
        return Err(AppError::Unauthenticated);
    }
    let now = crate::db::Timestamp::now();
    let hash = sha2::Sha256::digest(token.as_bytes());
    let found = crate::tokens::store::token_user(db, &hash, now).await?.ok_or(AppError::Unauthenticated)?;
    if found.last_used_at.is_none_or(|used| used <= now - crate::tokens::store::TOUCH_EVERY) {
        // Beside the request, not before it: on SQLite the write waits for the one writer.
        let (db, id) = (db.clone(), found.id);
        tokio::spawn(async move {
            if let Err(e) = crate::tokens::store::touch(&db, id, now).await {
                tracing::warn!(error = %e, "cannot record an API token's use");
            }
        });
    }
    Ok(AuthUser { user: found.user, credential: Credential::Token { id: found.id, scope: found.scope } })
}

/// What a device cookie's signature covers: its id and the account it was issued for.
fn device_message(id: &str, email: &str) -> String {
    format!("{id}\n{email}")
}

/// HMAC-SHA256 of `message` under `key`.
fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return Vec::new() };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Removes expired sessions; returns how many.
pub async fn forget_expired(db: &Db) -> Result<u64, AppError> {
    store::delete_expired_sessions(db, crate::db::Timestamp::now()).await
}

/// The session token of a request: `Authorization: Bearer <token>` (the scheme in any letter
/// case, as RFC 9110 has it), else the session cookie. A request with an `Authorization` of
/// another kind has no token: its cookie is not used in its place, so that a script never
/// acts with a browser's session while it meant to send a (read-only) API token.
pub fn token_from_headers<'h>(headers: &'h axum::http::HeaderMap, cookie_name: &str) -> Option<&'h str> {
    if let Some(authorization) = headers.get(axum::http::header::AUTHORIZATION) {
        let value = authorization.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty());
    }
    cookie_value(headers, cookie_name)
}

/// The value of the cookie `name` a request carries, if any and not empty.
fn cookie_value<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn bearer_tokens_win_over_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_static("theme=dark; doable_session=from-cookie"));
        assert_eq!(token_from_headers(&headers, COOKIE), Some("from-cookie"));
        headers.insert("authorization", HeaderValue::from_static("Bearer from-header"));
        assert_eq!(token_from_headers(&headers, COOKIE), Some("from-header"));
    }

    fn sessions() -> Sessions {
        let dir = tempfile::tempdir().unwrap();
        let env = std::collections::HashMap::from([
            ("DOABLE_DATA_DIR".to_owned(), dir.path().to_string_lossy().into_owned()),
            ("DOABLE_JWT_SECRET".to_owned(), "0123456789abcdef0123456789abcdef".to_owned()),
        ]);
        Sessions::new(&Config::from_source(&env).unwrap())
    }

    fn carrying(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn a_device_cookie_is_known_only_for_its_own_account() {
        let sessions = sessions();
        let headers = carrying(&sessions.device_cookie("ada@example.com"));
        assert!(sessions.known_device(&headers, "ada@example.com").is_some());
        assert!(sessions.known_device(&headers, "bob@example.com").is_none());
        assert!(sessions.known_device(&HeaderMap::new(), "ada@example.com").is_none());
    }

    #[test]
    fn a_forged_device_cookie_is_not_known() {
        let sessions = sessions();
        let genuine = carrying(&sessions.device_cookie("ada@example.com"));
        let value = genuine.get("cookie").unwrap().to_str().unwrap().to_owned();
        let (name_and_id, signature) = value.split_once('.').unwrap();
        let flipped = if signature.starts_with('0') { "1" } else { "0" };
        let forged = format!("{name_and_id}.{flipped}{}", &signature[1..]);
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&forged).unwrap());
        assert!(sessions.known_device(&headers, "ada@example.com").is_none());
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_static("doable_device=zz.zz"));
        assert!(sessions.known_device(&headers, "ada@example.com").is_none());
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case_and_another_scheme_is_no_token() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_static("doable_session=from-cookie"));
        for (authorization, token) in [
            ("bearer abc", Some("abc")),
            ("BEARER  abc ", Some("abc")),
            ("Basic dXNlcjpwYXNz", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("abc", None),
        ] {
            headers.insert("authorization", HeaderValue::from_static(authorization));
            assert_eq!(token_from_headers(&headers, COOKIE), token, "{authorization:?}");
        }
    }

    #[test]
    fn other_cookies_are_not_sessions() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_static("xdoable_session=nope; doable_session="));
        assert_eq!(token_from_headers(&headers, COOKIE), None);
    }
}
