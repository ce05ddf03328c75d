//! Accepting connections and serving them: at most so many at once, each closed when it
//! idles or when an answer is not taken in time, and all of them finished (for a while) at
//! shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo, response::Response};
use http_body_util::BodyExt;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
    service::TowerToHyperService,
};
use tower::ServiceExt;

use crate::config::Config;

/// How long shutdown waits for requests in flight before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

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
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("shutdown grace period over; dropping remaining connections");
        }
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
    let stopping = stop.clone();
    let service = {
        let activity = activity.clone();
        // The deadline of the request being called: an import's is its own (a file of up to
        // 10 MiB, slowly sent). Set as each request is called, read at once for its future.
        let deadline = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let chosen = deadline.clone();
        app.map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(crate::state::Stopping(stopping.clone()));
            let import = crate::import::upload::is_import(request.method(), request.uri().path());
            let allowed =
                if import { crate::import::upload::DEADLINE + limits.answer_deadline } else { limits.answer_deadline };
            chosen.store(u64::try_from(allowed.as_millis()).unwrap_or(u64::MAX), std::sync::atomic::Ordering::Relaxed);
            request
        })
        .map_future(move |response| {
            let allowed = Duration::from_millis(deadline.load(std::sync::atomic::Ordering::Relaxed));
            let busy = activity.begin(allowed);
            async move {
                // The request counts as in flight until its answer's body is sent (or dropped).
                let response: Result<Response, _> = response.await;
                response.map(|response| {
                    // A download says how long it may take (from now on) instead.
                    if let Some(crate::state::LongAnswer(allowed)) = response.extensions().get() {
                        busy.extend(*allowed);
                    }
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
            () = activity.overdue() => {
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

/// A connection's requests in flight (by number, with when each must be wholly answered), and
/// when the last one ended.
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
    fn begin(&self, deadline: Duration) -> InFlight {
        let mut id = 0;
        self.update(|requests| {
            id = requests.next;
            requests.next += 1;
            requests.in_flight.push((id, tokio::time::Instant::now() + deadline));
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

    /// Completes once a request in flight is past its deadline.
    async fn overdue(&self) {
        loop {
            let mut soonest = None;
            self.update(|requests| soonest = requests.in_flight.iter().map(|(_, until)| *until).min());
            match soonest {
                Some(until) if until <= tokio::time::Instant::now() => return,
                Some(until) => tokio::time::sleep_until(until).await,
                // Woken again to look at requests that arrive meanwhile.
                None => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }
}

impl InFlight {
    /// Gives the request `allowed` from now to be wholly answered.
    fn extend(&self, allowed: Duration) {
        let id = self.1;
        self.0.update(|requests| {
            if let Some(entry) = requests.in_flight.iter_mut().find(|(request, _)| *request == id) {
                entry.1 = tokio::time::Instant::now() + allowed;
            }
        });
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

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    /// Serves an answer whose body takes about a second to send, with or without a
    /// [`crate::state::LongAnswer`], on a server whose answers must be wholly sent in 300 ms;
    /// how much of the body a client receives.
    async fn slow_body_received(long: bool) -> usize {
        let app = Router::new().route(
            "/slow",
            axum::routing::get(move || async move {
                let chunks = futures_util::stream::unfold(0, |n| async move {
                    if n == 10 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 1000])), n + 1))
                });
                let mut response = Body::from_stream(chunks).into_response();
                if long {
                    response.extensions_mut().insert(crate::state::LongAnswer(Duration::from_secs(5)));
                }
                response
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let limits = ConnectionLimits {
            idle_timeout: Duration::from_secs(5),
            max_connections: 4,
            answer_deadline: Duration::from_millis(300),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        let mut received = 0;
        if let Ok(mut response) = reqwest::get(format!("http://{address}/slow")).await {
            while let Ok(Some(chunk)) = response.chunk().await {
                received += chunk.len();
            }
        }
        let _ = stop.send(());
        let _ = server.await;
        received
    }

    #[tokio::test]
    async fn a_long_answer_gets_its_own_deadline_and_others_do_not() {
        assert_eq!(slow_body_received(true).await, 10_000, "a download is sent whole");
        assert!(slow_body_received(false).await < 10_000, "an answer past the deadline is cut off");
    }

    #[test]
    fn the_busy_answer_is_a_whole_http_response() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap()["code"], "unavailable");
    }
}
