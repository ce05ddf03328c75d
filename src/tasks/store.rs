//! SQL for tasks. Every statement is scoped by the owner's id in its `where` clause.
//!
//! Besides the user's fields, a task row keeps two derived columns: `search` (title and
//! description, lower-cased, for substring search) and `title_key` (the lower-cased title,
//! for sorting), computed here in Rust so that both databases search and sort alike. Tags are
//! kept twice: as a comma-separated column for display, and in `task_tags` for filtering and
//! counting with an index; the database writes the second from the first (triggers of
//! migration 0009), in the same statement.

use sqlx::{Arguments, Connection, Database, Encode, Type};
use time::Date;
use uuid::Uuid;

use super::{Counts, Due, ListFilter, Priority, Sort, Status, TagCount, Task, TaskChanges, TaskDraft, TaskList};
use crate::{
    db::{Db, Timestamp, execute, with_pool, with_writer},
    error::AppError,
};

const COLUMNS: &str =
    "id, title, description, completed, priority, due_date, tags, created_at, updated_at, completed_at";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    title: String,
    description: String,
    completed: bool,
    priority: i16,
    due_date: Option<Date>,
    tags: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Option<Timestamp>,
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Self {
        Self {
            id: row.id,
            title: row.title,
            description: row.description,
            completed: row.completed,
            priority: Priority::from_rank(row.priority),
            due_date: row.due_date,
            tags: if row.tags.is_empty() { Vec::new() } else { row.tags.split(',').map(str::to_owned).collect() },
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
            completed_at: row.completed_at.map(|t| t.0),
        }
    }
}

/// A value bound to a statement built at run time.
#[derive(Debug, Clone)]
enum Arg {
    Uuid(Uuid),
    Text(String),
    Int(i64),
    SmallInt(i16),
    Bool(bool),
    Date(Date),
}

/// A statement built at run time: SQL text with `$n` placeholders and their values.
#[derive(Debug, Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self { text: text.to_owned(), args: Vec::new() }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }
}

/// The arguments of a [`Sql`] for one backend.
fn arguments<'q, DB>(args: &'q [Arg]) -> Result<<DB as Database>::Arguments<'q>, AppError>
where
    DB: Database,
    Uuid: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    i16: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Date: Encode<'q, DB> + Type<DB>,
{
    let mut out = <DB as Database>::Arguments::<'q>::default();
    for arg in args {
        let added = match arg {
            Arg::Uuid(v) => out.add(*v),
            Arg::Text(v) => out.add(v.as_str()),
            Arg::Int(v) => out.add(*v),
            Arg::SmallInt(v) => out.add(*v),
            Arg::Bool(v) => out.add(*v),
            Arg::Date(v) => out.add(*v),
        };
        added.map_err(|e| {
            tracing::error!(error = %e, "cannot encode a query argument");
            AppError::Internal
        })?;
    }
    Ok(out)
}

/// The `where` clause of a list query (starting with the owner), shared by the page and its count.
fn filter_clause(sql: &mut Sql, user_id: Uuid, filter: &ListFilter, today: Date) {
    sql.push(" where user_id = ").bind(Arg::Uuid(user_id));
    match filter.status {
        Status::All => {}
        Status::Active => {
            sql.push(" and completed = ").bind(Arg::Bool(false));
        }
        Status::Completed => {
            sql.push(" and completed = ").bind(Arg::Bool(true));
        }
    }
    if let Some(q) = &filter.q {
        sql.push(" and search like ").bind(Arg::Text(format!("%{}%", escape_like(q)))).push(" escape '\\'");
    }
    if let Some(priority) = filter.priority {
        sql.push(" and priority = ").bind(Arg::SmallInt(priority.rank()));
    }
    if let Some(tag) = &filter.tag {
        sql.push(" and id in (select task_id from task_tags where user_id = ")
            .bind(Arg::Uuid(user_id))
            .push(" and tag = ")
            .bind(Arg::Text(tag.clone()))
            .push(")");
    }
    match filter.due {
        None => {}
        Some(Due::Overdue) => {
            sql.push(" and completed = ").bind(Arg::Bool(false)).push(" and due_date < ").bind(Arg::Date(today));
        }
        Some(Due::Today) => {
            sql.push(" and due_date = ").bind(Arg::Date(today));
        }
        Some(Due::Upcoming) => {
            sql.push(" and due_date > ").bind(Arg::Date(today));
        }
        Some(Due::None) => {
            sql.push(" and due_date is null");
        }
    }
}

