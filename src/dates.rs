//! Dates and times as the API shows them, shared by the server and the WASM.
//!
//! The browser's code is kept small by what it does not carry: it never computes with a
//! point in time (it only passes `created_at` and the like along), so in the WASM a
//! [`Moment`] is the RFC 3339 text itself and no date-time parser is compiled in; calendar
//! dates (due dates, today) it does compute with, read by the same small parser that checks
//! the API's input.

use serde::{Deserialize, Deserializer, Serializer};
use time::{Date, Time};

/// A point in time: RFC 3339 in UTC on the wire (`2026-11-25T07:30:00.123456Z`), a
/// `time::OffsetDateTime` on the server.
#[cfg(feature = "ssr")]
pub type Moment = time::OffsetDateTime;

/// A point in time: RFC 3339 in UTC on the wire (`2026-11-25T07:30:00.123456Z`), kept as
/// that text in the browser.
#[cfg(not(feature = "ssr"))]
pub type Moment = String;

/// The calendar day (UTC) of a moment, `YYYY-MM-DD`.
pub fn day_of(moment: &Moment) -> String {
    #[cfg(feature = "ssr")]
    return moment.date().to_string();
    #[cfg(not(feature = "ssr"))]
    return moment.chars().take(10).collect();
}

/// A moment to the minute, as people read it: `YYYY-MM-DD HH:MM UTC`.
pub fn minute_of(moment: &Moment) -> String {
    #[cfg(feature = "ssr")]
    return format!("{} {:02}:{:02} UTC", moment.date(), moment.hour(), moment.minute());
    #[cfg(not(feature = "ssr"))]
    return format!("{} {} UTC", day_of(moment), moment.chars().skip(11).take(5).collect::<String>());
}

/// A moment as a `<time datetime>` value (RFC 3339).
pub fn machine_of(moment: &Moment) -> String {
    #[cfg(feature = "ssr")]
    return moment.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    return moment.clone();
}

/// Serde for a [`Moment`]: RFC 3339 on the server, the text as it is in the browser.
pub mod moment {
    #[cfg(feature = "ssr")]
    pub use time::serde::rfc3339::{deserialize, serialize};

    /// Writes the text as it is.
    #[cfg(not(feature = "ssr"))]
    pub fn serialize<S: serde::Serializer>(moment: &super::Moment, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(moment)
    }

    /// Reads the text as it is.
    #[cfg(not(feature = "ssr"))]
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<super::Moment, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer)
    }

    /// The same for an optional [`Moment`](super::Moment).
    pub mod option {
        #[cfg(feature = "ssr")]
        pub use time::serde::rfc3339::option::{deserialize, serialize};

        /// Writes the text as it is, or `null`.
        #[cfg(not(feature = "ssr"))]
        pub fn serialize<S: serde::Serializer>(
            moment: &Option<super::super::Moment>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match moment {
                Some(text) => serializer.serialize_some(text),
                None => serializer.serialize_none(),
            }
        }

        /// Reads the text as it is, or `null`.
        #[cfg(not(feature = "ssr"))]
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<super::super::Moment>, D::Error> {
            <Option<String> as serde::Deserialize>::deserialize(deserializer)
        }
    }
}

/// A `YYYY-MM-DD` calendar date (as the API and `<input type="date">` send it); empty text
/// means none.
pub fn parse_date(raw: &str) -> Result<Option<Date>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid = || format!("`{}` is not a date like 2026-12-31.", raw.chars().take(20).collect::<String>());
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| raw[range].parse::<u16>().map_err(|_| invalid());
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let month = u8::try_from(month).ok().and_then(|m| time::Month::try_from(m).ok()).ok_or_else(invalid)?;
    let day = u8::try_from(day).map_err(|_| invalid())?;
    if year == 0 {
        return Err(invalid());
    }
    Date::from_calendar_date(i32::from(year), month, day).map(Some).map_err(|_| invalid())
}

