//! The calendar feed: a secret address (`/calendar/<secret>.ics`) that calendar apps subscribe
//! to, with an event for each dated open task of the person's lists (RFC 5545).
//!
//! - this module: what the API speaks ([`FeedAddress`]);
//! - [`store`]: the SQL: the secret, and the tasks of a feed;
//! - [`feed`]: the feed itself, written with the `ics` crate, and its handler (`ETag`, 304);
//! - [`api`]: `GET /api/calendar/link`, `POST /api/calendar/enable`, `/rotate`, `/disable`;
//! - [`ui`]: the calendar card of `/account`.

use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod feed;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{
    CalendarLink, DisableCalendar, EnableCalendar, RotateCalendar, calendar_link, disable_calendar, enable_calendar,
    rotate_calendar,
};

/// Most events in a feed: the latest-due open tasks (those due soonest in the past drop out
/// first when there are more).
pub const EVENTS_MAX: i64 = 5000;

/// The feed's address, while it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedAddress {
    /// The address to subscribe to (`https://.../calendar/<secret>.ics`); `null` while the
    /// feed is off. Anyone who has it can read the feed: rotate it if it leaks.
    pub url: Option<String>,
}

/// The form of `POST /api/calendar/enable` and `/rotate`: a new address is a credential, so
/// it is confirmed with the account's password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConfirmInput {
    /// The account's password.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Password))]
    pub password: Option<String>,
}

/// Whether `text` has the shape of a feed secret (43 base64url characters).
pub fn looks_like_secret(text: &str) -> bool {
    text.len() == 43 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
