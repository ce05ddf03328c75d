//! SQL for tasks. Every statement reaches tasks only through the lists the caller is a
//! member of ([`member_lists`]), and changes them only in lists where their role allows it
//! ([`editable_lists`]), in its own `where` clause: there is no check apart from the act.
//!
//! Besides the user's fields, a task row keeps two derived columns: `search` (title and
//! description, lower-cased, for substring search) and `title_key` (the lower-cased title,
//! for sorting), computed here in Rust so that both databases search and sort alike. Tags are
//! kept twice: as a comma-separated column for display, and in `task_tags` for filtering and
//! counting with an index; the database writes the second from the first (triggers of
//! migration 0012), in the same statement.

use sqlx::Connection;
use time::Date;
use uuid::Uuid;

mod bulk;
mod listing;
mod recurring;

pub use bulk::{bulk_count, bulk_refusal, clear_completed, complete_all};
pub use listing::{COUNT_AHEAD, by_ids, explain, list};
pub use recurring::skip;

use super::{Priority, RepeatFrom, TagCount, Task, TaskChanges, TaskDraft};
use crate::{
    auth::Person,
    db::{Db, Timestamp, with_pool, with_writer},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, for_each_task, record},
    },
    jobs::step::{Step, advance},
    lists::{
        Role,
        store::{self as lists, editable_lists, member_lists, not_a_member, role_of},
    },
    reminders::schedule::reschedule,
};

/// A task's columns with its assignee's and creator's names, read from [`FROM`].
const COLUMNS: &str = "t.id, t.list_id, t.title, t.description, t.completed, t.priority, t.due_date, t.due_minute, \
     t.repeat, t.repeat_from, t.series_id, t.reminders, t.tags, t.assignee_id, a.name as assignee_name, t.created_by, \
     c.name as creator_name, t.created_at, t.updated_at, t.completed_at";
const FROM: &str = "tasks t left join users a on a.id = t.assignee_id left join users c on c.id = t.created_by";
/// The same columns in a `returning` clause (which has no joins).
const RETURNING: &str = "id, list_id, title, description, completed, priority, due_date, due_minute, repeat, \
     repeat_from, series_id, reminders, tags, assignee_id, \
     (select name from users where id = tasks.assignee_id) as assignee_name, created_by, \
     (select name from users where id = tasks.created_by) as creator_name, created_at, updated_at, completed_at";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    list_id: Uuid,
    title: String,
    description: String,
    completed: bool,
    priority: i16,
    due_date: Option<Date>,
    due_minute: Option<i16>,
    repeat: Option<String>,
    repeat_from: i16,
    series_id: Option<Uuid>,
    reminders: Option<String>,
    tags: String,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
    created_by: Option<Uuid>,
    creator_name: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Option<Timestamp>,
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Self {
        Self {
            id: row.id,
            list_id: row.list_id,
            title: row.title,
            description: row.description,
            completed: row.completed,
            priority: Priority::from_rank(row.priority),
            due_date: row.due_date,
            due_time: row.due_minute.and_then(crate::dates::time_of_minute),
            repeat_text: super::repeat_text(row.repeat.as_deref()),
            repeat: row.repeat,
            repeat_from: RepeatFrom::from_rank(row.repeat_from),
            occurrence_of: row.series_id,
            reminders: crate::reminders::texts(&crate::reminders::split(row.reminders.as_deref())),
            tags: super::stored_tags(&row.tags),
            assignee: Person::from_join(row.assignee_id, row.assignee_name),
            created_by: Person::from_join(row.created_by, row.creator_name),
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
            completed_at: row.completed_at.map(|t| t.0),
        }
    }
}

/// One task of a list the caller is a member of.
pub async fn get(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Task>, AppError> {
    let row: Option<TaskRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("select {COLUMNS} from {FROM} where t.id = $1 and t.list_id in {}", member_lists("$2")))
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.map(Task::from))
}

