//! The pieces of a list statement: its arguments, its plan (which index drives it) and the
//! SQL of one segment, a range of one list's open or completed tasks (split from [`super`]
//! for length).

use sqlx::{Arguments, Database, Encode, Type};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{assignee_id, completions, dated_parts};
use crate::{
    db::Timestamp,
    error::AppError,
    lists::store::member_lists,
    tasks::{Assignee, Cursor, Due, Key, ListFilter, Sort},
};

/// Most segments one statement reads. Past it (someone viewing all of more than 32 lists at
/// once) the lists are read together and their matches sorted.
const SEGMENTS_MAX: usize = 64;
/// The shortest search the trigram index serves; a shorter one reads the lists in view.
const TRIGRAM: usize = 3;
/// Most candidates (tasks of any account with the search's rarest trigram) that the search
/// index gives a search: each costs a lookup, and past a few thousand reading the lists in
/// view in order, checking each task, finds a page sooner.
const CANDIDATES_MAX: i64 = 2000;
/// Most trigrams a search asks the index for; the substring check makes the answer exact.
const TRIGRAMS_MAX: usize = 8;
/// A segment's columns: a task's own (as `k`, apart from the page's `t`), and its title key
/// for the order and the cursor.
const SEGMENT_COLUMNS: &str = "k.id, k.list_id, k.title, k.description, k.completed, k.priority, k.due_date, \
     k.due_minute, k.repeat, k.repeat_from, k.series_id, k.reminders, k.tags, k.assignee_id, k.created_by, \
     k.created_at, k.updated_at, k.completed_at, k.title_key";

/// A value bound to a statement built at run time.
#[derive(Debug, Clone)]
pub enum Arg {
    Uuid(Uuid),
    Text(String),
    Int(i64),
    SmallInt(i16),
    Bool(bool),
    Date(Date),
    Time(Timestamp),
}

/// A statement built at run time: SQL text with `$n` placeholders and their values.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        let placeholder = self.param(arg);
        self.push(&placeholder)
    }

    /// A placeholder for `arg`, to write (once or more) where it is needed.
    pub fn param(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}

/// The arguments of a [`Sql`] for one backend.
pub fn arguments<'q, DB>(args: &'q [Arg]) -> Result<<DB as Database>::Arguments<'q>, AppError>
where
    DB: Database,
    Uuid: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    i16: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Date: Encode<'q, DB> + Type<DB>,
    Timestamp: Encode<'q, DB> + Type<DB>,
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
            Arg::Time(v) => out.add(*v),
        };
        added.map_err(|e| {
            tracing::error!(error = %e, "cannot encode a query argument");
            AppError::Internal
        })?;
    }
    Ok(out)
}

/// What reads a segment's rows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// The sort's own index, in order, the filters checked on the way: for no filter, or
    /// filters that many tasks pass.
    Sort,
    /// The search index's candidates.
    Search,
    /// The tag's tasks (a tag of few tasks).
    Tag,
    /// The due-date range (today, upcoming, overdue).
    Due,
    /// The assignee's tasks.
    Assignee,
}

/// One range the page reads: a list (or, past [`SEGMENTS_MAX`], all in view), a completion
/// and, sorted by due date on PostgreSQL or after a cursor, the dated or the undated tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    list: Option<Uuid>,
    /// `None`: any completion the filter allows (a driver other than the sort's index).
    completed: Option<bool>,
    dated: Option<bool>,
}

/// What the kept counts and the search index tell of a query before it runs.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// Tasks of the lists in view with the tag filtered by (0 without one).
    pub tagged: i64,
    /// Tasks of the lists in view.
    pub all: i64,
    /// SQLite: tasks of any account with the search's rarest trigram.
    pub search_candidates: Option<i64>,
}

/// How a list query reads: its segments and what drives them.
#[derive(Debug)]
pub struct Plan<'a> {
    pub segments: Vec<Segment>,
    pub driver: Driver,
    filter: &'a ListFilter,
    user_id: Uuid,
    today: Date,
    sqlite: bool,
}

