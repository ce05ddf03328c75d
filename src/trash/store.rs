//! SQL for the trash. Like every statement of lists and tasks, each carries the caller's
//! membership and role in its own `where` clause.

use sqlx::Connection;
use uuid::Uuid;

use super::{KEPT_DAYS, TASKS_SHOWN, Trash, TrashedList, TrashedTask};
use crate::{
    auth::Person,
    db::{Db, Timestamp, execute, with_pool, with_writer, with_writer_alone},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, for_each_task, record},
    },
    jobs::step::{Advanced, Step, advance},
    lists::{
        ListRef,
        store::{self as lists, editable_lists, owned_lists_and_trashed},
    },
    tasks::{Task, store as tasks},
};

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    name: String,
    deleted_at: Timestamp,
    deleted_by: Option<Uuid>,
    deleter_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    title: String,
    list_id: Uuid,
    list_name: String,
    deleted_at: Timestamp,
    deleted_by: Option<Uuid>,
    deleter_name: Option<String>,
}

/// What the caller may restore, most recently deleted first.
pub async fn list(db: &Db, user_id: Uuid) -> Result<Trash, AppError> {
    let lists_sql = format!(
        "select l.id, l.name, l.deleted_at, l.deleted_by, u.name as deleter_name from lists l \
         left join users u on u.id = l.deleted_by \
         where l.deleted_at is not null and l.id in {} order by l.deleted_at desc, l.id limit $2",
        owned_lists_and_trashed("$1")
    );
    let tasks_sql = format!(
        "select t.id, t.title, t.list_id, l.name as list_name, t.deleted_at, t.deleted_by, u.name as deleter_name \
         from trashed_tasks t join lists l on l.id = t.list_id left join users u on u.id = t.deleted_by \
         where t.list_id in {} order by t.deleted_at desc, t.id desc limit $2",
        editable_lists("$1")
    );
    let total_sql = format!("select count(*) from trashed_tasks where list_id in {}", editable_lists("$1"));
    let (lists, tasks, tasks_total): (Vec<ListRow>, Vec<TaskRow>, i64) = with_pool!(db.read(), |pool| {
        let mut conn = pool.acquire().await?;
        let lists = sqlx::query_as(&lists_sql).bind(user_id).bind(crate::lists::limits::LISTS_MAX);
        let lists = lists.fetch_all(&mut *conn).await?;
        let tasks = sqlx::query_as(&tasks_sql).bind(user_id).bind(TASKS_SHOWN).fetch_all(&mut *conn).await?;
        let total = sqlx::query_scalar(&total_sql).bind(user_id).fetch_one(&mut *conn).await?;
        Ok::<_, AppError>((lists, tasks, total))
    })?;
    Ok(Trash {
        lists: lists
            .into_iter()
            .map(|l| TrashedList {
                id: l.id,
                name: l.name,
                deleted_at: l.deleted_at.0,
                deleted_by: Person::from_join(l.deleted_by, l.deleter_name),
            })
            .collect(),
        tasks: tasks
            .into_iter()
            .map(|t| TrashedTask {
                id: t.id,
                title: t.title,
                list: ListRef { id: t.list_id, name: t.list_name },
                deleted_at: t.deleted_at.0,
                deleted_by: Person::from_join(t.deleted_by, t.deleter_name),
            })
            .collect(),
        tasks_total,
    })
}

