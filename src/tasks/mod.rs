//! Tasks: what the lists hold, with priorities, due dates, tags and an assignee.
//!
//! - this module: the types the API speaks ([`Task`], [`TaskList`], ...) and the limits
//!   shared by the forms and the server;
//! - [`input`]: the forms and queries as they arrive, and their validation;
//! - [`api`]: the server functions, the whole API under `/api/tasks/`;
//! - [`store`]: the SQL, every statement scoped by the lists the session's user is a member
//!   of (and, for a change, their role there);
//! - [`ui`]: the task page, which calls the same server functions.

use serde::{Deserialize, Serialize};
use time::{Date, Time};
use uuid::Uuid;

use crate::{auth::Person, dates::Moment, jobs::Job};

pub mod api;
#[cfg(feature = "ssr")]
pub mod cursor;
pub mod input;
pub mod quick;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{
    ClearCompleted, CompleteAll, CreateTask, DeleteTask, GetTask, ListTags, ListTasks, ParseLine, QuickAdd,
    SetCompleted, SkipTask, UpdateTask, clear_completed, complete_all, create_task, delete_task, get_task, list_tags,
    list_tasks, parse_line, quick_add, set_completed, skip_task, update_task,
};
pub use input::{
    CompleteAllInput, ListQuery, ListScope, NewTask, SetCompletedInput, TaskId, TaskUpdate, normalize_description,
    normalize_tag, normalize_title, parse_id, parse_priority, parse_tags,
};

/// Limits of the task fields, shared by the forms and the server.
pub mod limits {
    /// Longest title, in characters.
    pub const TITLE_MAX: usize = 200;
    /// Longest description, in characters.
    pub const DESCRIPTION_MAX: usize = 2000;
    /// Most tags on one task.
    pub const TAGS_MAX: usize = 10;
    /// Longest tag, in characters.
    pub const TAG_MAX: usize = 32;
    /// Longest search text, in characters.
    pub const QUERY_MAX: usize = 200;
    /// Largest page.
    pub const LIMIT_MAX: i64 = 100;
    /// Page size when none is asked for.
    pub const LIMIT_DEFAULT: i64 = 50;
}

/// How urgent a task is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// No priority.
    #[default]
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [Priority::None, Priority::Low, Priority::Medium, Priority::High];

    /// The API's name of the priority.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    /// A priority from its API name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// The stored rank: 0 (none) to 3 (high), so that sorting by it sorts by urgency.
    pub fn rank(self) -> i16 {
        self as i16
    }

    /// The priority of a stored rank.
    pub fn from_rank(rank: i16) -> Self {
        Self::ALL.get(usize::try_from(rank).unwrap_or(0)).copied().unwrap_or_default()
    }
}

/// What a recurring task's next date counts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RepeatFrom {
    /// The schedule: the rule's first date after both the completed date and today.
    #[default]
    Due,
    /// The completion: the rule started again on the day it was done (Todoist's `every!`).
    Completion,
}

impl RepeatFrom {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Completion => "completion",
        }
    }

    /// From the API's name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Due, Self::Completion].into_iter().find(|r| r.as_str() == raw)
    }

    /// The stored number (0 or 1).
    pub fn rank(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_rank(rank: i16) -> Self {
        if rank == 1 { Self::Completion } else { Self::Due }
    }
}

