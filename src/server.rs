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
    server::conn::auto,
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
            limiter: Limiter::new(config.signup_limit_per_hour, config.login_limit_per_address),
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
            // The nonce the page's Content-Security-Policy allows ([`security_headers`]).
            let nonce = use_context::<Parts>().and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
            match nonce {
                Some(PageNonce(nonce)) => provide_context(leptos::nonce::Nonce::from_value(nonce)),
                None => leptos::nonce::provide_nonce(),
            }
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
        // Innermost first: each request meets these from the last to the first. The deadline
        // is outside the body's reading, so a body that stalls is timed out too.
        .layer(middleware::from_fn_with_state(state.clone(), keep_form_redirects_on_site))
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn_with_state(state.clone(), refuse_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), limit_time))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
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
/// cross-site` header, or an `Origin` other than the site's own (scheme, host and port).
/// Requests with neither (curl, scripts) pass; they cannot carry a victim's cookie without
/// the victim's browser.
async fn refuse_cross_site(State(state): State<AppState>, request: HttpRequest, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_site(request.headers(), &state.config)
    {
        return next.run(request).await;
    }
    tracing::warn!(path = request.uri().path(), "cross-site request refused");
    AppError::CsrfRejected.into_response()
}

fn is_same_site(headers: &HeaderMap, config: &Config) -> bool {
    if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let origin = origin.to_str().ok().and_then(crate::config::origin_of);
    matches!((origin, site_origin(headers, config)), (Some(origin), Some(site)) if origin == site)
}

/// The origin (`scheme://host[:port]`, normalized) of this site: the configured public URL's,
/// else the `Host` the client asked for, over plain HTTP (or, behind a trusted proxy, the
/// scheme it reports in `X-Forwarded-Proto`).
fn site_origin(headers: &HeaderMap, config: &Config) -> Option<String> {
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

/// Keeps a server function's answer to a plain form (one that accepts HTML) on this site.
///
/// Leptos answers such a request with a redirect to its `Referer`, carrying any error in the
/// URL. Reads (`GET`) need no redirect: they are answered with their JSON, whatever the
/// `Accept`. A `Referer` from another site is dropped, and a `Location` off this site is
/// replaced with `/`: the API never sends a browser, or what it was told, elsewhere.
async fn keep_form_redirects_on_site(State(state): State<AppState>, mut request: HttpRequest, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let site = site_origin(request.headers(), &state.config);
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let headers = request.headers_mut();
    if read {
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    } else if headers.get(header::REFERER).is_some_and(|referer| !is_on_site(referer, site.as_deref())) {
        headers.remove(header::REFERER);
    }
    let mut response = next.run(request).await;
    if response.headers().get(header::LOCATION).is_some_and(|to| !is_on_site(to, site.as_deref())) {
        response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/"));
    }
    response
}

/// Whether a `Referer` or `Location` value is a path on this site or a URL of its origin.
fn is_on_site(target: &HeaderValue, site: Option<&str>) -> bool {
    let Ok(target) = target.to_str() else { return false };
    if target.starts_with('/') {
        return crate::ui::is_local_path(target);
    }
    crate::config::origin_of(target).is_some_and(|origin| Some(origin.as_str()) == site)
}

/// Reads the body up front, before the request's deadline, refusing one over
/// [`BODY_LIMIT`] with 413 before any handler (or the database) sees it, and one that does
/// not arrive in time with 408. The API reads only url-encoded bodies (415 for any other
/// type), and its query strings and bodies must be UTF-8 once percent-decoded: the decoder
/// would otherwise turn bad bytes into U+FFFD and store them as if they had been sent.
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
    let form = request.headers().get(header::CONTENT_TYPE).map(is_form_type);
    let deadline = request.extensions().get::<Deadline>().map_or_else(tokio::time::Instant::now, |d| d.0);
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout_at(deadline, Limited::new(body, BODY_LIMIT).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return AppError::PayloadTooLarge.into_response(),
        Ok(Err(_)) => return AppError::BadRequest("The request body could not be read.".into()).into_response(),
        Err(_) => {
            tracing::warn!(path = parts.uri.path(), "request body timed out");
            return AppError::RequestTimeout.into_response();
        }
    };
    if api && !bytes.is_empty() {
        // A body of another type (or of none) would be decoded all the same.
        if form != Some(true) {
            return AppError::UnsupportedMediaType.into_response();
        }
        if !decodes_to_utf8(&bytes) {
            return not_utf8();
        }
    }
    next.run(HttpRequest::from_parts(parts, Body::from(bytes))).await
}

