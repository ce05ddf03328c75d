//! `GET /api/events`: the changes the session's user may see, as Server-Sent Events.
//!
//! `id:` is the change's number, `event:` its kind (`task.updated`, ...), `data:` the JSON of
//! the changed object as it is when sent (a task as `GET /api/tasks/get` shows it; its id and
//! list when it is gone or out of reach). A stream opened without a place starts with `ready`
//! (its `id:` is where it starts); one resuming after `Last-Event-ID` (or `?after=`) first gets
//! every change it missed, in order, then live ones, or `resync` when the feed no longer
//! holds them all (older than it keeps, or more than [`CATCH_UP_MAX`]): the client reloads,
//! then goes on from there. A comment line every 15 s keeps proxies from closing it. It ends
//! when its session or token ends (logout, revocation), when the server stops, and after
//! [`LIFETIME`], when clients reconnect with their place.
//!
//! A handler of its own rather than a server function: its answer is a stream.

use std::{collections::VecDeque, convert::Infallible, time::Duration};

use axum::{
    Extension,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::StreamExt as _;
use tokio::sync::watch;
use uuid::Uuid;

use super::{
    Hub,
    feed::{self},
    hub::{Frame, Subscription, route},
};
use crate::{
    auth::{extract::user_of, session::Credential},
    db::Db,
    error::AppError,
    state::{AppState, LongAnswer, Stopping},
};

/// Where the stream is served.
pub const PATH: &str = "/api/events";
/// The most changes a stream catches up on before it is told to `resync` instead.
pub const CATCH_UP_MAX: i64 = 500;
/// How long a stream lasts before it ends and its client reconnects from its place: the
/// session is checked again then, and a server's streams spread again over its peers.
pub const LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How often an idle stream sends a comment line.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often a stream asks again whether its session or token still works: one that ends
/// (logout, revocation, a disabled account) closes it at once through the feed; this catches
/// one that expires.
const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// The handler.
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "live",
    params(
        ("after" = Option<i64>, Query, description = "Resume after this change's number (as `Last-Event-ID` does; \
            the header wins)."),
        ("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last event received."),
    ),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "The stream: `ready` or the missed changes first, then live ones. Events: \
                `task.created|updated|completed|reopened|moved|deleted|restored` (data: the task, or `{id, list_id}` \
                once it is gone or out of reach), `list.created|updated|deleted|restored|imported` (the list's \
                `{id, name, deleted}`), `member.invited|joined|left|removed|updated` (`{list_id, user_id, detail}`), \
                `notification.created|read` (`{id}`), `resync` (reload everything, then go on from its `id`)."),
        (status = 400, body = crate::error::ErrorBody,
            description = "`bad_request`: `Last-Event-ID` or `after` is not a change's number."),
        (status = 401, body = crate::error::ErrorBody, description = "`unauthenticated`."),
        (status = 429, body = crate::error::ErrorBody,
            description = "`rate_limited`: this account has 10 streams open already (on every server)."),
        (status = 503, body = crate::error::ErrorBody,
            description = "`unavailable`: the database does not answer, or this server holds as many streams as half \
                its connections."),
    ),
)]
pub async fn events(
    State(state): State<AppState>,
    Extension(hub): Extension<Hub>,
    stopping: Option<Extension<Stopping>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let stopping = stopping.map(|Extension(Stopping(stopping))| stopping);
    match open(&state, hub, stopping, &headers, query.as_deref().unwrap_or_default()).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Where the client resumes: `Last-Event-ID`, else `?after=`, else nowhere (a new stream).
fn place(headers: &HeaderMap, query: &str) -> Result<Option<i64>, AppError> {
    let asked: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "after")
        .map(|(_, v)| v.into_owned())
        .collect();
    if asked.len() > 1 {
        return Err(AppError::BadRequest("The request could not be read: duplicate field `after`.".into()));
    }
    let header = headers.get("last-event-id").map(|value| value.to_str().map(str::to_owned));
    let raw = match header {
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => return Err(not_a_place()),
        None => asked.into_iter().next(),
    };
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) if raw.len() <= 19 && raw.bytes().all(|b| b.is_ascii_digit()) => {
            raw.parse::<i64>().map(Some).map_err(|_| not_a_place())
        }
        Some(_) => Err(not_a_place()),
    }
}

fn not_a_place() -> AppError {
    AppError::BadRequest("`Last-Event-ID` (or `after`) must be the `id:` of an event this stream sent.".into())
}

