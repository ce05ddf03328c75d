//! The server functions of the trash: `/api/trash/`.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use super::{RestoreInput, Restored, Trash};
#[cfg(feature = "ssr")]
use super::{input::Restore, store};
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_user,
    error::docs::{BulkWriteErrors, OwnBulkErrors, SessionErrors},
    jobs::{JobKind, api::start},
    state::state,
};
use crate::{error::AppError, tasks::Deleted};

/// What the user may restore: the lists they own, the tasks of the lists where they may edit.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/trash/list", tag = "lists",
    responses((status = 200, description = "The trash, most recently deleted first.", body = Trash), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "trash/list", input = GetUrl)]
pub async fn list_trash() -> Result<Trash, AppError> {
    let user = require_user().await?;
    store::list(&state()?.db, user.user.id).await
}

/// Restores a task (its list's owner or an editor) or a list with its tasks (its owner).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/trash/restore", tag = "lists",
    request_body(content = RestoreInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The task or the list, back.", body = Restored), BulkWriteErrors),
))]
#[server(prefix = "/api", endpoint = "trash/restore")]
pub async fn restore_from_trash(#[server(flatten)] input: RestoreInput) -> Result<Restored, AppError> {
    let user = require_user().await?;
    let db = &state()?.db;
    Ok(match input.parse()? {
        Restore::Task(id) => Restored::Task(Box::new(store::restore_task(db, user.user.id, id).await?)),
        Restore::List(id) => Restored::List(store::restore_list(db, user.user.id, id).await?),
    })
}

/// Empties the user's part of the trash for good: the tasks they deleted, and the lists they
/// own with their tasks. (Others' deletions stay restorable by them until they expire after
/// 30 days.) A few thousand rows at most go at once (`200`); more go on in the background
/// (`202`, with the job), and none is left behind.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/trash/empty", tag = "lists",
    responses(
        (status = 200, description = "How many tasks and lists were purged.", body = Deleted),
        (status = 202, description = "The first batch was purged; `job` purges the rest.", body = Deleted),
        OwnBulkErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "trash/empty")]
pub async fn empty_trash() -> Result<Deleted, AppError> {
    let user = require_user().await?;
    let started = start(user.user.id, JobKind::EmptyTrash, None).await?;
    tracing::info!(deleted = started.done, background = started.job.is_some(), "trash emptied");
    Ok(Deleted { deleted: started.done, job: started.job })
}
