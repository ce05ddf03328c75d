//! Export: everything a person owns or can see, as one versioned JSON document or as CSV, in
//! one streamed answer of constant memory however many tasks there are.
//!
//! The JSON document is `{"format": "doable", "version": 1, "exported_at", "account",
//! "lists", "tasks"}` (`schema/export-v1.schema.json` describes it). **The version rule:** a
//! version adds or changes what an older reader could misread; Doable imports every version
//! it ever wrote, so a file exported today can be brought into any later Doable.
//!
//! - this module: the document's parts ([`ExportAccount`], [`ExportList`], [`ExportTask`]);
//! - [`store`]: the SQL, a page of tasks at a time, each read through the person's lists;
//! - [`csv`]: one row per task, with cells that a spreadsheet would run neutralised;
//! - [`api`]: `GET /api/export?format=json|csv`, streamed.

use serde::{Deserialize, Serialize};
use time::{Date, Time};
use uuid::Uuid;

use crate::{
    dates::Moment,
    tasks::{Priority, RepeatFrom},
};

pub mod api;
pub mod csv;
pub mod store;

/// What `format` says a document is.
pub const FORMAT: &str = "doable";
/// The version of the document this Doable writes.
pub const VERSION: u32 = 1;

/// The account the document was exported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportAccount {
    /// The login email.
    pub email: String,
    /// The name shown in the app.
    pub name: String,
    /// The account's IANA time zone.
    pub time_zone: String,
    /// When the account was created.
    #[serde(with = "crate::dates::moment")]
    pub created_at: Moment,
}

/// A list the person is a member of, or owns in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportList {
    /// Its id (tasks name their list by it).
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Whether it is the person's Inbox.
    pub inbox: bool,
    /// The person's role in it: `owner`, `editor` or `viewer`.
    pub role: String,
    /// Whether the person hears the reminders of its tasks nobody is assigned to.
    pub reminders: bool,
    /// When it was made.
    #[serde(with = "crate::dates::moment")]
    pub created_at: Moment,
    /// Whether it is in the trash.
    pub trashed: bool,
}

/// A task, with every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportTask {
    /// Its id.
    pub id: Uuid,
    /// Its list (one of the document's `lists`).
    pub list_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its description (empty for none).
    pub description: String,
    /// Whether it is done.
    pub completed: bool,
    /// `none`, `low`, `medium` or `high`.
    pub priority: Priority,
    /// Its due date, `YYYY-MM-DD`.
    #[serde(with = "crate::dates::iso_date::option")]
    pub due_date: Option<Date>,
    /// Its due time, `HH:MM`.
    #[serde(default, with = "crate::dates::hh_mm_option")]
    pub due_time: Option<Time>,
    /// Its rule (a canonical RRULE), if it repeats.
    pub repeat: Option<String>,
    /// What its next date counts from: `due` or `completion`.
    pub repeat_from: RepeatFrom,
    /// The date its schedule started from, if it repeats.
    #[serde(with = "crate::dates::iso_date::option")]
    pub repeat_start: Option<Date>,
    /// Its reminders, canonical (`1d`, `15m`, `2027-03-01T09:00`).
    pub reminders: Vec<String>,
    /// For a completed date of a recurring task: that task's id.
    pub occurrence_of: Option<Uuid>,
    /// Its tags, lower-case, sorted.
    pub tags: Vec<String>,
    /// Its assignee's email, if it has one (an assignee is a member of the list).
    pub assignee: Option<String>,
    /// Its creator's email, while they are a member of the list (a person who left it, or
    /// whose account is gone, is not named: the export shows no more than the app does).
    pub created_by: Option<String>,
    /// When it was made.
    #[serde(with = "crate::dates::moment")]
    pub created_at: Moment,
    /// When it last changed.
    #[serde(with = "crate::dates::moment")]
    pub updated_at: Moment,
    /// When it was done.
    #[serde(with = "crate::dates::moment::option")]
    pub completed_at: Option<Moment>,
    /// When it was put in the trash, if it is there (a task of a list in the trash is not:
    /// its list is).
    #[serde(with = "crate::dates::moment::option")]
    pub trashed_at: Option<Moment>,
}
