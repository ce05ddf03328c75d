//! Quick add: what a line like `Pay rent every month on the 1st #home !high` means.
//!
//! One parser for the server (`GET /api/tasks/parse`, `POST /api/tasks/quick-add`, the
//! new-task form without scripts) and the board's WASM, which previews the line as it is
//! typed, so both always agree.
//!
//! The line is read word by word. Where a phrase starts (a due date, a time, a repeat rule,
//! a priority, a tag), its words leave the title and become a [`Part`]; every other word
//! stays. Each field comes from its first phrase: a second date stays in the title. Words in
//! double quotes are always title (`Read "Tomorrow" #books`). A line that would leave no
//! title is taken whole as the title, with nothing else.
//!
//! Written here rather than taken from a crate: the natural-language date crates read one
//! date from a whole string (they neither find phrases inside a title nor read repeat rules,
//! priorities or tags), and the parser must fit in the WASM.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, Time, Weekday};

use super::{Priority, RepeatFrom, input::normalize_tag};

pub mod line;
mod rules;

use rules::{first_date, repeat};

/// What a part of the line sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// The due date.
    Date,
    /// The due time.
    Time,
    /// The repeat rule.
    Repeat,
    /// The priority.
    Priority,
    /// A tag.
    Tag,
}

/// A phrase of the line that was understood: bytes `start..end` of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub kind: PartKind,
    pub start: usize,
    pub end: usize,
}

/// What a line means.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// What is left of the line: the task's title.
    pub title: String,
    pub due_date: Option<Date>,
    pub due_time: Option<Time>,
    /// The repeat rule, in its canonical text (`FREQ=MONTHLY;BYMONTHDAY=1`).
    pub repeat: Option<String>,
    /// What the next date counts from: the completion after `every!`.
    pub repeat_from: RepeatFrom,
    pub priority: Option<Priority>,
    pub tags: Vec<String>,
    /// The phrases understood, in the order of the line.
    pub parts: Vec<Part>,
}

/// How the rules and tags a line gives are checked.
#[derive(Clone, Copy)]
pub struct Checks {
    /// A rule's first date from a date ([`first_date`]), or `None` for a rule that is no rule
    /// after all (`Some(None)`: a rule whose first date is not known).
    pub rule: fn(&str, Date) -> Option<Option<Date>>,
    /// A tag as stored, or `None` for one that is no tag.
    pub tag: fn(&str) -> Option<String>,
}

/// The server's checks: the recurrence rules ([`crate::repeat`]) and the rules of tags.
pub const SERVER: Checks =
    Checks { rule: |rule, today| first_date(rule, today).map(Some), tag: |tag| normalize_tag(tag).ok() };

/// What `text` means on the day `today` (the person's, in their time zone).
pub fn parse(text: &str, today: Date) -> Parsed {
    parse_with(text, today, SERVER)
}

/// A repeat rule in words alone (`every 2 weeks on mon, thu`, `every! 3 days`, `daily until
/// jan 5`), as the task forms' "in words" field takes it: the rule's canonical text and what
/// its dates count from; `None` unless the words are one whole rule with a date from today on.
pub fn repeat_in_words(text: &str, today: Date) -> Option<(String, RepeatFrom)> {
    let words = words(text);
    if words.is_empty() || words.iter().any(|w| w.quoted) {
        return None;
    }
    let keys: Vec<&str> = words.iter().map(|w| w.key.as_str()).collect();
    let (taken, rule, from_completion) = repeat(&keys, today)?;
    let from = if from_completion { RepeatFrom::Completion } else { RepeatFrom::Due };
    (taken == keys.len() && first_date(&rule, today).is_some()).then_some((rule, from))
}

