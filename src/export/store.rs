//! SQL for the export: the account, its lists, and their tasks a page at a time, all read in
//! one read-only transaction (a [`Snapshot`]), so that a task completed, moved or trashed
//! while the export runs is written once, as it was when it began. Each task statement
//! reaches a list only through the person's membership, in its own `where` clause.

use time::Date;
use uuid::Uuid;

use super::{ExportAccount, ExportList, ExportTask};
use crate::{
    db::{Db, Pool, Timestamp},
    error::AppError,
    lists::limits::LISTS_MAX,
    tasks::{Priority, RepeatFrom},
};

/// Tasks in one page: a few hundred kilobytes of JSON at most, whatever the account's size.
pub const PAGE: i64 = 500;

/// A read-only transaction on one connection: every page of an export sees the database as
/// it was when the export began.
pub enum Snapshot {
    /// SQLite: a read transaction on a reader (WAL keeps its view).
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL: `repeatable read, read only`.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same code on the snapshot's connection, whichever database it is on.
macro_rules! on_snapshot {
    ($snapshot:expr, |$conn:ident| $body:expr) => {
        match $snapshot {
            Snapshot::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            Snapshot::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// Begins an export's snapshot.
pub async fn snapshot(db: &Db) -> Result<Snapshot, AppError> {
    Ok(match db.read() {
        Pool::Sqlite(pool) => Snapshot::Sqlite(pool.begin().await?),
        Pool::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
            Snapshot::Postgres(tx)
        }
    })
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    email: String,
    name: String,
    time_zone: String,
    created_at: Timestamp,
}

/// The account, if it still exists.
pub async fn account(snapshot: &mut Snapshot, user_id: Uuid) -> Result<Option<ExportAccount>, AppError> {
    let row: Option<AccountRow> = on_snapshot!(snapshot, |conn| {
        sqlx::query_as("select email, name, time_zone, created_at from users where id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row.map(|row| ExportAccount {
        email: row.email,
        name: row.name,
        time_zone: row.time_zone,
        created_at: row.created_at.0,
    }))
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    name: String,
    inbox: bool,
    role: String,
    reminders: bool,
    created_at: Timestamp,
    trashed: bool,
}

/// The lists the person is a member of, and those they own in the trash: the Inbox first,
/// then by name.
pub async fn lists(snapshot: &mut Snapshot, user_id: Uuid) -> Result<Vec<ExportList>, AppError> {
    let rows: Vec<ListRow> = on_snapshot!(snapshot, |conn| {
        sqlx::query_as(
            "select l.id, l.name, l.inbox, m.role, m.reminders, l.created_at, l.deleted_at is not null as trashed \
             from list_members m join lists l on l.id = m.list_id \
             where m.user_id = $1 and (l.deleted_at is null or m.role = 'owner') limit $2",
        )
        .bind(user_id)
        // Live lists are capped; the trash adds at most as many again within its 30 days.
        .bind(LISTS_MAX * 4)
        .fetch_all(conn)
        .await
    })?;
    let mut lists: Vec<ExportList> = rows
        .into_iter()
        .map(|row| ExportList {
            id: row.id,
            name: row.name,
            inbox: row.inbox,
            role: row.role,
            reminders: row.reminders,
            created_at: row.created_at.0,
            trashed: row.trashed,
        })
        .collect();
    lists.sort_by_cached_key(|l| (!l.inbox, l.trashed, l.name.to_lowercase(), l.id));
    Ok(lists)
}

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
    repeat_start: Option<Date>,
    series_id: Option<Uuid>,
    reminders: Option<String>,
    tags: String,
    assignee: Option<String>,
    creator: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Option<Timestamp>,
    trashed_at: Option<Timestamp>,
    /// The page's order after its list: `created_at` for live tasks, `deleted_at` for trashed.
    sort_at: Timestamp,
}

impl From<TaskRow> for ExportTask {
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
            repeat: row.repeat,
            repeat_from: RepeatFrom::from_rank(row.repeat_from),
            repeat_start: row.repeat_start,
            reminders: crate::reminders::texts(&crate::reminders::split(row.reminders.as_deref())),
            occurrence_of: row.series_id,
            tags: crate::tasks::stored_tags(&row.tags),
            assignee: row.assignee,
            created_by: row.creator,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
            completed_at: row.completed_at.map(|t| t.0),
            trashed_at: row.trashed_at.map(|t| t.0),
        }
    }
}

