//! What a file says to create, checked row by row: the lists, the tasks, and every problem
//! found on the way, with its row. The readers build it; [`super::store`] applies it.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{LISTED_MAX, Problem};
use crate::{
    error::AppError,
    tasks::{TaskDraft, input::NewTask},
};

/// A list of the file: one of the person's lists of that name where they may edit (their
/// Inbox for the Inbox), or a new one of theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedList {
    /// Its name (`Inbox` for the Inbox).
    pub name: String,
    /// Whether it is the Inbox.
    pub inbox: bool,
    /// Whether it is in the trash.
    pub trashed: bool,
    /// Whether the person hears the reminders of its unassigned tasks (for a new list).
    pub reminders: bool,
    /// Whether the file lists it (a Doable file's `lists`): made even without a task, as an
    /// empty list of the export. A list only rows name is made only for a row it gets.
    pub explicit: bool,
}

/// A row's import key: a SHA-256 of what identifies the row in its file.
pub type Key = [u8; 32];

/// A task to create.
#[derive(Debug, Clone)]
pub struct Row {
    /// Where it is in the file, for messages.
    pub row: u64,
    /// Its import key.
    pub key: Key,
    /// Its list, an index of [`Plan::lists`].
    pub list: usize,
    /// Its fields, checked as a new task's are.
    pub draft: TaskDraft,
    /// What else the file says of it.
    pub extras: Extras,
}

/// Everything a file says to create, and what is wrong with it.
#[derive(Debug, Default)]
pub struct Plan {
    pub lists: Vec<PlannedList>,
    pub rows: Vec<Row>,
    pub errors: Vec<Problem>,
    pub error_count: u64,
    pub warnings: Vec<Problem>,
    pub warning_count: u64,
    /// How many rows had each content key so far ([`Plan::content_key`]).
    seen: HashMap<Key, u32>,
    /// The row of each key taken, so that a file naming one id twice is refused.
    taken: HashMap<Key, u64>,
    /// The lists by name (lower-cased) and whether they are in the trash.
    by_name: HashMap<(String, bool), usize>,
    inbox: Option<usize>,
}

/// What a row says beside a new task's fields.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Its id in the file, if it has one: a task of this id that the person can see is
    /// already here (they import their own export), and is not made again.
    pub source_id: Option<Uuid>,
    /// Whether it is assigned to the person importing.
    pub assign_me: bool,
    /// Whether it is done.
    pub completed: bool,
    /// When it was made, changed and done, as the file says (now, otherwise).
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
    /// When it was put in the trash, for a task in the trash.
    pub trashed_at: Option<OffsetDateTime>,
    /// The date its schedule started from, for a recurring task.
    pub repeat_start: Option<Date>,
    /// For a completed date of a recurring task: the file's id of that task.
    pub occurrence_of: Option<Uuid>,
}

impl Plan {
    /// Notes an error: the import will change nothing.
    pub fn error(&mut self, row: Option<u64>, field: Option<&str>, message: impl Into<String>) {
        self.error_count += 1;
        if self.errors.len() < LISTED_MAX {
            self.errors.push(Problem { row, field: field.map(str::to_owned), message: message.into() });
        }
    }

    /// Notes a warning: the row is imported, otherwise than its file says.
    pub fn warn(&mut self, row: Option<u64>, field: Option<&str>, message: impl Into<String>) {
        self.warning_count += 1;
        if self.warnings.len() < LISTED_MAX {
            self.warnings.push(Problem { row, field: field.map(str::to_owned), message: message.into() });
        }
    }

    /// A plan that is only this error.
    pub fn refused(message: impl Into<String>) -> Self {
        let mut plan = Self::default();
        plan.error(None, None, message);
        plan
    }

    /// The index of the list of this name (the Inbox for `inbox`), added on first use.
    pub fn list(&mut self, name: &str, inbox: bool, trashed: bool, reminders: bool) -> usize {
        let found = if inbox { self.inbox } else { self.by_name.get(&(name.to_lowercase(), trashed)).copied() };
        if let Some(at) = found {
            return at;
        }
        let at = self.lists.len();
        if inbox {
            self.inbox = Some(at);
        } else {
            self.by_name.insert((name.to_lowercase(), trashed), at);
        }
        let name = if inbox { "Inbox".to_owned() } else { name.to_owned() };
        self.lists.push(PlannedList { name, inbox, trashed, reminders, explicit: false });
        at
    }

    /// The list a CSV row names: the Inbox for none (or `Inbox`), an error for a bad name.
    pub fn named_list(&mut self, row: u64, field: &str, name: &str) -> Option<usize> {
        let name = name.trim();
        if name.is_empty() || name.eq_ignore_ascii_case("inbox") {
            return Some(self.list("Inbox", true, false, true));
        }
        match crate::lists::input::normalize_list_name(name) {
            Ok(name) => Some(self.list(&name, false, false, true)),
            Err(message) => {
                self.error(Some(row), Some(field), message);
                None
            }
        }
    }