/// [`parse`] with other checks. The board's preview cannot afford the server's in its WASM
/// (the recurrence rules cost 14 KiB gzipped, Unicode's case and letter tables 10 KiB): it
/// takes each rule the grammar writes as it is (the grammar writes only valid rules; the
/// server still refuses one with no date from today on, `until` a past date), without its
/// first date, and lower-cases tags in ASCII only.
pub fn parse_with(text: &str, today: Date, check: Checks) -> Parsed {
    let words = words(text);
    let mut parsed = Parsed::default();
    let mut title: Vec<&str> = Vec::new();
    // The first date of the line's rule, once it has one (`Some(None)`: not known).
    let mut rule_first: Option<Option<Date>> = None;
    let mut i = 0;
    while i < words.len() {
        match phrase(&words[i..], today, &parsed, rule_first.is_some(), check) {
            Some((taken, found)) => {
                let kind = match found {
                    Found::Date(date) => {
                        parsed.due_date = Some(date);
                        PartKind::Date
                    }
                    Found::Time(time) => {
                        parsed.due_time = Some(time);
                        PartKind::Time
                    }
                    Found::Repeat(rule, from_completion, first) => {
                        parsed.repeat = Some(rule);
                        parsed.repeat_from = if from_completion { RepeatFrom::Completion } else { RepeatFrom::Due };
                        rule_first = Some(first);
                        PartKind::Repeat
                    }
                    Found::Priority(priority) => {
                        parsed.priority = Some(priority);
                        PartKind::Priority
                    }
                    Found::Tag(tag) => {
                        // A tag twice is one tag.
                        if !parsed.tags.contains(&tag) {
                            parsed.tags.push(tag);
                        }
                        PartKind::Tag
                    }
                };
                parsed.parts.push(Part { kind, start: words[i].start, end: words[i + taken - 1].end });
                i += taken;
            }
            None => {
                if !words[i].text.is_empty() {
                    title.push(words[i].text);
                }
                i += 1;
            }
        }
    }
    if title.is_empty() {
        return Parsed { title: words.iter().map(|w| w.text).collect::<Vec<_>>().join(" "), ..Parsed::default() };
    }
    parsed.title = title.join(" ");
    // A repeating task starts on its rule's first date (from the line's own date, if it has
    // one: `every monday starting jan 5` starts on the Monday after); a time alone is for today.
    if let (Some(date), Some(rule)) = (parsed.due_date, &parsed.repeat) {
        parsed.due_date = (check.rule)(rule, date).flatten().or(Some(date));
    } else if parsed.due_date.is_none() {
        parsed.due_date = match rule_first {
            Some(first) => first,
            None => parsed.due_time.map(|_| today),
        };
    }
    parsed
}

/// A word of the line: its text (without the quotes of a quoted one), where it is, and the
/// form phrases are matched on (lower case, without a trailing comma or full stop).
struct Word<'a> {
    text: &'a str,
    key: String,
    start: usize,
    end: usize,
    quoted: bool,
}

fn words(text: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        let rest = &text[at..];
        if let Some(close) = rest.strip_prefix('"').and_then(|r| r.find('"')) {
            let end = at + close + 2;
            words.push(Word { text: &text[at + 1..end - 1], key: String::new(), start: at, end, quoted: true });
            at = end;
            continue;
        }
        let end = at + rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &text[at..end];
        let key = word.trim_end_matches([',', '.', ';']).to_ascii_lowercase();
        words.push(Word { text: word, key, start: at, end, quoted: false });
        at = end;
    }
    words
}

/// What a phrase sets.
enum Found {
    Date(Date),
    Time(Time),
    /// The rule's canonical text, whether it counts from the completion, its first date.
    Repeat(String, bool, Option<Date>),
    Priority(Priority),
    Tag(String),
}

/// The phrase that starts at `words[0]`, if any, with the number of its words; a field
/// already set is not set again.
fn phrase(words: &[Word], today: Date, parsed: &Parsed, repeats: bool, check: Checks) -> Option<(usize, Found)> {
    let keys: Vec<&str> = words.iter().take_while(|w| !w.quoted).take(12).map(|w| w.key.as_str()).collect();
    let first = *keys.first()?;
    // `#home`, not `issue #42`.
    if let Some(tag) = first.strip_prefix('#').filter(|t| !t.bytes().all(|b| b.is_ascii_digit())) {
        return Some((1, Found::Tag((check.tag)(tag)?)));
    }
    if parsed.priority.is_none()
        && let Some(priority) = priority(first)
    {
        return Some((1, Found::Priority(priority)));
    }
    if !repeats
        && let Some((taken, rule, from_completion)) = repeat(&keys, today)
        && let Some(first) = (check.rule)(&rule, today)
    {
        return Some((taken, Found::Repeat(rule, from_completion, first)));
    }
    if parsed.due_date.is_none()
        && let Some((taken, date)) = due_date(&keys, today)
    {
        return Some((taken, Found::Date(date)));
    }
    if parsed.due_time.is_none()
        && let Some((taken, time)) = due_time(&keys)
    {
        return Some((taken, Found::Time(time)));
    }
    None
}

fn priority(key: &str) -> Option<Priority> {
    Some(match key {
        "!high" | "!h" | "p1" => Priority::High,
        "!medium" | "!med" | "!m" | "p2" => Priority::Medium,
        "!low" | "!l" | "p3" => Priority::Low,
        "!none" | "p4" => Priority::None,
        _ => return None,
    })
}

// ---- dates ----