/// A task, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Task {
    /// The task's id.
    pub id: Uuid,
    /// The list it belongs to.
    pub list_id: Uuid,
    /// 1 to 200 characters.
    pub title: String,
    /// At most 2,000 characters; empty when there is none.
    pub description: String,
    /// Whether it is done.
    pub completed: bool,
    /// How urgent it is.
    pub priority: Priority,
    /// When it is due (`YYYY-MM-DD`), if ever.
    #[serde(with = "crate::dates::iso_date::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub due_date: Option<Date>,
    /// The time of day it is due (`HH:MM`, a time on the clock, the same for every member), if
    /// any; only beside a due date.
    #[serde(default, with = "crate::dates::hh_mm_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, example = "09:30"))]
    pub due_time: Option<Time>,
    /// The rule it repeats by (RFC 5545 `RRULE`, canonical: `FREQ=WEEKLY;BYDAY=MO`), if it
    /// does.
    #[serde(default)]
    pub repeat: Option<String>,
    /// The rule in words (`every 2 weeks on Mon, Thu`), as the app shows it.
    #[serde(default)]
    pub repeat_text: Option<String>,
    /// What a recurring task's next date counts from.
    #[serde(default)]
    pub repeat_from: RepeatFrom,
    /// Its reminders, canonical (`1d`, `15m` before the due moment; `2027-03-01T09:00` on the
    /// clock), in this order: offsets from the earliest, then date-times.
    #[serde(default)]
    pub reminders: Vec<String>,
    /// For a completed date of a recurring task: the recurring task's id.
    #[serde(default)]
    pub occurrence_of: Option<Uuid>,
    /// Lower-case tags, sorted.
    pub tags: Vec<String>,
    /// The member it is assigned to; `null` when nobody.
    pub assignee: Option<Person>,
    /// Who created it; `null` once their account is deleted.
    pub created_by: Option<Person>,
    /// When it was created (RFC 3339, UTC).
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Moment,
    /// When it last changed.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub updated_at: Moment,
    /// When it was completed; `null` while it is open.
    #[serde(with = "crate::dates::moment::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub completed_at: Option<Moment>,
}

/// A task's tags as its row keeps them (comma-separated, lower-case, sorted).
pub fn stored_tags(stored: &str) -> Vec<String> {
    if stored.is_empty() { Vec::new() } else { stored.split(',').map(str::to_owned).collect() }
}

/// A rule in words (`every 2 weeks on Mon, Thu`); `None` for none. Computed by the server, so
/// that the browser's code carries no rule parser.
pub fn repeat_text(rule: Option<&str>) -> Option<String> {
    crate::repeat::Rule::parse(rule?).ok().map(|rule| rule.describe())
}

/// A recurring task's next date when the date `due` is completed (or skipped) on `today`,
/// for a schedule that started on `start`; `None` when the rule has ended.
pub fn next_due(repeat: &str, from: RepeatFrom, start: Date, due: Date, today: Date) -> Option<Date> {
    let rule = crate::repeat::Rule::parse(repeat).ok()?;
    match from {
        RepeatFrom::Due => rule.next_after(start, due.max(today)),
        RepeatFrom::Completion => rule.next_after(today, today),
    }
}

/// How many tasks the lists in view hold, whatever the other filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Counts {
    /// All tasks.
    pub all: i64,
    /// Tasks not completed.
    pub active: i64,
    /// Completed tasks.
    pub completed: i64,
}

/// One page of a task list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskList {
    /// The tasks of this page.
    pub tasks: Vec<Task>,
    /// How many tasks match the filters, on all pages: exact when `total_exact`, otherwise at
    /// least this many (see the API section of the README).
    pub total: i64,
    /// Whether `total` is exact. It always is with no filter but the completion (the lists'
    /// counts are kept); with other filters it is counted up to 200 tasks past the page.
    pub total_exact: bool,
    /// The cursor for the page after this one (`after=`), if there are more tasks.
    pub next_after: Option<String>,
    /// The page size used.
    pub limit: i64,
    /// The offset used.
    pub offset: i64,
    /// The totals of the lists in view (one list, or every list of the user's), regardless of
    /// the other filters.
    pub counts: Counts,
    /// Today's date in the account's time zone: what the `due` filters and overdue marks are
    /// relative to.
    #[serde(with = "crate::dates::iso_date")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Date))]
    pub today: Date,
}

/// The answer of a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Deleted {
    /// How many tasks were deleted (and lists, for the trash). For a bulk change that goes on
    /// in the background, how many its first batch deleted.
    pub deleted: u64,
    /// The job doing the rest of a bulk change, when it goes on in the background (the
    /// answer is then `202 Accepted`); absent when everything is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
}

/// The answer of a bulk update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Updated {
    /// How many tasks changed. For a bulk change that goes on in the background, how many
    /// its first batch changed.
    pub updated: u64,
    /// The job doing the rest, when it goes on in the background (the answer is then
    /// `202 Accepted`); absent when everything is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
}

