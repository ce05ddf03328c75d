//! What every request passes through, outermost last in [`super::app`]: security headers,
//! the request's deadline, the CSRF check, the body's limits, and keeping form redirects on
//! this site.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::{BodyExt, Limited};

use crate::{
    config::Config,
    error::AppError,
    state::{AppState, site_origin},
};

/// Largest request body the API accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Refuses state-changing requests that come from another site (CSRF): a `Sec-Fetch-Site:
/// cross-site` header, or an `Origin` other than the site's own (scheme, host and port).
/// Requests with neither (curl, scripts) pass; they cannot carry a victim's cookie without
/// the victim's browser.
pub(super) async fn refuse_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_site(request.headers(), &state.config)
    {
        return next.run(request).await;
    }
    tracing::warn!(path = loggable_path(request.uri().path()), "cross-site request refused");
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

/// A request's path as the log shows it: without its query (search words are the person's)
/// and without a calendar feed's secret.
pub(super) fn loggable_path(path: &str) -> &str {
    if path.starts_with("/calendar/") { "/calendar/<secret>" } else { path }
}

/// Keeps a server function's answer to a plain form (one that accepts HTML) on this site.
///
/// Leptos answers such a request with a redirect to its `Referer`, carrying any error in the
/// URL. Reads (`GET`) need no redirect: they are answered with their JSON, whatever the
/// `Accept`. A `Referer` from another site is dropped, and a `Location` off this site is
/// replaced with `/`: the API never sends a browser, or what it was told, elsewhere.
pub(super) async fn keep_form_redirects_on_site(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
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
pub(super) async fn limit_body(request: Request, next: Next) -> Response {
    if request.uri().path() == crate::import::upload::PATH {
        // A file of up to 10 MiB in a multipart form: the import reads it, within its own limit
        // (another method gets its 405 from the router, its body unread).
        return next.run(request).await;
    }
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
    let deadline = crate::db::REQUEST_DEADLINE.try_with(|d| *d).unwrap_or_else(|_| tokio::time::Instant::now());
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout_at(deadline, Limited::new(body, BODY_LIMIT).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return AppError::PayloadTooLarge.into_response(),
        Ok(Err(_)) => return AppError::BadRequest("The request body could not be read.".into()).into_response(),
        Err(_) => {
            tracing::warn!(path = loggable_path(parts.uri.path()), "request body timed out");
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
    next.run(Request::from_parts(parts, Body::from(bytes))).await
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

/// Puts the whole request, from its body's first byte to its answer, under the configured
/// time: a body still arriving then is a 408 ([`limit_body`]), a request still running a 503,
/// so that one slow client or query cannot pile up requests behind it.
pub(super) async fn limit_time(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = loggable_path(request.uri().path()).to_owned();
    // An import reads and writes up to 100,000 rows: a deadline of its own.
    let timeout = if crate::import::upload::is_import(request.method(), request.uri().path()) {
        crate::import::upload::DEADLINE.max(state.config.request_timeout)
    } else {
        state.config.request_timeout
    };
    let deadline = tokio::time::Instant::now() + timeout;
    // Read by what runs inside: the body's reading ([`limit_body`]) and the wait for SQLite's
    // writer, which ends early enough that the write still finishes in time
    // (`db::SqliteWriter::lock`).
    match tokio::time::timeout_at(deadline, crate::db::REQUEST_DEADLINE.scope(deadline, next.run(request))).await {
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
pub(super) struct PageNonce(pub(super) Arc<str>);

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
pub(super) async fn security_headers(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
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
    headers
        .insert(header::HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(DEFAULT_CSP));
    if state.config.public_origin.as_deref().is_some_and(|origin| origin.starts_with("https://")) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
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
}
