//! Recurrence rules: the part of RFC 5545's `RRULE` people use for tasks, and the dates a
//! rule gives.
//!
//! `FREQ` (`DAILY`, `WEEKLY`, `MONTHLY`, `YEARLY`), `INTERVAL`, `BYDAY` (with ordinals such
//! as `1MO` or `-1FR` in monthly and yearly rules), `BYMONTHDAY` (`-1` is the last day),
//! `BYMONTH`, and `COUNT` or `UNTIL`; weeks start on Monday (`WKST=MO`, the default). Any
//! other part is refused with its name. A rule works on calendar dates, in the person's own
//! calendar: the time of day stays what it is, so 09:00 stays 09:00 across daylight saving.
//!
//! Written here rather than taken from a crate: the `rrule` crate computes in date-times with
//! a time zone (chrono-tz), while a task's schedule is a sequence of calendar dates, and the
//! expansion below is the one python-dateutil uses (the tests check it against dateutil on
//! thousands of random rules). The server writes a rule in words for the pages, so the
//! browser's code carries none of it.

use std::fmt;

use time::{Date, Duration, Month, Weekday};

/// Longest rule text accepted, in bytes.
pub const TEXT_MAX: usize = 200;
/// Largest `INTERVAL`.
pub const INTERVAL_MAX: u16 = 999;
/// Largest `COUNT`.
pub const COUNT_MAX: u16 = 9999;
/// How far past its start a rule is followed (plus a yearly rule's interval): one with no
/// date in that time has none.
const HORIZON_YEARS: i32 = 400;

/// How often a rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Freq {
    /// Every `INTERVAL` days.
    Daily,
    /// Every `INTERVAL` weeks.
    Weekly,
    /// Every `INTERVAL` months.
    Monthly,
    /// Every `INTERVAL` years.
    Yearly,
}

impl Freq {
    fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Yearly => "YEARLY",
        }
    }
}

/// A `BYDAY` entry: a weekday, every one (`nth` 0) or the `nth` of its month or year
/// (negative: counted from the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// 0 for every such weekday; 1 for the first, -1 for the last, ...
    pub nth: i8,
    /// The weekday.
    pub weekday: Weekday,
}

/// When a rule ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Never.
    Never,
    /// After this many dates.
    Count(u16),
    /// After this date (included).
    Until(Date),
}

/// A valid rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// How often.
    pub freq: Freq,
    /// Every how many days, weeks, months or years (1 or more).
    pub interval: u16,
    /// `BYDAY`, in the order of the week (ordinals, if any, only in monthly and yearly rules,
    /// and not mixed with plain weekdays).
    pub by_day: Vec<Day>,
    /// `BYMONTHDAY`: 1 to 31, or -31 to -1 from the month's end; sorted.
    pub by_month_day: Vec<i8>,
    /// `BYMONTH`, sorted.
    pub by_month: Vec<Month>,
    /// `COUNT` or `UNTIL`.
    pub end: End,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("MO", Weekday::Monday),
    ("TU", Weekday::Tuesday),
    ("WE", Weekday::Wednesday),
    ("TH", Weekday::Thursday),
    ("FR", Weekday::Friday),
    ("SA", Weekday::Saturday),
    ("SU", Weekday::Sunday),
];

/// A part of the input as an error message may quote it: at most 20 printable characters.
fn shown(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(20).collect()
}

/// Parses a whole number in `range`, or says what `part` needs.
fn number<T: TryFrom<i64> + Copy>(part: &str, raw: &str, min: i64, max: i64) -> Result<T, String> {
    let raw = raw.trim();
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    let value = (!digits.is_empty() && digits.len() <= 6 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse::<i64>().ok())
        .flatten()
        .filter(|v| (min..=max).contains(v));
    value.and_then(|v| T::try_from(v).ok()).ok_or_else(|| format!("{part} must be a whole number from {min} to {max}."))
}

/// `UNTIL`: `YYYYMMDD`, or a date-time `YYYYMMDDTHHMMSS` (with or without `Z`) whose date counts.
fn parse_until(raw: &str) -> Result<Date, String> {
    let invalid = || format!("UNTIL must be a date like 20271231, not `{}`.", shown(raw));
    let raw = raw.trim();
    let date = match raw.split_once(['T', 't']) {
        Some((date, time)) => {
            let time = time.strip_suffix(['Z', 'z']).unwrap_or(time);
            if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            date
        }
        None => raw,
    };
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let iso = format!("{}-{}-{}", &date[0..4], &date[4..6], &date[6..8]);
    crate::dates::parse_date(&iso).ok().flatten().ok_or_else(invalid)
}

