//! Notifications: what a person is told, in the app and (when the host set up email) by email.
//! Today these are the reminders of tasks ([`crate::reminders`]).
//!
//! - this module: the types the API speaks ([`Notification`], [`Notifications`]);
//! - [`input`]: the query and the form of the API, and their checks;
//! - [`store`]: the SQL: reading and marking them, and sending queued reminders (each claimed
//!   and written as a notification in one transaction, so each is sent once however many
//!   servers sweep, and those that came due while no server ran are sent at the next start,
//!   marked late);
//! - [`sweep`]: the loops that send reminders and emails, beside the server;
//! - [`mail`]: the emails, through the host's SMTP server;
//! - [`api`]: `GET /api/notifications/list`, `POST /api/notifications/read`;
//! - [`ui`]: the page `/notifications` and the header's unread count.

use serde::{Deserialize, Serialize};
use time::{Date, Time};
use uuid::Uuid;

use crate::dates::Moment;

pub mod api;
pub mod input;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod sweep;
pub mod ui;

pub use api::{ListNotifications, ReadNotifications, list_notifications, read_notifications};
pub use input::{NotificationQuery, ReadInput};

/// Most notifications in one page.
pub const PAGE_MAX: i64 = 100;
/// How many a page has unless asked otherwise.
pub const PAGE_DEFAULT: i64 = 50;
/// Unread notifications are counted up to this many.
pub const UNREAD_COUNTED: i64 = 1000;
/// How long a notification is kept (read or not).
pub const KEPT_DAYS: i64 = 90;

/// Something a person was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    /// Its id (newer notifications have greater ids).
    pub id: Uuid,
    /// What it is about: `reminder`.
    pub kind: String,
    /// The task it reminds of; `null` once that task is gone.
    pub task_id: Option<Uuid>,
    /// The task's list.
    pub list_id: Option<Uuid>,
    /// The task's title when the reminder fired.
    pub title: String,
    /// The reminder, canonical (`15m`, `1d`, `2027-03-01T09:00`).
    pub reminder: String,
    /// The reminder in words (`15 minutes before`).
    pub reminder_text: String,
    /// The task's due date when the reminder fired, if it had one.
    #[serde(with = "crate::dates::iso_date::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub due_date: Option<Date>,
    /// The task's due time (`HH:MM`), if it had one.
    #[serde(default, with = "crate::dates::hh_mm_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, example = "09:30"))]
    pub due_time: Option<Time>,
    /// When the reminder was due to fire (RFC 3339, UTC).
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub remind_at: Moment,
    /// Whether it was sent late: it came due while no server was running.
    pub late: bool,
    /// When it was sent.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Moment,
    /// Whether the person has read it.
    pub read: bool,
}

/// A page of a person's notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notifications {
    /// The notifications of this page.
    pub notifications: Vec<Notification>,
    /// How many of the person's notifications are unread, counted up to 1,000.
    pub unread: i64,
    /// The `before` of the next page, if there is one.
    pub next_before: Option<Uuid>,
}

/// The answer of marking notifications read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MarkedRead {
    /// How many were unread and are now read.
    pub read: u64,
    /// How many are still unread, counted up to 1,000.
    pub unread: i64,
}