/// Why a change to a task was refused: its list is not the caller's (404, the same as a task
/// that does not exist), or their role there only reads (403).
pub async fn refusal(db: &Db, user_id: Uuid, id: Uuid) -> AppError {
    let role: Result<Option<String>, AppError> = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(
            "select m.role from tasks t join list_members m on m.list_id = t.list_id and m.user_id = $2 \
             join lists l on l.id = t.list_id where t.id = $1 and l.deleted_at is null",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
        .map_err(AppError::from)
    });
    match role {
        Ok(role) => change_refused(role.as_deref()),
        Err(e) => e,
    }
}

/// The error of a refused change to a task, by the caller's role in its list (a stored role
/// name, or none): 403 for a viewer, 404 otherwise (not a member, or the task is not there).
pub fn change_refused(role: Option<&str>) -> AppError {
    match role.and_then(Role::parse) {
        Some(role) if !role.can_edit() => AppError::Forbidden,
        _ => AppError::NotFound,
    }
}

/// Why a change to a list's tasks was refused: 404 for a list the caller is not a member of,
/// 403 for a viewer, `otherwise` when their role allows it (another condition failed).
async fn list_refusal(db: &Db, user_id: Uuid, list_id: Uuid, otherwise: AppError) -> AppError {
    lists::refusal(db, user_id, list_id, Role::can_edit, |_| otherwise).await
}

/// Binds a task's fields to the next eight placeholders of `$query`: the columns `title,
/// description, priority, due_date, tags`, the two derived from them, `search, title_key`,
/// and `due_minute` (in this order, for a new task and a changed one alike).
macro_rules! bind_fields {
    ($query:expr, $task:expr) => {
        $query
            .bind(&$task.title)
            .bind(&$task.description)
            .bind($task.priority.rank())
            .bind($task.due_date)
            .bind($task.tags.join(","))
            .bind(search_text(&$task.title, &$task.description))
            .bind($task.title.to_lowercase())
            .bind($task.due_time.map(crate::dates::minute_of_day))
    };
}

pub(crate) fn search_text(title: &str, description: &str) -> String {
    format!("{}\n{}", title.to_lowercase(), description.to_lowercase())
}

/// The display name of an account.
async fn name_of(db: &Db, user_id: Uuid) -> Result<Option<String>, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_scalar("select name from users where id = $1").bind(user_id).fetch_optional(pool).await
    })?)
}

/// Creates a task in a list where the caller may edit (their Inbox by default), unless they
/// have created `max_tasks` that still exist.
pub async fn create(db: &Db, creator: &Person, draft: TaskDraft, max_tasks: i64) -> Result<Task, AppError> {
    let now = Timestamp::now();
    let list_id = draft.list_id.unwrap_or(creator.id);
    let assignee = match draft.assignee {
        Some(id) => Some(Person { id, name: name_of(db, id).await?.unwrap_or_default() }),
        None => None,
    };
    let task = Task {
        id: Uuid::now_v7(),
        list_id,
        title: draft.title,
        description: draft.description,
        completed: false,
        priority: draft.priority,
        due_date: draft.due_date,
        due_time: draft.due_time,
        repeat_text: super::repeat_text(draft.repeat.as_deref()),
        repeat: draft.repeat,
        repeat_from: draft.repeat_from,
        reminders: crate::reminders::texts(&draft.reminders),
        occurrence_of: None,
        tags: draft.tags,
        assignee,
        created_by: Some(creator.clone()),
        created_at: now.0,
        updated_at: now.0,
        completed_at: None,
    };
    // One statement checks the role, the assignee and the cap, and inserts (the tag rows and
    // counts follow by trigger, migration 0012). SQLite runs it under the single writer, so
    // the cap is exact there (PostgreSQL may let concurrent creates overshoot it slightly).
    let insert = format!(
        "insert into tasks (id, list_id, created_by, assignee_id, title, description, priority, due_date, tags, \
         search, title_key, due_minute, completed, created_at, updated_at, repeat, repeat_from, repeat_start, \
         reminders) \
         select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $16, $17, $18, $19 \
         where $2 in {editable} \
           and coalesce((select total from creator_counts where user_id = $3), 0) < $15 \
           and ($4 is null or exists (select 1 from list_members where list_id = $2 and user_id = $4))",
        editable = editable_lists("$3")
    );
    let created = NewEvent::new(list_id, now, Some(creator.id), EventKind::TaskCreated).task(task.id, &task.title);
    let inserted = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let inserted =
            bind_fields!(sqlx::query(&insert).bind(task.id).bind(list_id).bind(creator.id).bind(draft.assignee), task)
                .bind(false)
                .bind(now)
                .bind(max_tasks)
                .bind(&task.repeat)
                .bind(task.repeat_from.rank())
                .bind(task.repeat.as_ref().and(task.due_date))
                .bind(crate::reminders::join(&draft.reminders))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if inserted == 1 {
            if !draft.reminders.is_empty() {
                reschedule!(tx, task.id).await?;
            }
            record!(&mut *tx, created).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(inserted)
    })?;
    if inserted == 0 {
        let limit = AppError::LimitReached(format!(
            "You have reached the limit of {max_tasks} tasks. Delete some to add more."
        ));
        let otherwise = match draft.assignee {
            Some(id) if role_of(db, id, list_id).await?.is_none() => not_a_member("assignee_id"),
            _ => limit,
        };
        return Err(list_refusal(db, creator.id, list_id, otherwise).await);
    }
    Ok(task)
}