/// Makes `%`, `_` and `\` match themselves in a `like ... escape '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn order_clause(filter: &ListFilter) -> String {
    let dir = if filter.ascending { "asc" } else { "desc" };
    let key = match filter.sort {
        Sort::Created => format!("created_at {dir}"),
        Sort::Updated => format!("updated_at {dir}"),
        // Tasks without a due date come last whichever the order; each order has an index
        // (`tasks_user_due_asc` and `_desc`) that these expressions match.
        Sort::Due if filter.ascending => "(due_date is null) asc, due_date asc".to_owned(),
        Sort::Due => "(due_date is not null) desc, due_date desc".to_owned(),
        Sort::Priority => format!("priority {dir}"),
        Sort::Title => format!("title_key {dir}"),
    };
    format!(" order by {key}, id {dir}")
}

/// A page row with the user's counts alongside (computed once per query by both databases).
#[derive(sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    task: TaskRow,
    all_count: i64,
    completed_count: i64,
}

/// The user's counts, kept up to date by triggers (migration 0007).
const COUNT_ALL: &str = "select total from task_counts where user_id = $1";
const COUNT_COMPLETED: &str = "select completed from task_counts where user_id = $1";

/// One page of a user's tasks, with the filtered total and the unfiltered counts.
///
/// Usually one query: the counts ride along with the page, and when only the completion
/// filter applies the total is one of them. An empty page (or other filters) costs one more.
pub async fn list(db: &Db, user_id: Uuid, filter: &ListFilter, today: Date) -> Result<TaskList, AppError> {
    // `$1` in the counts is the user id, the first value `filter_clause` binds.
    let mut page = Sql::new(&format!(
        "select {COLUMNS}, coalesce(({COUNT_ALL}), 0) as all_count, \
         coalesce(({COUNT_COMPLETED}), 0) as completed_count from tasks"
    ));
    filter_clause(&mut page, user_id, filter, today);
    page.push(&order_clause(filter))
        .push(" limit ")
        .bind(Arg::Int(filter.limit))
        .push(" offset ")
        .bind(Arg::Int(filter.offset));
    let only_status = filter.q.is_none() && filter.priority.is_none() && filter.tag.is_none() && filter.due.is_none();
    let count = (!only_status).then(|| {
        let mut count = Sql::new("select count(*) from tasks");
        filter_clause(&mut count, user_id, filter, today);
        count
    });

    let (rows, total, counts): (Vec<PageRow>, Option<i64>, Option<(i64, i64)>) = with_pool!(db.read(), |pool: DB| {
        let mut conn = pool.acquire().await?;
        let rows = sqlx::query_as_with::<DB, PageRow, _>(&page.text, arguments::<DB>(&page.args)?)
            .fetch_all(&mut *conn)
            .await?;
        let total = match &count {
            Some(count) => Some(
                sqlx::query_scalar_with::<DB, i64, _>(&count.text, arguments::<DB>(&count.args)?)
                    .fetch_one(&mut *conn)
                    .await?,
            ),
            None => None,
        };
        let counts = match rows.first() {
            Some(row) => Some((row.all_count, row.completed_count)),
            None => Some(
                sqlx::query_as::<DB, (i64, i64)>(&format!(
                    "select coalesce(({COUNT_ALL}), 0), coalesce(({COUNT_COMPLETED}), 0)"
                ))
                .bind(user_id)
                .fetch_one(&mut *conn)
                .await?,
            ),
        };
        Ok::<_, AppError>((rows, total, counts))
    })?;
    let (all, completed) = counts.unwrap_or_default();
    let counts = Counts { all, active: all - completed, completed };
    let total = total.unwrap_or(match filter.status {
        Status::All => counts.all,
        Status::Active => counts.active,
        Status::Completed => counts.completed,
    });
    let tasks = rows.into_iter().map(|row| Task::from(row.task)).collect();
    Ok(TaskList { tasks, total, limit: filter.limit, offset: filter.offset, counts, today })
}

/// One of a user's tasks.
pub async fn get(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Task>, AppError> {
    let row: Option<TaskRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("select {COLUMNS} from tasks where id = $1 and user_id = $2"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.map(Task::from))
}

/// Binds a task's fields to the next seven placeholders of `$query`: the columns `title,
/// description, priority, due_date, tags` and the two derived from them, `search, title_key`
/// (in this order, for a new task and a changed one alike).
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
    };
}

fn search_text(title: &str, description: &str) -> String {
    format!("{}\n{}", title.to_lowercase(), description.to_lowercase())
}

