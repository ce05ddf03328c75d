//! The query of `GET /api/lists/history` as it arrives, and its validation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PAGE_DEFAULT, PAGE_MAX};
use crate::error::{AppError, FieldErrors};

/// The query of `GET /api/lists/history`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct HistoryQuery {
    /// The list's id.
    #[cfg_attr(feature = "ssr", param(format = Uuid))]
    pub id: String,
    /// How many events (1 to 100; 50 when absent).
    #[serde(default)]
    pub limit: Option<String>,
    /// Only events older than this id (a page's `next_before`).
    #[serde(default)]
    pub before: Option<String>,
}

/// A valid history query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    /// The list.
    pub list_id: Uuid,
    /// How many events.
    pub limit: i64,
    /// Events older than this id only.
    pub before: Option<i64>,
}

impl HistoryQuery {
    /// The page asked for, or every field that is wrong.
    pub fn parse(&self) -> Result<HistoryPage, AppError> {
        let mut fields = FieldErrors::new();
        let list_id = Uuid::try_parse(self.id.trim()).ok();
        if list_id.is_none() {
            fields.insert("id".into(), "Not a valid id.".into());
        }
        let limit = match self.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => Some(PAGE_DEFAULT),
            Some(raw) => raw.parse::<i64>().ok().filter(|l| (1..=PAGE_MAX).contains(l)),
        };
        if limit.is_none() {
            fields.insert("limit".into(), format!("Must be a whole number from 1 to {PAGE_MAX}."));
        }
        let before = match self.before.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            None => Some(None),
            Some(raw) => raw.parse::<i64>().ok().filter(|b| *b > 0).map(Some),
        };
        if before.is_none() {
            fields.insert("before".into(), "Must be an event id from an earlier page.".into());
        }
        match (list_id, limit, before) {
            (Some(list_id), Some(limit), Some(before)) if fields.is_empty() => {
                Ok(HistoryPage { list_id, limit, before })
            }
            _ => Err(AppError::Validation(fields)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(id: &str, limit: Option<&str>, before: Option<&str>) -> HistoryQuery {
        HistoryQuery { id: id.into(), limit: limit.map(Into::into), before: before.map(Into::into) }
    }

    #[test]
    fn a_page_defaults_to_fifty_of_the_newest() {
        let id = Uuid::now_v7();
        let page = query(&id.to_string(), None, Some("")).parse().unwrap();
        assert_eq!(page, HistoryPage { list_id: id, limit: 50, before: None });
        let page = query(&id.to_string(), Some("100"), Some("7")).parse().unwrap();
        assert_eq!((page.limit, page.before), (100, Some(7)));
    }

    #[test]
    fn bad_fields_are_each_named() {
        let Err(AppError::Validation(fields)) = query("nope", Some("0"), Some("-1")).parse() else { panic!() };
        assert_eq!(fields.keys().map(String::as_str).collect::<Vec<_>>(), ["before", "id", "limit"]);
        for limit in ["101", "x", "1.5", "99999999999999999999"] {
            let id = Uuid::now_v7().to_string();
            assert!(query(&id, Some(limit), None).parse().is_err(), "{limit}");
        }
    }
}
