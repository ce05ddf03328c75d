//! The inputs of the notifications API, as they arrive, and their validation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PAGE_DEFAULT, PAGE_MAX};
use crate::error::{AppError, FieldErrors};

/// The query of `GET /api/notifications/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct NotificationQuery {
    /// `true`: only the unread ones.
    #[cfg_attr(feature = "ssr", param(nullable = false, pattern = "^(|true|false)$"))]
    pub unread: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[cfg_attr(feature = "ssr", param(nullable = false, pattern = "^[0-9]{1,3}$"))]
    pub limit: Option<String>,
    /// Only those older than this notification (the `next_before` of the page before).
    #[cfg_attr(feature = "ssr", param(nullable = false, format = Uuid))]
    pub before: Option<String>,
}

/// A valid [`NotificationQuery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Only the unread ones.
    pub unread: bool,
    /// Page size.
    pub limit: i64,
    /// Older than this one.
    pub before: Option<Uuid>,
}

/// The form of `POST /api/notifications/read`: one notification, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReadInput {
    /// The notification to mark read.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub id: Option<String>,
    /// `true`: mark every notification read (instead of `id`).
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|true|false)$"))]
    pub all: Option<String>,
}

fn flag(raw: Option<&str>, field: &str, errors: &mut FieldErrors) -> bool {
    match raw.map(str::trim).unwrap_or_default() {
        "" | "false" => false,
        "true" | "on" => true,
        _ => {
            errors.insert(field.into(), "Must be true or false.".into());
            false
        }
    }
}

fn id(raw: Option<&str>, field: &str, errors: &mut FieldErrors) -> Option<Uuid> {
    let raw = raw.map(str::trim).filter(|raw| !raw.is_empty())?;
    Uuid::parse_str(raw).map_err(|_| errors.insert(field.into(), "Must be a notification's id.".into())).ok()
}

impl NotificationQuery {
    /// Checks the query.
    pub fn parse(&self) -> Result<Page, AppError> {
        let mut errors = FieldErrors::new();
        let unread = flag(self.unread.as_deref(), "unread", &mut errors);
        let before = id(self.before.as_deref(), "before", &mut errors);
        let limit = match self.limit.as_deref().map(str::trim).unwrap_or_default() {
            "" => PAGE_DEFAULT,
            raw => match raw.parse::<i64>() {
                Ok(n) if (1..=PAGE_MAX).contains(&n) => n,
                _ => {
                    errors.insert("limit".into(), format!("Must be a number from 1 to {PAGE_MAX}."));
                    PAGE_DEFAULT
                }
            },
        };
        if errors.is_empty() { Ok(Page { unread, limit, before }) } else { Err(AppError::Validation(errors)) }
    }
}

impl ReadInput {
    /// `Some(id)` for one notification, `None` for all of them.
    pub fn parse(&self) -> Result<Option<Uuid>, AppError> {
        let mut errors = FieldErrors::new();
        let all = flag(self.all.as_deref(), "all", &mut errors);
        let id = id(self.id.as_deref(), "id", &mut errors);
        match (errors.is_empty(), all, id) {
            (true, false, Some(id)) => Ok(Some(id)),
            (true, true, None) => Ok(None),
            (true, true, Some(_)) => Err(AppError::field("id", "Name one notification, or all=true, not both.")),
            (true, false, None) => Err(AppError::field("id", "Name a notification, or all=true.")),
            (false, ..) => Err(AppError::Validation(errors)),
        }
    }
}
