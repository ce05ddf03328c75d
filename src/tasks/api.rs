//! The server functions of tasks: the whole API under `/api/tasks/`. Each starts with the
//! session's user and passes its id to every query ([`super::store`]), so no call can reach
//! another person's tasks.

use leptos::{prelude::*, server_fn::codec::GetUrl};

#[cfg(feature = "ssr")]
use super::input::{parse_bool, parse_id};
#[cfg(feature = "ssr")]
use super::store;
use super::{
    CompleteAllInput, Deleted, ListQuery, NewTask, SetCompletedInput, TagList, Task, TaskId, TaskList, TaskUpdate,
    Updated,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_user,
    error::{
        ErrorBody,
        docs::{InvalidFields, OwnReadErrors, OwnWriteErrors, SessionErrors, SessionWriteErrors},
    },
    state::state,
};

/// Lists the user's tasks: filtered, searched, sorted, a page at a time.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tasks/list", tag = "tasks",
    params(ListQuery),
    responses((status = 200, description = "A page of tasks.", body = TaskList), SessionErrors, InvalidFields),
))]
#[server(prefix = "/api", endpoint = "tasks/list", input = GetUrl)]
pub async fn list_tasks(#[server(flatten)] query: ListQuery) -> Result<TaskList, AppError> {
    let user = require_user().await?;
    let filter = query.parse()?;
    store::list(&state()?.db, user.user.id, &filter, today()).await
}

/// One task of the user's.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tasks/get", tag = "tasks",
    params(TaskId),
    responses((status = 200, description = "The task.", body = Task), OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/get", input = GetUrl)]
pub async fn get_task(#[server(flatten)] input: TaskId) -> Result<Task, AppError> {
    let user = require_user().await?;
    let id = parse_id(&input.id)?;
    store::get(&state()?.db, user.user.id, id).await?.ok_or(AppError::NotFound)
}

/// Creates a task.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/create", tag = "tasks",
    request_body(content = NewTask, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The new task.", body = Task, links(
            ("GetTask" = (operation_id = "get_task", parameters(("id" = "$response.body#/id")))),
            ("UpdateTask" = (operation_id = "update_task", request_body = json!({"id": "$response.body#/id"}))),
            ("SetCompleted" = (
                operation_id = "set_completed",
                request_body = json!({"id": "$response.body#/id", "completed": "true"}),
            )),
            ("DeleteTask" = (operation_id = "delete_task", request_body = json!({"id": "$response.body#/id"}))),
        )),
        SessionWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: `fields` names each bad field; \
            or `limit_reached`: the account holds the most tasks allowed."),
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/create")]
pub async fn create_task(#[server(flatten)] input: NewTask) -> Result<Task, AppError> {
    let user = require_user().await?;
    let draft = input.parse()?;
    let state = state()?;
    store::create(&state.db, user.user.id, draft, state.config.max_tasks_per_user).await
}

/// Changes some fields of a task.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/update", tag = "tasks",
    request_body(content = TaskUpdate, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The task as it is now.", body = Task), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/update")]
pub async fn update_task(#[server(flatten)] input: TaskUpdate) -> Result<Task, AppError> {
    let user = require_user().await?;
    let (id, changes) = input.parse()?;
    store::update(&state()?.db, user.user.id, id, changes).await?.ok_or(AppError::NotFound)
}

/// Completes or reopens a task.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/set-completed", tag = "tasks",
    request_body(content = SetCompletedInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The task as it is now.", body = Task), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/set-completed")]
pub async fn set_completed(#[server(flatten)] input: SetCompletedInput) -> Result<Task, AppError> {
    let user = require_user().await?;
    let id = parse_id(&input.id)?;
    let completed = parse_bool("completed", &input.completed)?;
    store::set_completed(&state()?.db, user.user.id, id, completed).await?.ok_or(AppError::NotFound)
}

/// Deletes a task.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/delete", tag = "tasks",
    request_body(content = TaskId, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{\"deleted\": 1}`.", body = Deleted), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/delete")]
pub async fn delete_task(#[server(flatten)] input: TaskId) -> Result<Deleted, AppError> {
    let user = require_user().await?;
    let id = parse_id(&input.id)?;
    match store::delete(&state()?.db, user.user.id, id).await? {
        0 => Err(AppError::NotFound),
        deleted => Ok(Deleted { deleted }),
    }
}

/// Deletes every completed task of the user's, all or nothing.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/clear-completed", tag = "tasks",
    responses(
        (status = 200, description = "How many completed tasks were deleted.", body = Deleted),
        SessionWriteErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/clear-completed")]
pub async fn clear_completed() -> Result<Deleted, AppError> {
    let user = require_user().await?;
    let deleted = store::clear_completed(&state()?.db, user.user.id).await?;
    Ok(Deleted { deleted })
}

/// Completes (or reopens) every task of the user's, all or nothing.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/complete-all", tag = "tasks",
    request_body(content = CompleteAllInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "How many tasks changed.", body = Updated),
        SessionWriteErrors,
        InvalidFields,
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/complete-all")]
pub async fn complete_all(#[server(flatten)] input: CompleteAllInput) -> Result<Updated, AppError> {
    let user = require_user().await?;
    let completed = parse_bool("completed", &input.completed)?;
    let updated = store::complete_all(&state()?.db, user.user.id, completed).await?;
    Ok(Updated { updated })
}

/// The user's tags, with how many tasks carry each.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tasks/tags", tag = "tasks",
    responses((status = 200, description = "The user's tags with their counts.", body = TagList), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/tags", input = GetUrl)]
pub async fn list_tags() -> Result<TagList, AppError> {
    let user = require_user().await?;
    let tags = store::tags(&state()?.db, user.user.id).await?;
    Ok(TagList { tags })
}

/// Today's date on the server, in UTC: what `due` filters and "overdue" mean.
#[cfg(feature = "ssr")]
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
