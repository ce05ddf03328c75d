//! The repeat rules of quick add: `every monday and thursday`, `every month on the last
//! friday`, `every! 3 days`, written as the rules' canonical text.

use time::{Date, Weekday};

use super::{Unit, count_of, date, month, ordinal_day, unit_of, weekday};
use crate::repeat::Rule;

/// A repeat rule: `every day`, `daily`, `every weekday`, `every 2 weeks`, `every other week
/// on mon`, `every monday and thursday`, `every month on the last friday`, `every 15th`,
/// `every jan 5`, `every year`, each perhaps with `until <date>` or `for 5 times`; `every!`
/// counts from the completion.
pub(super) fn repeat(keys: &[&str], today: Date) -> Option<(usize, String, bool)> {
    // `daily` and its kin only where nothing but other phrases follows: not `weekly report`.
    let alone = keys.get(1).is_none_or(|next| {
        ["at", "until", "for", "starting", "on", "from"].contains(next) || next.starts_with(['#', '!'])
    });
    let (mut taken, mut rule, from_completion) = match keys {
        ["daily", ..] if alone => (1, "FREQ=DAILY".to_owned(), false),
        ["weekly", ..] if alone => (1, "FREQ=WEEKLY".to_owned(), false),
        ["monthly", ..] if alone => (1, "FREQ=MONTHLY".to_owned(), false),
        ["yearly" | "annually", ..] if alone => (1, "FREQ=YEARLY".to_owned(), false),
        [word @ ("every" | "every!"), rest @ ..] => {
            let (taken, rule) = every(rest)?;
            (taken + 1, rule, *word == "every!")
        }
        _ => return None,
    };
    match &keys[taken..] {
        ["until", rest @ ..] => {
            if let Some((more, end)) = date(rest, today, true) {
                taken += more + 1;
                rule.push_str(&format!(";UNTIL={:04}{:02}{:02}", end.year(), end.month() as u8, end.day()));
            }
        }
        // A count is of a schedule's dates: `every!` has none (its words stay in the title).
        ["for", count, "times", ..] | [count, "times", ..] if count_of(count).is_some() && !from_completion => {
            taken += if keys[taken] == "for" { 3 } else { 2 };
            rule.push_str(&format!(";COUNT={}", count_of(count)?));
        }
        _ => {}
    }
    Some((taken, rule, from_completion))
}

/// A rule's first date from today: the next of its days, whatever its interval (`every other
/// week on mon` typed on a Wednesday starts next Monday, and the interval counts from there,
/// where RFC 5545 would count from the Wednesday's week). `None` for a rule that is refused
/// or gives no date from today on (`every day until` last year).
pub fn first_date(rule: &str, today: Date) -> Option<Date> {
    Rule::parse(rule).ok()?;
    let each_period: Vec<&str> = rule.split(';').filter(|part| !part.starts_with("INTERVAL=")).collect();
    Rule::parse(&each_period.join(";")).ok()?.dates(today).next()
}

