//! What every request can reach: the app's state ([`AppState`], [`state()`]) and the request
//! being answered ([`Request`]), for server functions and server-rendered components alike.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, FromRef},
    http::{HeaderMap, HeaderValue, header, request::Parts},
};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::{
    auth::{
        password::Passwords,
        session::{Sessions, token_from_headers},
    },
    config::Config,
    db::Db,
    error::AppError,
    jobs::Runner,
    rate_limit::Limiter,
};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub db: Db,
    /// Session tokens and cookies.
    pub sessions: Arc<Sessions>,
    /// Password hashing.
    pub passwords: Passwords,
    /// Rate limits.
    pub limiter: Limiter,
    /// This server's runner of bulk changes.
    pub jobs: Runner,
}

impl AppState {
    /// The state of a server with this configuration and database.
    pub fn new(config: Config, db: Db) -> Self {
        Self {
            sessions: Arc::new(Sessions::new(&config)),
            passwords: Passwords::default(),
            limiter: Limiter::new(config.signup_limit_per_hour, config.login_limit_per_address),
            jobs: Runner::new(config.bulk_batch),
            config: Arc::new(config),
            db,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}

/// A response extension: this answer may take this long to send (a download), longer than
/// the connection's usual deadline for an answer (`server::connection`), counted from when
/// its head is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongAnswer(pub std::time::Duration);

/// A request extension: changes to `true` when the server that took the request begins to
/// stop, so that answers that last (the live stream) end in time for it.
#[derive(Debug, Clone)]
pub struct Stopping(pub tokio::sync::watch::Receiver<bool>);

/// The app's state, from inside a server function or a server-rendered component.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// The request a server function is answering, and its response's headers.
pub struct Request {
    parts: Parts,
    response: ResponseOptions,
}

impl Request {
    /// The request being served.
    pub fn current() -> Result<Self, AppError> {
        match (use_context::<Parts>(), use_context::<ResponseOptions>()) {
            (Some(parts), Some(response)) => Ok(Self { parts, response }),
            _ => {
                tracing::error!("request parts missing from the Leptos context");
                Err(AppError::Internal)
            }
        }
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// Says that the answer is never to be stored by a cache (it carries a secret).
    pub fn no_store(&self) {
        self.response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    /// Whether the request comes from a browser's page rather than a script (its `Accept`
    /// names HTML): a plain form, answered by a redirect back to its page.
    pub fn accepts_html(&self) -> bool {
        self.parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    }

    /// Whether the request only reads (`GET` or `HEAD`).
    pub fn is_read(&self) -> bool {
        matches!(self.parts.method, axum::http::Method::GET | axum::http::Method::HEAD)
    }

    /// The session token the request carries, if any.
    pub fn session_token(&self, sessions: &Sessions) -> Option<&str> {
        token_from_headers(&self.parts.headers, sessions.cookie_name())
    }

    /// Adds a cookie to the response (the session cookie, set or cleared, or the device
    /// cookie). A response that sets one is never cached.
    pub fn set_cookie(&self, cookie: &HeaderValue) {
        self.response.append_header(header::SET_COOKIE, cookie.clone());
        self.response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    /// The client's address: the peer, or behind a trusted proxy the last hop it recorded.
    pub fn client_address(&self, config: &Config) -> String {
        client_address(
            &self.parts.headers,
            self.parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
            config.trust_proxy,
        )
    }
}

/// The origin (`scheme://host[:port]`, normalized) of this site: the configured public URL's,
/// else the `Host` the client asked for, over plain HTTP (or, behind a trusted proxy, the
/// scheme it reports in `X-Forwarded-Proto`).
pub fn site_origin(headers: &HeaderMap, config: &Config) -> Option<String> {
    if let Some(origin) = &config.public_origin {
        return Some(origin.clone());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok())?;
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some(proto) if config.trust_proxy && proto.trim().eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    crate::config::origin_of(&format!("{scheme}://{host}"))
}

fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> String {
    if trust_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return address.to_owned();
        }
    }
    peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 5000)));
        let h: HeaderMap =
            [(header::HeaderName::from_static("x-forwarded-for"), HeaderValue::from_static("1.2.3.4, 5.6.7.8"))]
                .into_iter()
                .collect();
        assert_eq!(client_address(&h, peer, false), "10.0.0.1");
        assert_eq!(client_address(&h, peer, true), "5.6.7.8");
    }
}
