//! The task list's query: one page of the lists in scope, filtered and sorted, built at run
//! time from the filters asked for (split from [`super`] for length).
//!
//! It reads work in proportion to the page, not to the account (issue 18):
//! - Each sort has an index led by the list and the completion (migration 0015), so the open
//!   tasks of a list and its completed ones are each a range of it, in order. A page is read
//!   as *segments* ([`segment`]): one per list, completion and, sorted by due date on
//!   PostgreSQL or after a cursor, dated or not; each the first `offset + limit + 1` rows of
//!   its range. The database merges them and keeps the page. A person with 99,000 completed
//!   tasks reads 51 open ones, not 99,051; a page past the middle of a known total is read
//!   from the other end ([`from_the_end`]).
//! - A filter few tasks pass drives the query instead ([`Driver`]): the search index, a tag
//!   whose kept count is small, a due-date range, an assignee. Its matches are read through
//!   their own index, then sorted.
//! - The total comes from the kept counts when only the completion filters; otherwise it is
//!   counted up to [`COUNT_AHEAD`] tasks past the page.
//!
//! On SQLite each segment names its index (`indexed by`): without statistics of how one
//! account's tasks spread, its planner would take the sort's index for a rare tag and read
//! the whole list. PostgreSQL's planner has those statistics.

mod segment;

use uuid::Uuid;

use super::{COLUMNS, FROM, TaskRow};
use crate::{
    db::{Db, Pool, with_pool},
    error::AppError,
    lists::store::member_lists,
    tasks::{Assignee, Counts, Cursor, Due, Key, ListFilter, Sort, Status, Task, TaskList},
};
use segment::{Arg, Known, Plan, Segment, Sql, arguments, search_candidates};

/// How many tasks past the page a filtered total counts exactly: a count reads every task
/// of the lists in view until it has found that many (a search of a word in one task of 20
/// reads 5,000 for 250), which stays within a few milliseconds; a page further on counts
/// further. Paging with `after=` needs no total at all.
pub const COUNT_AHEAD: i64 = 200;

/// A list in scope with its kept counts (and the tag filter's).
#[derive(sqlx::FromRow)]
struct InScope {
    list_id: Uuid,
    total: i64,
    completed: i64,
    tagged: i64,
}

/// The lists the query reads, the caller's membership checked: the one asked for (none if
/// they are not a member of it) or all of theirs, with their counts.
async fn scope(db: &Db, user_id: Uuid, filter: &ListFilter) -> Result<Vec<InScope>, AppError> {
    let tagged = "coalesce((select g.count from tag_counts g where g.list_id = c.list_id and g.tag = $2), 0)";
    let lists = match filter.list_id {
        Some(_) => format!("c.list_id = $3 and $3 in {}", member_lists("$1")),
        None => format!("c.list_id in {} and $3 is null", member_lists("$1")),
    };
    let sql = format!(
        "select c.list_id, cast(c.total as bigint) as total, cast(c.completed as bigint) as completed, \
         cast({tagged} as bigint) as tagged from list_counts c where {lists} order by c.list_id"
    );
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_as(&sql).bind(user_id).bind(filter.tag.as_deref()).bind(filter.list_id).fetch_all(pool).await
    })?)
}

/// The lists in view and what their kept counts (and the search index) tell of a query
/// before it runs: what its plans are made from.
struct Scoped {
    ids: Vec<Uuid>,
    known: Known,
    counts: Counts,
}

impl Scoped {
    /// Reads the scope of `filter` (the caller's membership checked).
    async fn read(db: &Db, user_id: Uuid, filter: &ListFilter) -> Result<Self, AppError> {
        let lists = scope(db, user_id, filter).await?;
        if lists.is_empty() && filter.list_id.is_some() {
            return Err(AppError::NotFound);
        }
        let all: i64 = lists.iter().map(|l| l.total).sum();
        let completed: i64 = lists.iter().map(|l| l.completed).sum();
        let tagged: i64 = lists.iter().map(|l| l.tagged).sum();
        let search_candidates = match &filter.q {
            Some(q) => search_candidates(db, q).await?,
            None => None,
        };
        Ok(Self {
            ids: lists.iter().map(|l| l.list_id).collect(),
            known: Known { tagged, all, search_candidates },
            counts: Counts { all, active: all - completed, completed },
        })
    }

    /// How a query of `filter` over this scope reads: what [`list`] runs and [`explain`] shows.
    fn plan<'a>(&self, db: &Db, user_id: Uuid, filter: &'a ListFilter, today: time::Date) -> Plan<'a> {
        Plan::new(user_id, filter, today, db.is_sqlite(), &self.ids, self.known)
    }

    /// The total the kept counts give, if they give it.
    fn known_total(&self, filter: &ListFilter) -> Option<i64> {
        known_total(filter, &self.counts, self.known.tagged)
    }
}

