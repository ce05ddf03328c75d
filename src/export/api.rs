//! `GET /api/export?format=json|csv`: the person's data as a download, streamed a page of
//! tasks at a time (its memory does not grow with the account). A handler of its own rather
//! than a server function: its answer is a file, not one JSON value.
//!
//! An export that fails half-way is cut off (the connection is closed without the end of the
//! answer), so that no client takes a partial file for a whole one.

use std::{
    collections::HashSet,
    sync::{LazyLock, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ExportAccount, ExportList, FORMAT, VERSION,
    store::{self, After, Shelf, Snapshot},
};
use crate::{
    auth::extract::user_of,
    error::AppError,
    state::{AppState, LongAnswer},
};

/// Where the export is served.
pub const PATH: &str = "/api/export";
/// Exports running at once on this server: each holds a reading connection (its snapshot)
/// until its client has read it all, so they are few.
const AT_ONCE: usize = 2;
/// The longest an export may take to send, however slowly its client reads (at 1 MB/s, an
/// export of 100,000 tasks, about 60 MB, takes one minute). The connection is closed then.
const DEADLINE: Duration = Duration::from_secs(300);

/// The query of `GET /api/export`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (the default: the whole account, to import again) or `csv` (one row per task).
    #[param(nullable = false, pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// The exports running on this server, by person: one each, [`AT_ONCE`] in all.
static RUNNING: LazyLock<Mutex<HashSet<Uuid>>> = LazyLock::new(Mutex::default);

/// A running export's place in [`RUNNING`], given back when its answer ends or is dropped.
struct Slot(Uuid);

impl Slot {
    fn take(user: Uuid) -> Result<Self, AppError> {
        let mut running = RUNNING.lock().map_err(|_| AppError::Internal)?;
        if running.contains(&user) {
            return Err(AppError::RateLimited { retry_after: 10 });
        }
        if running.len() >= AT_ONCE {
            // Others' exports: this server is busy, not the person.
            return Err(AppError::Unavailable);
        }
        running.insert(user);
        Ok(Self(user))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING.lock() {
            running.remove(&self.0);
        }
    }
}

/// Downloads everything the person owns or can see.
#[utoipa::path(get, path = "/api/export", tag = "data",
    params(ExportQuery),
    responses(
        (status = 200, description = "The file: `application/json` (the document described by \
            `docs/export.schema.json`: `format`, `version`, `exported_at`, `account`, `lists`, `tasks`) or \
            `text/csv` (RFC 4180, a header row, one row per task; cells a spreadsheet would run as a formula \
            start with `'`). Streamed; cut off, never ended, when it fails half-way.",
            content_type = "application/json"),
        crate::error::docs::SessionErrors,
        (status = 422, body = crate::error::ErrorBody,
            description = "`validation_failed`: `format` is neither `json` nor `csv`."),
        (status = 429, body = crate::error::ErrorBody,
            description = "`rate_limited`: an export of yours is still running; see `Retry-After`.",
            headers(("retry-after" = u64, description = "Seconds to wait."))),
        (status = 503, body = crate::error::ErrorBody,
            description = "`unavailable`: the database does not answer, or this server is sending as many exports \
                as it sends at once; retry later."),
    ),
)]
pub async fn download(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match start(&state, &method, &headers, query.as_deref().unwrap_or_default()).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// The format a query asks for (its last `format`, as the server functions read a query).
fn format_of(query: &str) -> Result<Format, AppError> {
    let asked = url::form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name == "format").last();
    match asked.as_ref().map(|(_, value)| value.trim()).unwrap_or_default() {
        "" | "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        _ => Err(AppError::field("format", "Choose json or csv.")),
    }
}

