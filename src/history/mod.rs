//! A list's history: who did what in it (tasks created, edited, completed, reopened, deleted,
//! restored, moved and assigned; members invited, joined, left, removed and their roles
//! changed; the list made, renamed, deleted and restored), newest first, in pages.
//!
//! - this module: the types the API speaks ([`Event`], [`EventKind`], [`History`]);
//! - [`input`]: the query of `GET /api/lists/history` and its validation;
//! - [`record`]: the SQL that writes events, used by every change in the transaction of the
//!   change itself;
//! - [`store`]: the SQL that reads them;
//! - [`api`]: the server function;
//! - [`ui`]: the page `/lists/history`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::Person, dates::Moment};

pub mod api;
pub mod input;
#[cfg(feature = "ssr")]
pub mod record;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{ListHistory, list_history};
pub use input::HistoryQuery;

/// How long events are kept.
pub const KEPT_DAYS: u64 = 365;
/// Most events in one page, and how many a page has unless asked otherwise.
pub const PAGE_MAX: i64 = 100;
/// How many events a page has unless asked otherwise.
pub const PAGE_DEFAULT: i64 = 50;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A task was added.
    TaskCreated,
    /// Some of a task's fields changed (`detail`: which, comma-separated).
    TaskEdited,
    /// A task was completed.
    TaskCompleted,
    /// A completed task was opened again.
    TaskReopened,
    /// A task went to the trash.
    TaskDeleted,
    /// A task came back from the trash.
    TaskRestored,
    /// A task moved to another list (`detail`: `out`) or came from one (`in`).
    TaskMoved,
    /// A task was assigned to `member`, or to nobody (`member` null).
    TaskAssigned,
    /// Someone was invited (`detail`: the role; `email`, for the owner only).
    MemberInvited,
    /// `actor` accepted an invitation (`detail`: the role).
    MemberJoined,
    /// `actor` left the list.
    MemberLeft,
    /// `member` was removed by `actor`.
    MemberRemoved,
    /// `member`'s role became `detail`.
    RoleChanged,
    /// The list was made.
    ListCreated,
    /// The list was renamed (`detail`: its new name).
    ListRenamed,
    /// The list went to the trash.
    ListDeleted,
    /// The list came back from the trash, with its tasks.
    ListRestored,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 17] = [
        Self::TaskCreated,
        Self::TaskEdited,
        Self::TaskCompleted,
        Self::TaskReopened,
        Self::TaskDeleted,
        Self::TaskRestored,
        Self::TaskMoved,
        Self::TaskAssigned,
        Self::MemberInvited,
        Self::MemberJoined,
        Self::MemberLeft,
        Self::MemberRemoved,
        Self::RoleChanged,
        Self::ListCreated,
        Self::ListRenamed,
        Self::ListDeleted,
        Self::ListRestored,
    ];

    /// The API's (and the database's) name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TaskCreated => "task_created",
            Self::TaskEdited => "task_edited",
            Self::TaskCompleted => "task_completed",
            Self::TaskReopened => "task_reopened",
            Self::TaskDeleted => "task_deleted",
            Self::TaskRestored => "task_restored",
            Self::TaskMoved => "task_moved",
            Self::TaskAssigned => "task_assigned",
            Self::MemberInvited => "member_invited",
            Self::MemberJoined => "member_joined",
            Self::MemberLeft => "member_left",
            Self::MemberRemoved => "member_removed",
            Self::RoleChanged => "role_changed",
            Self::ListCreated => "list_created",
            Self::ListRenamed => "list_renamed",
            Self::ListDeleted => "list_deleted",
            Self::ListRestored => "list_restored",
        }
    }

    /// A kind from its name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// A task named in an event: its id and its title at the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskRef {
    /// The task's id (it may have been deleted since).
    pub id: Uuid,
    /// Its title when it happened.
    pub title: String,
}

/// One thing that happened in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Event {
    /// The event's id: later events have greater ids (the `before` of the next page).
    pub id: i64,
    /// When it happened.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Moment,
    /// Who did it; `null` once their account is deleted.
    pub actor: Option<Person>,
    /// What happened.
    pub kind: EventKind,
    /// The task it happened to, for the `task_` kinds.
    pub task: Option<TaskRef>,
    /// The member it happened to (assigned, removed, role changed); `null` for nobody.
    pub member: Option<Person>,
    /// The email invited, shown to the list's owner only.
    pub email: Option<String>,
    /// More, by kind: the fields edited, the role, the former name, `in` or `out`.
    pub detail: Option<String>,
}

/// A page of a list's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct History {
    /// The events.
    pub events: Vec<Event>,
    /// The `before` that reads the next (older) page; `null` on the last page.
    pub next_before: Option<i64>,
}