/// Serde for a calendar date as `YYYY-MM-DD`.
pub mod iso_date {
    use super::*;

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
    }

    /// Reads `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        match parse_date(&text) {
            Ok(Some(date)) => Ok(date),
            Ok(None) => Err(serde::de::Error::custom("a date like 2026-12-31 was expected")),
            Err(message) => Err(serde::de::Error::custom(message)),
        }
    }

    /// The same for an optional date.
    pub mod option {
        use super::*;

        /// Writes `YYYY-MM-DD`, or `null`.
        pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => super::serialize(date, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads `YYYY-MM-DD`, or `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapped(#[serde(with = "super")] Date);
            Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(date)| date))
        }
    }
}

/// A `HH:MM` time of day, 24-hour (as the API and `<input type="time">` send it; seconds,
/// when a browser adds them, must be `00`); empty text means none.
pub fn parse_time(raw: &str) -> Result<Option<Time>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid = || format!("`{}` is not a time like 09:30 or 17:45.", raw.chars().take(20).collect::<String>());
    let minutes = raw.strip_suffix(":00").filter(|_| raw.len() == 8).unwrap_or(raw);
    let bytes = minutes.as_bytes();
    let shaped =
        bytes.len() == 5 && bytes[2] == b':' && bytes.iter().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit());
    if !shaped {
        return Err(invalid());
    }
    let (hour, minute) =
        (minutes[0..2].parse::<u8>().map_err(|_| invalid())?, minutes[3..5].parse::<u8>().map_err(|_| invalid())?);
    Time::from_hms(hour, minute, 0).map(Some).map_err(|_| invalid())
}

/// A time of day as `HH:MM`.
pub fn time_text(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// A time of day as the minutes after midnight it is stored as (0 to 1439).
pub fn minute_of_day(time: Time) -> i16 {
    i16::from(time.hour()) * 60 + i16::from(time.minute())
}

/// The time of day of a stored minute after midnight (out of range: none).
pub fn time_of_minute(minute: i16) -> Option<Time> {
    let (hour, minute) = (u8::try_from(minute / 60).ok()?, u8::try_from(minute % 60).ok()?);
    Time::from_hms(hour, minute, 0).ok()
}

/// Serde for an optional time of day as `HH:MM`.
pub mod hh_mm_option {
    use super::*;

    /// Writes `HH:MM`, or `null`.
    pub fn serialize<S: Serializer>(time: &Option<Time>, serializer: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => serializer.serialize_some(&time_text(*time)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `HH:MM`, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Time>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) => match parse_time(&text) {
                Ok(Some(time)) => Ok(Some(time)),
                Ok(None) => Err(serde::de::Error::custom("a time like 09:30 was expected")),
                Err(message) => Err(serde::de::Error::custom(message)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Dated {
        #[serde(with = "iso_date")]
        day: Date,
        #[serde(with = "iso_date::option")]
        due: Option<Date>,
    }

    #[test]
    fn dates_round_trip_as_year_month_day() {
        let dated = Dated { day: time::macros::date!(2026 - 02 - 03), due: None };
        let json = serde_json::to_string(&dated).unwrap();
        assert_eq!(json, r#"{"day":"2026-02-03","due":null}"#);
        assert_eq!(serde_json::from_str::<Dated>(&json).unwrap(), dated);
        let due = serde_json::from_str::<Dated>(r#"{"day":"0999-12-31","due":"2031-06-15"}"#).unwrap();
        assert_eq!(due.due, Some(time::macros::date!(2031 - 06 - 15)));
        assert_eq!(serde_json::to_string(&due).unwrap(), r#"{"day":"0999-12-31","due":"2031-06-15"}"#);
    }

    #[test]
    fn malformed_dates_are_refused() {
        for bad in [r#"{"day":"2026-02-30","due":null}"#, r#"{"day":"26-1-1","due":null}"#, r#"{"day":"","due":null}"#]
        {
            assert!(serde_json::from_str::<Dated>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn due_times_are_hours_and_minutes() {
        assert_eq!(parse_time("09:30").unwrap(), Some(time::macros::time!(09:30)));
        assert_eq!(parse_time(" 23:59 ").unwrap(), Some(time::macros::time!(23:59)));
        assert_eq!(parse_time("00:00:00").unwrap(), Some(time::macros::time!(00:00)));
        assert_eq!(parse_time("").unwrap(), None);
        for bad in ["24:00", "12:60", "9:30", "09:30:15", "0930", "09-30", "noon", "-1:00", "09:3x", "１２:００"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        for minute in [0, 1, 59, 60, 570, 1439] {
            assert_eq!(minute_of_day(time_of_minute(minute).unwrap()), minute);
        }
        assert_eq!(time_of_minute(1440), None);
        assert_eq!(time_of_minute(-1), None);
        assert_eq!(time_text(time::macros::time!(07:05)), "07:05");
    }

    #[test]
    fn due_dates_are_real_calendar_dates() {
        assert_eq!(parse_date("2024-02-29").unwrap(), Some(time::macros::date!(2024 - 02 - 29)));
        assert_eq!(parse_date("").unwrap(), None);
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-1",
            "24-01-01",
            "0000-01-01",
            "2024-01-32",
            "tomorrow",
            "2024/01/01",
            "+2024-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