/// A page row with its title key, for the cursor after it.
#[derive(sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    task: TaskRow,
    title_key: String,
}

/// One page of the tasks in scope, with the filtered total and the scope's counts.
///
/// Two statements usually (the scope with its counts, then the page); a filter besides the
/// completion (and a tag alone) costs a third, the bounded count; a page past the middle of
/// an exact total is read [`from_the_end`].
pub async fn list(db: &Db, user_id: Uuid, filter: &ListFilter, today: time::Date) -> Result<TaskList, AppError> {
    let scoped = Scoped::read(db, user_id, filter).await?;
    let plan = scoped.plan(db, user_id, filter, today);
    let known = scoped.known_total(filter);
    let (rows, more) = match known.and_then(|total| from_the_end(filter, total)) {
        Some((reversed, more)) => {
            let mut rows = match reversed.limit {
                0 => Vec::new(),
                _ => page(db, &scoped.plan(db, user_id, &reversed, today), &reversed).await?,
            };
            rows.truncate(reversed.limit as usize);
            rows.reverse();
            (rows, more)
        }
        None => {
            let mut rows = page(db, &plan, filter).await?;
            let more = rows.len() as i64 > filter.limit;
            rows.truncate(filter.limit as usize);
            (rows, more)
        }
    };
    let next_after = if more { rows.last().map(|row| cursor_after(row, filter).encode()) } else { None };
    let (total, total_exact) = match known {
        Some(total) => (total, true),
        None if plan.segments.is_empty() => (0, true),
        None => bounded_total(db, &plan, filter).await?,
    };
    let tasks = rows.into_iter().map(|row| Task::from(row.task)).collect();
    let counts = scoped.counts;
    Ok(TaskList { tasks, total, total_exact, next_after, limit: filter.limit, offset: filter.offset, counts, today })
}

/// The page's rows, one more than the page where there are (to tell whether another follows).
async fn page(db: &Db, plan: &Plan<'_>, filter: &ListFilter) -> Result<Vec<PageRow>, AppError> {
    if plan.segments.is_empty() {
        return Ok(Vec::new());
    }
    let page = page_statement(plan, filter);
    with_pool!(db.read(), |pool: DB| {
        Ok::<_, AppError>(
            sqlx::query_as_with::<DB, PageRow, _>(&page.text, arguments::<DB>(&page.args)?).fetch_all(pool).await?,
        )
    })
}

/// A page past the middle of an exactly known `total`, as the same page of the reversed order
/// counted from the other end (its rows then reversed), and whether more follow it.
///
/// An offset is counted off as the segments are read, so `offset=99900` of 100,000 tasks read
/// 100,000 (16 ms on SQLite, 116 ms on PostgreSQL, which sorts them); from the other end it
/// reads 100. Not for the due-date sort, whose undated tasks come last in both orders (its
/// reverse is no sort the index reads), nor after a cursor, which needs no offset.
fn from_the_end(filter: &ListFilter, total: i64) -> Option<(ListFilter, bool)> {
    if filter.after.is_some() || filter.sort == Sort::Due || filter.offset <= total / 2 {
        return None;
    }
    let end = filter.offset.saturating_add(filter.limit).min(total);
    let reversed = ListFilter {
        ascending: !filter.ascending,
        offset: total.saturating_sub(end),
        limit: end.saturating_sub(filter.offset).max(0),
        ..filter.clone()
    };
    Some((reversed, end < total))
}

/// The total the kept counts give: with no filter but the completion, or a tag alone.
fn known_total(filter: &ListFilter, counts: &Counts, tagged: i64) -> Option<i64> {
    let others = filter.q.is_none() && filter.priority.is_none() && filter.due.is_none() && filter.assignee.is_none();
    match (others, &filter.tag, filter.status) {
        (true, None, Status::All) => Some(counts.all),
        (true, None, Status::Active) => Some(counts.active),
        (true, None, Status::Completed) => Some(counts.completed),
        (true, Some(_), Status::All) => Some(tagged),
        _ => None,
    }
}

