//! `GET /api/export?format=json|csv`: the person's data as a download. It is written a page
//! of tasks at a time (its memory does not grow with the account) into a file without a
//! name, in one snapshot of the database, which ends before the first byte is sent; the
//! file is then sent at the client's pace. A handler of its own rather than a server
//! function: its answer is a file, not one JSON value. An export that fails is an error
//! answer (503, 500), never a partial file.

use std::{sync::Mutex, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
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
/// Exports being sent at once by this server: each holds its file (at most about 60 MB, for
/// 100,000 tasks) until its client has read it.
const AT_ONCE: usize = 8;
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

/// The exports running on this server.
static RUNNING: Slots = Slots::new(AT_ONCE);

/// Long requests of one kind running on this server (exports, imports), by person: one each,
/// and a number in all. They bound what this server holds for them (files, memory); every
/// instance has its own.
pub struct Slots {
    running: Mutex<Vec<Uuid>>,
    at_once: usize,
}

impl Slots {
    /// At most `at_once` in all.
    pub const fn new(at_once: usize) -> Self {
        Self { running: Mutex::new(Vec::new()), at_once }
    }

    /// A place for one of `user`'s: 429 while they have one running, 503 while others fill
    /// every place.
    pub fn take(&'static self, user: Uuid) -> Result<Slot, AppError> {
        let mut running = self.running.lock().map_err(|_| AppError::Internal)?;
        if running.contains(&user) {
            return Err(AppError::RateLimited { retry_after: 10 });
        }
        if running.len() >= self.at_once {
            // Others': this server is busy, not the person.
            return Err(AppError::Unavailable);
        }
        running.push(user);
        Ok(Slot(self, user))
    }
}

/// A running request's place in its [`Slots`], given back when it ends or is dropped.
pub struct Slot(&'static Slots, Uuid);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut running) = self.0.running.lock() {
            running.retain(|user| *user != self.1);
        }
    }
}

/// Downloads everything the person owns or can see.
#[utoipa::path(get, path = "/api/export", tag = "data",
    params(ExportQuery),
    responses(
        (status = 200, description = "The file: `application/json` (the document described by \
            `schema/export-v1.schema.json`: `format`, `version`, `exported_at`, `account`, `lists`, `tasks`) or \
            `text/csv` (RFC 4180, a header row, one row per task; cells a spreadsheet would run as a formula \
            start with `'`), sent at the client's pace.",
            content(("application/json"), ("text/csv"))),
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

/// The format a query asks for; a query that names it twice is refused (400), as the
/// server functions refuse one.
fn format_of(query: &str) -> Result<Format, AppError> {
    let asked: Vec<_> = url::form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name == "format").collect();
    if asked.len() > 1 {
        return Err(AppError::BadRequest("The request could not be read: duplicate field `format`.".into()));
    }
    match asked.first().map(|(_, value)| value.trim()).unwrap_or_default() {
        "" | "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        _ => Err(AppError::field("format", "Choose json or csv.")),
    }
}

async fn start(state: &AppState, method: &Method, headers: &HeaderMap, query: &str) -> Result<Response, AppError> {
    let auth = user_of(state, headers, method).await?;
    let format = format_of(query)?;
    let slot = RUNNING.take(auth.user.id)?;
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
    };
    // Written whole to a file first, in the snapshot, which then ends: a client that reads
    // slowly (or not at all) holds a file and its slot, never the database's snapshot.
    let file = spool(exporter, &state.config.data_dir).await?;
    let stream = futures_util::stream::unfold((file, slot), |(mut file, slot)| async move {
        let mut chunk = vec![0; CHUNK];
        match file.read(&mut chunk).await {
            Ok(0) => None,
            Ok(read) => {
                chunk.truncate(read);
                Some((Ok(Bytes::from(chunk)), (file, slot)))
            }
            Err(e) => Some((Err(e), (file, slot))),
        }
    })
    // Fused: a layer that polls the body again after its end (the compression layer does)
    // gets the end again, where `unfold` alone would panic.
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

/// How much of the spooled file one chunk of the answer carries.
const CHUNK: usize = 64 * 1024;

/// Writes the whole export into a file of the data directory that has no name (it is
/// removed as soon as it is open, so nothing is left behind whatever happens), and gives
/// it back at its start.
async fn spool(mut exporter: Exporter, data_dir: &std::path::Path) -> Result<tokio::fs::File, AppError> {
    let failed = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot spool an export");
        AppError::Internal
    };
    // On PostgreSQL nothing else may have made the data directory yet; made, it is the
    // owner's alone, as the configuration makes it for SQLite, and so is the file.
    tokio::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir).await.map_err(failed)?;
    let path = data_dir.join(format!("export-{}.tmp", crate::hex::random::<16>()));
    let mut file = tokio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .await
        .map_err(failed)?;
    tokio::fs::remove_file(&path).await.map_err(failed)?;
    let mut writer = tokio::io::BufWriter::with_capacity(CHUNK, &mut file);
    while let Some(chunk) = exporter.next().await? {
        writer.write_all(&chunk).await.map_err(failed)?;
    }
    writer.flush().await.map_err(failed)?;
    drop(writer);
    file.seek(std::io::SeekFrom::Start(0)).await.map_err(failed)?;
    Ok(file)
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
