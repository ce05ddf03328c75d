//! `GET /metrics`: the server's figures in Prometheus' text format, for a monitor to scrape,
//! through the `metrics` facade and its Prometheus exporter. Off unless
//! `DOABLE_METRICS_TOKEN` is set: then no recorder is installed, every `metrics::` call in the
//! crate does nothing, and `/metrics` is a 404. On, it answers only that bearer token (401).
//!
//! What is measured, and where:
//! - `doable_http_requests_total{route,status}` and `doable_http_request_duration_seconds{route}`
//!   ([`track`]): `route` is the matched route's pattern (`/api/tasks/list`, `/lists/{id}`),
//!   never the raw path, so the number of series is fixed by the app, not by its clients;
//! - `doable_db_connections{pool,state}` (read at each scrape), `doable_db_acquire_timeouts_total`
//!   `doable_sqlite_writer_wait_seconds` and `doable_sqlite_commit_writes` (`db`);
//! - `doable_password_hashes_running` and `doable_password_hashes_queued` (`auth::password`);
//! - `doable_snapshots_total{result}` (the scheduled snapshots, `housekeeping`).

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};

use crate::{error::AppError, state::AppState};

/// Upper bounds of the histograms' buckets, in seconds: from a cached read (0.1 ms) to the
/// request deadline (10 s).
const BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Upper bounds of `doable_sqlite_commit_writes`' buckets: writes per commit, up to a group's
/// most (16).
const WRITES_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0];

/// How often the recorder folds recent samples into the histograms.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's recorder: `metrics` has one per process (tests start several servers in one).
static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The metrics of a server that has them on.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    /// SHA-256 of the token: a scrape's token is compared by digest, so the comparison's
    /// time says nothing about the token.
    token: [u8; 32],
}

impl Metrics {
    /// Installs the recorder when `DOABLE_METRICS_TOKEN` is set.
    pub fn install(state: &AppState) -> Option<Self> {
        let token = state.config.metrics_token.as_ref()?;
        let handle = RECORDER
            .get_or_init(|| {
                let builder = PrometheusBuilder::new()
                    .set_buckets(BUCKETS)
                    .and_then(|b| {
                        b.set_buckets_for_metric(Matcher::Full("doable_sqlite_commit_writes".into()), WRITES_BUCKETS)
                    })
                    .ok()?;
                match builder.install_recorder() {
                    Ok(handle) => {
                        // Folds the histograms' recent samples into their buckets, so that
                        // their memory stays bounded however long nobody scrapes.
                        let upkeep = handle.clone();
                        tokio::spawn(async move {
                            let mut tick = tokio::time::interval(UPKEEP_EVERY);
                            loop {
                                tick.tick().await;
                                upkeep.run_upkeep();
                            }
                        });
                        Some(handle)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot install the metrics recorder; /metrics stays off");
                        None
                    }
                }
            })
            .clone()?;
        describe();
        metrics::gauge!("doable_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        Some(Self { handle, token: Sha256::digest(token.expose()).into() })
    }

    /// `GET /metrics`.
    pub fn scrape(&self, state: &AppState, headers: &HeaderMap) -> Response {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|token| <[u8; 32]>::from(Sha256::digest(token.trim().as_bytes())));
        if given != Some(self.token) {
            let mut response = AppError::Unauthenticated.into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
        for (pool, open, idle) in state.db.pool_connections() {
            let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(open);
            metrics::gauge!("doable_db_connections", "pool" => pool, "state" => "idle").set(f64::from(idle));
            metrics::gauge!("doable_db_connections", "pool" => pool, "state" => "busy").set(f64::from(open - idle));
        }
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            self.handle.render(),
        )
            .into_response()
    }
}

/// The help text of every metric (Prometheus shows it; `promtool check metrics` asks for it).
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!("doable_build_info", "The running release (its version in the label), always 1.");
    describe_counter!("doable_http_requests_total", "HTTP requests answered, by route pattern and status.");
    describe_histogram!(
        "doable_http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its answer's headers, by route pattern."
    );
    describe_gauge!("doable_db_connections", "Database connections open, idle or busy, by pool.");
    describe_counter!(
        "doable_db_acquire_timeouts_total",
        "Queries that waited too long for a database connection (answered 503)."
    );
    describe_histogram!(
        "doable_sqlite_writer_wait_seconds",
        Unit::Seconds,
        "Time each write waited for SQLite's single writer connection."
    );
    describe_histogram!(
        "doable_sqlite_commit_writes",
        "Requests' writes committed together in each of SQLite's group commits."
    );
    describe_gauge!("doable_password_hashes_running", "Password hashes (argon2) being computed now.");
    describe_gauge!("doable_password_hashes_queued", "Password hashes waiting for a free core.");
    describe_counter!("doable_snapshots_total", "Scheduled SQLite snapshots, made or failed.");
    describe_counter!(
        "doable_reminders_total",
        "Reminders taken from the queue: sent as notifications, or dropped (their task had changed)."
    );
    describe_histogram!(
        "doable_reminder_sweep_seconds",
        Unit::Seconds,
        "Time of each batch of reminders sent (taken from the queue and written as notifications)."
    );
    describe_counter!("doable_reminder_emails_total", "Reminder emails sent, failed (tried again later) or given up.");
}

/// Counts every request and times it, by its route's pattern and its status.
pub(super) async fn track(request: Request, next: Next) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None => "unmatched".to_owned(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("doable_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("doable_http_requests_total", "route" => route, "status" => status).increment(1);
    response
}