/// The page: the segments' first rows merged, in the sort's order, one more than the page
/// (to tell whether another follows).
fn page_statement(plan: &Plan, filter: &ListFilter) -> Sql {
    let mut sql = plan.start();
    if plan.streams() {
        sql.push(&format!("select {COLUMNS}, t.title_key from ("));
        plan.merged_keys(&mut sql, filter.after.as_ref());
        sql.push(" limit ")
            .bind(Arg::Int(filter.limit + 1))
            .push(" offset ")
            .bind(Arg::Int(filter.offset))
            .push(") as p join tasks t on t.id = p.id ")
            .push("left join users a on a.id = t.assignee_id left join users c on c.id = t.created_by")
            .push(&order_clause(filter));
        return sql;
    }
    let rows = filter.offset.saturating_add(filter.limit).saturating_add(1);
    sql.push(&format!("select {COLUMNS}, t.title_key from ("));
    union(&mut sql, plan, |sql, segment| {
        plan.segment(sql, segment, filter.after.as_ref(), true);
        sql.push(" limit ").bind(Arg::Int(rows));
    });
    sql.push(") as t left join users a on a.id = t.assignee_id left join users c on c.id = t.created_by");
    sql.push(&order_clause(filter))
        .push(" limit ")
        .bind(Arg::Int(filter.limit + 1))
        .push(" offset ")
        .bind(Arg::Int(filter.offset));
    sql
}

/// The segments' `select`s, each in a subquery of its own, one after another.
fn union(sql: &mut Sql, plan: &Plan, mut each: impl FnMut(&mut Sql, &Segment)) {
    for (n, segment) in plan.segments.iter().enumerate() {
        sql.push(if n == 0 { "select * from (" } else { " union all select * from (" });
        each(sql, segment);
        sql.push(&format!(") as s{n}"));
    }
}

/// Counts the matches, each segment up to the bound: exact when no more than `offset +
/// limit + COUNT_AHEAD`, otherwise that bound and `false`.
async fn bounded_total(db: &Db, plan: &Plan<'_>, filter: &ListFilter) -> Result<(i64, bool), AppError> {
    let (sql, bound) = count_statement(plan, filter);
    let count: i64 = with_pool!(db.read(), |pool: DB| {
        Ok::<_, AppError>(
            sqlx::query_scalar_with::<DB, i64, _>(&sql.text, arguments::<DB>(&sql.args)?).fetch_one(pool).await?,
        )
    })?;
    Ok(if count > bound { (bound, false) } else { (count, true) })
}

fn count_statement(plan: &Plan, filter: &ListFilter) -> (Sql, i64) {
    let bound = filter.offset.saturating_add(filter.limit).saturating_add(COUNT_AHEAD);
    let mut sql = plan.start();
    sql.push("select count(*) from (");
    union(&mut sql, plan, |sql, segment| {
        plan.counted(sql, segment);
        sql.push(" limit ").bind(Arg::Int(bound + 1));
    });
    sql.push(") as c");
    (sql, bound)
}

/// These tasks as they are now, whoever may see them (the live feed checks that itself, for
/// each person it sends them to): at most a few hundred ids at once.
pub async fn by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<Task>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<TaskRow> = with_pool!(db.read(), |pool| {
        let mut query = sqlx::QueryBuilder::new(format!("select {COLUMNS} from {FROM} where t.id in ("));
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(")");
        query.build_query_as().persistent(false).fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(Task::from).collect())
}

/// The plans of the statements [`list`] runs for `filter` (the page's, then the count's if
/// it counts), a line per step, as `explain query plan` (SQLite) or `explain` (PostgreSQL)
/// gives them: for the tests that keep every view on its indexes.
pub async fn explain(db: &Db, user_id: Uuid, filter: &ListFilter, today: time::Date) -> Result<Vec<String>, AppError> {
    let scoped = Scoped::read(db, user_id, filter).await?;
    let plan = scoped.plan(db, user_id, filter, today);
    let mut statements = Vec::new();
    if !plan.segments.is_empty() {
        statements.push(page_statement(&plan, filter));
    }
    if !plan.segments.is_empty() && scoped.known_total(filter).is_none() {
        statements.push(count_statement(&plan, filter).0);
    }
    let mut lines = vec![format!("driver: {:?}, segments: {}", plan.driver, plan.segments.len())];
    for sql in statements {
        match db.read() {
            Pool::Sqlite(pool) => {
                let text = format!("explain query plan {}", sql.text);
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as_with(&text, arguments::<sqlx::Sqlite>(&sql.args)?).fetch_all(pool).await?;
                // Indented by depth, as PostgreSQL's are.
                let mut depths = std::collections::HashMap::from([(0, 0)]);
                for (id, parent, _, detail) in rows {
                    let depth = depths.get(&parent).copied().unwrap_or(0) + 1;
                    depths.insert(id, depth);
                    lines.push(format!("{}{detail}", "  ".repeat(depth)));
                }
            }
            Pool::Postgres(pool) => {
                let text = format!("explain {}", sql.text);
                let rows: Vec<String> =
                    sqlx::query_scalar_with(&text, arguments::<sqlx::Postgres>(&sql.args)?).fetch_all(pool).await?;
                lines.extend(rows);
            }
        }
    }
    Ok(lines)
}

