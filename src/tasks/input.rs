//! The task forms and the list query as they arrive, and their validation.
//!
//! Inputs arrive as strings and are parsed here, not by serde, so that a bad value is a 422
//! naming its field rather than a generic decoding error.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Assignee, Cursor, Due, ListFilter, Priority, RepeatFrom, Sort, Status, TaskChanges, TaskDraft, limits};
use crate::{
    dates::{parse_date, parse_time},
    error::{AppError, FieldErrors},
    reminders,
};

/// The query of `GET /api/tasks/list`, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// Only this list's tasks; absent or empty: every list the user is a member of.
    #[cfg_attr(feature = "ssr", param(nullable = false, format = Uuid))]
    pub list_id: Option<String>,
    /// `me`, a member's id, or `none` (tasks assigned to nobody).
    #[cfg_attr(feature = "ssr", param(nullable = false, example = "me"))]
    pub assignee: Option<String>,
    /// `all` (default), `active` or `completed`. In every parameter an empty value means the
    /// default, as HTML forms send it.
    #[cfg_attr(
        feature = "ssr",
        param(nullable = false, value_type = Option<String>, pattern = "^(|all|active|completed)$")
    )]
    pub status: Option<String>,
    /// Text searched in titles and descriptions: case-insensitive, a plain substring (`%`
    /// and `_` are ordinary characters); at most 200 characters.
    #[cfg_attr(feature = "ssr", param(nullable = false, max_length = 200))]
    pub q: Option<String>,
    /// `none`, `low`, `medium` or `high`.
    #[cfg_attr(
        feature = "ssr",
        param(nullable = false, value_type = Option<String>, pattern = "^(|none|low|medium|high)$")
    )]
    pub priority: Option<String>,
    /// Only tasks with this tag.
    #[cfg_attr(feature = "ssr", param(nullable = false, max_length = 32))]
    pub tag: Option<String>,
    /// `overdue` (open, due before today), `today`, `upcoming` (after today) or `none`
    /// (no due date); today is the date in the account's time zone.
    #[cfg_attr(
        feature = "ssr",
        param(nullable = false, value_type = Option<String>, pattern = "^(|overdue|today|upcoming|none)$")
    )]
    pub due: Option<String>,
    /// `created` (default), `updated`, `due`, `priority` or `title`. Ties are broken by id.
    #[cfg_attr(
        feature = "ssr",
        param(nullable = false, value_type = Option<String>, pattern = "^(|created|updated|due|priority|title)$")
    )]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[cfg_attr(
        feature = "ssr",
        param(nullable = false, value_type = Option<String>, pattern = "^(|asc|desc)$")
    )]
    pub order: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[cfg_attr(feature = "ssr", param(nullable = false, value_type = Option<i64>, minimum = 1, maximum = 100))]
    pub limit: Option<String>,
    /// Tasks to skip, 0 or more (default 0).
    #[cfg_attr(feature = "ssr", param(nullable = false, value_type = Option<i64>, minimum = 0))]
    pub offset: Option<String>,
    /// Start right after this cursor, the `next_after` of the page before, instead of at an
    /// offset: every page then costs the same, however deep. Same sort and order as that page.
    #[cfg_attr(feature = "ssr", param(nullable = false, max_length = 3648))]
    pub after: Option<String>,
}

/// Reads an optional field, treating an empty value as absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn one_of<T: Copy>(
    fields: &mut FieldErrors,
    name: &str,
    value: &Option<String>,
    choices: &[(&str, T)],
    default: T,
) -> T {
    match present(value) {
        None => default,
        Some(raw) => match choices.iter().find(|(key, _)| *key == raw) {
            Some((_, choice)) => *choice,
            None => {
                let names: Vec<&str> = choices.iter().map(|(k, _)| *k).collect();
                fields.insert(name.into(), format!("Must be one of: {}.", names.join(", ")));
                default
            }
        },
    }
}

fn integer(
    fields: &mut FieldErrors,
    name: &str,
    value: &Option<String>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> i64 {
    match present(value) {
        None => default,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if range.contains(&n) => n,
            _ if *range.end() == i64::MAX => {
                fields.insert(name.into(), format!("Must be a whole number of at least {}.", range.start()));
                default
            }
            _ => {
                fields
                    .insert(name.into(), format!("Must be a whole number from {} to {}.", range.start(), range.end()));
                default
            }
        },
    }
}

