//! Reminders: when a task's people hear of it before it is due.
//!
//! A task has up to [`MAX`] reminders, each an offset before its due moment (`15m`, `2h`,
//! `1d`, `1w`; `0m` is the moment itself) or a date and time on the clock
//! (`2027-03-01T09:00`). The due moment is the due date at its due time, or at [`DAY_START`]
//! for a task due on a date without a time. Both are read in the time zone of the person
//! reminded: 09:00 is nine in the morning for each member. A recurring task's offsets follow
//! it to each new date; a reminder at a fixed time fires once.
//!
//! This module is what the forms and the API speak (shared with the WASM, small); the server
//! keeps the queue in [`schedule`] and sends them from `notifications`.

use std::fmt;

use time::{Date, PrimitiveDateTime, Time};

#[cfg(feature = "ssr")]
pub mod schedule;

/// Most reminders on one task.
pub const MAX: usize = 5;
/// Longest offset: four weeks, in minutes.
pub const OFFSET_MAX: u32 = 4 * 7 * 24 * 60;
/// The due moment of a task due on a date without a time: nine in the morning.
pub const DAY_START: Time = time::macros::time!(09:00);
/// Longest reminders text accepted, in bytes (five date-times and their commas, with room).
pub const TEXT_MAX: usize = 200;

/// One reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reminder {
    /// This many minutes before the due moment.
    Before(u32),
    /// At this date and time on the clock.
    At(PrimitiveDateTime),
}

impl Reminder {
    /// A reminder as the API writes it: `15m`, `2h`, `1d`, `1w` or `2027-03-01T09:00`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let shown: String = raw.chars().take(20).collect();
        let invalid = || {
            format!(
                "`{shown}` is not a reminder: use an offset before the due time (15m, 2h, 1d, 1w) or 2027-03-01T09:00."
            )
        };
        if let Some((date, clock)) = raw.split_once(['T', 't', ' ']) {
            let date = crate::dates::parse_date(date).ok().flatten().ok_or_else(invalid)?;
            let clock = crate::dates::parse_time(clock).ok().flatten().ok_or_else(invalid)?;
            return Ok(Self::At(PrimitiveDateTime::new(date, clock)));
        }
        let unit = raw.chars().last().ok_or_else(invalid)?;
        let number = &raw[..raw.len() - unit.len_utf8()];
        let per = match unit.to_ascii_lowercase() {
            'm' => 1,
            'h' => 60,
            'd' => 24 * 60,
            'w' => 7 * 24 * 60,
            _ => return Err(invalid()),
        };
        if number.is_empty() || number.len() > 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        // Too large to count is as too early as any other beyond the limit.
        let minutes = number.parse::<u32>().ok().and_then(|n| n.checked_mul(per)).unwrap_or(u32::MAX);
        if minutes > OFFSET_MAX {
            return Err(format!("`{shown}` is too early: a reminder comes at most 4 weeks before the due time."));
        }
        Ok(Self::Before(minutes))
    }

    /// The local date-time it fires at, for a task due on `due` (at `due_time`, or
    /// [`DAY_START`]); `None` for an offset of a task without a due date.
    pub fn local_moment(self, due: Option<Date>, due_time: Option<Time>) -> Option<PrimitiveDateTime> {
        match self {
            Self::At(at) => Some(at),
            Self::Before(minutes) => {
                let due = PrimitiveDateTime::new(due?, due_time.unwrap_or(DAY_START));
                due.checked_sub(time::Duration::minutes(i64::from(minutes)))
            }
        }
    }

    /// Whether it counts from the due date (and so needs one, and follows a recurring task).
    pub fn is_offset(self) -> bool {
        matches!(self, Self::Before(_))
    }

    /// In words, for the pages: `15 minutes before`, `at the due time`, `on 2027-03-01 at 09:00`.
    pub fn describe(self) -> String {
        match self {
            Self::Before(0) => "at the due time".to_owned(),
            Self::Before(minutes) => {
                let (n, unit) = largest_unit(minutes);
                let unit = match unit {
                    'w' => "week",
                    'd' => "day",
                    'h' => "hour",
                    _ => "minute",
                };
                format!("{n} {unit}{} before", if n == 1 { "" } else { "s" })
            }
            Self::At(at) => format!("on {} at {:02}:{:02}", at.date(), at.hour(), at.minute()),
        }
    }
}

/// An offset in its largest whole unit: `(2, 'h')` for 120 minutes.
fn largest_unit(minutes: u32) -> (u32, char) {
    [(7 * 24 * 60, 'w'), (24 * 60, 'd'), (60, 'h')]
        .into_iter()
        .find(|(per, _)| minutes > 0 && minutes.is_multiple_of(*per))
        .map_or((minutes, 'm'), |(per, unit)| (minutes / per, unit))
}

impl fmt::Display for Reminder {
    /// The canonical text: an offset in its largest whole unit (`120m` is `2h`), a date-time
    /// as `2027-03-01T09:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Before(minutes) => {
                let (n, unit) = largest_unit(*minutes);
                write!(f, "{n}{unit}")
            }
            Self::At(at) => write!(f, "{}T{:02}:{:02}", at.date(), at.hour(), at.minute()),
        }
    }
}

