//! What `GET /api/tasks/parse` and `POST /api/tasks/quick-add` speak.

use serde::{Deserialize, Serialize};
use time::{Date, Time};

use super::{Parsed, PartKind, parse};
use crate::{
    error::AppError,
    tasks::{NewTask, Priority, RepeatFrom},
};

/// Longest line quick add reads, in characters: a title (200) with room for its phrases.
pub const TEXT_MAX: usize = 1000;

/// The query of `GET /api/tasks/parse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct LineQuery {
    /// The line, as typed: at most 1,000 characters.
    #[cfg_attr(feature = "ssr", param(example = "Pay rent every month on the 1st #home !high"))]
    pub text: String,
}

/// The form of `POST /api/tasks/quick-add`: the line, and the fields a form may give beside
/// it. A field given here wins over what the line says (tags are merged), except `priority`
/// `none` and `repeat_from` `due`, the defaults a form's menus send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuickAddInput {
    /// The line, as typed: at most 1,000 characters, leaving a title of 1 to 200.
    #[cfg_attr(feature = "ssr", schema(max_length = 1000, example = "Pay rent every month on the 1st #home !high"))]
    pub text: String,
    /// The list to add it to (the user needs to be its owner or an editor); default: the Inbox.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub list_id: Option<String>,
    /// As in `POST /api/tasks/create`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 2000))]
    pub description: Option<String>,
    /// As in `POST /api/tasks/create`; wins over the line's.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|none|low|medium|high)$"))]
    pub priority: Option<String>,
    /// As in `POST /api/tasks/create`; wins over the line's.
    #[cfg_attr(feature = "ssr", schema(nullable = false, example = "2026-12-31"))]
    pub due_date: Option<String>,
    /// As in `POST /api/tasks/create`; wins over the line's.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub due_time: Option<String>,
    /// As in `POST /api/tasks/create`; wins over the line's.
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 200))]
    pub repeat: Option<String>,
    /// As in `POST /api/tasks/create`; wins over the line's.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|due|completion)$"))]
    pub repeat_from: Option<String>,
    /// Comma-separated, as in `POST /api/tasks/create`; added to the line's `#tags`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, example = "home,errands"))]
    pub tags: Option<String>,
    /// Reminders, as in `POST /api/tasks/create` (the line has no words for them).
    #[cfg_attr(feature = "ssr", schema(nullable = false, max_length = 200, example = "1d,15m"))]
    pub reminders: Option<String>,
}

impl QuickAddInput {
    /// The task the line and the other fields describe, on the person's `today`; a line too
    /// long is a 422 on `text`.
    pub fn task(&self, today: Date) -> Result<NewTask, AppError> {
        let parsed = parse(checked(&self.text)?, today);
        let given = |field: &Option<String>| field.clone().filter(|v| !v.trim().is_empty());
        let or_line = |field: &Option<String>, line: Option<String>| given(field).or(line);
        let tags: Vec<String> = parsed.tags.iter().cloned().chain(given(&self.tags)).collect();
        Ok(NewTask {
            title: parsed.title,
            description: self.description.clone(),
            // A menu left at its default (a form's "No priority", "the schedule") leaves the line's.
            priority: or_line(
                &self.priority.clone().filter(|p| p != Priority::None.as_str()),
                parsed.priority.map(|p| p.as_str().to_owned()),
            ),
            due_date: or_line(&self.due_date, parsed.due_date.map(|d| d.to_string())),
            due_time: or_line(&self.due_time, parsed.due_time.map(crate::dates::time_text)),
            repeat: or_line(&self.repeat, parsed.repeat),
            // The line is the rule's words.
            repeat_words: None,
            repeat_from: or_line(
                &self.repeat_from.clone().filter(|r| r != RepeatFrom::Due.as_str()),
                Some(parsed.repeat_from).filter(|r| *r != RepeatFrom::Due).map(|r| r.as_str().to_owned()),
            ),
            reminders: given(&self.reminders),
            tags: Some(tags.join(",")),
            list_id: self.list_id.clone(),
            assignee_id: None,
        })
    }
}

