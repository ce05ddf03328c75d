//! The HTTP server: shared state, the router with its middleware, and the serve loop.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, FromRef, Request as HttpRequest, State},
    http::{
        HeaderMap, HeaderValue, Method, StatusCode,
        header::{self, HeaderName},
        request::Parts,
    },
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use http_body_util::{BodyExt, Limited};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, ResponseOptions, generate_route_list};
use tower::ServiceExt;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    app::{App, shell},
    auth::{
        password::Passwords,
        session::{AuthUser, Sessions, token_from_headers},
    },
    config::Config,
    db::Db,
    error::AppError,
    rate_limit::Limiter,
};

/// Largest request body the API accepts.
pub const BODY_LIMIT: usize = 64 * 1024;
/// How long the password hashers keep their memory (7 MiB each) after their last hash.
const HASHER_MEMORY_IDLE: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

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
}

impl AppState {
    /// The state of a server with this configuration and database.
    pub fn new(config: Config, db: Db) -> Self {
        Self {
            sessions: Arc::new(Sessions::new(&config)),
            passwords: Passwords::default(),
            limiter: Limiter::new(config.signup_limit_per_hour),
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

    /// The session token the request carries, if any.
    pub fn session_token(&self, sessions: &Sessions) -> Option<&str> {
        token_from_headers(&self.parts.headers, sessions.cookie_name())
    }

    /// Sets (or clears) the session cookie. Such a response must never be cached.
    pub fn set_session_cookie(&self, cookie: &HeaderValue) {
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

/// The outcome of authenticating the current request, kept for the request's lifetime: a
/// server-rendered page calls several server functions, and each would check the session.
#[derive(Clone, Default)]
pub struct RequestAuth(Arc<tokio::sync::OnceCell<Result<AuthUser, AppError>>>);

/// The authenticated user of the current request, or 401 `unauthenticated`.
///
/// Every server function that touches a user's data starts with this.
pub async fn require_user() -> Result<AuthUser, AppError> {
    let authenticate = || async {
        let state = state()?;
        let request = Request::current()?;
        let token = request.session_token(&state.sessions).ok_or(AppError::Unauthenticated)?;
        state.sessions.authenticate(&state.db, token).await
    };
    match use_context::<RequestAuth>() {
        Some(cache) => cache.0.get_or_init(authenticate).await.clone(),
        None => authenticate().await,
    }
}

/// Gives the current server function's response the status (and `Retry-After`) of `error`.
pub fn respond_with_status(error: &AppError) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    // A plain HTML form (no WASM) is answered with a redirect back to its page, carrying the
    // error in the URL; a 4xx status would stop the browser from following it.
    if use_context::<Parts>().is_some_and(|parts| accepts_html(&parts.headers)) {
        return;
    }
    if let Ok(status) = StatusCode::from_u16(error.status()) {
        response.set_status(status);
    }
    if let Some(seconds) = error.retry_after() {
        response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after();
        let mut response = (status, axum::Json(crate::error::ErrorBody::from(self))).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The router of the whole app, with its middleware.
pub fn app(state: AppState) -> Router {
    let options = state.config.leptos.clone();
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(RequestAuth::default());
            leptos::nonce::provide_nonce();
        }
    };
    let pkg_cache = if options.hash_files { "public, max-age=31536000, immutable" } else { "no-cache" };
    let pkg = ServeDir::new(format!("{}/{}", options.site_root, options.site_pkg_dir))
        .precompressed_br()
        .precompressed_gzip();

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::api_docs::routes())
        .route("/api/{*path}", any(api_not_found))
        .nest_service(
            &format!("/{}", options.site_pkg_dir),
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(pkg_cache)))
                .service(pkg),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed.into_response() })
        .layer(middleware::from_fn_with_state(state.clone(), limit_time))
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn_with_state(state.clone(), refuse_cross_site))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(CatchPanicLayer::custom(|_| AppError::Internal.into_response()))
        .with_state(state)
}

/// `GET /healthz`: the process is up.
async fn healthz() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(serde_json::json!({"status": "ok"})))
}

/// `GET /readyz`: the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.is_ready().await { healthz().await.into_response() } else { AppError::Unavailable.into_response() }
}

/// Any other `/api/` path: a JSON 404 rather than the HTML page (the server functions have
/// routes of their own, registered by `leptos_routes_with_context`).
async fn api_not_found() -> Response {
    AppError::NotFound.into_response()
}

/// Refuses state-changing requests that come from another site (CSRF): a `Sec-Fetch-Site:
/// cross-site` header, or an `Origin` other than the site's own. Requests with neither
/// (curl, scripts) pass; they cannot carry a victim's cookie without the victim's browser.
async fn refuse_cross_site(State(state): State<AppState>, request: HttpRequest, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_site(request.headers(), state.config.public_origin.as_deref())
    {
        return next.run(request).await;
    }
    tracing::warn!(origin = ?request.headers().get(header::ORIGIN), path = request.uri().path(), "cross-site request refused");
    AppError::CsrfRejected.into_response()
}