impl ListQuery {
    /// Checks every field, reporting each bad one.
    pub fn parse(&self) -> Result<ListFilter, AppError> {
        let mut fields = FieldErrors::new();
        let status = one_of(
            &mut fields,
            "status",
            &self.status,
            &[("all", Status::All), ("active", Status::Active), ("completed", Status::Completed)],
            Status::All,
        );
        let priority = present(&self.priority).and_then(|raw| {
            let parsed = Priority::parse(raw);
            if parsed.is_none() {
                fields.insert("priority".into(), "Must be one of: none, low, medium, high.".into());
            }
            parsed
        });
        let due = present(&self.due).and_then(|raw| {
            let choices =
                [("overdue", Due::Overdue), ("today", Due::Today), ("upcoming", Due::Upcoming), ("none", Due::None)];
            let parsed = choices.iter().find(|(k, _)| *k == raw).map(|(_, d)| *d);
            if parsed.is_none() {
                fields.insert("due".into(), "Must be one of: overdue, today, upcoming, none.".into());
            }
            parsed
        });
        let sort = one_of(
            &mut fields,
            "sort",
            &self.sort,
            &[
                ("created", Sort::Created),
                ("updated", Sort::Updated),
                ("due", Sort::Due),
                ("priority", Sort::Priority),
                ("title", Sort::Title),
            ],
            Sort::Created,
        );
        let ascending = one_of(&mut fields, "order", &self.order, &[("asc", true), ("desc", false)], false);
        let limit = integer(&mut fields, "limit", &self.limit, 1..=limits::LIMIT_MAX, limits::LIMIT_DEFAULT);
        let offset = integer(&mut fields, "offset", &self.offset, 0..=i64::MAX, 0);
        let q = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).and_then(|q| {
            match check_text(q, limits::QUERY_MAX, false) {
                Ok(()) => Some(q.to_lowercase()),
                Err(e) => {
                    fields.insert("q".into(), e);
                    None
                }
            }
        });
        let tag = present(&self.tag).and_then(|raw| match normalize_tag(raw) {
            Ok(tag) => Some(tag),
            Err(e) => {
                fields.insert("tag".into(), e);
                None
            }
        });
        // Cursors are read on the server only (the browser hands them on as it got them).
        #[cfg(not(feature = "ssr"))]
        let after: Option<Cursor> = None;
        #[cfg(feature = "ssr")]
        let after = present(&self.after)
            .and_then(|raw| Cursor::decode(raw, sort, ascending).map_err(|e| fields.insert("after".into(), e)).ok());
        if after.is_some() && offset > 0 {
            fields.insert("offset".into(), "Use either after or offset, not both.".into());
        }
        let list_id = optional_id(present(&self.list_id)).map_err(|e| fields.insert("list_id".into(), e)).ok();
        let assignee = match present(&self.assignee) {
            None => None,
            Some("me") => Some(Assignee::Me),
            Some("none") => Some(Assignee::Nobody),
            Some(raw) => match Uuid::try_parse(raw) {
                Ok(id) => Some(Assignee::User(id)),
                Err(_) => {
                    fields.insert("assignee".into(), "Must be me, none or a member's id.".into());
                    None
                }
            },
        };
        if !fields.is_empty() {
            return Err(AppError::Validation(fields));
        }
        let list_id = list_id.flatten();
        Ok(ListFilter { list_id, assignee, status, q, priority, tag, due, sort, ascending, limit, offset, after })
    }
}

/// Checks a text's length in characters and refuses control characters (newlines and tabs
/// are allowed in multi-line text).
fn check_text(text: &str, max: usize, multiline: bool) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if text.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err("Control characters are not allowed.".into());
    }
    Ok(())
}

/// A trimmed title of 1 to 200 characters.
pub fn normalize_title(raw: &str) -> Result<String, String> {
    let title = raw.trim();
    if title.is_empty() {
        return Err("A task needs a title.".into());
    }
    check_text(title, limits::TITLE_MAX, false)?;
    Ok(title.to_owned())
}

/// A trimmed description of at most 2,000 characters.
pub fn normalize_description(raw: &str) -> Result<String, String> {
    let description = raw.trim();
    check_text(description, limits::DESCRIPTION_MAX, true)?;
    Ok(description.to_owned())
}