/// Applies changes to a task of a list where the caller may edit. Moving it needs that right
/// in the list it goes to as well; an assignee who is not a member there is unassigned.
pub async fn update(db: &Db, user_id: Uuid, id: Uuid, changes: TaskChanges) -> Result<Task, AppError> {
    let now = Timestamp::now();
    // On PostgreSQL the row is locked from the read to the write, or two editors saving at
    // once would each write back the other's fields as they were (SQLite's single writer runs
    // one transaction at a time).
    let postgres = !db.is_sqlite();
    let lock = if postgres { " for update of t" } else { "" };
    let outcome: Result<Option<Task>, Uuid> = with_writer!(db, |conn| async move {
        let mut tx = conn.begin().await?;
        let select =
            format!("select {COLUMNS} from {FROM} where t.id = $1 and t.list_id in {}{lock}", editable_lists("$2"));
        let current: Option<TaskRow> = sqlx::query_as(&select).bind(id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok::<_, AppError>(Ok(None)) };
        let before = Task::from(current);
        let mut task = before.clone();
        // An assignee named as it already is (a form sends every field) is no change: moving
        // the task then unassigns them where they are not a member, as when none is named.
        let explicit_assignee = changes.assignee.is_some_and(|a| a != before.assignee.as_ref().map(|p| p.id));
        if let Some(title) = changes.title {
            task.title = title;
        }
        if let Some(description) = changes.description {
            task.description = description;
        }
        if let Some(priority) = changes.priority {
            task.priority = priority;
        }
        if let Some(due_date) = changes.due_date {
            task.due_date = due_date;
        }
        if let Some(due_time) = changes.due_time {
            task.due_time = due_time;
        }
        if let Some(repeat) = changes.repeat {
            task.repeat = repeat;
        }
        if let Some(repeat_from) = changes.repeat_from {
            task.repeat_from = repeat_from;
        }
        // Reminders named as they already are (a form sends every field) are no change.
        let reminders_given =
            changes.reminders.as_ref().is_some_and(|new| crate::reminders::texts(new) != before.reminders);
        let mut reminders = crate::reminders::split(Some(&before.reminders.join(",")));
        if let Some(new) = changes.reminders {
            reminders = new;
        }
        if task.due_date.is_none() && task.due_time.is_some() {
            // Clearing the date clears its time (a form without scripts sends the time as it
            // was beside the emptied date); a new time for a task without a date is refused.
            if task.due_time != before.due_time {
                return Err(AppError::field("due_time", super::input::DUE_TIME_NEEDS_DATE));
            }
            task.due_time = None;
        }
        if task.due_date.is_none() && task.repeat.is_some() && task.repeat == before.repeat {
            // The same for the rule: clearing the date ends the repeating.
            task.repeat = None;
        }
        let reminders_were = before.reminders.len();
        if task.due_date.is_none() && reminders.iter().any(|r| r.is_offset()) {
            // And for the reminders before the due moment, unless they were just set.
            if reminders_given {
                return Err(AppError::field("reminders", crate::reminders::NEED_DATE));
            }
            reminders.retain(|r| !r.is_offset());
        }
        task.reminders = crate::reminders::texts(&reminders);
        // Checked when it changes (a rule an older or newer build stored stays as it is
        // through other edits).
        let rescheduled =
            task.repeat != before.repeat || task.due_date != before.due_date || task.repeat_from != before.repeat_from;
        if let (Some(rule), true) = (&task.repeat, rescheduled) {
            super::input::check_repeat(rule, task.repeat_from, task.due_date)
                .map_err(|e| AppError::field("repeat", e))?;
        }
        // The schedule starts again from the due date when the rule or the date changes.
        let restarted = task.repeat != before.repeat || task.due_date != before.due_date;
        if let Some(tags) = changes.tags {
            task.tags = tags;
        }
        let list_id = changes.list_id.unwrap_or(task.list_id);
        let assignee = changes.assignee.unwrap_or(task.assignee.as_ref().map(|a| a.id));
        if let (true, Some(assignee)) = (postgres, assignee) {
            // Holds the assignee's membership while the task is assigned: a removal running
            // now either waits and then unassigns this task, or has committed and the
            // statement below no longer sees the member.
            sqlx::query("select 1 from list_members where list_id = $1 and user_id = $2 for share")
                .bind(list_id)
                .bind(assignee)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let update = format!(
            "update tasks set title = $1, description = $2, priority = $3, due_date = $4, tags = $5, \
             search = $6, title_key = $7, due_minute = $8, updated_at = $9, list_id = $10, \
             repeat = $15, repeat_from = $16, reminders = $19, \
             repeat_start = case when $15 is null then null when $17 then $18 else repeat_start end, \
             assignee_id = case when exists (select 1 from list_members where list_id = $10 and user_id = $11) \
               then $11 else null end \
             where id = $12 and list_id in {editable} and $10 in {editable} \
               and (not $13 or $11 is null \
                    or exists (select 1 from list_members where list_id = $10 and user_id = $11))",
            editable = editable_lists("$14")
        );
        let changed = bind_fields!(sqlx::query(&update), task)
            .bind(now)
            .bind(list_id)
            .bind(assignee)
            .bind(id)
            .bind(explicit_assignee)
            .bind(user_id)
            .bind(&task.repeat)
            .bind(task.repeat_from.rank())
            .bind(restarted)
            .bind(task.due_date)
            .bind(crate::reminders::join(&reminders))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(Err(list_id));
        }
        if reminders_were > 0 || !reminders.is_empty() {
            reschedule!(tx, id).await?;
        }
        let select = format!("select {COLUMNS} from {FROM} where t.id = $1");
        let row: TaskRow = sqlx::query_as(&select).bind(id).fetch_one(&mut *tx).await?;
        let after = Task::from(row);
        let edited = edited_fields(&before, &after);
        let event = |list_id, kind| NewEvent::new(list_id, now, Some(user_id), kind).task(id, &after.title);
        if !edited.is_empty() {
            record!(&mut *tx, event(after.list_id, EventKind::TaskEdited).detail(&edited)).await?;
        }
        if before.list_id != after.list_id {
            // The list it left knows it by the title it had there.
            let out = NewEvent::new(before.list_id, now, Some(user_id), EventKind::TaskMoved).task(id, &before.title);
            record!(&mut *tx, out.detail("out")).await?;
            record!(&mut *tx, event(after.list_id, EventKind::TaskMoved).detail("in")).await?;
        }
        let assignee = after.assignee.as_ref().map(|a| a.id);
        if before.assignee.as_ref().map(|a| a.id) != assignee {
            record!(&mut *tx, event(after.list_id, EventKind::TaskAssigned).member(assignee)).await?;
        }
        tx.commit().await?;
        Ok(Ok(Some(after)))
    }
    .await)?;
    match outcome {
        Ok(Some(task)) => Ok(task),
        Ok(None) => Err(refusal(db, user_id, id).await),
        // The task was the caller's to change: the list it goes to, or the assignee, is not.
        Err(list_id) => Err(list_refusal(db, user_id, list_id, not_a_member("assignee_id")).await),
    }
}

