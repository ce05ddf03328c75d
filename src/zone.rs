//! Each account's time zone: "today", "overdue" and every moment a page shows are the
//! account's own, across daylight-saving changes.
//!
//! On the server a zone is an IANA name read from the zone database compiled into the binary
//! (jiff's bundled tzdb), so that every machine agrees on the rules whatever its
//! `/usr/share/zoneinfo` holds. The browser's code never computes in a zone: the server
//! sends it today's date and renders the pages' moments, so the WASM carries no database.

/// The zone of an account that has not chosen one, and of every account made before zones.
pub const DEFAULT: &str = "UTC";

/// The longest zone name accepted (the longest IANA name is 32 characters).
pub const NAME_MAX: usize = 64;

#[cfg(feature = "ssr")]
pub use server::*;

use crate::dates::Moment;

/// The zones people choose from, sorted (see `choices` on the server; none in the browser,
/// which never renders the menu).
pub fn names() -> Vec<String> {
    #[cfg(feature = "ssr")]
    return choices().to_vec();
    #[cfg(not(feature = "ssr"))]
    return Vec::new();
}

/// Today's date in the time zone `zone` (`None` in the browser, which has no zone database:
/// the server renders it into the page).
pub fn today_in(zone: &str) -> Option<time::Date> {
    #[cfg(feature = "ssr")]
    return Some(Zone::of_account(zone).today());
    #[cfg(not(feature = "ssr"))]
    return {
        let _ = zone;
        None
    };
}

/// A moment to the minute as an account reads it: `2026-03-29 09:30` in its time zone `zone`.
/// (The pages that show moments are rendered on the server; in the browser, which has no zone
/// database, the moment is shown in UTC and says so.)
pub fn minute_in(moment: &Moment, zone: &str) -> String {
    #[cfg(feature = "ssr")]
    return Zone::of_account(zone).minute(*moment);
    #[cfg(not(feature = "ssr"))]
    return {
        let _ = zone;
        crate::dates::minute_of(moment)
    };
}

/// The calendar day of a moment in the time zone `zone` (`YYYY-MM-DD`; UTC in the browser).
pub fn day_in(moment: &Moment, zone: &str) -> String {
    #[cfg(feature = "ssr")]
    return Zone::of_account(zone).date_at(*moment).to_string();
    #[cfg(not(feature = "ssr"))]
    return {
        let _ = zone;
        crate::dates::day_of(moment)
    };
}

#[cfg(feature = "ssr")]
mod server {
    use std::sync::OnceLock;

    use jiff::tz::TimeZone;
    use time::{Date, OffsetDateTime, UtcOffset};

    use super::{DEFAULT, NAME_MAX};