/// A priority name; empty means none.
pub fn parse_priority(raw: &str) -> Result<Priority, String> {
    if raw.is_empty() {
        return Ok(Priority::None);
    }
    Priority::parse(raw).ok_or_else(|| "Must be one of: none, low, medium, high.".into())
}

/// A tag: trimmed, lower-cased, 1 to 32 letters, digits, `-` or `_`.
pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let tag = raw.trim().to_lowercase();
    if tag.is_empty() || tag.chars().count() > limits::TAG_MAX {
        return Err(format!("A tag has 1 to {} characters.", limits::TAG_MAX));
    }
    if let Some(bad) = tag.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(format!("Tags may only use letters, digits, - and _ (not {bad:?})."));
    }
    Ok(tag)
}

/// Comma-separated tags: each normalized, duplicates merged, at most 10, sorted.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::with_capacity(limits::TAGS_MAX);
    for part in raw.split(',').filter(|p| !p.trim().is_empty()) {
        let tag = normalize_tag(part)?;
        if !tags.contains(&tag) {
            // Stop at the cap: the list holds at most TAGS_MAX tags, so each check above
            // costs at most that many comparisons, whatever the input's length.
            if tags.len() == limits::TAGS_MAX {
                return Err(format!("A task has at most {} tags.", limits::TAGS_MAX));
            }
            tags.push(tag);
        }
    }
    tags.sort();
    Ok(tags)
}

/// An optional id (of a list or a member); empty or absent is none.
pub fn optional_id(raw: Option<&str>) -> Result<Option<Uuid>, String> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => Uuid::try_parse(raw).map(Some).map_err(|_| "Not a valid id.".into()),
    }
}

/// A task id; a malformed one is a 422 on `id`.
pub fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::try_parse(raw.trim()).map_err(|_| AppError::field("id", "Not a valid task id."))
}

/// `true` or `false`.
#[cfg(feature = "ssr")]
pub(super) fn parse_bool(field: &str, raw: &str) -> Result<bool, AppError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::field(field, "Must be true or false.")),
    }
}

/// The form of `POST /api/tasks/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewTask {
    /// 1 to 200 characters after trimming.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200, example = "Buy milk"))]
    pub title: String,
    /// At most 2,000 characters.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 2000))]
    pub description: Option<String>,
    /// `none` (default), `low`, `medium` or `high`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|none|low|medium|high)$"))]
    pub priority: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    #[cfg_attr(feature = "ssr", schema(nullable = false, example = "2026-12-31"))]
    pub due_date: Option<String>,
    /// `HH:MM` (24-hour, a time on the clock: the same for every member), or empty for none;
    /// needs a due date.
    #[cfg_attr(
        feature = "ssr",
        schema(nullable = false, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:30")
    )]
    pub due_time: Option<String>,
    /// A recurrence rule (RFC 5545 `RRULE`: `FREQ` DAILY, WEEKLY, MONTHLY or YEARLY,
    /// `INTERVAL`, `BYDAY`, `BYMONTHDAY`, `BYMONTH`, `COUNT` or `UNTIL`), or empty for none;
    /// needs a due date.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 200, example = "FREQ=WEEKLY;BYDAY=MO,TH"))]
    pub repeat: Option<String>,
    /// `due` (default: the next date keeps the schedule) or `completion` (it counts from the
    /// day the task is done).
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|due|completion)$"))]
    pub repeat_from: Option<String>,
    /// A rule in words instead of `repeat` (`every 2 weeks on mon, thu`, `every! 3 days`), as
    /// quick add reads it; it wins over `repeat` (and sets `repeat_from=completion` for `every!`).
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 1000, example = "every 2 weeks on mon, thu"))]
    pub repeat_words: Option<String>,
    /// Comma-separated reminders, at most 5: offsets before the due moment (`0m`, `15m`, `2h`,
    /// `1d`, `1w`; the due moment of a task without a due time is 09:00) or local date-times
    /// (`2027-03-01T09:00`); offsets need a due date.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 200, example = "1d,15m"))]
    pub reminders: Option<String>,
    /// Comma-separated tags: at most 10, each 1 to 32 letters, digits, `-` or `_`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, example = "home,errands"))]
    pub tags: Option<String>,
    /// The list to add it to (the user needs to be its owner or an editor); default: the Inbox.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub list_id: Option<String>,
    /// A member of the list to assign it to; empty for nobody.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub assignee_id: Option<String>,
}