impl<'a> Plan<'a> {
    /// Plans a query of `lists`, knowing what the kept counts and the search index tell.
    pub fn new(user_id: Uuid, filter: &'a ListFilter, today: Date, sqlite: bool, lists: &[Uuid], known: Known) -> Self {
        let Known { tagged, all, search_candidates } = known;
        let rows = filter.offset.saturating_add(filter.limit).saturating_add(1);
        // A tag drives when reading its tasks costs less than scanning for a page of them:
        // `tagged` against about `rows * all / tagged` (equal where tagged² = rows * all).
        let rare_tag = filter.tag.is_some() && tagged.saturating_mul(tagged) <= rows.saturating_mul(all);
        let ranged_due = matches!(filter.due, Some(Due::Today | Due::Upcoming | Due::Overdue));
        let driver = if filter.q.is_some() && search_candidates.is_some_and(|n| n <= CANDIDATES_MAX) {
            Driver::Search
        } else if rare_tag {
            Driver::Tag
        } else if ranged_due && filter.sort != Sort::Due {
            Driver::Due
        } else if assignee_id(filter, user_id).is_some() {
            Driver::Assignee
        } else {
            Driver::Sort
        };
        let (completions, mut parts) = (completions(filter), dated_parts(filter));
        if sqlite && filter.after.is_none() && parts.len() > 1 {
            // SQLite reads a list's dated and undated tasks as one range of the due-date
            // index, in the page's order (the undated last is the index's own order), so a
            // first page or an offset needs no split: half the segments, and no sort of two
            // segments' rows where one page of them is wanted (`make bench`'s list scenario,
            // open tasks by due date, lost 30% to the split). After a cursor the split stays:
            // "after this dated task" is a range of each part, not of the whole.
            parts = vec![None];
        }
        let mut segments = Vec::new();
        if completions.is_empty() {
            // Nothing can match (completed and overdue).
        } else if driver != Driver::Sort {
            // The driver's matches are sorted anyway: one segment reads them all at once, or
            // one per completion for a due-date range (in its index, after the completion).
            let list = match lists {
                [only] => Some(*only),
                _ => None,
            };
            if driver == Driver::Due || completions.len() == 1 {
                segments.extend(completions.iter().map(|&c| Segment { list, completed: Some(c), dated: None }));
            } else {
                segments.push(Segment { list, completed: None, dated: None });
            }
        } else {
            let lists: Vec<Option<Uuid>> = if lists.len() * completions.len() * parts.len() > SEGMENTS_MAX {
                vec![None]
            } else {
                lists.iter().copied().map(Some).collect()
            };
            for list in lists {
                for &completed in &completions {
                    for &dated in &parts {
                        segments.push(Segment { list, completed: Some(completed), dated });
                    }
                }
            }
        }
        Self { segments, driver, filter, user_id, today, sqlite }
    }

    /// A statement's start: the caller as `$1`, and on SQLite the search index's candidates
    /// (read once for all segments).
    pub fn start(&self) -> Sql {
        let mut sql = Sql::default();
        sql.param(Arg::Uuid(self.user_id));
        if self.sqlite
            && self.driver == Driver::Search
            && let Some(q) = &self.filter.q
        {
            sql.push("with found (n) as materialized (select rowid from tasks_search where tasks_search match ")
                .bind(Arg::Text(trigram_query(q)))
                .push(") ");
        }
        sql
    }

    /// Appends one segment's `select` (without its `limit`): ordered for a page, after the
    /// cursor if there is one.
    pub fn segment(&self, sql: &mut Sql, segment: &Segment, after: Option<&Cursor>, ordered: bool) {
        let fenced = ordered && self.fenced(segment);
        if fenced {
            sql.push("select * from (");
        }
        self.select(sql, SEGMENT_COLUMNS, segment, after);
        if fenced {
            sql.push(" offset 0) as k");
        }
        if ordered {
            let dir = if self.filter.ascending { "asc" } else { "desc" };
            // A segment of dated and undated tasks alike (a driver's matches, sorted anyway)
            // puts the undated last, as the page does.
            let undated_last = match (self.filter.sort, segment.dated, self.filter.ascending) {
                (Sort::Due, None, true) => "(k.due_date is null) asc, ",
                (Sort::Due, None, false) => "(k.due_date is not null) desc, ",
                _ => "",
            };
            sql.push(&format!(" order by {undated_last}{} {dir}, k.id {dir}", self.key_column()));
        }
    }

    /// Whether a segment's matches are read apart from its order (`offset 0` keeps PostgreSQL
    /// from planning the two together): on PostgreSQL, the completed tasks of a due-date
    /// range. Asked for them in another sort's order with a limit, its planner read that sort's
    /// index and filtered, expecting the matches spread through it as due dates spread over
    /// all tasks: but completed tasks due today or later are few and recent, so for 24 of
    /// them it read 99,000 (20 ms; 0.2 ms through the due-date index, then sorted). Open
    /// tasks are left to the planner, whose estimate holds for them: a range many open tasks
    /// fall in (100,000 overdue) is read in the page's order and stops at the page (0.5 ms),
    /// where read apart it would be read whole and sorted (56 ms). SQLite is told its index
    /// ([`Self::hint`]).
    fn fenced(&self, segment: &Segment) -> bool {
        !self.sqlite && self.driver == Driver::Due && segment.completed == Some(true)
    }

