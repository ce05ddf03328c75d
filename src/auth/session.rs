//! Sessions: signed tokens that name a revocable row in the database.
//!
//! The token is a JWT (HS256, and only HS256) with `sub` (user id), `sid` (session id),
//! `iat` and `exp`. A valid signature is not enough: the session row must still exist and be
//! unexpired, so logout, logout-everywhere and a password change revoke tokens at once.

use std::time::Duration;

use axum::http::HeaderValue;
use cookie::{Cookie, SameSite};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{User, store};
use crate::{config::Config, db::Db, error::AppError};

/// The session cookie's name over plain HTTP.
pub const COOKIE: &str = "doable_session";
/// The session cookie's name when it is `Secure`: the `__Host-` prefix makes browsers refuse
/// it unless it is Secure, host-only and for `Path=/`.
pub const SECURE_COOKIE: &str = "__Host-doable_session";

/// A request's authenticated user.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user.
    pub user: User,
    /// The session the request belongs to.
    pub session_id: Uuid,
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
        }
    }

    /// The name of the session cookie.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure { SECURE_COOKIE } else { COOKIE }
    }

    /// Starts a session for a user and returns its token.
    pub async fn start(&self, db: &Db, user_id: Uuid) -> Result<String, AppError> {
        let session_id = Uuid::new_v4();
        let now = crate::db::Timestamp::now();
        let expires = now + self.ttl;
        store::create_session(db, session_id, user_id, now, expires).await?;
        let claims =
            Claims { sub: user_id, sid: session_id, iat: now.0.unix_timestamp(), exp: expires.0.unix_timestamp() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a session token");
            AppError::Internal
        })
    }

    /// The user behind a token, if the token is genuine and its session is alive.
    pub async fn authenticate(&self, db: &Db, token: &str) -> Result<AuthUser, AppError> {
        let claims = self.decode(token).ok_or(AppError::Unauthenticated)?;
        let user = store::session_user(db, claims.sid, claims.sub, crate::db::Timestamp::now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(AuthUser { user, session_id: claims.sid })
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

    fn build_cookie(&self, value: String, max_age: cookie::time::Duration) -> HeaderValue {
        let cookie = Cookie::build((self.cookie_name(), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(max_age)
            .secure(self.secure)
            .build();
        // A JWT is base64url and dots, which are always valid in a header.
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// Removes expired sessions; returns how many.
pub async fn forget_expired(db: &Db) -> Result<u64, AppError> {
    store::delete_expired_sessions(db, crate::db::Timestamp::now()).await
}

/// The session token of a request: `Authorization: Bearer <token>`, else the session cookie.
pub fn token_from_headers<'h>(headers: &'h axum::http::HeaderMap, cookie_name: &str) -> Option<&'h str> {
    if let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(token.trim());
    }
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
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

    #[test]
    fn other_cookies_are_not_sessions() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_static("xdoable_session=nope; doable_session="));
        assert_eq!(token_from_headers(&headers, COOKIE), None);
    }
}