/// The fields a change edited, comma-separated (for the history; not the list or assignee,
/// which have events of their own).
fn edited_fields(before: &Task, after: &Task) -> String {
    let fields = [
        ("title", before.title != after.title),
        ("description", before.description != after.description),
        ("priority", before.priority != after.priority),
        ("due_date", before.due_date != after.due_date),
        ("due_time", before.due_time != after.due_time),
        ("repeat", before.repeat != after.repeat || before.repeat_from != after.repeat_from),
        ("reminders", before.reminders != after.reminders),
        ("tags", before.tags != after.tags),
    ];
    fields.into_iter().filter(|(_, changed)| *changed).map(|(name, _)| name).collect::<Vec<_>>().join(",")
}

/// Completes or reopens a task of a list where the caller may edit. A recurring task moves
/// to its next date after `today` (the caller's) instead, the date it leaves recorded as a
/// completed task (within the caller's cap of `max_tasks`); reopening such a record moves the
/// task back ([`recurring`]).
pub async fn set_completed(
    db: &Db,
    user_id: Uuid,
    id: Uuid,
    completed: bool,
    today: Date,
    max_tasks: i64,
) -> Result<Task, AppError> {
    if completed {
        if let recurring::Advanced::Changed(task) = recurring::advance(db, user_id, id, today, true, max_tasks).await? {
            return Ok(*task);
        }
    } else if let Some(task) = recurring::undo(db, user_id, id).await? {
        return Ok(task);
    }
    let now = Timestamp::now();
    let kind = if completed { EventKind::TaskCompleted } else { EventKind::TaskReopened };
    // Only a task that changes: completing a completed task writes nothing (and no event).
    let update = format!(
        "update tasks set completed = $1, completed_at = $2, updated_at = $3 \
         where id = $4 and completed <> $1 and list_id in {} returning {RETURNING}",
        editable_lists("$5")
    );
    let row: Option<TaskRow> = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let row: Option<TaskRow> = sqlx::query_as(&update)
            .bind(completed)
            .bind(completed.then_some(now))
            .bind(now)
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = &row {
            if row.reminders.is_some() {
                // Completing drops its queued reminders; reopening queues them again.
                reschedule!(tx, id).await?;
            }
            record!(&mut *tx, NewEvent::new(row.list_id, now, Some(user_id), kind).task(id, &row.title)).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(row)
    })?;
    if let Some(row) = row {
        return Ok(Task::from(row));
    }
    // Already so, in a list where the caller may edit: nothing to change.
    let select = format!("select {COLUMNS} from {FROM} where t.id = $1 and t.list_id in {}", editable_lists("$2"));
    let current: Option<TaskRow> =
        with_pool!(db.read(), |pool| { sqlx::query_as(&select).bind(id).bind(user_id).fetch_optional(pool).await })?;
    match current {
        Some(row) => Ok(Task::from(row)),
        None => Err(refusal(db, user_id, id).await),
    }
}