    /// Checks a row's fields as `POST /api/tasks/create` would, and adds it as a task of
    /// list `list`, or its errors (each field's, named as the file names it: `rename`).
    pub fn task(
        &mut self,
        row: u64,
        key: Key,
        list: usize,
        fields: &NewTask,
        extras: Extras,
        rename: fn(&str) -> &str,
    ) {
        if let Some(first) = self.taken.insert(key, row) {
            self.error(Some(row), Some("id"), format!("The same task as on row {first}: a task is imported once."));
            return;
        }
        let kept = time::Duration::days(crate::trash::KEPT_DAYS);
        if extras.trashed_at.is_some_and(|at| at < OffsetDateTime::now_utc() - kept) {
            self.warn(
                Some(row),
                Some("trashed_at"),
                format!("In the trash for over {} days, the most it keeps a task: left out.", crate::trash::KEPT_DAYS),
            );
            return;
        }
        match fields.parse() {
            Ok(draft) => {
                let extras = Extras {
                    repeat_start: extras
                        .repeat_start
                        .filter(|start| draft.repeat.is_some() && draft.due_date.is_some_and(|due| *start <= due)),
                    completed_at: extras.completed_at.filter(|_| extras.completed),
                    ..extras
                };
                self.rows.push(Row { row, key, list, draft, extras });
            }
            Err(AppError::Validation(fields)) => {
                for (field, message) in fields {
                    self.error(Some(row), Some(rename(&field)), message);
                }
            }
            Err(other) => self.error(Some(row), None, other.to_string()),
        }
    }

    /// A key from what a row says (for a row without an id of its own): two rows saying the
    /// same in one file are two tasks, the second with a key of its own.
    pub fn content_key(&mut self, parts: &[&str]) -> Key {
        let base = key(parts);
        let seen = self.seen.entry(base).or_default();
        *seen += 1;
        if *seen == 1 { base } else { key(&[&crate::hex::encode(&base), &seen.to_string()]) }
    }
}

/// Text from the file in a message: quoted, at most 40 characters of it (a message quotes,
/// it does not copy a whole cell, which may be megabytes long).
pub fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(40).collect();
    if quoted.len() < text.len() {
        quoted.push('…');
    }
    format!("{quoted:?}")
}

/// The key of these parts, each with its length (so that no two lists of parts give the same
/// bytes).
pub fn key(parts: &[&str]) -> Key {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

/// The key of a task with an id of Doable's (the same from its JSON and its CSV export).
pub fn id_key(id: Uuid) -> Key {
    key(&["doable", &id.to_string()])
}

/// An RFC 3339 moment; empty is none.
pub fn moment(raw: &str) -> Result<Option<OffsetDateTime>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(Some)
        .map_err(|_| "Not a moment: write it as 2026-12-31T09:30:00Z (RFC 3339).".to_owned())
}

/// `true` or `false`; empty is false.
pub fn flag(raw: &str) -> Result<bool, String> {
    match raw.trim() {
        "" | "false" => Ok(false),
        "true" => Ok(true),
        _ => Err("Must be true or false.".to_owned()),
    }
}

/// An id; empty is none.
pub fn id(raw: &str) -> Result<Option<Uuid>, String> {
    crate::tasks::input::optional_id(Some(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_parts_differ_and_repeated_rows_get_keys_of_their_own() {
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        let mut plan = Plan::default();
        let first = plan.content_key(&["Buy milk"]);
        let second = plan.content_key(&["Buy milk"]);
        assert_ne!(first, second);
        // The same file read again gives the same keys, in the same order.
        let mut again = Plan::default();
        assert_eq!([again.content_key(&["Buy milk"]), again.content_key(&["Buy milk"])], [first, second]);
    }

    #[test]
    fn lists_are_matched_by_name_whatever_the_case() {
        let mut plan = Plan::default();
        let home = plan.list("Home", false, false, true);
        assert_eq!(plan.list("home", false, false, true), home);
        assert_ne!(plan.list("Home", false, true, true), home, "a trashed list is another");
        assert_eq!(plan.named_list(2, "list", "inbox"), plan.named_list(3, "list", ""));
    }

    #[test]
    fn a_task_named_twice_is_refused_and_long_text_is_quoted_short() {
        let mut plan = Plan::default();
        let fields = NewTask { title: "Once".into(), ..NewTask::default() };
        let id = Uuid::now_v7();
        plan.task(2, id_key(id), 0, &fields, Extras::default(), |f| f);
        plan.task(7, id_key(id), 0, &fields, Extras::default(), |f| f);
        assert_eq!(plan.rows.len(), 1);
        let error = &plan.errors[0];
        assert_eq!(
            (error.row, error.message.as_str()),
            (Some(7), "The same task as on row 2: a task is imported once.")
        );
        assert_eq!(quote(&"x".repeat(1000)), format!("\"{}…\"", "x".repeat(40)));
        assert_eq!(quote("<b>"), "\"<b>\"");
    }

    #[test]
    fn errors_are_counted_beyond_those_listed() {
        let mut plan = Plan::default();
        for row in 0..150 {
            plan.error(Some(row), None, "bad");
        }
        assert_eq!((plan.errors.len(), plan.error_count), (LISTED_MAX, 150));
    }
}