/// Puts a task back in its list (which must be live, and where the caller may edit). An
/// assignee who has left the list meanwhile is not brought back.
pub async fn restore_task(db: &Db, user_id: Uuid, id: Uuid) -> Result<Task, AppError> {
    // The columns of a trashed row `r`, but the assignee only if still a member of the list.
    let values = "r.id, r.list_id, r.created_by, \
         case when exists (select 1 from list_members m where m.list_id = r.list_id and m.user_id = r.assignee_id) \
           then r.assignee_id else null end, \
         r.title, r.description, r.completed, r.priority, r.due_date, r.tags, r.search, r.title_key, r.created_at, \
         r.updated_at, r.completed_at, r.due_minute, r.repeat, r.repeat_from, r.repeat_start, r.series_id, \
         r.series_moved_to, r.reminders";
    let (columns, editable) = (tasks::STORED_COLUMNS, editable_lists("$2"));
    // As with deleting: PostgreSQL moves the row in one statement (a concurrent restore finds
    // nothing), SQLite in two under its single writer.
    let move_back = format!(
        "with r as (delete from trashed_tasks where id = $1 and list_id in {editable} returning *) \
         insert into tasks ({columns}) select {values} from r"
    );
    let copy = format!(
        "insert into tasks ({columns}) select {values} from trashed_tasks r where r.id = $1 and r.list_id in {editable}"
    );
    let single_writer = db.is_sqlite();
    let event = for_each_task("from tasks where id = $1", 2);
    let restored = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let first = if single_writer { &copy } else { &move_back };
        let restored = sqlx::query(first).bind(id).bind(user_id).execute(&mut *tx).await?.rows_affected();
        if restored == 1 {
            if single_writer {
                sqlx::query("delete from trashed_tasks where id = $1").bind(id).execute(&mut *tx).await?;
            }
            let event = sqlx::query(&event).bind(id).bind(Timestamp::now()).bind(user_id);
            event.bind(EventKind::TaskRestored.as_str()).execute(&mut *tx).await?;
            crate::reminders::schedule::reschedule!(tx, id).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(restored == 1)
    })?;
    if restored {
        tracing::info!(task = %id, "task restored");
        return tasks::get(db, user_id, id).await?.ok_or(AppError::NotFound);
    }
    let role: Option<String> = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(
            "select m.role from trashed_tasks t join list_members m on m.list_id = t.list_id and m.user_id = $2 \
             join lists l on l.id = t.list_id where t.id = $1 and l.deleted_at is null",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })?;
    Err(tasks::change_refused(role.as_deref()))
}

/// Brings a list the caller owns back from the trash, with its tasks.
pub async fn restore_list(db: &Db, user_id: Uuid, id: Uuid) -> Result<crate::lists::List, AppError> {
    // Not while the owner's trash is being emptied: the job may have purged part of the
    // list's tasks already, and would leave the rest.
    let emptying = |user: &str| format!("user_id = {user} and kind = 'empty_trash' and finished_at is null");
    let restore = format!(
        "update lists set deleted_at = null, deleted_by = null where id = $1 and deleted_at is not null and id in {} \
         and not exists (select 1 from jobs where {})",
        owned_lists_and_trashed("$2"),
        emptying("$2")
    );
    let now = Timestamp::now();
    let restored = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let restored = sqlx::query(&restore).bind(id).bind(user_id).execute(&mut *tx).await?.rows_affected();
        if restored == 1 {
            // Its tasks' reminders that came due while it was in the trash were dropped.
            crate::reminders::schedule::reschedule_all!(tx, crate::reminders::schedule::OF_LIST, id).await?;
            record!(&mut *tx, NewEvent::new(id, now, Some(user_id), EventKind::ListRestored)).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(restored)
    })?;
    if restored == 1 {
        tracing::info!(list = %id, "list restored");
        return lists::get(db, user_id, id).await?.ok_or(AppError::NotFound);
    }
    let running: i64 = with_pool!(db.read(), |pool| {
        let count = format!("select count(*) from jobs where {}", emptying("$1"));
        sqlx::query_scalar(&count).bind(user_id).fetch_one(pool).await
    })?;
    if running > 0 {
        return Err(AppError::JobRunning);
    }
    // A list in the trash is invisible to everyone but its owner: not found for its members
    // too, the same as a list that does not exist.
    Err(AppError::NotFound)
}

/// What emptying the trash removes, in the order its batches take them, as (table, key,
/// condition, whether it counts as progress), each condition reading the caller from `$1` and
/// the job's start from `$2`: the lists the caller owns in the trash with everything in them
/// (the lists after their contents), then the tasks the caller deleted (only in lists they may
/// still edit: a former editor cannot purge for good what the list's members may still want
/// back). A purged list's history is work, not progress, and is taken [`EVENTS_PER_ROW`] events
/// for a row of the batch.
fn emptied(single_writer: bool) -> [(&'static str, &'static str, String, bool); 5] {
    let key = if single_writer { "n" } else { "id" };
    let lists = format!(
        "(select id from lists where deleted_at is not null and deleted_at <= $2 and id in {})",
        owned_lists_and_trashed("$1")
    );
    let trashed = format!("deleted_by = $1 and list_id in {} and deleted_at <= $2", editable_lists("$1"));
    // The lists first: the caller's own trashed tasks are found through an index of all they
    // deleted, those in their trashed lists too, which each batch would otherwise skip again.
    [
        ("tasks", key, format!("list_id in {lists}"), true),
        ("trashed_tasks", "id", format!("list_id in {lists}"), true),
        ("list_events", "id", format!("list_id in {lists}"), false),
        ("lists", "id", format!("id in {lists}"), true),
        ("trashed_tasks", "id", trashed, true),
    ]
}