/// Creates a task, unless the user already has `max_tasks`.
pub async fn create(db: &Db, user_id: Uuid, draft: TaskDraft, max_tasks: i64) -> Result<Task, AppError> {
    let now = Timestamp::now();
    let task = Task {
        id: Uuid::now_v7(),
        title: draft.title,
        description: draft.description,
        completed: false,
        priority: draft.priority,
        due_date: draft.due_date,
        tags: draft.tags,
        created_at: now.0,
        updated_at: now.0,
        completed_at: None,
    };
    // One statement checks the cap and inserts (the tag rows follow by trigger, migration
    // 0009); SQLite runs it under the single writer, so the cap is exact there (PostgreSQL
    // may let concurrent creates overshoot it slightly).
    let insert = "insert into tasks (id, user_id, title, description, priority, due_date, tags, search, title_key, \
                  completed, created_at, updated_at) \
                  select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11 \
                  where coalesce((select total from task_counts where user_id = $2), 0) < $12";
    let inserted = execute!(db, |conn| {
        bind_fields!(sqlx::query(insert).bind(task.id).bind(user_id), task)
            .bind(false)
            .bind(now)
            .bind(max_tasks)
            .execute(conn)
    })?;
    if inserted == 0 {
        return Err(AppError::LimitReached(format!(
            "You have reached the limit of {max_tasks} tasks. Delete some to add more."
        )));
    }
    Ok(task)
}

/// Applies changes to one of a user's tasks; `None` when it is not theirs (or not there).
pub async fn update(db: &Db, user_id: Uuid, id: Uuid, changes: TaskChanges) -> Result<Option<Task>, AppError> {
    let now = Timestamp::now();
    with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let select = format!("select {COLUMNS} from tasks where id = $1 and user_id = $2");
        let current: Option<TaskRow> = sqlx::query_as(&select).bind(id).bind(user_id).fetch_optional(&mut *tx).await?;
        let Some(current) = current else { return Ok(None) };
        let mut task = Task::from(current);
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
        if let Some(tags) = changes.tags {
            task.tags = tags;
        }
        task.updated_at = now.0;
        let update = "update tasks set title = $1, description = $2, priority = $3, due_date = $4, tags = $5, \
                      search = $6, title_key = $7, updated_at = $8 where id = $9 and user_id = $10";
        bind_fields!(sqlx::query(update), task).bind(now).bind(id).bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, AppError>(Some(task))
    })
}

/// Completes or reopens one of a user's tasks.
pub async fn set_completed(db: &Db, user_id: Uuid, id: Uuid, completed: bool) -> Result<Option<Task>, AppError> {
    let now = Timestamp::now();
    let completed_at = completed.then_some(now);
    let row: Option<TaskRow> = with_writer!(db, |conn| {
        sqlx::query_as(&format!(
            "update tasks set completed = $1, completed_at = case when completed = $1 then completed_at else $2 end, \
             updated_at = $3 where id = $4 and user_id = $5 returning {COLUMNS}"
        ))
        .bind(completed)
        .bind(completed_at)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row.map(Task::from))
}

/// Deletes one of a user's tasks; returns 1, or 0 when it is not theirs (or not there).
pub async fn delete(db: &Db, user_id: Uuid, id: Uuid) -> Result<u64, AppError> {
    Ok(execute!(db, |conn| {
        sqlx::query("delete from tasks where id = $1 and user_id = $2").bind(id).bind(user_id).execute(conn)
    })?)
}

/// Deletes all of a user's completed tasks in one statement.
pub async fn clear_completed(db: &Db, user_id: Uuid) -> Result<u64, AppError> {
    Ok(execute!(db, |conn| {
        sqlx::query("delete from tasks where user_id = $1 and completed = $2").bind(user_id).bind(true).execute(conn)
    })?)
}

/// Completes (or reopens) all of a user's tasks in one statement; returns how many changed.
pub async fn complete_all(db: &Db, user_id: Uuid, completed: bool) -> Result<u64, AppError> {
    let now = Timestamp::now();
    Ok(execute!(db, |conn| {
        sqlx::query(
            "update tasks set completed = $1, completed_at = $2, updated_at = $3 \
             where user_id = $4 and completed <> $1",
        )
        .bind(completed)
        .bind(completed.then_some(now))
        .bind(now)
        .bind(user_id)
        .execute(conn)
    })?)
}

/// A user's tags with their task counts, alphabetically.
pub async fn tags(db: &Db, user_id: Uuid) -> Result<Vec<TagCount>, AppError> {
    let rows: Vec<(String, i64)> = with_pool!(db.read(), |pool| {
        sqlx::query_as("select tag, count from tag_counts where user_id = $1 order by tag")
            .bind(user_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.into_iter().map(|(name, count)| TagCount { name, count }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_treat_wildcards_literally() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }

    #[test]
    fn statements_number_their_placeholders() {
        let mut sql = Sql::new("select 1 from tasks");
        filter_clause(
            &mut sql,
            Uuid::nil(),
            &ListFilter { status: Status::Active, q: Some("x".into()), tag: Some("t".into()), ..ListFilter::default() },
            time::macros::date!(2026 - 01 - 01),
        );
        assert_eq!(
            sql.text,
            "select 1 from tasks where user_id = $1 and completed = $2 and search like $3 escape '\\' \
             and id in (select task_id from task_tags where user_id = $4 and tag = $5)"
        );
        assert_eq!(sql.args.len(), 5);
    }
}
