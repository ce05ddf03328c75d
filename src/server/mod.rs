//! The HTTP server: the router with its middleware ([`app`]), and serving it ([`serve`]).
//!
//! - [`middleware`]: what every request passes through (CSRF, body and time limits,
//!   security headers, form redirects);
//! - [`connection`]: accepting connections, their limits and deadlines, graceful shutdown;
//! - [`housekeeping`]: the work that runs beside the server.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, header, request::Parts},
    middleware::{from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
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
    auth::extract::RequestAuth,
    error::AppError,
    state::AppState,
};

mod connection;
mod housekeeping;
mod metrics;
mod middleware;

pub use connection::{ConnectionLimits, serve, shutdown_signal};
pub use housekeeping::{Housekeeping, spawn_housekeeping};
pub use middleware::BODY_LIMIT;

/// The router of the whole app, with its middleware.
pub fn app(state: AppState) -> Router {
    let options = state.config.leptos.clone();
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(RequestAuth::default());
            // The nonce the page's Content-Security-Policy allows ([`middleware::security_headers`]).
            let nonce =
                use_context::<Parts>().and_then(|parts| parts.extensions.get::<middleware::PageNonce>().cloned());
            match nonce {
                Some(middleware::PageNonce(nonce)) => provide_context(leptos::nonce::Nonce::from_value(nonce)),
                None => leptos::nonce::provide_nonce(),
            }
        }
    };
    let pkg_cache = if options.hash_files { "public, max-age=31536000, immutable" } else { "no-cache" };
    let pkg = ServeDir::new(format!("{}/{}", options.site_root, options.site_pkg_dir))
        .precompressed_br()
        .precompressed_gzip();

    let metrics = metrics::Metrics::install(&state);
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get({
                let metrics = metrics.clone();
                move |State(state): State<AppState>, headers: HeaderMap| async move {
                    match &metrics {
                        Some(metrics) => metrics.scrape(&state, &headers),
                        None => AppError::NotFound.into_response(),
                    }
                }
            }),
        )
        .route(crate::export::api::PATH, get(crate::export::api::download))
        .route(crate::import::upload::PATH, axum::routing::post(crate::import::upload::upload))
        .route(crate::calendar::feed::PATH, get(crate::calendar::feed::serve))
        .route(crate::live::stream::PATH, get(crate::live::stream::events))
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
        .layer(axum::Extension(crate::live::Hub::start(state.db.clone())))
        // Innermost first: each request meets these from the last to the first. The deadline
        // is outside the body's reading, so a body that stalls is timed out too.
        .layer(from_fn_with_state(state.clone(), middleware::keep_form_redirects_on_site))
        .layer(from_fn(middleware::limit_body))
        .layer(from_fn_with_state(state.clone(), middleware::refuse_cross_site))
        .layer(from_fn_with_state(state.clone(), middleware::limit_time))
        .layer(from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let path = middleware::loggable_path(request.uri().path());
                    tracing::debug_span!("request", method = %request.method(), path)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(CatchPanicLayer::custom(|_| AppError::Internal.into_response()));
    // Outermost, so that every answer is counted: the deadline's 503s, the limits' 413s and
    // the 500s of a panic included.
    let router = match metrics {
        Some(_) => router.layer(from_fn(metrics::track)),
        None => router,
    };
    router.with_state(state)
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