/// The error of a due time without a due date.
pub const DUE_TIME_NEEDS_DATE: &str = "A due time needs a due date.";
/// The error of a recurrence rule without a due date.
pub const REPEAT_NEEDS_DATE: &str = "A recurring task needs a due date.";

/// A recurrence rule in its canonical form; empty text means none.
pub fn parse_repeat(raw: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    crate::repeat::Rule::parse(raw).map(|rule| Some(rule.to_string()))
}

/// What a recurring task's next date counts from; empty text means the schedule.
pub fn parse_repeat_from(raw: &str) -> Result<RepeatFrom, String> {
    match raw.trim() {
        "" => Ok(RepeatFrom::Due),
        raw => RepeatFrom::parse(raw).ok_or_else(|| "Must be due or completion.".to_owned()),
    }
}

/// Whether a (canonical) rule can repeat a task due on `due`: it gives a date from there,
/// and counts its dates only on a schedule.
pub fn check_repeat(rule: &str, from: RepeatFrom, due: Option<time::Date>) -> Result<(), String> {
    let Some(due) = due else { return Err(REPEAT_NEEDS_DATE.to_owned()) };
    let rule = crate::repeat::Rule::parse(rule)?;
    if from == RepeatFrom::Completion && matches!(rule.end, crate::repeat::End::Count(_)) {
        return Err("COUNT counts the dates of a schedule: with repeat_from=completion, end by UNTIL.".to_owned());
    }
    if rule.dates(due).next().is_none() {
        return Err("This rule gives no date from the due date on.".to_owned());
    }
    Ok(())
}

/// Collects per-field results into one validation error.
struct Checker(FieldErrors);

impl Checker {
    fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|e| self.0.insert(field.into(), e)).ok()
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, AppError> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(AppError::Validation(self.0)),
        }
    }
}

impl NewTask {
    /// Checks every field, reporting each bad one.
    pub fn parse(&self) -> Result<TaskDraft, AppError> {
        let mut c = Checker(FieldErrors::new());
        let title = c.check("title", normalize_title(&self.title));
        let description =
            c.check("description", normalize_description(self.description.as_deref().unwrap_or_default()));
        let priority = c.check("priority", parse_priority(self.priority.as_deref().unwrap_or_default()));
        let due_date = c.check("due_date", parse_date(self.due_date.as_deref().unwrap_or_default()));
        let due_time = c.check("due_time", parse_time(self.due_time.as_deref().unwrap_or_default()));
        if let (Some(None), Some(Some(_))) = (due_date, due_time) {
            c.check::<()>("due_time", Err(DUE_TIME_NEEDS_DATE.to_owned()));
        }
        let repeat = c.check("repeat", parse_repeat(self.repeat.as_deref().unwrap_or_default()));
        let repeat_from = c.check("repeat_from", parse_repeat_from(self.repeat_from.as_deref().unwrap_or_default()));
        if let (Some(due), Some(Some(rule)), Some(from)) = (due_date, &repeat, repeat_from) {
            c.check("repeat", check_repeat(rule, from, due));
        }
        let reminders = c.check("reminders", reminders::parse_list(self.reminders.as_deref().unwrap_or_default()));
        if let (Some(due), Some(reminders)) = (due_date, &reminders) {
            c.check("reminders", reminders::check(reminders, due));
        }
        let tags = c.check("tags", parse_tags(self.tags.as_deref().unwrap_or_default()));
        let list_id = c.check("list_id", optional_id(self.list_id.as_deref()));
        let assignee = c.check("assignee_id", optional_id(self.assignee_id.as_deref()));
        let draft = (|| {
            Some(TaskDraft {
                list_id: list_id?,
                assignee: assignee?,
                title: title?,
                description: description?,
                priority: priority?,
                due_date: due_date?,
                due_time: due_time?,
                repeat: repeat?,
                repeat_from: repeat_from?,
                reminders: reminders?,
                tags: tags?,
            })
        })();
        c.finish(draft)
    }
}

