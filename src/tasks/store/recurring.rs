//! Recurring tasks: completing one records the date it was due as a completed task of its
//! own and moves it to the rule's next date; skipping moves it without the record; undoing a
//! recorded date moves the task back. Each is one transaction whose statements check the
//! caller's role themselves.

use sqlx::Connection;
use time::Date;
use uuid::Uuid;

use super::{RETURNING, TaskRow, get, refusal};
use crate::{
    db::{Db, Timestamp, with_writer},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, record},
    },
    lists::store::editable_lists,
    reminders::schedule::reschedule,
    tasks::{RepeatFrom, Task, next_due},
};

/// What became of a request to move a recurring task on.
pub enum Advanced {
    /// It moved to its next date, or (a completion on the rule's last date) was completed for
    /// good, or (its next date is the one it has) stayed as it was.
    Changed(Box<Task>),
    /// A skip on the rule's last date: nothing changed.
    Ended,
    /// It is not an open recurring task of a list where the caller may edit.
    NotRecurring,
}

/// Moves an open recurring task to its next date, as seen on `today` (the caller's). With
/// `record` (a completion, not a skip) the date it leaves is recorded as a completed task
/// made by the caller (`occurrence_of` naming the recurring task, and the date it moved to,
/// for an undo), within the caller's cap of `max_tasks`; on the rule's last date the task is
/// completed for good instead. Every statement checks the caller's role itself.
pub async fn advance(
    db: &Db,
    user_id: Uuid,
    id: Uuid,
    today: Date,
    record: bool,
    max_tasks: i64,
) -> Result<Advanced, AppError> {
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
    let outcome = with_writer!(db, |conn| async move {
        let mut tx = conn.begin().await?;
        type Row = (String, Uuid, Option<Date>, Option<String>, i16, Option<Date>);
        let row: Option<Row> = sqlx::query_as(&select).bind(id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some((title, list_id, Some(due), Some(rule), from, start)) = row else {
            return Ok::<_, AppError>(Step::NotRecurring);
        };
        let next = next_due(&rule, RepeatFrom::from_rank(from), start.unwrap_or(due), due, today);
        let event = |kind| NewEvent::new(list_id, now, Some(user_id), kind).task(id, &title);
        let guard =
            format!("where id = $3 and due_date = $4 and not completed and list_id in {}", editable_lists("$5"));
        let Some(next) = next else {
            if !record {
                return Ok(Step::Ended);
            }
            // The rule's last date: completed for good, like any task.
            let done = format!(
                "update tasks set completed = $1, completed_at = $2, updated_at = $2 {guard} returning {RETURNING}"
            );
            let done: Option<TaskRow> = sqlx::query_as(&done)
                .bind(true)
                .bind(now)
                .bind(id)
                .bind(due)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                reschedule!(tx, id).await?;
                record!(&mut *tx, event(EventKind::TaskCompleted)).await?;
                tx.commit().await?;
            }
            return Ok(Step::Changed(done.map(Box::new)));
        };
        if next == due {
            // Counted from today, done again today: its next date is the one it has.
            return Ok(Step::Changed(None));
        }
        // The task as it is now comes back from the update itself: no read after the commit.
        let update = format!("update tasks set due_date = $1, updated_at = $2 {guard} returning {RETURNING}");
        let moved = sqlx::query_as(&update).bind(next).bind(now).bind(id).bind(due).bind(user_id);
        let Some(moved): Option<TaskRow> = moved.fetch_optional(&mut *tx).await? else {
            return Ok(Step::NotRecurring);
        };
        if moved.reminders.is_some() {
            // Its reminders follow it to the new date.
            reschedule!(tx, id).await?;
        }
        if record {
            let insert = format!(
                "insert into tasks (id, list_id, created_by, assignee_id, title, description, priority, due_date, \
                 due_minute, tags, search, title_key, completed, completed_at, created_at, updated_at, series_id, \
                 series_moved_to) \
                 select $1, list_id, $2, assignee_id, title, description, priority, $3, due_minute, tags, search, \
                 title_key, $4, $5, $5, $5, id, $6 from tasks \
                 where id = $7 and list_id in {editable} \
                   and coalesce((select total from creator_counts where user_id = $2), 0) < $8"
            );
            let recorded = sqlx::query(&insert)
                .bind(Uuid::now_v7())
                .bind(user_id)
                .bind(due)
                .bind(true)
                .bind(now)
                .bind(next)
                .bind(id)
                .bind(max_tasks)
                .execute(&mut *tx)
                .await?;
            if recorded.rows_affected() == 0 {
                // The transaction is dropped: the task stays where it was.
                return Err(AppError::LimitReached(format!(
                    "You have reached the limit of {max_tasks} tasks, and each completed date of a recurring task \
                     is one. Delete some to go on."
                )));
            }
            record!(&mut *tx, event(EventKind::TaskCompleted)).await?;
        } else {
            record!(&mut *tx, event(EventKind::TaskEdited).detail("due_date")).await?;
        }
        tx.commit().await?;
        Ok(Step::Changed(Some(Box::new(moved))))
    }
    .await)?;
    match outcome {
        Step::Changed(Some(row)) => Ok(Advanced::Changed(Box::new(Task::from(*row)))),
        Step::Changed(None) => {
            Ok(get(db, user_id, id).await?.map_or(Advanced::NotRecurring, |t| Advanced::Changed(Box::new(t))))
        }
        Step::Ended => Ok(Advanced::Ended),
        Step::NotRecurring => Ok(Advanced::NotRecurring),
    }
}

/// What the transaction of [`advance`] did: changed the task (as it now is, when the
/// statement said), or not.
enum Step {
    Changed(Option<Box<TaskRow>>),
    Ended,
    NotRecurring,
}

/// Skips an open recurring task's date: it moves to the next one, nothing is recorded.
pub async fn skip(db: &Db, user_id: Uuid, id: Uuid, today: Date) -> Result<Task, AppError> {
    match advance(db, user_id, id, today, false, 0).await? {
        Advanced::Changed(task) => Ok(*task),
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
        // Back only from where this completion put it, and only for the series' latest record
        // (a date counted from completion can come round again).
        let back = format!(
            "update tasks set due_date = $1, updated_at = $2 \
             where id = $3 and due_date = $4 and not completed and list_id in {} \
               and not exists (select 1 from tasks r where r.series_id = $3 and r.id > $6)",
            editable_lists("$5")
        );
        let back = sqlx::query(&back).bind(due).bind(now).bind(series).bind(moved_to).bind(user_id).bind(id);
        let shown = if back.execute(&mut *tx).await?.rows_affected() == 1 {
            let delete = format!("delete from tasks where id = $1 and list_id in {editable}");
            sqlx::query(&delete).bind(id).bind(user_id).execute(&mut *tx).await?;
            reschedule!(tx, series).await?;
            series
        } else {
            let reopen = format!(
                "update tasks set completed = $3, completed_at = null, updated_at = $4, series_id = null, \
                 series_moved_to = null where id = $1 and list_id in {editable}"
            );
            sqlx::query(&reopen).bind(id).bind(user_id).bind(false).bind(now).execute(&mut *tx).await?;
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
