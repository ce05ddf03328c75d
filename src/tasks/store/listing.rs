//! The task list's query: one page of the lists in scope, filtered and sorted, built at run
//! time from the filters asked for (split from [`super`] for length).

use sqlx::{Arguments, Database, Encode, Type};
use time::Date;
use uuid::Uuid;

use super::{COLUMNS, FROM, TaskRow};
use crate::{
    db::{Db, with_pool},
    error::AppError,
    lists::store::member_lists,
    tasks::{Assignee, Counts, Due, ListFilter, Sort, Status, Task, TaskList},
};

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

/// Which lists a query reads: one (of which the caller must be a member), or all of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    One(Uuid),
    All,
}

impl Scope {
    /// SQL: the scope's lists, for a `list_id in` test (`$1` is the first value bound by
    /// [`filter_clause`]: the list for one, the user for all).
    fn lists(self) -> String {
        match self {
            Self::One(_) => "($1)".to_owned(),
            Self::All => member_lists("$1"),
        }
    }

    /// SQL: the scope's totals of a `list_counts` column.
    fn count(self, column: &str) -> String {
        format!("(select cast(sum({column}) as bigint) from list_counts where list_id in {})", self.lists())
    }
}

/// The `where` clause of a list query (starting with the lists in scope, checked against the
/// caller's memberships), shared by the page and its count.
fn filter_clause(sql: &mut Sql, user_id: Uuid, scope: Scope, filter: &ListFilter, today: Date) {
    match scope {
        Scope::One(list_id) => {
            sql.push(" where t.list_id = ").bind(Arg::Uuid(list_id));
            sql.push(&format!(" and $1 in {}", member_lists("$2"))).args.push(Arg::Uuid(user_id));
        }
        Scope::All => {
            sql.push(&format!(" where t.list_id in {}", member_lists("$1"))).args.push(Arg::Uuid(user_id));
        }
    }
    match filter.assignee {
        None => {}
        Some(Assignee::Me) => {
            sql.push(" and t.assignee_id = ").bind(Arg::Uuid(user_id));
        }
        Some(Assignee::User(id)) => {
            sql.push(" and t.assignee_id = ").bind(Arg::Uuid(id));
        }
        Some(Assignee::Nobody) => {
            sql.push(" and t.assignee_id is null");
        }
    }
    match filter.status {
        Status::All => {}
        Status::Active => {
            sql.push(" and t.completed = ").bind(Arg::Bool(false));
        }
        Status::Completed => {
            sql.push(" and t.completed = ").bind(Arg::Bool(true));
        }
    }
    if let Some(q) = &filter.q {
        sql.push(" and t.search like ").bind(Arg::Text(format!("%{}%", escape_like(q)))).push(" escape '\\'");
    }
    if let Some(priority) = filter.priority {
        sql.push(" and t.priority = ").bind(Arg::SmallInt(priority.rank()));
    }
    if let Some(tag) = &filter.tag {
        sql.push(&format!(" and t.id in (select task_id from task_tags where list_id in {} and tag = ", scope.lists()))
            .bind(Arg::Text(tag.clone()))
            .push(")");
    }
    match filter.due {
        None => {}
        Some(Due::Overdue) => {
            sql.push(" and t.completed = ").bind(Arg::Bool(false)).push(" and t.due_date < ").bind(Arg::Date(today));
        }
        Some(Due::Today) => {
            sql.push(" and t.due_date = ").bind(Arg::Date(today));
        }
        Some(Due::Upcoming) => {
            sql.push(" and t.due_date > ").bind(Arg::Date(today));
        }
        Some(Due::None) => {
            sql.push(" and t.due_date is null");
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
        Sort::Created => format!("t.created_at {dir}"),
        Sort::Updated => format!("t.updated_at {dir}"),
        // Tasks without a due date come last whichever the order; each order has an index
        // (`tasks_list_due_asc` and `_desc`) that these expressions match.
        Sort::Due if filter.ascending => "(t.due_date is null) asc, t.due_date asc".to_owned(),
        Sort::Due => "(t.due_date is not null) desc, t.due_date desc".to_owned(),
        Sort::Priority => format!("t.priority {dir}"),
        Sort::Title => format!("t.title_key {dir}"),
    };
    format!(" order by {key}, t.id {dir}")
}

/// A page row with the scope's counts alongside (computed once per query by both databases).
#[derive(sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    task: TaskRow,
    all_count: i64,
    completed_count: i64,
}