    /// A change of a zone's offset ([`Zone::transitions`]).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Transition {
        /// When it happens.
        pub at: OffsetDateTime,
        /// The offset before it.
        pub from: UtcOffset,
        /// The offset after it.
        pub to: UtcOffset,
        /// Whether the offset after it is daylight-saving time.
        pub dst: bool,
        /// The abbreviation after it (`CEST`), as the zone database has it.
        pub abbreviation: String,
    }

    /// A time zone: its canonical IANA name and its rules.
    #[derive(Debug, Clone)]
    pub struct Zone {
        name: String,
        rules: TimeZone,
    }

    impl Zone {
        /// A zone by its IANA name, in any letter case (`europe/berlin` is `Europe/Berlin`),
        /// known by its primary name.
        pub fn parse(raw: &str) -> Result<Self, String> {
            let raw = raw.trim();
            let unknown = || {
                let shown: String = raw.chars().take(NAME_MAX).collect();
                format!("`{shown}` is not a time zone. Use an IANA name like Europe/Berlin or America/New_York.")
            };
            if raw.is_empty() {
                return Err("Choose a time zone.".to_owned());
            }
            // Names are letters, digits, `/`, `_`, `-` and `+`: nothing else reaches the database.
            let shaped = raw.len() <= NAME_MAX
                && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
            if !shaped || raw.eq_ignore_ascii_case("Etc/Unknown") {
                return Err(unknown());
            }
            let rules = jiff::tz::db().get(raw).map_err(|_| unknown())?;
            // The primary name of a link (`Asia/Calcutta`, which some browsers report, is
            // `Asia/Kolkata`; `US/Pacific` is `America/Los_Angeles`), as browsers list them.
            let name = rules.primary_iana_name().or(rules.iana_name()).unwrap_or(raw).to_owned();
            Ok(Self { name, rules })
        }

        /// UTC.
        pub fn utc() -> Self {
            Self { name: DEFAULT.to_owned(), rules: TimeZone::UTC }
        }

        /// The zone an account has stored. A name this build's database does not know (one
        /// a newer release stored) reads as UTC rather than failing the request.
        pub fn of_account(name: &str) -> Self {
            Self::parse(name).unwrap_or_else(|_| Self::utc())
        }

        /// The canonical IANA name.
        pub fn name(&self) -> &str {
            &self.name
        }

        /// The zone's offset from UTC at a moment.
        pub fn offset_at(&self, moment: OffsetDateTime) -> UtcOffset {
            let seconds = jiff::Timestamp::from_nanosecond(moment.unix_timestamp_nanos())
                .map(|at| self.rules.to_offset(at).seconds())
                .unwrap_or(0);
            UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
        }

        /// A moment as the zone's clocks show it.
        pub fn local(&self, moment: OffsetDateTime) -> OffsetDateTime {
            moment.to_offset(self.offset_at(moment))
        }

        /// The zone's calendar date at a moment.
        pub fn date_at(&self, moment: OffsetDateTime) -> Date {
            self.local(moment).date()
        }

        /// Today's date in the zone.
        pub fn today(&self) -> Date {
            self.date_at(OffsetDateTime::now_utc())
        }

        /// The moment the zone's clocks show `local`. A time the clocks skip (spring forward)
        /// is read with the offset before the gap (02:30 is 03:30), a time they show twice is
        /// the first of the two: RFC 5545's reading, and jiff's "compatible" one.
        pub fn moment_of(&self, local: time::PrimitiveDateTime) -> Option<OffsetDateTime> {
            let civil = jiff::civil::DateTime::new(
                i16::try_from(local.year()).ok()?,
                i8::try_from(u8::from(local.month())).ok()?,
                i8::try_from(local.day()).ok()?,
                i8::try_from(local.hour()).ok()?,
                i8::try_from(local.minute()).ok()?,
                0,
                0,
            )
            .ok()?;
            let at = self.rules.to_timestamp(civil).ok()?;
            OffsetDateTime::from_unix_timestamp(at.as_second()).ok()
        }

        /// The zone's rules between two moments, for a calendar's `VTIMEZONE`: the offset in
        /// force at `from` (with whether it is daylight time and its abbreviation), then each
        /// change of offset until `until`.
        pub fn transitions(&self, from: OffsetDateTime, until: OffsetDateTime) -> Vec<Transition> {
            let stamp = |moment: OffsetDateTime| jiff::Timestamp::from_second(moment.unix_timestamp()).ok();
            let (Some(start), Some(end)) = (stamp(from), stamp(until)) else { return Vec::new() };
            let offset = |seconds: i32| UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC);
            let info = self.rules.to_offset_info(start);
            let now = offset(info.offset().seconds());
            let mut found = vec![Transition {
                at: from,
                from: now,
                to: now,
                dst: info.dst().is_dst(),
                abbreviation: info.abbreviation().to_owned(),
            }];
            let mut before = now;
            for change in self.rules.following(start).take_while(|t| t.timestamp() < end).take(1000) {
                let Ok(at) = OffsetDateTime::from_unix_timestamp(change.timestamp().as_second()) else { break };
                let to = offset(change.offset().seconds());
                found.push(Transition {
                    at,
                    from: before,
                    to,
                    dst: change.dst().is_dst(),
                    abbreviation: change.abbreviation().to_owned(),
                });
                before = to;
            }
            found
        }

        /// A moment to the minute as people in the zone read it: `2026-03-29 09:30`.
        pub fn minute(&self, moment: OffsetDateTime) -> String {
            let local = self.local(moment);
            format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
        }
    }

    /// The zones people choose from: the primary IANA names of places (`Europe/Berlin`) and
    /// `UTC`, sorted (about 420); not the links (`Asia/Calcutta`, `US/Pacific`, `EST5EDT`),
    /// which are accepted and stored by their primary name.
    pub fn choices() -> &'static [String] {
        static CHOICES: OnceLock<Vec<String>> = OnceLock::new();
        CHOICES.get_or_init(|| {
            const REGIONS: [&str; 10] = [
                "Africa/",
                "America/",
                "Antarctica/",
                "Arctic/",
                "Asia/",
                "Atlantic/",
                "Australia/",
                "Europe/",
                "Indian/",
                "Pacific/",
            ];
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|name| name.as_str().to_owned())
                .filter(|name| REGIONS.iter().any(|region| name.starts_with(region)))
                .filter(|name| Zone::parse(name).is_ok_and(|zone| zone.name() == name))
                .collect();
            names.push(DEFAULT.to_owned());
            names.sort();
            names.dedup();
            names
        })
    }

    #[cfg(test)]
    mod tests {
        use time::macros::{date, datetime};

        use super::*;

        #[test]
        fn names_are_found_in_any_case_and_kept_canonical() {
            assert_eq!(Zone::parse("europe/berlin").unwrap().name(), "Europe/Berlin");
            assert_eq!(Zone::parse(" America/Los_Angeles ").unwrap().name(), "America/Los_Angeles");
            assert_eq!(Zone::parse("utc").unwrap().name(), "UTC");
            assert_eq!(Zone::parse("US/Pacific").unwrap().name(), "America/Los_Angeles", "links: the primary name");
            assert_eq!(Zone::parse("Asia/Calcutta").unwrap().name(), "Asia/Kolkata");
        }

        #[test]
        fn unknown_and_hostile_names_are_refused() {
            for bad in [
                "",
                "Mars/Olympus_Mons",
                "Etc/Unknown",
                "../../etc/passwd",
                "Europe/Berlin\0",
                "<b>Berlin</b>",
                "America/Los Angeles",
                &"A".repeat(65),
            ] {
                assert!(Zone::parse(bad).is_err(), "{bad:?}");
            }
            assert_eq!(Zone::of_account("Mars/Olympus_Mons").name(), "UTC");
        }

        #[test]
        fn today_is_the_zones_date() {
            // 2026-12-05 23:30 in Los Angeles is already the 6th in UTC and in Berlin.
            let moment = datetime!(2026-12-06 07:30 UTC);
            assert_eq!(Zone::parse("America/Los_Angeles").unwrap().date_at(moment), date!(2026 - 12 - 05));
            assert_eq!(Zone::parse("Europe/Berlin").unwrap().date_at(moment), date!(2026 - 12 - 06));
            assert_eq!(Zone::utc().date_at(moment), date!(2026 - 12 - 06));
            // The zones furthest apart never share a date.
            let (east, west) = (Zone::parse("Pacific/Kiritimati").unwrap(), Zone::parse("Pacific/Pago_Pago").unwrap());
            assert_eq!(east.date_at(moment), date!(2026 - 12 - 06));
            assert_eq!(west.date_at(moment), date!(2026 - 12 - 05));
        }

        #[test]
        fn local_times_become_moments_across_daylight_saving() {
            let berlin = Zone::parse("Europe/Berlin").unwrap();
            assert_eq!(berlin.moment_of(datetime!(2027-01-10 09:00)), Some(datetime!(2027-01-10 08:00 UTC)));
            assert_eq!(berlin.moment_of(datetime!(2027-07-10 09:00)), Some(datetime!(2027-07-10 07:00 UTC)));
            // 02:30 does not exist on 2027-03-28: the moment after the gap.
            assert_eq!(berlin.moment_of(datetime!(2027-03-28 02:30)), Some(datetime!(2027-03-28 01:30 UTC)));
            // 02:30 comes twice on 2027-10-31: the first.
            assert_eq!(berlin.moment_of(datetime!(2027-10-31 02:30)), Some(datetime!(2027-10-31 00:30 UTC)));
        }

        #[test]
        fn daylight_saving_changes_move_the_offset() {
            let berlin = Zone::parse("Europe/Berlin").unwrap();
            // Clocks go forward at 02:00 local (01:00 UTC) on 2027-03-28.
            assert_eq!(berlin.minute(datetime!(2027-03-28 00:59 UTC)), "2027-03-28 01:59");
            assert_eq!(berlin.minute(datetime!(2027-03-28 01:00 UTC)), "2027-03-28 03:00");
            // And back at 03:00 local (01:00 UTC) on 2027-10-31.
            assert_eq!(berlin.minute(datetime!(2027-10-31 00:59 UTC)), "2027-10-31 02:59");
            assert_eq!(berlin.minute(datetime!(2027-10-31 01:00 UTC)), "2027-10-31 02:00");
            // Los Angeles' evening of the day it leaves daylight saving is still that day.
            let la = Zone::parse("America/Los_Angeles").unwrap();
            assert_eq!(la.date_at(datetime!(2026-11-02 07:59 UTC)), date!(2026 - 11 - 01));
            assert_eq!(la.date_at(datetime!(2026-11-02 08:00 UTC)), date!(2026 - 11 - 02));
        }

        #[test]
        fn the_choices_are_places_and_utc() {
            let choices = choices();
            assert!(choices.len() > 300, "{}", choices.len());
            for name in ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati"] {
                assert!(choices.iter().any(|c| c == name), "{name}");
            }
            for link in ["US/Pacific", "EST5EDT", "Asia/Calcutta", "Europe/Kiev"] {
                assert!(!choices.iter().any(|c| c == link), "{link}");
            }
            assert!(choices.iter().all(|c| Zone::parse(c).is_ok()));
        }
    }
}
