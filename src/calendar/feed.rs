//! The feed: `GET /calendar/<secret>.ics`, an iCalendar (RFC 5545) document written with the
//! `ics` crate (which escapes nothing by itself: every text value goes through
//! [`ics::escape_text`], control characters removed first, and the crate folds long lines).
//!
//! - A task with a due date and no time is an all-day event (`DTSTART;VALUE=DATE`); one with a
//!   time is a timed event in the person's zone (`DTSTART;TZID=...`), described by a
//!   `VTIMEZONE` of the zone's real changes (from the zone database) around the events.
//! - A recurring task that keeps its schedule carries its `RRULE` (its `UNTIL` as a UTC
//!   date-time for a timed event, as RFC 5545 asks); one that repeats from each completion has
//!   no fixed schedule, so it is its next date alone.
//! - Each reminder is a `VALARM`: offsets before the due moment (which is 09:00 for a task
//!   without a time), and date-times on the person's clock given in UTC.
//! - Tags are `CATEGORIES`; `UID` is the task's id, stable across edits; `DTSTAMP` and
//!   `LAST-MODIFIED` its last change, so that an unchanged feed is byte for byte the same and
//!   its `ETag` holds (a client's `If-None-Match` gets 304).

use std::fmt::Write as _;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use ics::{
    Alarm, Daylight, Event, ICalendar, Standard, TimeZone,
    parameters::{TzIDParam, Value},
    properties::{
        Categories, Description, DtEnd, DtStart, LastModified, Method, RRule, Summary, Transp, Trigger, TzName, URL,
    },
};
use sha2::Digest;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::store::{self, FeedTask};
use crate::{error::AppError, reminders::Reminder, state::AppState, zone::Zone};

/// Where feeds are served: `/calendar/<secret>.ics`.
pub const PATH: &str = "/calendar/{file}";