async fn open(
    state: &AppState,
    hub: Hub,
    stopping: Option<watch::Receiver<bool>>,
    headers: &HeaderMap,
    query: &str,
) -> Result<Response, AppError> {
    let auth = user_of(state, headers, &Method::GET).await?;
    let after = place(headers, query)?;
    let user = auth.user.id;
    let credential = match auth.credential {
        Credential::Session(id) | Credential::Token { id, .. } => id,
    };
    let slot = Slot::take(hub.db(), hub.server(), user).await?;
    // Half of the server's connections at most, so that streams never keep requests out.
    let most = state.config.max_connections / 2;
    let subscription = hub.subscribe(user, credential, slot.id, most).await?;
    // A credential that ended while the stream was being opened was handed out before it
    // joined: asked again now, it is refused.
    user_of(state, headers, &Method::GET).await?;
    let pos = subscription.pos;
    let mut pending = VecDeque::new();
    // Where the client is once `pending` is sent: a client ahead of this server (it heard of
    // a change from a faster peer) skips what it had.
    let place = match after {
        None => {
            pending.push_back(Frame::mark(pos, "ready"));
            pos
        }
        Some(after) => {
            let (first, last) = feed::bounds(&state.db).await?;
            let changes = if after < first || after > last || after >= pos {
                Vec::new()
            } else {
                feed::seen_by(&state.db, user, after, pos, CATCH_UP_MAX + 1).await?
            };
            if after < first || after > last || changes.len() as i64 > CATCH_UP_MAX {
                pending.push_back(Frame::mark(pos, "resync"));
                pos
            } else {
                for routed in route(&state.db, &changes, Some(user)).await? {
                    pending.extend(routed.audience.into_iter().map(|(_, frame)| frame));
                }
                after
            }
        }
    };
    // What authenticates it, asked again every [`RECHECK_EVERY`].
    let mut credentials = HeaderMap::new();
    for name in [header::COOKIE, header::AUTHORIZATION] {
        for value in headers.get_all(&name) {
            credentials.append(name.clone(), value.clone());
        }
    }
    let live = Live {
        pending,
        subscription,
        place,
        stopping,
        state: state.clone(),
        credentials,
        recheck: tokio::time::Instant::now() + RECHECK_EVERY,
        _slot: slot,
    };
    let until = tokio::time::Instant::now() + LIFETIME;
    let stream = futures_util::stream::unfold(live, move |live| next(live, until)).map(Ok::<_, Infallible>);
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx: pass each event on as it comes.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response.extensions_mut().insert(LongAnswer(LIFETIME + Duration::from_secs(60)));
    Ok(response)
}

/// An open stream: what it has yet to send, where it is, and its place among the account's.
struct Live {
    pending: VecDeque<Frame>,
    subscription: Subscription,
    place: i64,
    /// The server's signal that it is stopping, if it gives one.
    stopping: Option<watch::Receiver<bool>>,
    state: AppState,
    /// The request's cookie and `Authorization`.
    credentials: HeaderMap,
    /// When the credential is next asked again.
    recheck: tokio::time::Instant,
    _slot: Slot,
}

/// The stream's next event; `None` ends it.
async fn next(mut live: Live, until: tokio::time::Instant) -> Option<(Event, Live)> {
    loop {
        if let Some(frame) = live.pending.pop_front() {
            // What the client had already (it came from a faster server), a burst's `resync`
            // included.
            let stale = match frame.event {
                "ready" => false,
                "resync" => frame.seq < live.place,
                _ => frame.seq <= live.place,
            };
            if stale {
                continue;
            }
            live.place = live.place.max(frame.seq);
            let event = Event::default().id(frame.seq.to_string()).event(frame.event).data(&*frame.data);
            return Some((event, live));
        }
        let stopping = async {
            match &mut live.stopping {
                Some(stopping) => drop(stopping.wait_for(|stopping| *stopping).await),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frames = live.subscription.rx.recv() => live.pending.extend(frames?),
            () = tokio::time::sleep_until(until) => return None,
            () = stopping => return None,
            // A credential that stopped working without ending (it expired): the stream too.
            () = tokio::time::sleep_until(live.recheck) => {
                user_of(&live.state, &live.credentials, &Method::GET).await.ok()?;
                live.recheck += RECHECK_EVERY;
            }
        }
    }
}

/// A stream's row in `event_streams`, deleted when the stream ends.
struct Slot {
    db: Db,
    id: Uuid,
}

impl Slot {
    /// A place for one more stream of `user`'s: 429 when they have [`super::STREAMS_MAX`].
    async fn take(db: &Db, server: Uuid, user: Uuid) -> Result<Self, AppError> {
        let id = Uuid::now_v7();
        if !feed::open_stream(db, id, user, server).await? {
            return Err(AppError::RateLimited { retry_after: 30 });
        }
        Ok(Self { db: db.clone(), id })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (db, id) = (self.db.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = feed::close_stream(&db, id).await {
                    tracing::warn!(error = ?e, "live feed: forgetting a closed stream failed");
                }
            });
        }
    }
}