/// Whether a `Content-Type` is `application/x-www-form-urlencoded` (in any case, with any
/// parameters).
fn is_form_type(value: &HeaderValue) -> bool {
    let essence = value.as_bytes().split(|b| *b == b';').next().unwrap_or_default();
    essence.trim_ascii().eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// Whether url-encoded text is UTF-8 once its `%XX` escapes are decoded (separators are
/// ASCII, so checking the whole text checks every name and value).
fn decodes_to_utf8(encoded: &[u8]) -> bool {
    percent_encoding::percent_decode(encoded).decode_utf8().is_ok()
}

fn not_utf8() -> Response {
    AppError::BadRequest("The request is not valid UTF-8.".into()).into_response()
}

/// When the current request must be answered by (set by [`limit_time`]).
#[derive(Clone, Copy, Debug)]
struct Deadline(tokio::time::Instant);

/// Puts the whole request, from its body's first byte to its answer, under the configured
/// time: a body still arriving then is a 408 ([`limit_body`]), a request still running a 503,
/// so that one slow client or query cannot pile up requests behind it.
async fn limit_time(State(state): State<AppState>, mut request: HttpRequest, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let deadline = tokio::time::Instant::now() + state.config.request_timeout;
    request.extensions_mut().insert(Deadline(deadline));
    match tokio::time::timeout_at(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path, "request timed out");
            AppError::Unavailable.into_response()
        }
    }
}

/// The nonce of a page's inline scripts: made here for each request, so that the page's
/// Content-Security-Policy and the scripts Leptos writes into it always agree (the policy
/// used to be set while the page rendered, and a page was now and then sent without it).
#[derive(Clone, Debug)]
struct PageNonce(Arc<str>);

impl PageNonce {
    fn new() -> Self {
        Self(crate::hex::random::<16>().into())
    }

    /// The policy of a page rendered with this nonce: scripts only from this site or carrying
    /// the nonce (Leptos puts it on its own inline scripts), no plugins, no framing.
    fn policy(&self) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
            self.0
        ))
        .ok()
    }
}

/// The policy of pages that are not the app's (the API documentation's, say): scripts and
/// styles from this site only. Swagger UI sets inline styles.
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Headers every response carries. A response that says nothing of caching is not cached:
/// pages and API answers carry a person's data, which must not come back from the browser's
/// cache after a logout (assets under `/pkg` say they may be cached). Over HTTPS, browsers are
/// told to come back over HTTPS only.
async fn security_headers(State(state): State<AppState>, mut request: HttpRequest, next: Next) -> Response {
    // The app's pages (everything but the API, its documentation and the assets).
    let path = request.uri().path();
    let app_page = !["/api/", "/docs", "/pkg/"].iter().any(|prefix| path.starts_with(prefix));
    let nonce = app_page.then(PageNonce::new);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let html = headers.get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if let Some(policy) = nonce.as_ref().filter(|_| html).and_then(PageNonce::policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(DEFAULT_CSP));
    if state.config.public_origin.as_deref().is_some_and(|origin| origin.starts_with("https://")) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// How many connections a server holds open at once, and how long each may stay quiet.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// A client gets this long to send a request's headers (HTTP/1), and a connection with no
    /// request in flight for this long is closed (HTTP/1 keep-alive and HTTP/2 alike).
    pub idle_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed at once.
    pub max_connections: usize,
    /// A request still not wholly answered this long after it arrived (its client does not
    /// read the answer, say) has its connection closed, whatever else it carries.
    pub answer_deadline: Duration,
}

impl ConnectionLimits {
    /// The configured limits.
    pub fn of(config: &Config) -> Self {
        Self {
            idle_timeout: config.header_timeout,
            max_connections: config.max_connections,
            answer_deadline: config.request_timeout + config.header_timeout,
        }
    }
}

/// What a connection beyond [`ConnectionLimits::max_connections`] is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json\r\n\
    retry-after: 1\r\ncontent-length: 100\r\n\r\n\
    {\"code\":\"unavailable\",\"message\":\"The service is temporarily unavailable. Please try again shortly.\"}";

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting connections
/// and lets the requests in flight finish (for at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let (mut refused, mut last_warning) = (0u64, None);
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
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            // Full: say so without waiting on the client (a write that would block is skipped),
            // and in the log at most once a second, however fast connections come.
            let _ = stream.try_write(BUSY);
            refused += 1;
            if last_warning.is_none_or(|at: tokio::time::Instant| at.elapsed() >= Duration::from_secs(1)) {
                tracing::warn!(refused, "connections refused: too many open connections");
                last_warning = Some(tokio::time::Instant::now());
                refused = 0;
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, peer, app.clone(), limits, stop.clone(), slot));
    }
    drop(listener);
    let _ = stopping.send(true);
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::select! {
        _ = slots.acquire_many(all) => tracing::info!("all requests finished"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("shutdown grace period over; dropping remaining connections"),
    }
}