impl Rule {
    /// A rule from its `RRULE` text (an `RRULE:` prefix, letter case and spaces around parts
    /// do not matter); the error names the part that is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = raw.trim();
        if text.len() > TEXT_MAX {
            return Err(format!("A repeat rule has at most {TEXT_MAX} characters."));
        }
        let text = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        };
        let mut seen: Vec<String> = Vec::new();
        let (mut freq, mut interval, mut end) = (None, 1, End::Never);
        let (mut by_day, mut by_month_day, mut by_month) = (Vec::new(), Vec::new(), Vec::new());
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!("`{}` is not a part like FREQ=WEEKLY.", shown(part)));
            };
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim().to_ascii_uppercase();
            if seen.contains(&key) {
                return Err(format!("{} appears twice.", shown(&key)));
            }
            seen.push(key.clone());
            match key.as_str() {
                "FREQ" => {
                    freq = Some(match value.as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        "YEARLY" => Freq::Yearly,
                        _ => {
                            return Err(format!(
                                "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY, not `{}`.",
                                shown(&value)
                            ));
                        }
                    })
                }
                "INTERVAL" => interval = number("INTERVAL", &value, 1, INTERVAL_MAX.into())?,
                "COUNT" if end != End::Never => return Err("A rule ends by COUNT or by UNTIL, not both.".to_owned()),
                "COUNT" => end = End::Count(number("COUNT", &value, 1, COUNT_MAX.into())?),
                "UNTIL" if end != End::Never => return Err("A rule ends by COUNT or by UNTIL, not both.".to_owned()),
                "UNTIL" => end = End::Until(parse_until(&value)?),
                "BYDAY" => {
                    for entry in value.split(',').map(str::trim) {
                        let split = entry.len().saturating_sub(2);
                        let (nth, name) = (entry.get(..split).unwrap_or(""), entry.get(split..).unwrap_or(""));
                        let Some(&(_, weekday)) = WEEKDAYS.iter().find(|(n, _)| *n == name) else {
                            return Err(format!("BYDAY takes days like MO, TU or 1MO, -1FR, not `{}`.", shown(entry)));
                        };
                        let nth = if nth.is_empty() { 0 } else { number("A BYDAY ordinal", nth, -53, 53)? };
                        if nth == 0 && !entry.get(..split).unwrap_or("").is_empty() {
                            return Err("A BYDAY ordinal is not 0 (1MO is the first Monday, -1MO the last).".to_owned());
                        }
                        let day = Day { nth, weekday };
                        if !by_day.contains(&day) {
                            by_day.push(day);
                        }
                    }
                }
                "BYMONTHDAY" => {
                    for entry in value.split(',') {
                        let day: i8 = number("BYMONTHDAY", entry, -31, 31)?;
                        if day == 0 {
                            return Err("BYMONTHDAY is 1 to 31, or -1 (the last day) to -31.".to_owned());
                        }
                        by_month_day.push(day);
                    }
                }
                "BYMONTH" => {
                    for entry in value.split(',') {
                        let month: u8 = number("BYMONTH", entry, 1, 12)?;
                        by_month.push(Month::try_from(month).map_err(|_| "BYMONTH is 1 to 12.".to_owned())?);
                    }
                }
                "WKST" if value == "MO" => {}
                "WKST" => return Err("WKST: weeks start on Monday here (WKST=MO).".to_owned()),
                other => {
                    return Err(format!(
                        "{} is not supported: a rule is made of FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, COUNT \
                         and UNTIL.",
                        shown(other)
                    ));
                }
            }
        }
        let Some(freq) = freq else { return Err("A rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY).".to_owned()) };
        by_day.sort_by_key(|d| (d.weekday.number_days_from_monday(), d.nth));
        by_month_day.sort_unstable();
        by_month_day.dedup();
        by_month.sort_by_key(|m| *m as u8);
        by_month.dedup();
        let ordinals = by_day.iter().filter(|d| d.nth != 0).count();
        if ordinals > 0 {
            if freq < Freq::Monthly {
                return Err("BYDAY ordinals (1MO, -1FR) are for MONTHLY and YEARLY rules.".to_owned());
            }
            if ordinals < by_day.len() {
                return Err("BYDAY takes either weekdays (MO,FR) or ordinals (1MO,-1FR), not both.".to_owned());
            }
            let within_month = freq == Freq::Monthly || !by_month.is_empty();
            if within_month && by_day.iter().any(|d| d.nth.abs() > 5) {
                return Err("A BYDAY ordinal within a month is 1 to 5, or -1 to -5.".to_owned());
            }
        }
        if freq == Freq::Weekly && !by_month_day.is_empty() {
            return Err("BYMONTHDAY does not go with FREQ=WEEKLY.".to_owned());
        }
        Ok(Self { freq, interval, by_day, by_month_day, by_month, end })
    }

    /// The dates of the rule started on `start` (the first is `start` itself only if it
    /// matches the rule), in order, until its end or 400 years past `start`.
    pub fn dates(&self, start: Date) -> Dates<'_> {
        Dates::new(self, start)
    }

    /// The first date of the rule started on `start` that comes after `after`, if any.
    pub fn next_after(&self, start: Date, after: Date) -> Option<Date> {
        let mut dates = self.dates(start);
        if !matches!(self.end, End::Count(_)) {
            // Without a count the periods before `after` need not be walked through.
            dates.period = dates.periods_before(after).saturating_sub(1).max(0);
        }
        dates.find(|&date| date > after)
    }
}