    /// Appends a segment's `select` for a bounded count, which needs no order but may read one
    /// to stop early: PostgreSQL counts a due-date range of one list and completion in the
    /// due-date index's order (its planner otherwise chose to count the range by reading the
    /// whole table until the bound, every account's tasks), and a segment the sort drives in
    /// the page's order ([`Self::counts_in_order`]).
    pub fn counted(&self, sql: &mut Sql, segment: &Segment) {
        if !self.sqlite && self.driver == Driver::Due && segment.list.is_some() && segment.completed.is_some() {
            self.select(sql, SEGMENT_COLUMNS, segment, None);
            sql.push(" order by k.due_date, k.id");
        } else {
            self.segment(sql, segment, None, self.counts_in_order(segment));
        }
    }

    /// Whether the segments come each in the sort's order from their index, and can be merged
    /// as they are read: every sort but the due date's, whose undated tasks come last (a
    /// merge would order by an expression, which SQLite sorts for).
    ///
    /// SQLite only: PostgreSQL 15 does not merge the branches of a `union all` by their
    /// indexes (it appends and sorts them), so there each segment is limited on its own.
    pub fn streams(&self) -> bool {
        self.sqlite && self.driver == Driver::Sort && self.filter.sort != Sort::Due
    }

    /// Whether a bounded count reads `segment` in the page's order.
    ///
    /// PostgreSQL only, for a segment that is one range of the sort's index (one list and one
    /// completion, read by the sort). Unordered, its planner counts a segment's first few
    /// hundred matches of a common word by a sequential scan, assuming the matches are spread
    /// evenly across the table; they are all in one account's rows, so it reads the other
    /// accounts' rows first (52 ms for `q=passport` beside one other account of 100,000
    /// tasks). Ordered, it reads the segment's own range of the index up to the limit
    /// (1.7 ms), and still chooses the trigram index for rare text. Other segments stay
    /// unordered: no index gives their order, so ordering them would sort every match before
    /// the limit. SQLite reads each segment through the index its hint names either way.
    fn counts_in_order(&self, segment: &Segment) -> bool {
        !self.sqlite && self.driver == Driver::Sort && segment.list.is_some() && segment.completed.is_some()
    }

    /// Appends the segments as one `union all` merged in the sort's order, each giving only
    /// its tasks' ids and sort keys (from the index alone where no filter needs the row):
    /// the page is then `limit`ed and `offset` as it streams, and only its own tasks are read
    /// in full.
    pub fn merged_keys(&self, sql: &mut Sql, after: Option<&Cursor>) {
        let key = self.key_column();
        let columns = format!("k.id, {key}");
        // SQLite merges a compound `select` by its `order by`, reading each branch in order.
        for (n, segment) in self.segments.iter().enumerate() {
            if n > 0 {
                sql.push(" union all ");
            }
            self.select(sql, &columns, segment, after);
        }
        let dir = if self.filter.ascending { "asc" } else { "desc" };
        let name = key.trim_start_matches("k.");
        sql.push(&format!(" order by {name} {dir}, id {dir}"));
    }