/// A task's columns as stored, for moving it between `tasks` and `trashed_tasks`.
pub const STORED_COLUMNS: &str = "id, list_id, created_by, assignee_id, title, description, completed, priority, \
     due_date, tags, search, title_key, created_at, updated_at, completed_at, due_minute, repeat, repeat_from, \
     repeat_start, series_id, series_moved_to, reminders";

/// Moves the tasks `condition` picks to the trash, marked as deleted now by the caller; the
/// condition reads the caller from `$1`, a list (or null) from `$2` and a task (or null) from
/// `$3`. A job's batch (`step`) moves at most its limit of them, changed before it started,
/// and records its progress. Returns how many it picked and how many moved (on PostgreSQL a
/// picked task that another transaction changed meanwhile stays), or `None` when the batch's
/// runner no longer held its job (nothing moved).
async fn trash(
    db: &Db,
    user_id: Uuid,
    list_id: Option<Uuid>,
    task_id: Option<Uuid>,
    condition: &str,
    step: Option<&Step>,
) -> Result<Option<(u64, u64)>, AppError> {
    let now = step.map_or_else(Timestamp::now, |step| step.now);
    let single_writer = db.is_sqlite();
    // `$5`: the cutoff, `$6`: the most rows (a task's own deletion has neither).
    let pending = format!("{condition} and ($5 is null or updated_at <= $5)");
    // PostgreSQL moves the rows in one statement, so that no other transaction can change or
    // move them between the copy and the delete, and checks each again as it moves it;
    // SQLite's single writer runs nothing between its two statements, and it has no
    // data-modifying `with`.
    let move_rows = format!(
        "with picked as (select id from tasks where {pending} limit $6), \
         moved as (delete from tasks where id in (select id from picked) and {pending} returning {STORED_COLUMNS}), \
         stored as (insert into trashed_tasks ({STORED_COLUMNS}, deleted_at, deleted_by) \
         select {STORED_COLUMNS}, $4, $1 from moved) \
         select (select count(*) from picked), (select count(*) from moved)"
    );
    let copy = format!(
        "insert into trashed_tasks ({STORED_COLUMNS}, deleted_at, deleted_by) \
         select {STORED_COLUMNS}, $4, $1 from tasks where n in (select n from tasks where {pending} limit $6)"
    );
    // Exactly the rows just copied: the caller's deletions of this microsecond.
    let delete =
        "delete from tasks where id in (select id from trashed_tasks where deleted_by = $1 and deleted_at = $2)";
    let events = for_each_task("from trashed_tasks where deleted_by = $1 and deleted_at = $2", 3);
    let (started, limit) = step.map_or((None, 1), |step| (Some(step.started), step.limit));
    with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let (picked, moved) = if single_writer {
            let copied = sqlx::query(&copy).bind(user_id).bind(list_id).bind(task_id).bind(now).bind(started);
            let copied = copied.bind(limit).execute(&mut *tx).await?.rows_affected();
            (copied, copied)
        } else {
            let moved = sqlx::query_as(&move_rows).bind(user_id).bind(list_id).bind(task_id).bind(now).bind(started);
            let (picked, moved): (i64, i64) = moved.bind(limit).fetch_one(&mut *tx).await?;
            (picked.unsigned_abs(), moved.unsigned_abs())
        };
        if moved > 0 {
            if single_writer {
                sqlx::query(delete).bind(user_id).bind(now).execute(&mut *tx).await?;
            }
            let kind = EventKind::TaskDeleted.as_str();
            sqlx::query(&events).bind(user_id).bind(now).bind(now).bind(user_id).bind(kind).execute(&mut *tx).await?;
        }
        if let Some(step) = step
            && advance!(&mut *tx, step, picked, moved).await?.rows_affected() == 0
        {
            return Ok(None);
        }
        if moved > 0 || step.is_some() {
            tx.commit().await?;
        }
        Ok::<_, AppError>(Some((picked, moved)))
    })
}

