//! Recurring tasks: completing one records the date it was due as a completed task of its
//! own and moves it to the rule's next date; skipping moves it without the record; undoing a
//! recorded date moves the task back. Each is one transaction whose statements check the
//! caller's role themselves.

use sqlx::Connection;
use time::Date;
use uuid::Uuid;

use super::{get, refusal};
use crate::{
    db::{Db, Timestamp, with_writer},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, record},
    },
    lists::store::editable_lists,
    tasks::{RepeatFrom, Task, next_due},
};

/// What became of a request to move a recurring task on.
pub enum Advanced {
    /// It moved to its next date.
    Moved(Box<Task>),
    /// Its rule has no date after this one: a completion completes it for good.
    Ended,
    /// It is not an open recurring task of a list where the caller may edit.
    NotRecurring,
}

/// Moves an open recurring task to its next date, as seen on `today` (the caller's), and
/// with `record` (a completion, not a skip) records the date it leaves as a completed task
/// (`occurrence_of` naming it, and the date it moved to, for an undo).
pub async fn advance(db: &Db, user_id: Uuid, id: Uuid, today: Date, record: bool) -> Result<Advanced, AppError> {
    let now = Timestamp::now();
    // PostgreSQL: the row is locked from the read to the write, so that two completions at
    // once record two dates in turn, as SQLite's single writer does (not two of the same).
    let lock = if db.is_sqlite() { "" } else { " for update" };
    let editable = editable_lists("$2");
    let select = format!(
        "select title, list_id, due_date, repeat, repeat_from, repeat_start from tasks \
         where id = $1 and not completed and repeat is not null and list_id in {editable}{lock}"
    );
    // Early `return`s leave the `async` block, not the function.
    let moved = with_writer!(db, |conn| async move {
        let mut tx = conn.begin().await?;
        type Row = (String, Uuid, Option<Date>, Option<String>, i16, Option<Date>);
        let row: Option<Row> = sqlx::query_as(&select).bind(id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some((title, list_id, Some(due), Some(rule), from, start)) = row else {
            return Ok::<_, AppError>(None);
        };
        let Some(next) = next_due(&rule, RepeatFrom::from_rank(from), start.unwrap_or(due), due, today) else {
            return Ok(Some(false));
        };
        let update = format!(
            "update tasks set due_date = $1, updated_at = $2 \
             where id = $3 and due_date = $4 and not completed and list_id in {}",
            editable_lists("$5")
        );
        let moved =
            sqlx::query(&update).bind(next).bind(now).bind(id).bind(due).bind(user_id).execute(&mut *tx).await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        let event = NewEvent::new(list_id, now, Some(user_id), EventKind::TaskCompleted).task(id, &title);
        if record {
            sqlx::query(
                "insert into tasks (id, list_id, created_by, assignee_id, title, description, priority, due_date, \
                 due_minute, tags, search, title_key, completed, completed_at, created_at, updated_at, series_id, \
                 series_moved_to) \
                 select $1, list_id, created_by, assignee_id, title, description, priority, $2, due_minute, tags, \
                 search, title_key, $3, $4, $4, $4, id, $5 from tasks where id = $6",
            )
            .bind(Uuid::now_v7())
            .bind(due)
            .bind(true)
            .bind(now)
            .bind(next)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            record!(&mut *tx, event).await?;
        } else {
            let skipped = NewEvent::new(list_id, now, Some(user_id), EventKind::TaskEdited).task(id, &title);
            record!(&mut *tx, skipped.detail("due_date")).await?;
        }
        tx.commit().await?;
        Ok(Some(true))
    }
    .await)?;
    match moved {
        Some(true) => {
            Ok(get(db, user_id, id).await?.map_or(Advanced::NotRecurring, |task| Advanced::Moved(Box::new(task))))
        }
        Some(false) => Ok(Advanced::Ended),
        None => Ok(Advanced::NotRecurring),
    }
}

/// Skips an open recurring task's date: it moves to the next one, nothing is recorded.
pub async fn skip(db: &Db, user_id: Uuid, id: Uuid, today: Date) -> Result<Task, AppError> {
    match advance(db, user_id, id, today, false).await? {
        Advanced::Moved(task) => Ok(*task),
        Advanced::Ended => {
            Err(AppError::field("id", "This is the last date of its rule: complete or delete the task."))
        }
        Advanced::NotRecurring => match get(db, user_id, id).await? {
            None => Err(AppError::NotFound),
            Some(task) if task.repeat.is_none() || task.completed => {
                Err(AppError::field("id", "Only an open recurring task has a date to skip."))
            }
            Some(_) => Err(refusal(db, user_id, id).await),
        },
    }
}

/// Undoes the completion a recorded date stands for: the recurring task moves back to that
/// date (when it is still open where that completion moved it) and the record goes; when the
/// task has moved on since, or is gone, the record is reopened as a task of its own.
/// `None` when `id` is not a recorded date of a list where the caller may edit.
pub async fn undo(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Task>, AppError> {
    let now = Timestamp::now();
    let lock = if db.is_sqlite() { "" } else { " for update" };
    let editable = editable_lists("$2");
    let select = format!(
        "select title, list_id, due_date, series_id, series_moved_to from tasks \
         where id = $1 and completed and series_id is not null and list_id in {editable}{lock}"
    );
    let shown = with_writer!(db, |conn| async move {
        let mut tx = conn.begin().await?;
        type Row = (String, Uuid, Option<Date>, Option<Uuid>, Option<Date>);
        let row: Option<Row> = sqlx::query_as(&select).bind(id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some((title, list_id, due, Some(series), moved_to)) = row else { return Ok::<_, AppError>(None) };
        let back = format!(
            "update tasks set due_date = $1, updated_at = $2 \
             where id = $3 and due_date = $4 and not completed and list_id in {}",
            editable_lists("$5")
        );
        let back = sqlx::query(&back).bind(due).bind(now).bind(series).bind(moved_to).bind(user_id);
        let shown = if back.execute(&mut *tx).await?.rows_affected() == 1 {
            sqlx::query("delete from tasks where id = $1").bind(id).execute(&mut *tx).await?;
            series
        } else {
            sqlx::query(
                "update tasks set completed = $1, completed_at = null, updated_at = $2, series_id = null, \
                 series_moved_to = null where id = $3",
            )
            .bind(false)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        };
        let event = NewEvent::new(list_id, now, Some(user_id), EventKind::TaskReopened).task(shown, &title);
        record!(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(Some(shown))
    }
    .await)?;
    match shown {
        Some(shown) => get(db, user_id, shown).await,
        None => Ok(None),
    }
}