/// A tag with the number of tasks carrying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TagCount {
    /// The tag.
    pub name: String,
    /// How many of the user's tasks carry it.
    pub count: i64,
}

/// The user's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TagList {
    /// Tags in alphabetical order.
    pub tags: Vec<TagCount>,
}

/// Which tasks a list shows, by completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Status {
    /// Every task.
    #[default]
    All,
    /// Open tasks.
    Active,
    /// Completed tasks.
    Completed,
}

/// A filter on due dates, relative to today in the account's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Due {
    /// Open tasks due before today.
    Overdue,
    /// Due today.
    Today,
    /// Due after today.
    Upcoming,
    /// Without a due date.
    None,
}

/// What a list is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Creation time.
    #[default]
    Created,
    /// Last change.
    Updated,
    /// Due date; tasks without one come last in both orders.
    Due,
    /// Priority.
    Priority,
    /// Title, case-insensitively.
    Title,
}

/// Whose tasks a list shows, by assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assignee {
    /// Assigned to the caller.
    Me,
    /// Assigned to this member.
    User(Uuid),
    /// Assigned to nobody.
    Nobody,
}

/// The sort key of the last task of a page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// Creation or last change, in microseconds since the Unix epoch.
    Time(i64),
    /// Priority rank.
    Priority(i16),
    /// Lower-cased title.
    Title(String),
    /// Due date; `None` for a task without one.
    Due(Option<Date>),
}

/// Where a page ended: after the task `id` whose sort key is `key`, in this sort and order
/// ([`cursor`] says how it travels).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// The sort it was made for.
    pub sort: Sort,
    /// The order it was made for.
    pub ascending: bool,
    /// The last task's sort key.
    pub key: Key,
    /// The last task's id (the tie-breaker of every sort).
    pub id: Uuid,
}

/// A parsed, valid list query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListFilter {
    /// One list; `None`: every list the caller is a member of.
    pub list_id: Option<Uuid>,
    /// Assignee filter.
    pub assignee: Option<Assignee>,
    /// Completion filter.
    pub status: Status,
    /// Lower-cased search text.
    pub q: Option<String>,
    /// Priority filter.
    pub priority: Option<Priority>,
    /// Tag filter (normalized).
    pub tag: Option<String>,
    /// Due-date filter.
    pub due: Option<Due>,
    /// Sort key.
    pub sort: Sort,
    /// Ascending order.
    pub ascending: bool,
    /// Page size.
    pub limit: i64,
    /// Offset.
    pub offset: i64,
    /// Where the page starts instead of an offset.
    pub after: Option<Cursor>,
}

/// A valid new task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDraft {
    /// Its list; `None`: the caller's Inbox.
    pub list_id: Option<Uuid>,
    /// Its assignee, a member of the list.
    pub assignee: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// Due date.
    pub due_date: Option<Date>,
    /// Due time (only with a due date).
    pub due_time: Option<Time>,
    /// Recurrence rule, canonical (only with a due date).
    pub repeat: Option<String>,
    /// What the next date counts from.
    pub repeat_from: RepeatFrom,
    /// Reminders (offsets only with a due date).
    pub reminders: Vec<crate::reminders::Reminder>,
    /// Tags.
    pub tags: Vec<String>,
}

/// Valid changes to a task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChanges {
    /// The list to move it to.
    pub list_id: Option<Uuid>,
    /// A new assignee (`Some(None)` unassigns).
    pub assignee: Option<Option<Uuid>>,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New due date (`Some(None)` clears it, and the due time with it).
    pub due_date: Option<Option<Date>>,
    /// New due time (`Some(None)` clears it).
    pub due_time: Option<Option<Time>>,
    /// New recurrence rule, canonical (`Some(None)` ends the repeating).
    pub repeat: Option<Option<String>>,
    /// New origin of the next dates.
    pub repeat_from: Option<RepeatFrom>,
    /// New reminders (`Some(vec![])` removes them).
    pub reminders: Option<Vec<crate::reminders::Reminder>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
}