/// Moves a task of a list where the caller may edit to the trash; returns 1.
pub async fn delete(db: &Db, user_id: Uuid, id: Uuid) -> Result<u64, AppError> {
    let condition = format!("id = $3 and list_id in {} and $2 is null", editable_lists("$1"));
    let deleted = trash(db, user_id, None, Some(id), &condition, None).await?.map_or(0, |(_, moved)| moved);
    if deleted == 0 {
        return Err(refusal(db, user_id, id).await);
    }
    Ok(deleted)
}

/// The tags of one list, or of all the caller's, with their task counts, alphabetically.
pub async fn tags(db: &Db, user_id: Uuid, list_id: Option<Uuid>) -> Result<Vec<TagCount>, AppError> {
    let scope = match list_id {
        Some(_) => format!("list_id = $2 and $2 in {}", member_lists("$1")),
        None => format!("list_id in {} and $2 is null", member_lists("$1")),
    };
    let rows: Vec<(String, i64)> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!(
            "select tag, cast(sum(count) as bigint) from tag_counts where {scope} group by tag order by tag"
        ))
        .bind(user_id)
        .bind(list_id)
        .fetch_all(pool)
        .await
    })?;
    if rows.is_empty()
        && let Some(list_id) = list_id
        && role_of(db, user_id, list_id).await?.is_none()
    {
        return Err(AppError::NotFound);
    }
    Ok(rows.into_iter().map(|(name, count)| TagCount { name, count }).collect())
}
