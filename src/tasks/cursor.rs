//! Keyset cursors (`after=`): where a page of the task list ended, so that the next page
//! starts right after it however many tasks come before, where an offset makes the database
//! count off every task it skips.
//!
//! A cursor is opaque to clients: the hex of a small JSON object with the sort, the order, the
//! last task's sort key and its id. It is checked like every other input: one that does not
//! decode, or was made for another sort or order, is refused (422 on `after`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Cursor, Key, Sort};
use crate::{dates, hex};

/// The longest cursor accepted, in characters: a title key of 200 characters of four bytes
/// each, in hex, with room for the rest.
pub const CURSOR_MAX: usize = 2 * 1024 + 200 * 4 * 2;

/// A cursor as it travels, before hex.
#[derive(Serialize, Deserialize)]
struct Wire {
    /// Sort name.
    s: String,
    /// Ascending.
    a: bool,
    /// Time or priority key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<i64>,
    /// Title key, or the due date as `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<String>,
    /// Task id.
    i: Uuid,
}

fn sort_name(sort: Sort) -> &'static str {
    match sort {
        Sort::Created => "created",
        Sort::Updated => "updated",
        Sort::Due => "due",
        Sort::Priority => "priority",
        Sort::Title => "title",
    }
}

impl Cursor {
    /// The cursor as clients see it.
    pub fn encode(&self) -> String {
        let (n, t) = match &self.key {
            Key::Time(micros) => (Some(*micros), None),
            Key::Priority(rank) => (Some(i64::from(*rank)), None),
            Key::Title(title) => (None, Some(title.clone())),
            Key::Due(date) => (None, date.map(|d| d.to_string())),
        };
        let wire = Wire { s: sort_name(self.sort).to_owned(), a: self.ascending, n, t, i: self.id };
        hex::encode(serde_json::to_string(&wire).unwrap_or_default().as_bytes())
    }

    /// Reads a cursor made for `sort` and `ascending`; the error is the message for `after`.
    pub fn decode(text: &str, sort: Sort, ascending: bool) -> Result<Self, String> {
        let invalid = || "Not a cursor of this list: use the next_after of the previous page.".to_owned();
        let bytes = hex::decode(text, CURSOR_MAX).ok_or_else(invalid)?;
        let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if wire.s != sort_name(sort) || wire.a != ascending {
            return Err("This cursor was made for another sort or order.".into());
        }
        let key = match (sort, wire.n, wire.t) {
            (Sort::Created | Sort::Updated, Some(micros), None) => Key::Time(micros),
            (Sort::Priority, Some(rank), None) => Key::Priority(i16::try_from(rank).map_err(|_| invalid())?),
            (Sort::Title, None, Some(title)) => Key::Title(title),
            (Sort::Due, None, None) => Key::Due(None),
            (Sort::Due, None, Some(date)) => {
                Key::Due(Some(dates::parse_date(&date).ok().flatten().ok_or_else(invalid)?))
            }
            _ => return Err(invalid()),
        };
        Ok(Self { sort, ascending, key, id: wire.i })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_in_their_own_sort_only() {
        let id = Uuid::now_v7();
        for (sort, key) in [
            (Sort::Created, Key::Time(1_764_633_600_000_000)),
            (Sort::Priority, Key::Priority(3)),
            (Sort::Title, Key::Title("\"quoted\" ünïcode, <b>".into())),
            (Sort::Due, Key::Due(Some(time::macros::date!(2026 - 12 - 31)))),
            (Sort::Due, Key::Due(None)),
        ] {
            let cursor = Cursor { sort, ascending: true, key, id };
            let text = cursor.encode();
            assert!(text.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
            assert_eq!(Cursor::decode(&text, sort, true), Ok(cursor));
            assert!(Cursor::decode(&text, sort, false).is_err());
        }
        let created = Cursor { sort: Sort::Created, ascending: false, key: Key::Time(1), id }.encode();
        assert!(Cursor::decode(&created, Sort::Updated, false).is_err());
        assert!(Cursor::decode(&created, Sort::Title, false).is_err());
    }

    #[test]
    fn broken_cursors_are_refused() {
        for text in ["", "zz", "7b7d", &hex::encode(br#"{"s":"priority","a":true,"n":99999,"i":"x"}"#)] {
            assert!(Cursor::decode(text, Sort::Priority, true).is_err(), "{text}");
        }
        let too_big = hex::encode(format!(r#"{{"s":"priority","a":true,"n":99999,"i":"{}"}}"#, Uuid::nil()).as_bytes());
        assert!(Cursor::decode(&too_big, Sort::Priority, true).is_err());
    }
}