impl Rule {
    /// The rule in words, as the task list shows it: "every 2 weeks on Mon, Thu", "every
    /// month on the last Fri", "every year on 5 Jan, 3 times".
    pub fn describe(&self) -> String {
        let unit = match self.freq {
            Freq::Daily => "day",
            Freq::Weekly => "week",
            Freq::Monthly => "month",
            Freq::Yearly => "year",
        };
        let weekdays = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
        let mut words =
            if self.interval == 1 { format!("every {unit}") } else { format!("every {} {unit}s", self.interval) };
        if self.freq == Freq::Weekly
            && self.interval == 1
            && self.by_day.len() == 5
            && self.by_day.iter().zip(weekdays).all(|(d, w)| d.nth == 0 && d.weekday == w)
        {
            words = "every weekday".to_owned();
        } else if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|d| match d.nth {
                    0 => weekday_abbr(d.weekday).to_owned(),
                    -1 => format!("the last {}", weekday_abbr(d.weekday)),
                    n if n < 0 => format!("the {} last {}", ordinal(-n), weekday_abbr(d.weekday)),
                    n => format!("the {} {}", ordinal(n), weekday_abbr(d.weekday)),
                })
                .collect();
            words.push_str(&format!(" on {}", days.join(", ")));
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self
                .by_month_day
                .iter()
                .map(|&d| match d {
                    -1 => "last day".to_owned(),
                    d if d < 0 => format!("{} last day", ordinal(-d)),
                    d => ordinal(d),
                })
                .collect();
            words.push_str(&format!(" on the {}", days.join(", ")));
        }
        if !self.by_month.is_empty() {
            let months: Vec<&str> = self.by_month.iter().map(|m| month_abbr(*m)).collect();
            words.push_str(&format!(" in {}", months.join(", ")));
        }
        match self.end {
            End::Never => {}
            End::Count(1) => words.push_str(", once"),
            End::Count(n) => words.push_str(&format!(", {n} times")),
            End::Until(date) => words.push_str(&format!(", until {date}")),
        }
        words
    }
}

fn ordinal(n: i8) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn weekday_abbr(day: Weekday) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][usize::from(day.number_days_from_monday())]
}

fn month_abbr(month: Month) -> &'static str {
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][usize::from(month as u8 - 1)]
}