/// The lists a query reads: the one asked for, or every list of the caller's. A caller with
/// only their Inbox (most people) is read as one list, whose index gives the page in order;
/// across several lists the database merges their rows and sorts them.
async fn scope(db: &Db, user_id: Uuid, list_id: Option<Uuid>) -> Result<Scope, AppError> {
    if let Some(list_id) = list_id {
        return Ok(Scope::One(list_id));
    }
    let lists: Vec<Uuid> = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(&format!("select list_id from {} as mine limit 2", member_lists("$1")))
            .bind(user_id)
            .fetch_all(pool)
            .await
    })?;
    Ok(match lists.as_slice() {
        [only] => Scope::One(*only),
        _ => Scope::All,
    })
}

/// One page of the tasks in scope, with the filtered total and the scope's counts.
///
/// Usually one query besides the scope's: the counts ride along with the page, and when only
/// the completion filter applies the total is one of them. An empty page (or other filters)
/// costs one more.
pub async fn list(db: &Db, user_id: Uuid, filter: &ListFilter, today: Date) -> Result<TaskList, AppError> {
    let scope = scope(db, user_id, filter.list_id).await?;
    let mut page = Sql::new(&format!(
        "select {COLUMNS}, coalesce({}, 0) as all_count, coalesce({}, 0) as completed_count from {FROM}",
        scope.count("total"),
        scope.count("completed"),
    ));
    filter_clause(&mut page, user_id, scope, filter, today);
    page.push(&order_clause(filter))
        .push(" limit ")
        .bind(Arg::Int(filter.limit))
        .push(" offset ")
        .bind(Arg::Int(filter.offset));
    let only_status = filter.q.is_none()
        && filter.priority.is_none()
        && filter.tag.is_none()
        && filter.due.is_none()
        && filter.assignee.is_none();
    let count = (!only_status).then(|| {
        let mut count = Sql::new("select count(*) from tasks t");
        filter_clause(&mut count, user_id, scope, filter, today);
        count
    });

    let (rows, total): (Vec<PageRow>, Option<i64>) = with_pool!(db.read(), |pool: DB| {
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
        Ok::<_, AppError>((rows, total))
    })?;
    let (all, completed) = match rows.first() {
        Some(row) => (row.all_count, row.completed_count),
        None => empty_counts(db, user_id, scope).await?,
    };
    let counts = Counts { all, active: all - completed, completed };
    let total = total.unwrap_or(match filter.status {
        Status::All => counts.all,
        Status::Active => counts.active,
        Status::Completed => counts.completed,
    });
    let tasks = rows.into_iter().map(|row| Task::from(row.task)).collect();
    Ok(TaskList { tasks, total, limit: filter.limit, offset: filter.offset, counts, today })
}

/// The counts of a scope whose page came back empty; a list the caller is not a member of is
/// not found (rather than empty).
async fn empty_counts(db: &Db, user_id: Uuid, scope: Scope) -> Result<(i64, i64), AppError> {
    let sums = "select cast(sum(total) as bigint), cast(sum(completed) as bigint) from list_counts";
    let counts: Option<(Option<i64>, Option<i64>)> = with_pool!(db.read(), |pool| {
        match scope {
            Scope::One(list_id) => {
                let sql = format!("{sums} where list_id = $1 and $1 in {} having count(*) > 0", member_lists("$2"));
                sqlx::query_as(&sql).bind(list_id).bind(user_id).fetch_optional(pool).await
            }
            Scope::All => {
                let sql = format!("{sums} where list_id in {}", member_lists("$1"));
                sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await
            }
        }
    })?;
    match (scope, counts) {
        (Scope::One(_), None) => Err(AppError::NotFound),
        (_, counts) => {
            let (all, completed) = counts.unwrap_or_default();
            Ok((all.unwrap_or(0), completed.unwrap_or(0)))
        }
    }
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
            Scope::All,
            &ListFilter { status: Status::Active, q: Some("x".into()), tag: Some("t".into()), ..ListFilter::default() },
            time::macros::date!(2026 - 01 - 01),
        );
        assert_eq!(
            sql.text,
            format!(
                "select 1 from tasks where t.list_id in {mine} and t.completed = $2 and t.search like $3 escape '\\' \
                 and t.id in (select task_id from task_tags where list_id in {mine} and tag = $4)",
                mine = member_lists("$1")
            )
        );
        assert_eq!(sql.args.len(), 4);
    }
}