/// A due date: `today`, `tomorrow`, `friday`, `on fri`, `next week`, `in 3 days`, `jan 5`,
/// `5 january 2027`, `2027-01-05`, `on the 15th` (each may follow `on`, `due`, `by` or
/// `starting`).
fn due_date(keys: &[&str], today: Date) -> Option<(usize, Date)> {
    if let ["on" | "due" | "by" | "starting", rest @ ..] = keys {
        // `on the 15th`, not `on the 2 main goals`.
        if let ["the", day, ..] = rest
            && day.ends_with(|c: char| c.is_ascii_alphabetic())
            && let Some(day) = ordinal_day(day)
        {
            return Some((3, next_month_day(today, day)?));
        }
        return date(rest, today, true).map(|(taken, date)| (taken + 1, date));
    }
    date(keys, today, false)
}

fn date(keys: &[&str], today: Date, after_connector: bool) -> Option<(usize, Date)> {
    let first = *keys.first()?;
    let day = |n: i64| today.checked_add(Duration::days(n));
    match keys {
        ["today" | "tonight", ..] => return Some((1, today)),
        ["tomorrow" | "tmr" | "tmrw", ..] => return Some((1, day(1)?)),
        ["next", "week", ..] => return Some((2, on_or_after(day(1)?, Weekday::Monday))),
        ["next", "month", ..] => return Some((2, add_months(today, 1)?.replace_day(1).ok()?)),
        ["next", "year", ..] => return Some((2, Date::from_calendar_date(today.year() + 1, Month::January, 1).ok()?)),
        ["next", name, ..] => return Some((2, on_or_after(day(1)?, weekday(name, true)?))),
        ["this", "weekend", ..] => return Some((2, weekend(today))),
        ["this", name, ..] => return Some((2, on_or_after(today, weekday(name, true)?))),
        ["in", count, unit, ..] => {
            let n = count_of(count)?;
            return Some((
                3,
                match unit_of(unit)? {
                    Unit::Day => day(n.into())?,
                    Unit::Week => day(i64::from(n) * 7)?,
                    Unit::Month => add_months(today, n)?,
                    Unit::Year => add_months(today, n.checked_mul(12)?)?,
                },
            ));
        }
        _ => {}
    }
    if let Some(name) = weekday(first, after_connector) {
        return Some((1, on_or_after(today, name)));
    }
    if let Some(date) = iso_date(first) {
        return Some((1, date));
    }
    // `jan 5`, `january 5th 2027`, `5 jan`, `5th of january`.
    let (month, day, taken) = match keys {
        [m, d, ..] if month(m).is_some() && ordinal_day(d).is_some() => (month(m)?, ordinal_day(d)?, 2),
        [d, "of", m, ..] if month(m).is_some() && ordinal_day(d).is_some() => (month(m)?, ordinal_day(d)?, 3),
        [d, m, ..] if month(m).is_some() && ordinal_day(d).is_some() => (month(m)?, ordinal_day(d)?, 2),
        _ => return None,
    };
    if let Some(year) = keys.get(taken).and_then(|y| year(y)) {
        return Some((taken + 1, Date::from_calendar_date(year, month, day).ok()?));
    }
    Some((taken, next_month_and_day(today, month, day)?))
}

/// The first `weekday` on or after `from`.
fn on_or_after(from: Date, weekday: Weekday) -> Date {
    let ahead = (7 + weekday.number_days_from_monday() - from.weekday().number_days_from_monday()) % 7;
    from + Duration::days(ahead.into())
}

/// The coming weekend's Saturday, or today on a Sunday.
fn weekend(today: Date) -> Date {
    if today.weekday() == Weekday::Sunday { today } else { on_or_after(today, Weekday::Saturday) }
}

/// `months` months after `date`, on the same day or the month's last.
fn add_months(date: Date, months: u16) -> Option<Date> {
    let index = i32::from(date.month() as u8 - 1) + i32::from(months);
    let (year, month) =
        (date.year().checked_add(index / 12)?, Month::try_from(u8::try_from(index % 12 + 1).ok()?).ok()?);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).ok()
}

/// The next date, from today on, that is day `day` of its month.
fn next_month_day(today: Date, day: u8) -> Option<Date> {
    (0..=12).filter_map(|n| add_months(today.replace_day(1).ok()?, n)?.replace_day(day).ok()).find(|d| *d >= today)
}

/// The next date, from today on, that is `day` of `month` (29 February: the next leap year's).
fn next_month_and_day(today: Date, month: Month, day: u8) -> Option<Date> {
    (0..=8).filter_map(|n| Date::from_calendar_date(today.year() + n, month, day).ok()).find(|d| *d >= today)
}