/// What follows `every`, as a rule's text.
fn every(keys: &[&str]) -> Option<(usize, String)> {
    // `2`, `two`, `2nd`, `second`, before a unit or a weekday: the interval.
    let interval_of = |n: &str| {
        count_of(n)
            .or_else(|| n.ends_with(|c: char| c.is_ascii_alphabetic()).then(|| ordinal_day(n)).flatten().map(u16::from))
            .or_else(|| nth_of(n).and_then(|n| u16::try_from(n).ok()))
    };
    // (`every 3rd friday` is the month's third Friday, as in Todoist; `every other friday`
    // is every two weeks.)
    let unit_next = |rest: &[&str]| rest.first().is_some_and(|u| unit_of(u).is_some());
    let (interval, rest, skipped) = match keys {
        ["other", rest @ ..] if unit_next(rest) || rest.first().is_some_and(|d| weekday(d, true).is_some()) => {
            (2, rest, 1)
        }
        [n, rest @ ..] if unit_next(rest) && interval_of(n).is_some() => (interval_of(n)?, rest, 1),
        _ => (1, keys, 0),
    };
    let every = if interval == 1 { String::new() } else { format!(";INTERVAL={interval}") };
    if let Some(unit) = rest.first().and_then(|u| unit_of(u)) {
        let freq = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"][unit as usize];
        let (more, by) = match (unit, &rest[1..]) {
            (Unit::Week, ["on", days @ ..]) => weekdays(days).map(|(n, by)| (n + 1, by)).unwrap_or_default(),
            (Unit::Month, ["on", "the", day @ ..]) => month_day(day).map(|(n, by)| (n + 2, by)).unwrap_or_default(),
            (Unit::Month, ["on", day @ ..]) => month_day(day).map(|(n, by)| (n + 1, by)).unwrap_or_default(),
            (Unit::Year, ["on", day @ ..]) => year_day(day).map(|(n, by)| (n + 1, by)).unwrap_or_default(),
            _ => (0, String::new()),
        };
        return Some((skipped + 1 + more, format!("FREQ={freq}{every}{by}")));
    }
    if interval != 1 {
        // `every other monday`, `every 2nd tue and thu`.
        return weekdays(rest).map(|(n, by)| (skipped + n, format!("FREQ=WEEKLY{every}{by}")));
    }
    match keys {
        ["weekday" | "weekdays" | "workday", ..] => Some((1, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_owned())),
        ["weekend", ..] => Some((1, "FREQ=WEEKLY;BYDAY=SA,SU".to_owned())),
        _ => {
            if let Some((n, by)) = weekdays(keys) {
                return Some((n, format!("FREQ=WEEKLY{by}")));
            }
            if let Some((n, by)) = year_day(keys) {
                return Some((n, format!("FREQ=YEARLY{by}")));
            }
            month_day(keys).map(|(n, by)| (n, format!("FREQ=MONTHLY{by}")))
        }
    }
}

/// `monday`, `mon and thu`, `tue, thu and sat`: `;BYDAY=...`.
fn weekdays(keys: &[&str]) -> Option<(usize, String)> {
    // In the rules' canonical order, Monday first, each once (a mask, not a sort: the sort's
    // code costs the WASM 4 KiB).
    let mut days = [false; 7];
    let mut taken = 0;
    while let Some(day) = keys.get(taken).and_then(|k| weekday(k, true)) {
        days[usize::from(day.number_days_from_monday())] = true;
        taken += 1;
        let joined = keys.get(taken) == Some(&"and") || keys.get(taken) == Some(&"&");
        if joined && keys.get(taken + 1).and_then(|k| weekday(k, true)).is_some() {
            taken += 1;
        }
    }
    const NAMES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let days: Vec<&str> = NAMES.iter().zip(days).filter(|(_, on)| *on).map(|(name, _)| *name).collect();
    (!days.is_empty()).then(|| (taken, format!(";BYDAY={}", days.join(","))))
}

/// `1st`, `15th`, `last day`, `first monday`, `last friday`: a monthly rule's `BY` part.
fn month_day(keys: &[&str]) -> Option<(usize, String)> {
    match keys {
        ["last", "day", ..] => Some((2, ";BYMONTHDAY=-1".to_owned())),
        [nth, name, ..] if nth_of(nth).is_some() && weekday(name, true).is_some() => {
            Some((2, format!(";BYDAY={}{}", nth_of(nth)?, byday(weekday(name, true)?))))
        }
        // `15th`, not `15`: `every 15` is not a rule.
        [day, ..] if day.ends_with(|c: char| c.is_ascii_alphabetic()) => {
            Some((1, format!(";BYMONTHDAY={}", ordinal_day(day)?)))
        }
        _ => None,
    }
}

/// `jan 5`, `5 january`: a yearly rule's `BY` parts.
fn year_day(keys: &[&str]) -> Option<(usize, String)> {
    let (month, day) = match keys {
        [m, d, ..] if month(m).is_some() => (month(m)?, ordinal_day(d)?),
        [d, m, ..] if month(m).is_some() => (month(m)?, ordinal_day(d)?),
        _ => return None,
    };
    Some((2, format!(";BYMONTHDAY={day};BYMONTH={}", month as u8)))
}

fn nth_of(key: &str) -> Option<i8> {
    Some(match key {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        "last" => -1,
        _ => return None,
    })
}

fn byday(day: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][usize::from(day.number_days_from_monday())]
}