    /// The column the sort reads.
    fn key_column(&self) -> &'static str {
        // In an undated segment the due date is null throughout; ordering by it anyway is
        // what tells PostgreSQL that the index gives the ids in order.
        match self.filter.sort {
            Sort::Created => "k.created_at",
            Sort::Updated => "k.updated_at",
            Sort::Priority => "k.priority",
            Sort::Title => "k.title_key",
            Sort::Due => "k.due_date",
        }
    }

    /// A segment's `select` of `columns`, without order or limit.
    fn select(&self, sql: &mut Sql, columns: &str, segment: &Segment, after: Option<&Cursor>) {
        let ascending = self.filter.ascending;
        sql.push(&format!("select {columns} from tasks k{} where ", self.hint()));
        let lists_in_view = member_lists("$1");
        let list = match segment.list {
            Some(list) => {
                let list = sql.param(Arg::Uuid(list));
                sql.push(&format!("k.list_id = {list} and {list} in {lists_in_view}"));
                list
            }
            None => {
                sql.push(&format!("k.list_id in {lists_in_view}"));
                lists_in_view.clone()
            }
        };
        let list_test = if segment.list.is_some() { format!("= {list}") } else { format!("in {list}") };
        if let Some(completed) = segment.completed {
            sql.push(" and k.completed = ").bind(Arg::Bool(completed));
        }
        match (segment.dated, ascending) {
            (None, _) => {}
            (Some(true), true) => {
                sql.push(" and (k.due_date is null) = false");
            }
            (Some(false), true) => {
                sql.push(" and (k.due_date is null) = true and k.due_date is null");
            }
            (Some(true), false) => {
                sql.push(" and (k.due_date is not null) = true");
            }
            (Some(false), false) => {
                sql.push(" and (k.due_date is not null) = false and k.due_date is null");
            }
        }
        match self.driver {
            Driver::Search if self.sqlite => {
                sql.push(" and k.n in (select n from found)");
            }
            Driver::Tag => {
                // PostgreSQL gets the ids as an array, which it can only look up one by one in
                // the primary key: given a subquery, it may rather hash the whole list.
                let tag = self.filter.tag.clone().unwrap_or_default();
                let (open, close) = if self.sqlite { (" in (", ")") } else { (" = any(array(", "))") };
                sql.push(&format!(
                    " and k.id{open}select g.task_id from task_tags g where g.list_id {list_test} and g.tag = "
                ))
                .bind(Arg::Text(tag))
                .push(close);
            }
            _ => {}
        }
        self.filters(sql);
        if let Some(cursor) = after {
            keyset(sql, segment, cursor);
        }
    }

    /// SQLite: the index the driver reads (its planner has no statistics to choose by).
    fn hint(&self) -> String {
        if !self.sqlite {
            return String::new();
        }
        let index = match self.driver {
            Driver::Sort => match (self.filter.sort, self.filter.ascending) {
                (Sort::Created, _) => "tasks_list_created",
                (Sort::Updated, _) => "tasks_list_updated",
                (Sort::Due, true) => "tasks_list_due_asc",
                (Sort::Due, false) => "tasks_list_due_desc",
                (Sort::Priority, _) => "tasks_list_priority",
                (Sort::Title, _) => "tasks_list_title",
            },
            // Candidates by their integer key, which no index holds.
            Driver::Search => return " not indexed".to_owned(),
            Driver::Tag => "tasks_id",
            Driver::Due => "tasks_list_due_asc",
            Driver::Assignee => "tasks_assignee",
        };
        format!(" indexed by {index}")
    }

    /// The filters' conditions, the same whatever drives.
    fn filters(&self, sql: &mut Sql) {
        let filter = self.filter;
        match filter.assignee {
            None => {}
            Some(Assignee::Nobody) => {
                sql.push(" and k.assignee_id is null");
            }
            Some(_) => {
                let id = assignee_id(filter, self.user_id).unwrap_or(self.user_id);
                sql.push(" and k.assignee_id = ").bind(Arg::Uuid(id));
            }
        }
        if let Some(q) = &filter.q {
            if self.sqlite {
                sql.push(" and instr(k.search, ").bind(Arg::Text(q.clone())).push(") > 0");
            } else {
                let pattern = format!("%{}%", escape_like(q));
                sql.push(" and k.search like ").bind(Arg::Text(pattern)).push(" escape '\\'");
            }
        }
        if let Some(priority) = filter.priority {
            sql.push(" and k.priority = ").bind(Arg::SmallInt(priority.rank()));
        }
        if let Some(tag) = &filter.tag
            && self.driver != Driver::Tag
        {
            // Checked row by row (a probe of the tag's key) as the segment is read in order;
            // `offset 0` keeps PostgreSQL from making it a join that reads all the tag's rows.
            sql.push(" and exists (select 1 from task_tags g where g.list_id = k.list_id and g.tag = ")
                .bind(Arg::Text(tag.clone()))
                .push(if self.sqlite { " and g.task_id = k.id)" } else { " and g.task_id = k.id offset 0)" });
        }
        let today = Arg::Date(self.today);
        match filter.due {
            None => {}
            Some(Due::Overdue) => {
                sql.push(" and (k.due_date is null) = false and k.due_date < ").bind(today);
            }
            Some(Due::Today) => {
                let day = sql.param(today);
                sql.push(&format!(" and (k.due_date is null) = false and k.due_date >= {day} and k.due_date <= {day}"));
            }
            Some(Due::Upcoming) => {
                sql.push(" and (k.due_date is null) = false and k.due_date > ").bind(today);
            }
            Some(Due::None) => {
                sql.push(" and k.due_date is null");
            }
        }
    }
}