/// Serves one connection (HTTP/1 or HTTP/2) until it ends, closing it gracefully once it has
/// had no request in flight for the idle timeout, or when the server stops, and at once when
/// a request has not been wholly answered by the answer deadline: a client that does not
/// read its answers would otherwise hold its connection (and its slot) for ever.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let idle_timeout = limits.idle_timeout;
    let activity = Activity::default();
    let service = {
        let activity = activity.clone();
        app.map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        })
        .map_future(move |response| {
            let busy = activity.begin();
            async move {
                // The request counts as in flight until its answer's body is sent (or dropped).
                let response: Result<Response, _> = response.await;
                response.map(|response| {
                    response.map(|body| {
                        Body::new(body.map_frame(move |frame| {
                            let _ = &busy;
                            frame
                        }))
                    })
                })
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(idle_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .keep_alive_interval(idle_timeout)
        .keep_alive_timeout(idle_timeout);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
    let mut connection = std::pin::pin!(connection);
    let opened = tokio::time::Instant::now();
    // When the connection was asked to close: one that still has not, with nothing in flight,
    // an idle timeout later (its client does not read what is left to send) is dropped.
    let mut closing: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                return;
            }
            () = activity.overdue(limits.answer_deadline) => {
                tracing::debug!(%peer, "connection closed: an answer was not taken in time");
                return;
            }
            () = activity.quiet_for(opened, idle_timeout), if closing.is_none() => {
                connection.as_mut().graceful_shutdown();
                closing = Some(tokio::time::Instant::now());
            }
            _ = stop.wait_for(|stopping| *stopping), if closing.is_none() => {
                connection.as_mut().graceful_shutdown();
                closing = Some(tokio::time::Instant::now());
            }
            () = activity.quiet_for(closing.unwrap_or(opened), idle_timeout), if closing.is_some() => {
                tracing::debug!(%peer, "connection dropped: it did not close in time");
                return;
            }
        }
    }
}

/// A connection's requests in flight (by number, with when each arrived), and when the last
/// one ended.
#[derive(Clone, Default)]
struct Activity(Arc<std::sync::Mutex<Requests>>);

#[derive(Default)]
struct Requests {
    next: u64,
    in_flight: Vec<(u64, tokio::time::Instant)>,
    last_ended: Option<tokio::time::Instant>,
}

/// A request in flight; it ends when dropped.
struct InFlight(Activity, u64);

impl Activity {
    fn begin(&self) -> InFlight {
        let mut id = 0;
        self.update(|requests| {
            id = requests.next;
            requests.next += 1;
            requests.in_flight.push((id, tokio::time::Instant::now()));
        });
        InFlight(self.clone(), id)
    }

    fn update(&self, change: impl FnOnce(&mut Requests)) {
        let mut requests = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut requests);
    }

    /// Completes once no request has been in flight for `quiet`, counting from `since` at the
    /// earliest.
    async fn quiet_for(&self, since: tokio::time::Instant, quiet: Duration) {
        loop {
            let mut wake = None;
            self.update(|requests| {
                if requests.in_flight.is_empty() {
                    wake = Some(requests.last_ended.map_or(since, |ended| ended.max(since)) + quiet);
                }
            });
            match wake {
                Some(at) if at <= tokio::time::Instant::now() => return,
                Some(at) => tokio::time::sleep_until(at).await,
                None => tokio::time::sleep(quiet).await,
            }
        }
    }

    /// Completes once a request has been in flight for longer than `deadline`.
    async fn overdue(&self, deadline: Duration) {
        loop {
            let mut oldest = None;
            self.update(|requests| oldest = requests.in_flight.iter().map(|(_, arrived)| *arrived).min());
            match oldest {
                Some(arrived) if arrived + deadline <= tokio::time::Instant::now() => return,
                Some(arrived) => tokio::time::sleep_until(arrived + deadline).await,
                None => tokio::time::sleep(deadline).await,
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let id = self.1;
        self.0.update(|requests| {
            requests.in_flight.retain(|(request, _)| *request != id);
            requests.last_ended = Some(tokio::time::Instant::now());
        });
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
/// rate-limit windows. Stop it ([`Housekeeping::stop`]) before closing the database.
pub fn spawn_housekeeping(state: AppState) -> Housekeeping {
    let mut tasks = Vec::new();
    tasks.extend(state.db.spawn_checkpoints());
    let passwords = state.passwords.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(HASHER_MEMORY_IDLE);
        loop {
            tick.tick().await;
            passwords.release_idle_memory(HASHER_MEMORY_IDLE);
        }
    }));
    tasks.push(tokio::spawn(async move {
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
    }));
    Housekeeping(tasks)
}