/// The reminders of a form or an API call: separated by commas, each as
/// [`Reminder::parse`] reads it; empty for none. Kept in one order (offsets from the
/// earliest, then the date-times), each once, at most [`MAX`].
pub fn parse_list(raw: &str) -> Result<Vec<Reminder>, String> {
    if raw.len() > TEXT_MAX {
        return Err(format!("At most {MAX} reminders."));
    }
    let mut reminders = raw
        .split([',', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(Reminder::parse)
        .collect::<Result<Vec<_>, _>>()?;
    reminders.sort_by_key(|r| match r {
        Reminder::Before(minutes) => (0, u32::MAX - minutes, None),
        Reminder::At(at) => (1, 0, Some(*at)),
    });
    reminders.dedup();
    if reminders.len() > MAX {
        return Err(format!("At most {MAX} reminders."));
    }
    Ok(reminders)
}

/// The stored text of reminders (`1d,15m`); `None` for none.
pub fn join(reminders: &[Reminder]) -> Option<String> {
    (!reminders.is_empty()).then(|| reminders.iter().map(Reminder::to_string).collect::<Vec<_>>().join(","))
}

/// Reminders as the API shows them: each canonical text, in their order.
pub fn texts(reminders: &[Reminder]) -> Vec<String> {
    reminders.iter().map(Reminder::to_string).collect()
}

/// A stored reminder's text in words (`15 minutes before`); empty for one this build cannot
/// read.
pub fn describe_text(stored: &str) -> String {
    Reminder::parse(stored).map(Reminder::describe).unwrap_or_default()
}

/// The reminders of a stored text; those a newer build wrote that this one cannot read are
/// left out.
pub fn split(stored: Option<&str>) -> Vec<Reminder> {
    stored.unwrap_or_default().split(',').filter_map(|part| Reminder::parse(part).ok()).collect()
}

/// Whether reminders can be kept on a task due on `due`: offsets need a due date.
pub fn check(reminders: &[Reminder], due: Option<Date>) -> Result<(), String> {
    if due.is_none() && reminders.iter().any(|r| r.is_offset()) {
        return Err(NEED_DATE.to_owned());
    }
    Ok(())
}

/// The error of an offset on a task without a due date.
pub const NEED_DATE: &str =
    "A reminder before the due time needs a due date; use a date and time like 2027-03-01T09:00 instead.";

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime, time};

    use super::*;

    #[test]
    fn offsets_and_date_times_read_and_write_canonically() {
        let cases = [
            ("0m", "0m"),
            ("15m", "15m"),
            ("90m", "90m"),
            ("120m", "2h"),
            ("2H", "2h"),
            ("1d", "1d"),
            ("48h", "2d"),
            ("1w", "1w"),
            ("14d", "2w"),
            ("2027-03-01T09:00", "2027-03-01T09:00"),
            ("2027-03-01 09:00", "2027-03-01T09:00"),
        ];
        for (raw, canonical) in cases {
            let reminder = Reminder::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(reminder.to_string(), canonical, "{raw}");
            assert_eq!(Reminder::parse(canonical), Ok(reminder), "{canonical} reads back");
        }
    }

    #[test]
    fn bad_reminders_are_refused_with_a_reason() {
        let bad = ["", "m", "15", "15x", "-5m", "1.5h", "5w", "40321m", "426089w", "999999d", "2027-02-30T09:00"];
        for raw in bad.into_iter().chain(["2027-03-01T25:00", "1 d"]) {
            assert!(Reminder::parse(raw).is_err(), "{raw} should be refused");
        }
        assert!(parse_list("1m,2m,3m,4m,5m,6m").unwrap_err().contains("At most 5"));
        assert!(parse_list(&"1m,".repeat(100)).is_err());
    }

    #[test]
    fn a_list_is_ordered_and_each_reminder_kept_once() {
        let list = parse_list("15m, 1d,2027-03-01 09:00,60m,1h,0m").unwrap();
        assert_eq!(join(&list).as_deref(), Some("1d,1h,15m,0m,2027-03-01T09:00"));
        assert_eq!(split(join(&list).as_deref()), list);
        assert_eq!(join(&parse_list(" ").unwrap()), None);
    }

    #[test]
    fn the_due_moment_is_the_due_time_or_nine_in_the_morning() {
        let due = Some(date!(2027 - 03 - 01));
        assert_eq!(Reminder::Before(15).local_moment(due, Some(time!(08:00))), Some(datetime!(2027-03-01 07:45)));
        assert_eq!(Reminder::Before(24 * 60).local_moment(due, None), Some(datetime!(2027-02-28 09:00)));
        assert_eq!(Reminder::Before(0).local_moment(None, None), None);
        let at = Reminder::At(datetime!(2027-05-01 10:30));
        assert_eq!(at.local_moment(None, None), Some(datetime!(2027-05-01 10:30)));
        assert!(check(&[Reminder::Before(5)], None).is_err());
        assert!(check(&[at], None).is_ok());
    }

    #[test]
    fn reminders_read_in_words() {
        assert_eq!(Reminder::Before(0).describe(), "at the due time");
        assert_eq!(Reminder::Before(15).describe(), "15 minutes before");
        assert_eq!(Reminder::Before(60).describe(), "1 hour before");
        assert_eq!(Reminder::Before(2 * 24 * 60).describe(), "2 days before");
        assert_eq!(Reminder::At(datetime!(2027-03-01 09:00)).describe(), "on 2027-03-01 at 09:00");
    }
}
