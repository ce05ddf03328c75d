//! `POST /api/import` (multipart: `file`, `format`, `dry_run`, `list`), a handler of its own
//! rather than a server function: it reads a file of up to 10 MiB, past the API's 64 KiB
//! form limit, under a deadline of its own ([`DEADLINE`], which the request's and the
//! connection's deadlines make room for: see [`is_import`]). A browser's form gets a redirect
//! back to `/account`, which shows the report kept as the person's last.

use std::time::Duration;

use axum::{
    Json,
    body::Bytes,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use http_body_util::{BodyExt as _, Limited};
use serde::{Deserialize, Serialize};

use super::{FILE_MAX, Report, doable, plan::Plan, store, table, todoist};
use crate::{auth::extract::user_of, error::AppError, export::api::Slots, state::AppState};

/// Where the import is served.
pub const PATH: &str = "/api/import";
/// The longest an import may take, from its body's first byte to its answer.
pub const DEADLINE: Duration = Duration::from_secs(120);
/// The longest its file may take to arrive (10 MiB at 1.4 Mbit/s): a client that sends
/// slower holds one of the server's [`RECEIVING`] places no longer.
const UPLOAD_DEADLINE: Duration = Duration::from_secs(60);
/// The largest body: the file and the form around it.
pub const BODY_MAX: usize = FILE_MAX + 64 * 1024;
/// The most a form field other than the file may hold.
const FIELD_MAX: usize = 1024;
/// Imports on this server whose file is arriving or being imported: each holds its file
/// (at most [`BODY_MAX`]), and a person has one at a time.
static RECEIVING: Slots = Slots::new(8);
/// Imports being read and written at once on this server: each holds what it reads from its
/// file (about 1 KB a row, 100 MB for 100,000) and keeps a core busy. The others wait their turn,
/// within their deadline.
static WORKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The form of `POST /api/import` (`multipart/form-data`).
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ImportForm {
    /// The file: at most 10 MiB and 100,000 rows, UTF-8.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// `doable` (Doable's JSON export), `todoist` (Todoist's CSV template) or `csv` (a
    /// header and the columns of Doable's CSV export); empty or absent: told from the file.
    #[schema(nullable = false, pattern = "^(|doable|todoist|csv)$")]
    pub format: Option<String>,
    /// `true` to only check the file and count what it would create.
    #[schema(nullable = false, pattern = "^(|true|false|on)$")]
    pub dry_run: Option<String>,
    /// For CSV files: the list of the rows that name none (a Todoist file's project);
    /// default: the Inbox (for Todoist, the file's name).
    #[schema(nullable = false, max_length = 100)]
    pub list: Option<String>,
}

/// The answer: the report, with a sentence (and, for a refused import, the error code).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportAnswer {
    /// `validation_failed` when the file has errors and nothing was imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What happened, for a person.
    pub message: String,
    /// For a refused form (no file, an unknown field, a bad `format`): what is wrong with
    /// each field, as every other endpoint says it (the report lists the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::error::docs::FieldMessages>)]
    pub fields: Option<crate::error::FieldErrors>,
    #[serde(flatten)]
    pub report: Report,
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Doable,
    Todoist,
    Csv,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Self::Doable => "doable",
            Self::Todoist => "todoist",
            Self::Csv => "csv",
        }
    }

    /// What a file looks like: JSON, a Todoist header, or another CSV.
    fn of(file: &[u8]) -> Self {
        let text = String::from_utf8_lossy(&file[..file.len().min(4096)]);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        let header = text.lines().next().unwrap_or_default();
        let cells: Vec<&str> = header.split(',').map(|c| c.trim().trim_matches('"')).collect();
        if text.starts_with('{') {
            Self::Doable
        } else if cells.contains(&"TYPE") && cells.contains(&"CONTENT") {
            Self::Todoist
        } else {
            Self::Csv
        }
    }
}

/// What the form says.
struct Form {
    file: Bytes,
    file_name: Option<String>,
    format: Format,
    dry_run: bool,
    list: Option<String>,
}