impl fmt::Display for Rule {
    /// The rule's canonical text: `FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;COUNT=5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.freq.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        let list = |f: &mut fmt::Formatter<'_>, name: &str, items: Vec<String>| -> fmt::Result {
            if items.is_empty() { Ok(()) } else { write!(f, ";{name}={}", items.join(",")) }
        };
        let days = self.by_day.iter().map(|d| {
            let name = WEEKDAYS.iter().find(|(_, w)| *w == d.weekday).map_or("", |(n, _)| n);
            if d.nth == 0 { name.to_owned() } else { format!("{}{name}", d.nth) }
        });
        list(f, "BYDAY", days.collect())?;
        list(f, "BYMONTHDAY", self.by_month_day.iter().map(i8::to_string).collect())?;
        list(f, "BYMONTH", self.by_month.iter().map(|m| (*m as u8).to_string()).collect())?;
        match self.end {
            End::Never => Ok(()),
            End::Count(n) => write!(f, ";COUNT={n}"),
            End::Until(date) => write!(f, ";UNTIL={:04}{:02}{:02}", date.year(), date.month() as u8, date.day()),
        }
    }
}

/// The dates of a rule from a start, in order ([`Rule::dates`]).
///
/// The rule is expanded a period at a time (a day, a week from Monday, a month or a year, every
/// `INTERVAL` of them from the start's): each day of the period is kept when it passes every
/// `BY` part, as RFC 5545 and python-dateutil do. Without `BYDAY` and `BYMONTHDAY`, a weekly
/// rule falls on the start's weekday, a monthly one on the start's day of the month (months
/// without it are skipped) and a yearly one on the start's day and month.
pub struct Dates<'r> {
    rule: &'r Rule,
    start: Date,
    /// The rule's `BY` parts with the start's defaults filled in.
    by_day: Vec<Day>,
    by_month_day: Vec<i8>,
    by_month: Vec<Month>,
    /// The next period to expand (0: the start's).
    period: i64,
    /// The current period's dates, and how many of them were given.
    found: Vec<Date>,
    taken: usize,
    given: u16,
    horizon: Date,
    done: bool,
}

impl<'r> Dates<'r> {
    fn new(rule: &'r Rule, start: Date) -> Self {
        let (mut by_day, mut by_month_day, mut by_month) =
            (rule.by_day.clone(), rule.by_month_day.clone(), rule.by_month.clone());
        if by_day.is_empty() && by_month_day.is_empty() {
            match rule.freq {
                Freq::Daily => {}
                Freq::Weekly => by_day.push(Day { nth: 0, weekday: start.weekday() }),
                Freq::Monthly => by_month_day.push(start.day() as i8),
                Freq::Yearly => {
                    if by_month.is_empty() {
                        by_month.push(start.month());
                    }
                    by_month_day.push(start.day() as i8);
                }
            }
        }
        // Far enough for two of a yearly rule's periods, however long its interval.
        let years = HORIZON_YEARS + if rule.freq == Freq::Yearly { i32::from(rule.interval) } else { 0 };
        let horizon = Date::from_calendar_date(start.year().saturating_add(years).min(9999), Month::December, 31)
            .unwrap_or(Date::MAX);
        Self {
            rule,
            start,
            by_day,
            by_month_day,
            by_month,
            period: 0,
            found: Vec::new(),
            taken: 0,
            given: 0,
            horizon,
            done: false,
        }
    }

    /// The first day of period `n`, if the calendar has it.
    fn period_start(&self, n: i64) -> Option<Date> {
        let step = n.checked_mul(i64::from(self.rule.interval))?;
        match self.rule.freq {
            Freq::Daily => self.start.checked_add(Duration::days(step)),
            Freq::Weekly => monday_of(self.start).checked_add(Duration::weeks(step)),
            Freq::Monthly => {
                let month = i64::from(self.start.year()) * 12 + i64::from(self.start.month() as u8 - 1) + step;
                let year = i32::try_from(month.div_euclid(12)).ok()?;
                let month = Month::try_from(u8::try_from(month.rem_euclid(12) + 1).ok()?).ok()?;
                Date::from_calendar_date(year, month, 1).ok()
            }
            Freq::Yearly => {
                let year = i32::try_from(i64::from(self.start.year()) + step).ok()?;
                Date::from_calendar_date(year, Month::January, 1).ok()
            }
        }
    }

    /// How many whole periods lie between the start's and the one holding `date`.
    fn periods_before(&self, date: Date) -> i64 {
        let interval = i64::from(self.rule.interval);
        let units = match self.rule.freq {
            Freq::Daily => (date - self.start).whole_days(),
            Freq::Weekly => (monday_of(date) - monday_of(self.start)).whole_weeks(),
            Freq::Monthly => {
                let months = |d: Date| i64::from(d.year()) * 12 + i64::from(d.month() as u8);
                months(date) - months(self.start)
            }
            Freq::Yearly => i64::from(date.year() - self.start.year()),
        };
        units.div_euclid(interval)
    }

