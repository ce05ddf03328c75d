//! The bulk changes of tasks, one batch of a job at a time ([`crate::jobs`]): completing or
//! reopening every task of a scope, and clearing the completed ones to the trash.

use sqlx::Connection;
use uuid::Uuid;

use super::{list_refusal, trash};
use crate::{
    db::{Db, with_pool, with_writer_alone},
    error::AppError,
    history::{EventKind, record::for_each_task},
    jobs::step::{Advanced, Step, advance},
    lists::store::editable_lists,
    reminders::schedule::reschedule,
};

/// SQL: the lists a bulk change applies to: the one named (`$2`, where the caller `$1` may
/// edit), or every list where they may edit.
fn bulk_scope(list_id: Option<Uuid>) -> String {
    match list_id {
        Some(_) => format!("list_id = $2 and $2 in {}", editable_lists("$1")),
        None => format!("list_id in {} and $2 is null", editable_lists("$1")),
    }
}

/// Why a bulk change that changed nothing in the list `list_id` did not: a list the caller
/// may not edit is an error (`None`: it may, there was nothing to change).
pub async fn bulk_refusal(db: &Db, user_id: Uuid, list_id: Uuid) -> Option<AppError> {
    match list_refusal(db, user_id, list_id, AppError::Internal).await {
        AppError::Internal => None,
        refused => Some(refused),
    }
}

/// How many tasks a bulk change of the tasks completed (`true`) or open (`false`) in one
/// list, or in every list where the caller may edit, would change: what a job expects.
pub async fn bulk_count(db: &Db, user_id: Uuid, list_id: Option<Uuid>, completed: bool) -> Result<u64, AppError> {
    let scope = bulk_scope(list_id);
    let count: i64 = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(&format!(
            "select count(*) from tasks where {scope} and completed = $3{}",
            one_off(!completed)
        ))
        .bind(user_id)
        .bind(list_id)
        .bind(completed)
        .fetch_one(pool)
        .await
    })?;
    Ok(count.unsigned_abs())
}

/// The condition that leaves recurring tasks out of completing everything (`completing`):
/// each is completed on its own, which records its date and moves it on.
fn one_off(completing: bool) -> &'static str {
    if completing { " and repeat is null" } else { "" }
}

/// One batch of clearing the completed tasks of one list, or of every list where the caller
/// may edit: moves them to the trash. `None` when the runner no longer held the job.
pub async fn clear_completed(
    db: &Db,
    user_id: Uuid,
    list_id: Option<Uuid>,
    step: &Step,
) -> Result<Option<Advanced>, AppError> {
    let condition = format!("{} and completed and $3 is null", bulk_scope(list_id));
    let moved = trash(db, user_id, list_id, None, &condition, Some(step)).await?;
    Ok(moved.map(|(picked, moved)| step.advanced(picked, moved)))
}

/// One batch of completing (or reopening) the tasks of one list, or of every list where the
/// caller may edit: the tasks not yet so that were last changed before the job started.
/// Returns how far it took the job, or `None` when the runner no longer held the job.
pub async fn complete_all(
    db: &Db,
    user_id: Uuid,
    list_id: Option<Uuid>,
    completed: bool,
    step: &Step,
) -> Result<Option<Advanced>, AppError> {
    let now = step.now;
    let kind = if completed { EventKind::TaskCompleted } else { EventKind::TaskReopened };
    // `completed = $3` (the opposite of what they become), not `completed <> ...`: each list's
    // range of its index on (list, completion, updated_at), which the batches empty from the
    // front.
    let pending = format!("{} and completed = $3 and updated_at <= $4{}", bulk_scope(list_id), one_off(completed));
    let pick = format!("select {{key}} from tasks where {pending} limit $5");
    // A recorded date of a recurring task that is reopened becomes a task of its own.
    let set = "update tasks set completed = $6, completed_at = $7, updated_at = $8, \
               series_id = case when $6 then series_id end, series_moved_to = case when $6 then series_moved_to end";
    // Up to a batch of 2,000 rows: alone, not in a group whose other writes would wait on it.
    with_writer_alone!(db, |conn| {
        let mut tx = conn.begin().await?;
        // How many rows the batch picked (fewer than its limit: the last batch), and changed.
        let (picked, changed) = if db.is_sqlite() {
            // The batch's rows by key, then each statement on exactly those: a statement that
            // also repeats the conditions may be planned as a scan of every pending row.
            let keys: Vec<i64> = sqlx::query_scalar(&pick.replace("{key}", "n"))
                .bind(user_id)
                .bind(list_id)
                .bind(!completed)
                .bind(step.started)
                .bind(step.limit)
                .fetch_all(&mut *tx)
                .await?;
            let picked = keys.len() as u64;
            let keys = serde_json::to_string(&keys).unwrap_or_default();
            let by_key = "n in (select value from json_each($1))";
            let update = format!(
                "update tasks set completed = $2, completed_at = $3, updated_at = $4, \
                 series_id = case when $2 then series_id end, \
                 series_moved_to = case when $2 then series_moved_to end where {by_key}"
            );
            let changed = sqlx::query(&update).bind(&keys).bind(completed).bind(completed.then_some(now)).bind(now);
            let changed = changed.execute(&mut *tx).await?.rows_affected();
            let events = for_each_task(&format!("from tasks where {by_key}"), 2);
            let events = sqlx::query(&events).bind(&keys).bind(now).bind(user_id).bind(kind.as_str());
            events.execute(&mut *tx).await?;
            (picked, changed)
        } else {
            // One statement: the rows it changed and their events. The conditions are checked
            // again on each row, which another transaction may have changed meanwhile: such a
            // row is skipped, and the batch is still not the last if it picked its limit.
            let events = for_each_task("from changed", 9);
            let statement = format!(
                "with picked as ({}), \
                 changed as ({set} where id in (select id from picked) and {pending} returning id, list_id, title), \
                 logged as ({events}) \
                 select (select count(*) from picked), (select count(*) from changed)",
                pick.replace("{key}", "id")
            );
            let (picked, changed): (i64, i64) = sqlx::query_as(&statement)
                .bind(user_id)
                .bind(list_id)
                .bind(!completed)
                .bind(step.started)
                .bind(step.limit)
                .bind(completed)
                .bind(completed.then_some(now))
                .bind(now)
                .bind(now)
                .bind(user_id)
                .bind(kind.as_str())
                .fetch_one(&mut *tx)
                .await?;
            (picked.unsigned_abs(), changed.unsigned_abs())
        };
        if !completed {
            // Reopened, the batch's tasks with reminders are queued again (completing them
            // needs nothing: the sweep drops the reminders of a completed task).
            let reopened = format!(
                "select id from tasks where {} and not completed and updated_at = $3 \
                 and reminders is not null",
                bulk_scope(list_id)
            );
            let reopened: Vec<Uuid> =
                sqlx::query_scalar(&reopened).bind(user_id).bind(list_id).bind(now).fetch_all(&mut *tx).await?;
            for id in reopened {
                reschedule!(tx, id).await?;
            }
        }
        if advance!(&mut *tx, step, picked, changed).await?.rows_affected() == 0 {
            return Ok(None);
        }
        tx.commit().await?;
        Ok::<_, AppError>(Some(step.advanced(picked, changed)))
    })
}