/// Imports a file into the person's lists: all of it, or (with any error) none of it.
#[utoipa::path(post, path = "/api/import", tag = "data",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = ImportAnswer, description = "The report: the import was applied \
            (`imported`), or it was a dry run, which lists the errors too and changes nothing."),
        (status = 303, description = "For a browser's form (an `Accept` with HTML): back to `/account`, which \
            shows the report."),
        (status = 400, body = crate::error::ErrorBody, description = "`bad_request`: the body is not a \
            readable multipart form, or names a field twice."),
        crate::error::docs::SessionWriteErrors,
        (status = 408, body = crate::error::ErrorBody, description = "`request_timeout`: the file took longer than \
            the import's deadline (120 s) to arrive."),
        (status = 409, body = crate::error::ErrorBody, description = "`job_running`: another import of the same \
            rows committed first; import again."),
        (status = 413, body = crate::error::ErrorBody, description = "`payload_too_large`: the file is over \
            10 MiB."),
        (status = 415, body = crate::error::ErrorBody, description = "`unsupported_media_type`: the body is not \
            `multipart/form-data`."),
        (status = 422, body = ImportAnswer, description = "`validation_failed`: the file has errors (bad \
            encoding, cut short, unknown columns, bad rows: each with its row and field in `errors`), or the \
            form's fields are bad; nothing was imported."),
        (status = 429, body = crate::error::ErrorBody, description = "`rate_limited`: an import of yours is \
            still running.", headers(("retry-after" = u64, description = "Seconds to wait."))),
        (status = 503, body = crate::error::ErrorBody, description = "`unavailable`: the database does not \
            answer, or this server is receiving as many imports as it receives at once (eight)."),
    ),
)]
pub async fn upload(State(state): State<AppState>, request: Request) -> Response {
    let html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let auth = match user_of(&state, request.headers(), request.method()).await {
        Ok(auth) => auth,
        Err(e) => return e.into_response(),
    };
    let user = auth.user.id;
    let outcome = run(&state, &auth.user, request).await;
    // The report is kept as the person's last, which the account page shows (a script's
    // import too); a browser's form also keeps a refusal, as a report, for the page.
    // A refused form is a report too (every 422 of the import has the report's shape).
    let outcome = match outcome {
        Err(AppError::Validation(fields)) => {
            let errors: Vec<super::Problem> = fields
                .iter()
                .map(|(field, message)| super::Problem {
                    row: None,
                    field: Some(field.clone()),
                    message: message.clone(),
                })
                .collect();
            let report = Report { error_count: errors.len() as u64, errors, ..Report::default() };
            let message = AppError::Validation(fields.clone()).to_string();
            let code = Some("validation_failed".to_owned());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, ImportAnswer { code, message, fields: Some(fields), report }))
        }
        other => other,
    };
    let report = match &outcome {
        Ok((_, answer)) => Some(answer.report.clone()),
        Err(e) if html => Some(Report {
            errors: vec![super::Problem { row: None, field: None, message: refusal(e) }],
            error_count: 1,
            ..Report::default()
        }),
        Err(_) => None,
    };
    if let Some(report) = report
        && let Err(e) = store::keep(&state.db, user, &report).await
    {
        // The import is done (or refused) all the same: its answer says so; only the page's
        // copy of the report is missing.
        tracing::warn!(error = %e, "cannot keep an import report");
    }
    if !html {
        return match outcome {
            Ok((status, answer)) => (status, Json(answer)).into_response(),
            Err(AppError::UnsupportedMediaType) => unsupported(),
            Err(e) => e.into_response(),
        };
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/account#import"));
    response
}

async fn run(
    state: &AppState,
    user: &crate::auth::User,
    request: Request,
) -> Result<(StatusCode, ImportAnswer), AppError> {
    let slot = RECEIVING.take(user.id)?;
    let form = read_form(request).await?;
    let turn = WORKING.acquire().await.map_err(|_| AppError::Unavailable)?;
    let today = crate::zone::Zone::of_account(&user.time_zone).today();
    let Form { file, file_name, format, dry_run, list } = form;
    // The places go with the reading, which runs on to its end even when this request is
    // dropped (its deadline passed, its client left): they are free only when it is done.
    let (plan, turn, slot) = tokio::task::spawn_blocking(move || {
        let plan = match format {
            Format::Doable => doable::read(&file),
            Format::Csv => table::read(&file, list.as_deref()),
            Format::Todoist => {
                let list =
                    list.or_else(|| file_name.as_deref().and_then(project_name)).unwrap_or_else(|| "Todoist".into());
                todoist::read(&file, &list, today)
            }
        };
        (plan, turn, slot)
    })
    .await
    .map_err(|_| AppError::Internal)?;
    // Applied in a task of its own, which ends by the request's deadline whether or not its
    // client is still there: a client that leaves mid-import does not waste the work done
    // under SQLite's writer (and retry it in a loop), nor free its places before it ends.
    let deadline =
        crate::db::REQUEST_DEADLINE.try_with(|d| *d).unwrap_or_else(|_| tokio::time::Instant::now() + DEADLINE);
    let (db, user_id, max_tasks) = (state.db.clone(), user.id, state.config.max_tasks_per_user);
    let work = crate::db::REQUEST_DEADLINE.scope(deadline, async move {
        let applied = tokio::time::timeout_at(deadline, store::apply(&db, user_id, &plan, !dry_run, max_tasks)).await;
        drop((turn, slot));
        (applied.unwrap_or(Err(AppError::Unavailable)), plan)
    });
    let (applied, plan) = tokio::spawn(work).await.map_err(|_| AppError::Internal)?;
    let applied = applied?;
    let Plan { errors, error_count, warnings, warning_count, .. } = plan;
    let mut report = Report {
        format: format.as_str().to_owned(),
        dry_run,
        imported: applied.committed,
        created: applied.created,
        skipped: applied.skipped,
        error_count: error_count + applied.errors.len() as u64,
        errors,
        warnings,
        warning_count,
    };
    report.errors.extend(applied.errors);
    report.errors.truncate(super::LISTED_MAX);
    tracing::info!(
        user = %user.id,
        format = format.as_str(),
        dry_run,
        imported = report.imported,
        tasks = report.created.tasks,
        skipped = report.skipped,
        errors = report.error_count,
        "import"
    );
    let refused = report.error_count > 0 && !dry_run;
    let answer = ImportAnswer {
        code: refused.then(|| "validation_failed".to_owned()),
        message: super::summary(&report),
        fields: None,
        report,
    };
    Ok((if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, answer))
}

