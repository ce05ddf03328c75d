//! The trash: deleted lists and tasks, kept for 30 days and restorable meanwhile by whoever
//! could delete them (a list by its owner, with all its tasks; a task by the owner and the
//! editors of its list), then purged.
//!
//! - this module: the types the API speaks ([`Trash`], [`Restored`]);
//! - [`input`]: the restore form and its validation;
//! - [`store`]: the SQL;
//! - [`api`]: the server functions under `/api/trash/`;
//! - [`ui`]: the page `/trash`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::Person,
    dates::Moment,
    lists::{List, ListRef},
    tasks::Task,
};

pub mod api;
pub mod input;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{EmptyTrash, ListTrash, RestoreFromTrash, empty_trash, list_trash, restore_from_trash};
pub use input::RestoreInput;

/// How long the trash keeps what was deleted.
pub const KEPT_DAYS: i64 = 30;
/// Most tasks one answer of `GET /api/trash/list` shows (the most recently deleted).
pub const TASKS_SHOWN: i64 = 200;

/// A list in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrashedList {
    /// The list's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// When it was deleted.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub deleted_at: Moment,
    /// Who deleted it; `null` once their account is gone.
    pub deleted_by: Option<Person>,
}

/// A task in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrashedTask {
    /// The task's id (the same once restored).
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// The list it was deleted from (and goes back to).
    pub list: ListRef,
    /// When it was deleted.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub deleted_at: Moment,
    /// Who deleted it; `null` once their account is gone.
    pub deleted_by: Option<Person>,
}

/// What the caller may restore: the lists they own and the tasks of the lists where they
/// may edit, most recently deleted first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trash {
    /// Lists in the trash.
    pub lists: Vec<TrashedList>,
    /// Tasks in the trash (at most 200; `tasks_total` says how many there are).
    pub tasks: Vec<TrashedTask>,
    /// How many tasks of the caller's lists are in the trash.
    pub tasks_total: i64,
}

/// What a restore brought back: the task, or the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Restored {
    /// A task, back in its list.
    Task(Box<Task>),
    /// A list, back with its tasks.
    List(List),
}