/// Where a page of tasks starts: after this task (its order's moment and id).
pub type After = Option<(Timestamp, Uuid)>;

/// Which tasks of a list a page reads: each is a range of an index, read in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shelf {
    /// Its open tasks, by creation (the index `tasks_list_created`, which leads with
    /// `list_id, completed`).
    Open,
    /// Its completed tasks, by creation (the same index).
    Completed,
    /// Its tasks in the trash, by deletion (the index `trashed_tasks_list`).
    Trashed,
}

impl Shelf {
    /// The shelf after this one, `None` after the last.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::Open => Some(Self::Completed),
            Self::Completed => Some(Self::Trashed),
            Self::Trashed => None,
        }
    }
}

/// One page of a list's tasks after `after`, if the person is (still) a member of the list
/// or owns it in the trash; the cursor of the next page, if there may be one.
pub async fn tasks(
    snapshot: &mut Snapshot,
    user_id: Uuid,
    list_id: Uuid,
    shelf: Shelf,
    after: After,
) -> Result<(Vec<ExportTask>, After), AppError> {
    // The completed flag is bound rather than written `not t.completed`: an equality is what
    // lets SQLite read the index's range instead of sorting the list.
    let (table, order, trashed_at, completed) = match shelf {
        Shelf::Open => ("tasks", "created_at", "null", "and t.completed = $4"),
        Shelf::Completed => ("tasks", "created_at", "null", "and t.completed = $4"),
        Shelf::Trashed => ("trashed_tasks", "deleted_at", "t.deleted_at", "and $4"),
    };
    // A member's lists, or a list of theirs in the trash: the same as [`lists`]. A list's
    // trashed tasks are seen by those who may restore them (not its viewers), as on `/trash`.
    let role = if shelf == Shelf::Trashed { "and m.role <> 'viewer'" } else { "" };
    let visible = format!(
        "(select m.list_id from list_members m join lists l on l.id = m.list_id \
         where m.user_id = $2 {role} and (l.deleted_at is null or m.role = 'owner'))"
    );
    // Two statements rather than one with `$3 is null or ...`: a row-value range is what
    // both databases read from the index, where an `or` would read the list from its start
    // for every page.
    let range = if after.is_some() { format!("and (t.{order}, t.id) > ($5, $6)") } else { String::new() };
    let sql = format!(
        "select t.id, t.list_id, t.title, t.description, t.completed, t.priority, t.due_date, t.due_minute, t.repeat, \
         t.repeat_from, t.repeat_start, t.series_id, t.reminders, t.tags, a.email as assignee, \
         case when cm.user_id is not null then c.email end as creator, \
         t.created_at, t.updated_at, t.completed_at, {trashed_at} as trashed_at, t.{order} as sort_at \
         from {table} t left join users a on a.id = t.assignee_id left join users c on c.id = t.created_by \
         left join list_members cm on cm.list_id = t.list_id and cm.user_id = t.created_by \
         where t.list_id = $1 and t.list_id in {visible} {completed} {range} \
         order by t.{order}, t.id limit $3"
    );
    let rows: Vec<TaskRow> = on_snapshot!(snapshot, |conn| {
        let query = sqlx::query_as(&sql).bind(list_id).bind(user_id).bind(PAGE).bind(shelf != Shelf::Open);
        match after {
            Some((at, id)) => query.bind(at).bind(id),
            None => query,
        }
        .fetch_all(conn)
        .await
    })?;
    let next = if rows.len() as i64 == PAGE { rows.last().map(|row| (row.sort_at, row.id)) } else { None };
    Ok((rows.into_iter().map(ExportTask::from).collect(), next))
}