/// The background tasks [`spawn_housekeeping`] started.
pub struct Housekeeping(Vec<tokio::task::JoinHandle<()>>);

impl Housekeeping {
    /// Stops every task and waits until each has: none is left using the database when it
    /// closes (a checkpoint would otherwise fail on the closed pool at shutdown).
    pub async fn stop(self) {
        for task in &self.0 {
            task.abort();
        }
        for task in self.0 {
            let _ = task.await;
        }
    }
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

    /// A configuration with these settings (and no files).
    fn config(settings: &[(&str, &str)]) -> Config {
        let mut env: std::collections::HashMap<String, String> =
            [("DATABASE_URL", "sqlite::memory:"), ("DOABLE_JWT_SECRET", "0123456789abcdef0123456789abcdef")]
                .iter()
                .chain(settings)
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        env.retain(|_, v| !v.is_empty());
        Config::from_source(&env).unwrap()
    }

    #[test]
    fn same_site_requests_pass_the_csrf_check() {
        let plain = config(&[]);
        assert!(is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "http://localhost:3000")]), &plain));
        assert!(is_same_site(&headers(&[("host", "LocalHost:3000"), ("origin", "http://localhost:3000")]), &plain));
        assert!(is_same_site(&headers(&[("host", "localhost:3000")]), &plain), "no Origin: curl");
        let public = config(&[("DOABLE_PUBLIC_URL", "https://doable.example")]);
        assert!(is_same_site(&headers(&[("origin", "https://doable.example")]), &public));
        assert!(is_same_site(&headers(&[("origin", "https://doable.example:443")]), &public), "the default port");
        let proxied = config(&[("DOABLE_TRUST_PROXY", "true")]);
        let behind_tls = headers(&[
            ("host", "doable.example"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://doable.example"),
        ]);
        assert!(is_same_site(&behind_tls, &proxied));
    }

    #[test]
    fn cross_site_requests_fail_the_csrf_check() {
        let plain = config(&[]);
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "http://evil.example")]), &plain));
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "null")]), &plain));
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("sec-fetch-site", "cross-site")]), &plain));
        assert!(
            !is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "https://localhost:3000")]), &plain),
            "the scheme is part of the origin"
        );
        assert!(!is_same_site(&headers(&[("host", "localhost:3000"), ("origin", "http://localhost:3001")]), &plain));
        assert!(!is_same_site(&headers(&[("origin", "http://localhost:3000")]), &plain), "no Host to compare with");
        let public = config(&[("DOABLE_PUBLIC_URL", "https://doable.example")]);
        assert!(!is_same_site(&headers(&[("origin", "http://doable.example")]), &public));
        let untrusted =
            headers(&[("host", "x.example"), ("x-forwarded-proto", "https"), ("origin", "https://x.example")]);
        assert!(!is_same_site(&untrusted, &plain), "X-Forwarded-Proto counts only behind a trusted proxy");
    }

    #[test]
    fn form_redirects_stay_on_the_site() {
        let site = Some("http://localhost:3000");
        for on_site in ["/login?next=%2Ftasks", "http://localhost:3000/tasks?__err=x"] {
            assert!(is_on_site(&HeaderValue::from_static(on_site), site), "{on_site}");
        }
        for off_site in ["https://evil.example/", "//evil.example/x", "https://localhost:3000/", "/\\evil.example", "x"]
        {
            assert!(!is_on_site(&HeaderValue::from_str(off_site).unwrap(), site), "{off_site}");
        }
    }

    #[test]
    fn the_busy_answer_is_a_whole_http_response() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap()["code"], "unavailable");
    }

    #[test]
    fn only_url_encoded_bodies_are_forms() {
        for form in ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=UTF-8"] {
            assert!(is_form_type(&HeaderValue::from_static(form)), "{form}");
        }
        for other in ["text/plain", "application/json", "multipart/form-data; boundary=x", ""] {
            assert!(!is_form_type(&HeaderValue::from_static(other)), "{other}");
        }
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