async fn start(state: &AppState, method: &Method, headers: &HeaderMap, query: &str) -> Result<Response, AppError> {
    let auth = user_of(state, headers, method).await?;
    let format = format_of(query)?;
    let slot = Slot::take(auth.user.id)?;
    let user = auth.user.id;
    let mut snapshot = store::snapshot(&state.db).await?;
    let account = store::account(&mut snapshot, user).await?.ok_or(AppError::Unauthenticated)?;
    let lists = store::lists(&mut snapshot, user).await?;
    let now = time::OffsetDateTime::now_utc();
    let (content_type, extension) = match format {
        Format::Json => ("application/json", "json"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let exporter = Exporter {
        snapshot,
        user,
        format,
        account: Some(account),
        lists,
        at: 0,
        shelf: Shelf::Open,
        after: None,
        written: 0,
        done: false,
        exported_at: now,
        _slot: slot,
    };
    // Fused: a layer that polls the body again after its end (the compression layer does)
    // gets the end again, where `unfold` alone would panic.
    let stream = futures_util::stream::unfold(exporter, |mut exporter| async move {
        match exporter.next().await {
            Ok(Some(chunk)) => Some((Ok(chunk), exporter)),
            Ok(None) => None,
            Err(error) => {
                exporter.done = true;
                tracing::warn!(user = %exporter.user, error = %error, "an export was cut off");
                Some((Err(std::io::Error::other("the export failed")), exporter))
            }
        }
    })
    .fuse();
    let filename = format!("attachment; filename=\"doable-{}.{extension}\"", now.date());
    let mut response = Body::from_stream(stream).into_response();
    // The connection gives this answer its own deadline, not the usual one.
    response.extensions_mut().insert(LongAnswer(DEADLINE));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The document's fields before its tasks, in the order a reader sees them.
#[derive(Serialize)]
struct Head<'a> {
    format: &'static str,
    version: u32,
    exported_at: String,
    account: &'a ExportAccount,
    lists: &'a [ExportList],
}

/// Writes the export a chunk at a time: the head, then a page of tasks per chunk, list by
/// list (open tasks, completed ones, then those in the trash), then the tail.
struct Exporter {
    snapshot: Snapshot,
    user: Uuid,
    format: Format,
    /// The account, until the head is written.
    account: Option<ExportAccount>,
    lists: Vec<ExportList>,
    /// The list being written.
    at: usize,
    shelf: Shelf,
    after: After,
    /// Tasks written so far.
    written: u64,
    done: bool,
    exported_at: time::OffsetDateTime,
    _slot: Slot,
}

impl Exporter {
    async fn next(&mut self) -> Result<Option<Bytes>, AppError> {
        if self.done {
            return Ok(None);
        }
        if let Some(account) = self.account.take() {
            return self.head(&account).map(Some);
        }
        while let Some(list) = self.lists.get(self.at) {
            let (tasks, next) = store::tasks(&mut self.snapshot, self.user, list.id, self.shelf, self.after).await?;
            self.after = next;
            if next.is_none() {
                match self.shelf.next() {
                    Some(shelf) => self.shelf = shelf,
                    None => (self.shelf, self.at) = (Shelf::Open, self.at + 1),
                }
            }
            if tasks.is_empty() {
                continue;
            }
            let chunk = match self.format {
                Format::Csv => super::csv::task_rows(&tasks, &self.lists),
                Format::Json => {
                    let mut chunk = Vec::with_capacity(tasks.len() * 512);
                    for task in &tasks {
                        if self.written > 0 {
                            chunk.push(b',');
                        }
                        chunk.push(b'\n');
                        serde_json::to_writer(&mut chunk, task).map_err(|_| AppError::Internal)?;
                        self.written += 1;
                    }
                    chunk
                }
            };
            return Ok(Some(Bytes::from(chunk)));
        }
        self.done = true;
        Ok(match self.format {
            Format::Json => Some(Bytes::from_static(b"\n]}\n")),
            Format::Csv => None,
        })
    }

    /// The document's start, up to the opening of its `tasks`; or the CSV's header row.
    fn head(&self, account: &ExportAccount) -> Result<Bytes, AppError> {
        if self.format == Format::Csv {
            return Ok(Bytes::from(super::csv::header()));
        }
        let head = Head {
            format: FORMAT,
            version: VERSION,
            exported_at: crate::dates::machine_of(&self.exported_at),
            account,
            lists: &self.lists,
        };
        let mut text = serde_json::to_string(&head).map_err(|_| AppError::Internal)?;
        // The object closes with its last field; the tasks follow as one more.
        text.pop();
        text.push_str(",\"tasks\":[");
        Ok(Bytes::from(text))
    }
}