/// How many events of a purged list's history a batch of emptying the trash deletes in the
/// place of one task: a list of 100,000 tasks has several events for each, and an event row is
/// a quarter of a task's work (four indexes, no triggers). One for one, a list's history took
/// 22.9 s on PostgreSQL after its tasks, with the progress bar standing still (`make
/// bench-scale`).
const EVENTS_PER_ROW: i64 = 10;

/// How many tasks and lists emptying the trash removes: what its job expects.
pub async fn empty_count(db: &Db, user_id: Uuid, started: Timestamp) -> Result<u64, AppError> {
    let counts: Vec<String> = emptied(db.is_sqlite())
        .into_iter()
        .filter(|(.., counts)| *counts)
        .map(|(table, _, condition, _)| format!("(select count(*) from {table} where {condition})"))
        .collect();
    let total: i64 = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(&format!("select {}", counts.join(" + "))).bind(user_id).bind(started).fetch_one(pool).await
    })?;
    Ok(total.unsigned_abs())
}

/// One batch of emptying the caller's part of the trash for good: the tasks they deleted and
/// the lists they own (with their tasks). What others deleted stays theirs to restore until
/// it expires. Returns how far it took the job (the tasks and lists that went), or `None` when
/// the batch's runner no longer held the job (nothing went).
pub async fn empty(db: &Db, user_id: Uuid, step: &Step) -> Result<Option<Advanced>, AppError> {
    let single_writer = db.is_sqlite();
    let batches: Vec<(String, bool)> = emptied(single_writer)
        .into_iter()
        .map(|(table, key, condition, counts)| {
            let picked = format!("select {key} from {table} where {condition} limit $3");
            // PostgreSQL says how many it picked (a row another transaction deleted meanwhile
            // is not deleted again, and the rows after it are still to do).
            let sql = if single_writer {
                format!("delete from {table} where {key} in ({picked})")
            } else {
                format!(
                    "with picked as ({picked}), gone as (delete from {table} where {key} in (select {key} from picked) \
                     returning 1) select (select count(*) from picked), (select count(*) from gone)"
                )
            };
            (sql, counts)
        })
        .collect();
    // A batch of a bulk change: alone, not in a group whose other writes would wait on it.
    with_writer_alone!(db, |conn| {
        let mut tx = conn.begin().await?;
        let (mut work, mut done) = (0_u64, 0_u64);
        for (sql, counts) in &batches {
            let room = step.limit - i64::try_from(work).unwrap_or(i64::MAX);
            if room <= 0 {
                break;
            }
            let per_row = if *counts { 1 } else { EVENTS_PER_ROW };
            let (picked, removed) = if single_writer {
                let removed = sqlx::query(sql).bind(user_id).bind(step.started).bind(room * per_row);
                let removed = removed.execute(&mut *tx).await?.rows_affected();
                (removed, removed)
            } else {
                let removed = sqlx::query_as(sql).bind(user_id).bind(step.started).bind(room * per_row);
                let (picked, removed): (i64, i64) = removed.fetch_one(&mut *tx).await?;
                (picked.unsigned_abs(), removed.unsigned_abs())
            };
            work += picked.div_ceil(per_row.unsigned_abs());
            if *counts {
                done += removed;
            }
        }
        if advance!(&mut *tx, step, work, done).await?.rows_affected() == 0 {
            return Ok(None);
        }
        tx.commit().await?;
        Ok::<_, AppError>(Some(step.advanced(work, done)))
    })
}

/// Purges what has been in the trash longer than [`KEPT_DAYS`]; returns how many lists and
/// tasks went.
pub async fn purge_expired(db: &Db) -> Result<u64, AppError> {
    let before = Timestamp::now() - std::time::Duration::from_secs(KEPT_DAYS.unsigned_abs() * 24 * 3600);
    let tasks = execute!(db, |conn| {
        sqlx::query("delete from trashed_tasks where deleted_at < $1").bind(before).execute(conn)
    })?;
    let lists =
        execute!(db, |conn| { sqlx::query("delete from lists where deleted_at < $1").bind(before).execute(conn) })?;
    Ok(tasks + lists)
}