/// `GET /calendar/<secret>.ics`: the feed of the account whose address this is; 404 for any
/// other address (an old one after a rotation, one of a feed turned off).
pub async fn serve(
    State(state): State<AppState>,
    file: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
) -> Response {
    // A path that does not even decode is no address either.
    let Ok(Path(file)) = file else { return AppError::NotFound.into_response() };
    match answer(&state, &file, &headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn answer(state: &AppState, file: &str, headers: &HeaderMap) -> Result<Response, AppError> {
    let secret = file.strip_suffix(".ics").filter(|s| super::looks_like_secret(s)).ok_or(AppError::NotFound)?;
    let (user_id, zone) = store::owner(&state.db, secret).await?.ok_or(AppError::NotFound)?;
    let zone = Zone::of_account(&zone);
    let tasks = store::tasks(&state.db, user_id).await?;
    let origin = crate::state::site_origin(headers, &state.config);
    let body = write(&tasks, &zone, origin.as_deref());
    // Weak: the same feed may go out compressed or not.
    let tag = format!("\"{}\"", crate::hex::encode(&sha2::Sha256::digest(body.as_bytes())[..16]));
    let etag = format!("W/{tag}");
    let mut response = if matches_etag(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response()
    };
    let headers = response.headers_mut();
    // Revalidated each time (the ETag makes that cheap), never kept by a shared cache. (Every
    // answer's `Referrer-Policy: same-origin` keeps the address from other sites.)
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    Ok(response)
}

/// Whether a request's `If-None-Match` names this entity tag (`"..."`), weak or not, or `*`
/// (the weak comparison RFC 9110 asks of `If-None-Match`).
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The feed of these tasks, for a person in `zone`.
pub fn write(tasks: &[FeedTask], zone: &Zone, origin: Option<&str>) -> String {
    let mut calendar = ICalendar::new("2.0", "-//Doable//Doable tasks//EN");
    calendar.push(Method::new("PUBLISH"));
    calendar.push(ics::components::Property::new("X-WR-CALNAME", "Doable"));
    calendar.push(ics::components::Property::new("X-WR-TIMEZONE", zone.name().to_owned()));
    if tasks.iter().any(|task| task.due_minute.is_some()) {
        calendar.add_timezone(vtimezone(tasks, zone));
    }
    for task in tasks {
        calendar.add_event(event(task, zone, origin));
    }
    calendar.to_string()
}

/// A text value as iCalendar writes it: without control characters but line ends (which it
/// writes as `\n`), escaped.
fn text(value: &str) -> String {
    let cleaned: String = value.chars().filter(|c| !c.is_control() || *c == '\n').collect();
    ics::escape_text(cleaned).into_owned()
}

fn date_value(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

fn local_value(at: PrimitiveDateTime) -> String {
    format!("{}T{:02}{:02}{:02}", date_value(at.date()), at.hour(), at.minute(), at.second())
}

fn utc_value(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!("{}Z", local_value(PrimitiveDateTime::new(at.date(), at.time())))
}

fn offset_value(offset: UtcOffset) -> String {
    let (hours, minutes, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}{:02}", hours.unsigned_abs(), minutes.unsigned_abs())
}

/// A signed duration in minutes as RFC 5545 writes it: whole weeks and days as such (which
/// count on the calendar), else hours and minutes.
fn duration_value(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    if m == 0 {
        "PT0M".to_owned()
    } else if m.is_multiple_of(10_080) {
        format!("{sign}P{}W", m / 10_080)
    } else if m.is_multiple_of(1440) {
        format!("{sign}P{}D", m / 1440)
    } else {
        let mut value = format!("{sign}PT");
        if m >= 60 {
            let _ = write!(value, "{}H", m / 60);
        }
        if !m.is_multiple_of(60) {
            let _ = write!(value, "{}M", m % 60);
        }
        value
    }
}

fn event<'a>(task: &'a FeedTask, zone: &Zone, origin: Option<&str>) -> Event<'a> {
    let mut event = Event::new(format!("{}@doable", task.id), utc_value(task.updated_at.0));
    event.push(LastModified::new(utc_value(task.updated_at.0)));
    event.push(ics::properties::Created::new(utc_value(task.created_at.0)));
    event.push(Summary::new(text(&task.title)));
    if !task.description.is_empty() {
        event.push(Description::new(text(&task.description)));
    }
    if !task.tags.is_empty() {
        let tags: Vec<String> = task.tags.split(',').map(text).collect();
        event.push(Categories::new(tags.join(",")));
    }
    if let Some(origin) = origin {
        event.push(URL::new(format!("{origin}/tasks?list={}", task.list_id)));
    }
    event.push(Transp::new("TRANSPARENT"));
    let time = task.due_minute.and_then(crate::dates::time_of_minute);
    match time {
        None => {
            let mut start = DtStart::new(date_value(task.due_date));
            start.add(Value::DATE);
            event.push(start);
            let mut end = DtEnd::new(date_value(task.due_date.next_day().unwrap_or(task.due_date)));
            end.add(Value::DATE);
            event.push(end);
        }
        Some(time) => {
            let mut start = DtStart::new(local_value(PrimitiveDateTime::new(task.due_date, time)));
            start.add(TzIDParam::new(zone.name().to_owned()));
            event.push(start);
        }
    }
    // Repeating from each completion has no schedule a calendar could draw.
    if let Some(rule) = task.repeat.as_deref().filter(|_| task.repeat_from == 0).and_then(|rule| remaining(task, rule))
    {
        event.push(RRule::new(rule_for(&rule, time.is_some(), zone)));
    }
    for reminder in crate::reminders::split(task.reminders.as_deref()) {
        let trigger = match (reminder, time) {
            (Reminder::Before(minutes), Some(_)) => Trigger::new(duration_value(-i64::from(minutes))),
            // An all-day event starts at midnight; the task is due at 09:00.
            (Reminder::Before(minutes), None) => {
                let due = i64::from(u16::from(crate::reminders::DAY_START.hour())) * 60;
                Trigger::new(duration_value(due - i64::from(minutes)))
            }
            (Reminder::At(at), _) => {
                let Some(moment) = zone.moment_of(at).filter(|m| m.year() >= store::FIRST_YEAR) else { continue };
                let mut trigger = Trigger::new(utc_value(moment));
                trigger.add(Value::DATE_TIME);
                trigger
            }
        };
        event.add_alarm(Alarm::display(trigger, Description::new(text(&task.title))));
    }
    event
}

/// The rule from the task's due date on: a rule that ends after so many dates (`COUNT`) has
/// fewer left once some are done (the schedule counts from `repeat_start`); `None` when none
/// is left but the due date itself.
fn remaining(task: &FeedTask, text: &str) -> Option<String> {
    let Ok(mut rule) = crate::repeat::Rule::parse(text) else { return None };
    let (crate::repeat::End::Count(_), Some(start)) = (rule.end, task.repeat_start) else {
        return Some(text.to_owned());
    };
    let left = rule.dates(start).filter(|date| *date >= task.due_date).count();
    rule.end = crate::repeat::End::Count(u16::try_from(left).ok().filter(|left| *left > 1)?);
    Some(rule.to_string())
}

/// A rule as the feed writes it: `UNTIL`, a date in Doable, is the end of that day in the
/// person's zone, in UTC, for a timed event.
fn rule_for(rule: &str, timed: bool, zone: &Zone) -> String {
    if !timed {
        return rule.to_owned();
    }
    rule.split(';')
        .map(|part| match part.strip_prefix("UNTIL=").and_then(parse_date) {
            Some(date) => {
                // The zone reads to the minute; the day's last second is 59 seconds after.
                let end = PrimitiveDateTime::new(date, Time::from_hms(23, 59, 0).unwrap_or(Time::MIDNIGHT));
                // Past the zone database's range (the year 9999): its last moment in UTC.
                zone.moment_of(end).map_or_else(
                    || "UNTIL=99991231T235959Z".to_owned(),
                    |at| format!("UNTIL={}", utc_value(at + Duration::seconds(59))),
                )
            }
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_date(value: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year][month][day]");
    Date::parse(value.get(..8)?, &format).ok()
}

/// The zone's `VTIMEZONE`: the offset in force on 1 January of the first timed event's year
/// (and no later than last year), then each change until ten years ahead, each a `STANDARD`
/// or `DAYLIGHT` observance of its own.
fn vtimezone(tasks: &[FeedTask], zone: &Zone) -> TimeZone<'static> {
    // Whole years, so that the same tasks give the same bytes all year (and the ETag holds).
    let year = OffsetDateTime::now_utc().year();
    let first = tasks
        .iter()
        .filter(|t| t.due_minute.is_some())
        .map(|t| t.due_date.year())
        .min()
        .unwrap_or(year)
        .max(store::FIRST_YEAR);
    let new_year = |year: i32| {
        Date::from_calendar_date(year, time::Month::January, 1)
            .map_or(OffsetDateTime::UNIX_EPOCH, |d| d.midnight().assume_utc())
    };
    let (from, until) = (new_year(first.min(year - 1)), new_year(year + 11));
    let mut observances = zone.transitions(from, until).into_iter().map(|change| {
        // An observance starts on the clock it replaces.
        let local = change.at.to_offset(change.from);
        let start = local_value(PrimitiveDateTime::new(local.date(), local.time()));
        (change.dst, start, offset_value(change.from), offset_value(change.to), change.abbreviation)
    });
    let to_standard = |(_, start, from, to, name): (bool, String, String, String, String)| {
        let mut standard = Standard::new(start, from, to);
        standard.push(TzName::new(name));
        standard
    };
    let to_daylight = |(_, start, from, to, name): (bool, String, String, String, String)| {
        let mut daylight = Daylight::new(start, from, to);
        daylight.push(TzName::new(name));
        daylight
    };
    let first = observances.next().unwrap_or((
        false,
        local_value(PrimitiveDateTime::MIN),
        "+0000".into(),
        "+0000".into(),
        "UTC".into(),
    ));
    let mut vtimezone = if first.0 {
        TimeZone::daylight(zone.name().to_owned(), to_daylight(first))
    } else {
        TimeZone::standard(zone.name().to_owned(), to_standard(first))
    };
    for observance in observances {
        if observance.0 {
            vtimezone.add_daylight(to_daylight(observance));
        } else {
            vtimezone.add_standard(to_standard(observance));
        }
    }
    vtimezone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_count_weeks_and_days_on_the_calendar() {
        assert_eq!(duration_value(-15), "-PT15M");
        assert_eq!(duration_value(-120), "-PT2H");
        assert_eq!(duration_value(-1440), "-P1D");
        assert_eq!(duration_value(-10_080), "-P1W");
        assert_eq!(duration_value(540 - 1440), "-PT15H");
        assert_eq!(duration_value(540), "PT9H");
        assert_eq!(duration_value(0), "PT0M");
        assert_eq!(duration_value(-61), "-PT1H1M");
    }

    #[test]
    fn a_timed_rule_ends_at_the_end_of_its_last_day_in_utc() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(rule_for("FREQ=DAILY;UNTIL=20270630", true, &berlin), "FREQ=DAILY;UNTIL=20270630T215959Z");
        assert_eq!(rule_for("FREQ=DAILY;UNTIL=20270630", false, &berlin), "FREQ=DAILY;UNTIL=20270630");
        assert_eq!(rule_for("FREQ=WEEKLY;BYDAY=MO", true, &berlin), "FREQ=WEEKLY;BYDAY=MO");
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        assert!(rule_for("FREQ=DAILY;UNTIL=99991231", true, &tokyo).contains("UNTIL=99991231T"), "a date-time");
    }

    #[test]
    fn text_is_escaped_and_stripped_of_control_characters() {
        assert_eq!(text("a,b;c\\d\ne\r\nf\u{7}g\u{1b}[31m"), "a\\,b\\;c\\\\d\\ne\\nfg[31m");
        assert_eq!(text("END:VCALENDAR"), "END:VCALENDAR");
    }

    #[test]
    fn etags_match_exactly_weakly_in_lists_and_by_star() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            headers
        };
        assert!(matches_etag(&with("\"abc\""), "\"abc\""));
        assert!(matches_etag(&with("W/\"abc\""), "\"abc\""));
        assert!(matches_etag(&with("\"x\", \"abc\""), "\"abc\""));
        assert!(matches_etag(&with("*"), "\"abc\""));
        assert!(!matches_etag(&with("\"abd\""), "\"abc\""));
        assert!(!matches_etag(&HeaderMap::new(), "\"abc\""));
    }
}