/// The form of `POST /api/tasks/update`: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskUpdate {
    /// The task's id.
    pub id: String,
    /// A new title, 1 to 200 characters.
    #[cfg_attr(feature = "ssr", schema(nullable = false, min_length = 1, max_length = 200))]
    pub title: Option<String>,
    /// A new description (empty clears it).
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 2000))]
    pub description: Option<String>,
    /// A new priority.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|none|low|medium|high)$"))]
    pub priority: Option<String>,
    /// A new due date, `YYYY-MM-DD`; empty clears it, and its due time with it.
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub due_date: Option<String>,
    /// A new due time, `HH:MM`; empty clears it. The task must have (or get) a due date.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|([01][0-9]|2[0-3]):[0-5][0-9])$"))]
    pub due_time: Option<String>,
    /// A new recurrence rule (as for a new task); empty stops the repeating. The schedule
    /// starts again from the due date when the rule or the date changes.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 200))]
    pub repeat: Option<String>,
    /// `due` or `completion`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|due|completion)$"))]
    pub repeat_from: Option<String>,
    /// A new rule in words (as for a new task), winning over `repeat`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 1000))]
    pub repeat_words: Option<String>,
    /// New reminders (as for a new task), replacing the old ones; empty removes them.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 200))]
    pub reminders: Option<String>,
    /// New comma-separated tags, replacing the old ones; empty clears them.
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub tags: Option<String>,
    /// A list to move it to (the user needs editor rights on both lists).
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub list_id: Option<String>,
    /// A member of its list to assign it to; empty unassigns it.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub assignee_id: Option<String>,
}

impl TaskUpdate {
    /// Checks the id and every field present.
    pub fn parse(&self) -> Result<(Uuid, TaskChanges), AppError> {
        let id = parse_id(&self.id)?;
        let mut c = Checker(FieldErrors::new());
        let changes = TaskChanges {
            title: self.title.as_deref().and_then(|t| c.check("title", normalize_title(t))),
            description: self.description.as_deref().and_then(|d| c.check("description", normalize_description(d))),
            priority: self.priority.as_deref().and_then(|p| c.check("priority", parse_priority(p))),
            due_date: self.due_date.as_deref().and_then(|d| c.check("due_date", parse_date(d))),
            due_time: self.due_time.as_deref().and_then(|t| c.check("due_time", parse_time(t))),
            repeat: self.repeat.as_deref().and_then(|r| c.check("repeat", parse_repeat(r))),
            repeat_from: self.repeat_from.as_deref().and_then(|r| c.check("repeat_from", parse_repeat_from(r))),
            reminders: self.reminders.as_deref().and_then(|r| c.check("reminders", reminders::parse_list(r))),
            tags: self.tags.as_deref().and_then(|t| c.check("tags", parse_tags(t))),
            list_id: self.list_id.as_deref().and_then(|l| c.check("list_id", optional_id(Some(l))).flatten()),
            assignee: self.assignee_id.as_deref().and_then(|a| c.check("assignee_id", optional_id(Some(a)))),
        };
        c.finish(Some((id, changes)))
    }
}

/// A form naming one task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct TaskId {
    /// The task's id.
    #[cfg_attr(feature = "ssr", schema(format = Uuid), param(format = Uuid))]
    pub id: String,
}

/// The form of `POST /api/tasks/set-completed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetCompletedInput {
    /// The task's id.
    #[cfg_attr(feature = "ssr", schema(format = Uuid))]
    pub id: String,
    /// `true` or `false`.
    #[cfg_attr(feature = "ssr", schema(pattern = "^(true|false)$"))]
    pub completed: String,
}

/// The form of `POST /api/tasks/complete-all`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompleteAllInput {
    /// `true` completes every open task, `false` reopens every completed one.
    #[cfg_attr(feature = "ssr", schema(pattern = "^(true|false)$"))]
    pub completed: String,
    /// Only in this list; absent or empty: in every list the user may edit.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub list_id: Option<String>,
}

/// The lists a call applies to (`tags`, `clear-completed`): one, or all of the user's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListScope {
    /// One list; absent or empty: every list of the user's (for a change: that they may edit).
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid), param(nullable = false, format = Uuid))]
    pub list_id: Option<String>,
}

impl ListScope {
    /// The list, if one is named.
    pub fn parse(&self) -> Result<Option<Uuid>, AppError> {
        optional_id(self.list_id.as_deref()).map_err(|e| AppError::field("list_id", e))
    }
}

#[cfg(test)]
mod tests;