/// A refusal of the task a line describes: what it said of the title, it says of `text`.
pub fn refused_line(error: AppError) -> AppError {
    match error {
        AppError::Validation(mut fields) => {
            if let Some(message) = fields.remove("title") {
                fields.insert("text".to_owned(), message);
            }
            AppError::Validation(fields)
        }
        other => other,
    }
}

/// Puts a rule given in words (`repeat_words` of the task forms and `create`/`update`) in
/// place of `repeat` (and `repeat_from`, for `every!`), read on the person's `today`; nothing
/// when the field is absent or empty. Words that are not one rule are a 422 on `repeat_words`.
pub fn repeat_from_words(
    words: Option<&str>,
    today: Date,
    repeat: &mut Option<String>,
    repeat_from: &mut Option<String>,
) -> Result<(), AppError> {
    let Some(words) = words.map(str::trim).filter(|w| !w.is_empty()) else { return Ok(()) };
    let shown: String = words.chars().take(60).collect();
    let Some((rule, from)) = checked(words).ok().and_then(|words| super::repeat_in_words(words, today)) else {
        return Err(AppError::field(
            "repeat_words",
            format!(
                "`{shown}` is not a repeat rule: try every 2 weeks on mon, thu, or every month on the last friday."
            ),
        ));
    };
    *repeat = Some(rule);
    // `every!` counts from the completion; other words keep the schedule unless told otherwise.
    if from == RepeatFrom::Completion || repeat_from.as_deref().is_none_or(|r| r.trim().is_empty()) {
        *repeat_from = Some(from.as_str().to_owned());
    }
    Ok(())
}

/// `text`, if it is at most [`TEXT_MAX`] characters.
pub fn checked(text: &str) -> Result<&str, AppError> {
    if text.chars().count() > TEXT_MAX {
        return Err(AppError::field("text", format!("A line has at most {TEXT_MAX} characters.")));
    }
    Ok(text)
}

/// What a line means, as `GET /api/tasks/parse` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ParsedLine {
    /// The title: what is left of the line (the whole line when nothing else would be left).
    pub title: String,
    /// The due date the line gives (a repeating task's first date, today for a time alone).
    #[serde(with = "crate::dates::iso_date::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
    pub due_date: Option<Date>,
    /// The due time the line gives (`HH:MM`).
    #[serde(default, with = "crate::dates::hh_mm_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, example = "09:30"))]
    pub due_time: Option<Time>,
    /// The repeat rule (canonical `RRULE`).
    pub repeat: Option<String>,
    /// The rule in words.
    pub repeat_text: Option<String>,
    /// What the next date counts from: `completion` after `every!`.
    pub repeat_from: RepeatFrom,
    /// The priority the line gives.
    pub priority: Option<Priority>,
    /// The tags the line gives, lower case, in the line's order.
    pub tags: Vec<String>,
    /// The phrases understood, in the line's order.
    pub parts: Vec<LinePart>,
}

/// A phrase of the line that was understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LinePart {
    /// What it sets.
    pub kind: PartKind,
    /// Its words, as typed.
    pub text: String,
    /// Where it starts in the line, in characters (Unicode scalar values) from 0.
    pub start: usize,
    /// Where it ends (exclusive), in characters.
    pub end: usize,
}

impl ParsedLine {
    /// The answer for `text`, as [`parse`] read it.
    pub fn new(text: &str, parsed: Parsed) -> Self {
        let chars = |bytes: usize| text[..bytes].chars().count();
        let parts = parsed
            .parts
            .iter()
            .map(|p| LinePart {
                kind: p.kind,
                text: text[p.start..p.end].to_owned(),
                start: chars(p.start),
                end: chars(p.end),
            })
            .collect();
        Self {
            repeat_text: crate::tasks::repeat_text(parsed.repeat.as_deref()),
            title: parsed.title,
            due_date: parsed.due_date,
            due_time: parsed.due_time,
            repeat: parsed.repeat,
            repeat_from: parsed.repeat_from,
            priority: parsed.priority,
            tags: parsed.tags,
            parts,
        }
    }
}