/// The message of an import refused before its file was read.
fn refusal(error: &AppError) -> String {
    match error {
        AppError::UnsupportedMediaType => MULTIPART.to_owned(),
        e => e.to_string(),
    }
}

const MULTIPART: &str = "Send the file in a multipart/form-data form.";

/// The 415 of an import: its message names the type it reads.
fn unsupported() -> Response {
    let body = crate::error::ErrorBody {
        code: AppError::UnsupportedMediaType.code().to_owned(),
        message: MULTIPART.to_owned(),
        fields: None,
        retry_after: None,
    };
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response()
}

/// A Todoist project's name from its file's (`Household.csv`): at most 100 characters, without
/// control characters; none when nothing is left.
fn project_name(file_name: &str) -> Option<String> {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem);
    let name: String = stem.chars().filter(|c| !c.is_control()).take(crate::lists::limits::NAME_MAX).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Reads the multipart form, within the body's limit and the request's deadline.
async fn read_form(request: Request) -> Result<Form, AppError> {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| AppError::UnsupportedMediaType)?;
    if !content_type.trim_start().to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(AppError::UnsupportedMediaType);
    }
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_MAX as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let upload = tokio::time::Instant::now() + UPLOAD_DEADLINE;
    let deadline = crate::db::REQUEST_DEADLINE.try_with(|d| *d).map_or(upload, |d| d.min(upload));
    let body = match tokio::time::timeout_at(deadline, Limited::new(request.into_body(), BODY_MAX).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(AppError::PayloadTooLarge),
        Ok(Err(_)) => return Err(AppError::BadRequest("The request body could not be read.".into())),
        Err(_) => return Err(AppError::RequestTimeout),
    };
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let unreadable = |e: multer::Error| AppError::BadRequest(format!("The form could not be read: {e}."));
    let mut file: Option<(Bytes, Option<String>)> = None;
    let mut texts: [(&str, Option<String>); 3] = [("format", None), ("dry_run", None), ("list", None)];
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(duplicate(&name));
            }
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(unreadable)?;
            if bytes.len() > FILE_MAX {
                return Err(AppError::PayloadTooLarge);
            }
            file = Some((bytes, file_name));
            continue;
        }
        let Some((_, slot)) = texts.iter_mut().find(|(known, _)| *known == name) else {
            let name: String = name.chars().take(40).collect();
            return Err(AppError::field(&name, "An unknown field: send file, format, dry_run and list."));
        };
        if slot.is_some() {
            return Err(duplicate(&name));
        }
        let bytes = field.bytes().await.map_err(unreadable)?;
        if bytes.len() > FIELD_MAX {
            return Err(AppError::field(&name, "Too long."));
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| AppError::field(&name, "Not UTF-8 text."))?;
        *slot = Some(text.trim().to_owned());
    }
    let [(_, format), (_, dry_run), (_, list)] = texts;
    let Some((file, file_name)) = file else {
        return Err(AppError::field("file", "Choose a file to import."));
    };
    let format = match format.as_deref().unwrap_or_default() {
        "" => Format::of(&file),
        "doable" => Format::Doable,
        "todoist" => Format::Todoist,
        "csv" => Format::Csv,
        _ => return Err(AppError::field("format", "Choose doable, todoist or csv.")),
    };
    let dry_run = match dry_run.as_deref().unwrap_or_default() {
        "" | "false" => false,
        "true" | "on" => true,
        _ => return Err(AppError::field("dry_run", "Must be true or false.")),
    };
    if let Some(name) = list.as_deref().filter(|l| !l.is_empty()) {
        crate::lists::input::normalize_list_name(name).map_err(|e| AppError::field("list", e))?;
    }
    Ok(Form { file, file_name, format, dry_run, list: list.filter(|l| !l.is_empty()) })
}

fn duplicate(name: &str) -> AppError {
    AppError::BadRequest(format!("The request could not be read: duplicate field `{name}`."))
}

/// Whether a request is an import, which has a body limit and a deadline of its own (see
/// `server::middleware`).
pub fn is_import(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST && path == PATH
}