/// Only the rows after the cursor, as a range of the segment's index.
fn keyset(sql: &mut Sql, segment: &Segment, cursor: &Cursor) {
    let op = if cursor.ascending { ">" } else { "<" };
    let (column, key) = match (&cursor.key, segment.dated) {
        (Key::Time(micros), _) => {
            let column = if cursor.sort == Sort::Updated { "k.updated_at" } else { "k.created_at" };
            let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(*micros) * 1000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            (column, Arg::Time(Timestamp(at)))
        }
        (Key::Priority(rank), _) => ("k.priority", Arg::SmallInt(*rank)),
        (Key::Title(title), _) => ("k.title_key", Arg::Text(title.clone())),
        (Key::Due(Some(date)), Some(true)) => ("k.due_date", Arg::Date(*date)),
        // Every undated task comes after every dated one, in both orders.
        (Key::Due(Some(_)), Some(false)) => return,
        (Key::Due(Some(date)), None) => {
            let (date, id) = (sql.param(Arg::Date(*date)), sql.param(Arg::Uuid(cursor.id)));
            sql.push(&format!(" and (k.due_date is null or (k.due_date, k.id) {op} ({date}, {id}))"));
            return;
        }
        (Key::Due(None), Some(true)) => {
            sql.push(" and 1 = 0");
            return;
        }
        (Key::Due(None), _) => {
            sql.push(&format!(" and k.due_date is null and k.id {op} ")).bind(Arg::Uuid(cursor.id));
            return;
        }
    };
    let key = sql.param(key);
    let id = sql.param(Arg::Uuid(cursor.id));
    sql.push(&format!(" and ({column}, k.id) {op} ({key}, {id})"));
}

/// The distinct trigrams of `q`, in order.
fn trigrams(q: &str) -> Vec<String> {
    let chars: Vec<char> = q.chars().collect();
    let mut trigrams: Vec<String> = Vec::new();
    for window in chars.windows(TRIGRAM) {
        let trigram: String = window.iter().collect();
        if !trigrams.contains(&trigram) {
            trigrams.push(trigram);
        }
    }
    trigrams
}

/// SQLite: how many tasks (of any account) the search index holds for the rarest trigram of
/// `q`; `None` for text too short for trigrams.
pub async fn search_candidates(db: &crate::db::Db, q: &str) -> Result<Option<i64>, AppError> {
    let trigrams = trigrams(q);
    if trigrams.is_empty() || !db.is_sqlite() {
        return Ok(None);
    }
    let mut rarest = i64::MAX;
    if let crate::db::Pool::Sqlite(pool) = db.read() {
        for trigram in trigrams.iter().take(TRIGRAMS_MAX * 2) {
            let docs: Option<i64> = sqlx::query_scalar("select doc from tasks_search_terms where term = $1")
                .bind(trigram)
                .fetch_optional(pool)
                .await?;
            rarest = rarest.min(docs.unwrap_or(0));
        }
    }
    Ok(Some(rarest))
}

/// An FTS5 query for the candidates containing `q`: each of (up to [`TRIGRAMS_MAX`] of) its
/// distinct trigrams, spread over it, as a quoted string.
fn trigram_query(q: &str) -> String {
    let trigrams = trigrams(q);
    let step = trigrams.len().div_ceil(TRIGRAMS_MAX).max(1);
    let mut picked: Vec<&String> = trigrams.iter().step_by(step).collect();
    if let Some(last) = trigrams.last()
        && picked.last() != Some(&last)
    {
        picked.push(last);
    }
    picked.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_treat_wildcards_literally() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }

    #[test]
    fn searches_ask_for_their_trigrams_quoted() {
        assert_eq!(trigram_query("milk"), r#""mil" AND "ilk""#);
        assert_eq!(trigram_query(r#"a"b"#), r#""a""b""#);
        assert_eq!(trigram_query("aaaa"), r#""aaa""#);
        let long = trigram_query("abcdefghijklmnopqrstuvwxyz");
        assert_eq!(long.matches(" AND ").count() + 1, TRIGRAMS_MAX + 1, "{long}");
        assert!(long.starts_with("\"abc\"") && long.ends_with("\"xyz\""), "{long}");
    }

    #[test]
    fn placeholders_number_in_order_and_repeat() {
        let mut sql = Sql::default();
        let user = sql.param(Arg::Uuid(Uuid::nil()));
        sql.push(&format!("a = {user} and b = {user} and c = ")).bind(Arg::Int(1));
        assert_eq!(sql.text, "a = $1 and b = $1 and c = $2");
        assert_eq!(sql.args.len(), 2);
    }
}