fn is_same_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    match public_origin {
        Some(expected) => origin.eq_ignore_ascii_case(expected),
        // Without a configured public URL, the site is whatever host the client asked for.
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
            matches!((host, origin_host), (Some(host), Some(origin_host)) if host.eq_ignore_ascii_case(origin_host))
        }
    }
}

/// Reads the body up front, refusing one over [`BODY_LIMIT`] with 413 before any handler
/// (or the database) sees it. The API's query strings and form bodies must also be UTF-8
/// once percent-decoded: the decoder would otherwise turn bad bytes into U+FFFD and store
/// them as if they had been sent.
async fn limit_body(request: HttpRequest, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    let api = request.uri().path().starts_with("/api/");
    if api && request.uri().query().is_some_and(|query| !decodes_to_utf8(query.as_bytes())) {
        return not_utf8();
    }
    if matches!(*request.method(), Method::GET | Method::HEAD) && declared.is_none() {
        return next.run(request).await;
    }
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (parts, body) = request.into_parts();
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            if api && form && !decodes_to_utf8(&bytes) {
                return not_utf8();
            }
            next.run(HttpRequest::from_parts(parts, Body::from(bytes))).await
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => AppError::PayloadTooLarge.into_response(),
        Err(_) => AppError::BadRequest("The request body could not be read.".into()).into_response(),
    }
}

/// Whether url-encoded text is UTF-8 once its `%XX` escapes are decoded (separators are
/// ASCII, so checking the whole text checks every name and value).
fn decodes_to_utf8(encoded: &[u8]) -> bool {
    percent_encoding::percent_decode(encoded).decode_utf8().is_ok()
}

fn not_utf8() -> Response {
    AppError::BadRequest("The request is not valid UTF-8.".into()).into_response()
}

/// Answers 503 for a request still running after the configured time, so that one slow
/// query cannot pile up requests behind it.
async fn limit_time(State(state): State<AppState>, request: HttpRequest, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path, "request timed out");
            AppError::Unavailable.into_response()
        }
    }
}

/// Headers every response carries.
async fn security_headers(request: HttpRequest, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    response
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting connections
/// and lets the requests in flight finish. A client gets `header_timeout` to send each
/// request's headers.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all requests finished"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("shutdown grace period over; dropping remaining connections"),
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// The work that runs beside the server: SQLite's checkpoints, giving back the password
/// hashers' memory after a quiet spell, and an hourly clean-up of expired sessions and
/// rate-limit windows.
pub fn spawn_housekeeping(state: AppState) {
    state.db.spawn_checkpoints();
    let passwords = state.passwords.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HASHER_MEMORY_IDLE);
        loop {
            tick.tick().await;
            passwords.release_idle_memory(HASHER_MEMORY_IDLE);
        }
    });
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let sessions = crate::auth::session::forget_expired(&state.db).await;
            let limits = state.limiter.forget_expired(&state.db).await;
            match (sessions, limits) {
                (Ok(sessions), Ok(limits)) => tracing::debug!(sessions, limits, "expired rows removed"),
                _ => tracing::warn!("housekeeping failed; will retry in an hour"),
            }
        }
    });
}

/// Sets up logging: `RUST_LOG` for levels (default `info`), text or JSON lines on stderr.
pub fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn same_site_requests_pass_the_csrf_check() {
        assert!(is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "http://localhost:3000")]), None));
        assert!(is_same_site(&headers(&[("host", "localhost:3000")]), None), "no Origin: curl");
        assert!(is_same_site(&headers(&[("origin", "https://doable.example")]), Some("https://doable.example")));
    }

    #[test]
    fn cross_site_requests_fail_the_csrf_check() {
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "http://evil.example")]), None));
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "null")]), None));
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("sec-fetch-site", "cross-site")]), None));
        assert!(!is_same_site(&headers(&[("origin", "http://doable.example")]), Some("https://doable.example")));
    }

    #[test]
    fn url_encoded_text_must_decode_to_utf8() {
        assert!(decodes_to_utf8(b"title=Caf%C3%A9+au+lait&tags=a%2Cb"));
        assert!(decodes_to_utf8("title=日本".as_bytes()));
        assert!(decodes_to_utf8(b"title=100%"), "a stray % is kept as it is, like the decoder does");
        assert!(!decodes_to_utf8(b"title=%FF%FE"));
        assert!(!decodes_to_utf8(b"title=%C0%80"), "overlong encodings are not UTF-8");
        assert!(!decodes_to_utf8(b"title=\xff"));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 5000)));
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 5.6.7.8")]);
        assert_eq!(client_address(&h, peer, false), "10.0.0.1");
        assert_eq!(client_address(&h, peer, true), "5.6.7.8");
    }
}
