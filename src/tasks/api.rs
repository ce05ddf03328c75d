//! The server functions of tasks: the whole API under `/api/tasks/`. Each starts with the
//! session's user and passes its id to every query ([`super::store`]), whose statements reach
//! only the lists the user is a member of, and change only those where their role allows.

use leptos::{prelude::*, server_fn::codec::GetUrl};

#[cfg(feature = "ssr")]
use super::input::{parse_bool, parse_id};
use super::{
    CompleteAllInput, Deleted, ListQuery, ListScope, NewTask, SetCompletedInput, TagList, Task, TaskId, TaskList,
    TaskUpdate, Updated,
    quick::line::{LineQuery, ParsedLine, QuickAddInput},
};
#[cfg(feature = "ssr")]
use super::{quick::line::repeat_from_words, store};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    auth::{Person, extract::require_user},
    error::{
        ErrorBody,
        docs::{BulkWriteErrors, InvalidFields, MemberWriteErrors, OwnReadErrors, SessionErrors},
    },
    jobs::{JobKind, api::start},
    state::state,
};

/// Lists the tasks of one list, or of every list the user is a member of: filtered,
/// searched, sorted, a page at a time.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tasks/list", tag = "tasks",
    params(ListQuery),
    responses((status = 200, description = "A page of tasks.", body = TaskList), OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/list", input = GetUrl)]
pub async fn list_tasks(#[server(flatten)] query: ListQuery) -> Result<TaskList, AppError> {
    let user = require_user().await?;
    let filter = query.parse()?;
    store::list(&state()?.db, user.user.id, &filter, today_of(&user)).await
}

/// One task of a list the user is a member of.
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

/// Creates a task, in the Inbox unless `list_id` names a list where the user is the owner or
/// an editor.
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
        MemberWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: `fields` names each bad field \
            (an assignee who is not a member of the list included); or `limit_reached`: the user created the \
            most tasks allowed."),
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/create")]
pub async fn create_task(#[server(flatten)] input: NewTask) -> Result<Task, AppError> {
    let user = require_user().await?;
    let mut input = input;
    let words = input.repeat_words.take();
    repeat_from_words(words.as_deref(), today_of(&user), &mut input.repeat, &mut input.repeat_from)?;
    let draft = input.parse()?;
    let state = state()?;
    let creator = Person { id: user.user.id, name: user.user.name.clone() };
    store::create(&state.db, &creator, draft, state.config.max_tasks_per_user).await
}

/// What a quick-add line means on the user's today (in their time zone): the title left and
/// each phrase understood, with where it is. Nothing is created.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tasks/parse", tag = "tasks",
    params(LineQuery),
    responses(
        (status = 200, description = "What the line means.", body = ParsedLine),
        SessionErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed` on `text`: over 1,000 characters."),
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/parse", input = GetUrl)]
pub async fn parse_line(#[server(flatten)] query: LineQuery) -> Result<ParsedLine, AppError> {
    let user = require_user().await?;
    let text = super::quick::line::checked(&query.text)?;
    Ok(ParsedLine::new(text, super::quick::parse(text, today_of(&user))))
}

/// Creates the task a line describes (`Pay rent every month on the 1st #home !high`), as
/// `GET /api/tasks/parse` reads it; a field given beside the line wins over the line's.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/quick-add", tag = "tasks",
    request_body(content = QuickAddInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The new task.", body = Task),
        MemberWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: `fields` names each bad field \
            (`text` for a line over 1,000 characters or one leaving a title over 200); or `limit_reached`."),
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/quick-add")]
pub async fn quick_add(#[server(flatten)] input: QuickAddInput) -> Result<Task, AppError> {
    let user = require_user().await?;
    let draft = input.task(today_of(&user))?.parse().map_err(super::quick::line::refused_line)?;
    let state = state()?;
    let creator = Person { id: user.user.id, name: user.user.name.clone() };
    store::create(&state.db, &creator, draft, state.config.max_tasks_per_user).await
}

/// Changes some fields of a task, moves it to another list, or (un)assigns it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/update", tag = "tasks",
    request_body(content = TaskUpdate, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The task as it is now.", body = Task), MemberWriteErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/update")]
pub async fn update_task(#[server(flatten)] input: TaskUpdate) -> Result<Task, AppError> {
    let user = require_user().await?;
    let mut input = input;
    let words = input.repeat_words.take();
    repeat_from_words(words.as_deref(), today_of(&user), &mut input.repeat, &mut input.repeat_from)?;
    let (id, changes) = input.parse()?;
    store::update(&state()?.db, user.user.id, id, changes).await
}

/// Completes or reopens a task. Completing a recurring task records the date it was due as a
/// completed task (`occurrence_of` naming it) and moves it to its next date; when its rule
/// has no next date, it is completed for good. Reopening such a record moves the recurring
/// task back to that date.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/set-completed", tag = "tasks",
    request_body(content = SetCompletedInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Task, description = "The task as it is now: for a recurring task, still open on its \
            next date; for a reopened record of one, the recurring task moved back (or the record itself, reopened \
            on its own, when the recurring task has moved on since)."),
        MemberWriteErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/set-completed")]
pub async fn set_completed(#[server(flatten)] input: SetCompletedInput) -> Result<Task, AppError> {
    let user = require_user().await?;
    let id = parse_id(&input.id)?;
    let completed = parse_bool("completed", &input.completed)?;
    let state = state()?;
    store::set_completed(&state.db, user.user.id, id, completed, today_of(&user), state.config.max_tasks_per_user).await
}

/// Skips a recurring task's date: it moves to the rule's next one, and nothing is recorded.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/skip", tag = "tasks",
    request_body(content = TaskId, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The task on its next date.", body = Task),
        MemberWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed` on `id`: the task is not an open \
            recurring task, or this is the last date of its rule."),
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/skip")]
pub async fn skip_task(#[server(flatten)] input: TaskId) -> Result<Task, AppError> {
    let user = require_user().await?;
    let id = parse_id(&input.id)?;
    store::skip(&state()?.db, user.user.id, id, today_of(&user)).await
}

/// Moves a task to the trash, where the owner and the editors of its list may restore it for
/// 30 days.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/delete", tag = "tasks",
    request_body(content = TaskId, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{\"deleted\": 1}`.", body = Deleted), MemberWriteErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/delete")]
pub async fn delete_task(#[server(flatten)] input: TaskId) -> Result<Deleted, AppError> {
    let user = require_user().await?;
    let id = parse_id(&input.id)?;
    let deleted = store::delete(&state()?.db, user.user.id, id).await?;
    Ok(Deleted { deleted, job: None })
}

/// Moves every completed task of one list, or of every list the user may edit, to the trash.
/// A few thousand at most go at once (`200`); more go on in the background (`202`, with the
/// job), and none is left behind.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/clear-completed", tag = "tasks",
    request_body(content = ListScope, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "How many completed tasks were deleted.", body = Deleted),
        (status = 202, description = "The first batch was deleted; `job` deletes the rest.", body = Deleted),
        BulkWriteErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/clear-completed")]
pub async fn clear_completed(#[server(flatten)] input: ListScope) -> Result<Deleted, AppError> {
    let user = require_user().await?;
    let list_id = input.parse()?;
    let started = start(user.user.id, JobKind::ClearCompleted, list_id).await?;
    Ok(Deleted { deleted: started.done, job: started.job })
}

/// Completes (or reopens) every task of one list, or of every list the user may edit. A few
/// thousand at most change at once (`200`); more go on in the background (`202`, with the
/// job), and none is left behind.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tasks/complete-all", tag = "tasks",
    request_body(content = CompleteAllInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "How many tasks changed.", body = Updated),
        (status = 202, description = "The first batch changed; `job` changes the rest.", body = Updated),
        BulkWriteErrors,
        InvalidFields,
    ),
))]
#[server(prefix = "/api", endpoint = "tasks/complete-all")]
pub async fn complete_all(#[server(flatten)] input: CompleteAllInput) -> Result<Updated, AppError> {
    let user = require_user().await?;
    let completed = parse_bool("completed", &input.completed)?;
    let list_id = ListScope { list_id: input.list_id }.parse()?;
    let kind = if completed { JobKind::CompleteAll } else { JobKind::ReopenAll };
    let started = start(user.user.id, kind, list_id).await?;
    Ok(Updated { updated: started.done, job: started.job })
}

/// The tags of one list, or of every list of the user's, with how many tasks carry each.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tasks/tags", tag = "tasks",
    params(ListScope),
    responses((status = 200, description = "The tags with their counts.", body = TagList), OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "tasks/tags", input = GetUrl)]
pub async fn list_tags(#[server(flatten)] input: ListScope) -> Result<TagList, AppError> {
    let user = require_user().await?;
    let list_id = input.parse()?;
    let tags = store::tags(&state()?.db, user.user.id, list_id).await?;
    Ok(TagList { tags })
}

/// The user's today, in their time zone.
#[cfg(feature = "ssr")]
fn today_of(user: &crate::auth::session::AuthUser) -> time::Date {
    crate::zone::Zone::of_account(&user.user.time_zone).today()
}