    /// The days of the period starting on `first` that pass every `BY` part, in order.
    fn expand(&self, first: Date) -> Vec<Date> {
        let last = match self.rule.freq {
            Freq::Daily => first,
            Freq::Weekly => first.saturating_add(Duration::days(6)),
            Freq::Monthly => month_end(first),
            Freq::Yearly => Date::from_calendar_date(first.year(), Month::December, 31).unwrap_or(first),
        };
        let mut days = Vec::new();
        let mut day = first;
        while day <= last {
            if !self.by_month.is_empty() && !self.by_month.contains(&day.month()) {
                // A whole month is out: go to the next one.
                match month_end(day).next_day() {
                    Some(next) => day = next,
                    None => break,
                }
                continue;
            }
            if self.keeps(day) {
                days.push(day);
            }
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        days
    }

    /// Whether `day` (in a month the rule allows) passes `BYMONTHDAY` and `BYDAY`.
    fn keeps(&self, day: Date) -> bool {
        if !self.by_month_day.is_empty() {
            let length = i16::from(time::util::days_in_month(day.month(), day.year()));
            let matches = |&n: &i8| {
                let n = i16::from(n);
                i16::from(day.day()) == if n > 0 { n } else { length + 1 + n }
            };
            if !self.by_month_day.iter().any(matches) {
                return false;
            }
        }
        if self.by_day.is_empty() {
            return true;
        }
        let within_year = self.rule.freq == Freq::Yearly && self.by_month.is_empty();
        self.by_day.iter().any(|d| {
            if d.weekday != day.weekday() {
                false
            } else if d.nth == 0 {
                true
            } else if within_year {
                nth_weekday(day.replace_month(Month::January).and_then(|d| d.replace_day(1)).ok(), year_end(day), d)
                    == Some(day)
            } else {
                nth_weekday(day.replace_day(1).ok(), month_end(day), d) == Some(day)
            }
        })
    }
}

impl Iterator for Dates<'_> {
    type Item = Date;

    fn next(&mut self) -> Option<Date> {
        while !self.done {
            if let Some(&date) = self.found.get(self.taken) {
                self.taken += 1;
                if date < self.start {
                    continue;
                }
                let ended = match self.rule.end {
                    End::Never => false,
                    End::Count(count) => self.given >= count,
                    End::Until(until) => date > until,
                };
                if ended {
                    self.done = true;
                    return None;
                }
                self.given += 1;
                return Some(date);
            }
            match self.period_start(self.period) {
                Some(first) if first <= self.horizon && !matches!(self.rule.end, End::Until(u) if first > u) => {
                    self.found = self.expand(first);
                    self.taken = 0;
                    self.period += 1;
                }
                _ => self.done = true,
            }
        }
        None
    }
}

fn monday_of(date: Date) -> Date {
    date.saturating_sub(Duration::days(i64::from(date.weekday().number_days_from_monday())))
}

fn month_end(date: Date) -> Date {
    date.replace_day(time::util::days_in_month(date.month(), date.year())).unwrap_or(date)
}

fn year_end(date: Date) -> Date {
    Date::from_calendar_date(date.year(), Month::December, 31).unwrap_or(date)
}

/// The `day.nth`-th `day.weekday` between `first` and `last` (from the end when negative).
fn nth_weekday(first: Option<Date>, last: Date, day: &Day) -> Option<Date> {
    let first = first?;
    let weeks = i64::from(day.nth.unsigned_abs()) - 1;
    let found = if day.nth > 0 {
        let offset = (7 + i64::from(day.weekday.number_days_from_monday())
            - i64::from(first.weekday().number_days_from_monday()))
            % 7;
        first.checked_add(Duration::days(offset + 7 * weeks))?
    } else {
        let offset = (7 + i64::from(last.weekday().number_days_from_monday())
            - i64::from(day.weekday.number_days_from_monday()))
            % 7;
        last.checked_sub(Duration::days(offset + 7 * weeks))?
    };
    (first..=last).contains(&found).then_some(found)
}

#[cfg(test)]
mod tests;