fn iso_date(key: &str) -> Option<Date> {
    let bytes = key.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    crate::dates::parse_date(key).ok().flatten()
}

fn year(key: &str) -> Option<i32> {
    let year: i32 = key.parse().ok().filter(|_| key.len() == 4)?;
    (2000..=2999).contains(&year).then_some(year)
}

/// A weekday's name; its short form (`fri`) only where a phrase word comes before it.
fn weekday(key: &str, short_too: bool) -> Option<Weekday> {
    const NAMES: [(&str, &str, Weekday); 7] = [
        ("monday", "mon", Weekday::Monday),
        ("tuesday", "tue", Weekday::Tuesday),
        ("wednesday", "wed", Weekday::Wednesday),
        ("thursday", "thu", Weekday::Thursday),
        ("friday", "fri", Weekday::Friday),
        ("saturday", "sat", Weekday::Saturday),
        ("sunday", "sun", Weekday::Sunday),
    ];
    let short =
        |long: &str, short: &str| short_too && key.len() >= 3 && long.starts_with(key) && key.starts_with(short);
    NAMES.iter().find(|(long, abbr, _)| key == *long || short(long, abbr)).map(|(_, _, day)| *day)
}

fn month(key: &str) -> Option<Month> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let index = NAMES.iter().position(|name| key == *name || (key.len() >= 3 && name.starts_with(key)))?;
    Month::try_from(u8::try_from(index + 1).ok()?).ok()
}

/// `5`, `5th`, `1st`, `22nd`, `23rd`: a day of a month.
fn ordinal_day(key: &str) -> Option<u8> {
    let digits = key.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &key[digits.len()..];
    if !(1..=2).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day: u8 = digits.parse().ok()?;
    let right = match (day % 10, day) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    ((1..=31).contains(&day) && (suffix.is_empty() || suffix == right)).then_some(day)
}

/// `3`, `a`, `an`, `one` to `twelve`: how many.
fn count_of(key: &str) -> Option<u16> {
    const WORDS: [&str; 12] =
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    if key == "a" || key == "an" {
        return Some(1);
    }
    if let Some(n) = WORDS.iter().position(|w| *w == key) {
        return u16::try_from(n + 1).ok();
    }
    key.parse().ok().filter(|n| (1..=crate::repeat::INTERVAL_MAX).contains(n) && !key.starts_with('+'))
}

#[derive(Clone, Copy)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

fn unit_of(key: &str) -> Option<Unit> {
    Some(match key {
        "day" | "days" => Unit::Day,
        "week" | "weeks" => Unit::Week,
        "month" | "months" => Unit::Month,
        "year" | "years" => Unit::Year,
        _ => return None,
    })
}

// ---- times ----

/// A due time: `at 9`, `at 9 pm`, `9am`, `9:30pm`, `17:30`, `at noon`, `at midnight`.
fn due_time(keys: &[&str]) -> Option<(usize, Time)> {
    let (at, rest) = match keys {
        ["at", rest @ ..] => (1, rest),
        _ => (0, keys),
    };
    let (taken, time) = match rest {
        ["noon", ..] if at == 1 => (1, Time::from_hms(12, 0, 0).ok()?),
        ["midnight", ..] if at == 1 => (1, Time::MIDNIGHT),
        [clock, half @ ("am" | "pm"), ..] => (2, clock_time(&format!("{clock}{half}"), false)?),
        [clock, ..] => (1, clock_time(clock, at == 1)?),
        [] => return None,
    };
    Some((at + taken, time))
}

/// `9am`, `12pm`, `9:30pm`, `17:30`, and a bare hour (`9`) when `bare` allows it.
fn clock_time(key: &str, bare: bool) -> Option<Time> {
    let (clock, half) = match key.strip_suffix("am") {
        Some(clock) => (clock, Some(false)),
        None => match key.strip_suffix("pm") {
            Some(clock) => (clock, Some(true)),
            None => (key, None),
        },
    };
    let (hour, minute) = match clock.split_once(':') {
        // `17:30` and `09:30` alone, `9:30` after `at` or with am/pm: not `John 3:16`.
        Some((h, _)) if h.len() < 2 && half.is_none() && !bare => return None,
        Some((h, m)) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => (h, m.parse::<u8>().ok()?),
        Some(_) => return None,
        None if half.is_some() || bare => (clock, 0),
        None => return None,
    };
    if hour.is_empty() || hour.len() > 2 || !hour.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour: u8 = hour.parse().ok()?;
    let hour = match half {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => hour,
    };
    Time::from_hms(hour, minute, 0).ok()
}

#[cfg(test)]
pub(crate) mod tests;