/// The cursor that starts the page after `row`.
fn cursor_after(row: &PageRow, filter: &ListFilter) -> Cursor {
    let micros = |t: time::OffsetDateTime| (t.unix_timestamp_nanos() / 1000) as i64;
    let key = match filter.sort {
        Sort::Created => Key::Time(micros(row.task.created_at.0)),
        Sort::Updated => Key::Time(micros(row.task.updated_at.0)),
        Sort::Due => Key::Due(row.task.due_date),
        Sort::Priority => Key::Priority(row.task.priority),
        Sort::Title => Key::Title(row.title_key.clone()),
    };
    Cursor { sort: filter.sort, ascending: filter.ascending, key, id: row.task.id }
}

/// The whole page's order (over the merged segments).
fn order_clause(filter: &ListFilter) -> String {
    let dir = if filter.ascending { "asc" } else { "desc" };
    let key = match filter.sort {
        Sort::Created => format!("t.created_at {dir}"),
        Sort::Updated => format!("t.updated_at {dir}"),
        // Tasks without a due date come last whichever the order.
        Sort::Due if filter.ascending => "(t.due_date is null) asc, t.due_date asc".to_owned(),
        Sort::Due => "(t.due_date is not null) desc, t.due_date desc".to_owned(),
        Sort::Priority => format!("t.priority {dir}"),
        Sort::Title => format!("t.title_key {dir}"),
    };
    format!(" order by {key}, t.id {dir}")
}

/// Which completions a filter reads: overdue tasks are open ones.
fn completions(filter: &ListFilter) -> Vec<bool> {
    let open_only = filter.due == Some(Due::Overdue);
    match filter.status {
        Status::All if open_only => vec![false],
        Status::All => vec![false, true],
        Status::Active => vec![false],
        Status::Completed if open_only => vec![],
        Status::Completed => vec![true],
    }
}

/// Which due-date parts a due-date sort reads (each a range of its index): dated tasks,
/// undated ones, or both.
fn dated_parts(filter: &ListFilter) -> Vec<Option<bool>> {
    match (filter.sort, filter.due) {
        (Sort::Due, None) => vec![Some(true), Some(false)],
        (Sort::Due, Some(Due::None)) => vec![Some(false)],
        (Sort::Due, Some(_)) => vec![Some(true)],
        _ => vec![None],
    }
}

/// Who the assignee filter names, if a person.
fn assignee_id(filter: &ListFilter, user_id: Uuid) -> Option<Uuid> {
    match filter.assignee {
        Some(Assignee::Me) => Some(user_id),
        Some(Assignee::User(id)) => Some(id),
        Some(Assignee::Nobody) | None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_reads_open_tasks_only() {
        let overdue = ListFilter { due: Some(Due::Overdue), ..ListFilter::default() };
        assert_eq!(completions(&overdue), [false]);
        assert!(completions(&ListFilter { status: Status::Completed, ..overdue }).is_empty());
        assert_eq!(completions(&ListFilter::default()), [false, true]);
    }

    #[test]
    fn pages_past_the_middle_are_read_from_the_other_end() {
        let at = |offset, limit| ListFilter { offset, limit, ..ListFilter::default() };
        let reversed = |filter: &ListFilter, total| {
            from_the_end(filter, total).map(|(r, more)| (r.ascending != filter.ascending, r.offset, r.limit, more))
        };
        assert_eq!(reversed(&at(99_900, 100), 100_000), Some((true, 0, 100, false)));
        assert_eq!(reversed(&at(60, 10), 100), Some((true, 30, 10, true)));
        assert_eq!(reversed(&at(95, 10), 100), Some((true, 0, 5, false)), "a short last page");
        assert_eq!(reversed(&at(150, 10), 100), Some((true, 0, 0, false)), "past the end: nothing to read");
        assert_eq!(reversed(&at(50, 10), 100), None, "up to the middle, from the start");
        assert_eq!(reversed(&ListFilter { sort: Sort::Due, ..at(90, 10) }, 100), None);
    }

    #[test]
    fn due_sorts_read_the_parts_their_filter_keeps() {
        let due = ListFilter { sort: Sort::Due, ..ListFilter::default() };
        assert_eq!(dated_parts(&due), [Some(true), Some(false)]);
        assert_eq!(dated_parts(&ListFilter { due: Some(Due::Today), ..due.clone() }), [Some(true)]);
        assert_eq!(dated_parts(&ListFilter { due: Some(Due::None), ..due }), [Some(false)]);
        assert_eq!(dated_parts(&ListFilter::default()), [None]);
    }
}
