//! The rules' parsing, dates and words (split from [`super`] for length).

use time::macros::date;

use super::*;

fn first(rule: &str, start: Date, n: usize) -> Vec<Date> {
    Rule::parse(rule).unwrap().dates(start).take(n).collect()
}

#[test]
fn monthly_on_the_31st_skips_the_short_months() {
    let dates = first("FREQ=MONTHLY;BYMONTHDAY=31", date!(2027 - 01 - 31), 4);
    assert_eq!(dates, [date!(2027 - 01 - 31), date!(2027 - 03 - 31), date!(2027 - 05 - 31), date!(2027 - 07 - 31)]);
    // Without BYMONTHDAY the start's day is the rule's.
    assert_eq!(first("FREQ=MONTHLY", date!(2027 - 01 - 31), 2), [date!(2027 - 01 - 31), date!(2027 - 03 - 31)]);
    assert_eq!(
        first("FREQ=MONTHLY;BYMONTHDAY=-1", date!(2027 - 01 - 15), 3),
        [date!(2027 - 01 - 31), date!(2027 - 02 - 28), date!(2027 - 03 - 31)]
    );
}

#[test]
fn ordinals_count_within_the_month() {
    assert_eq!(
        first("FREQ=MONTHLY;BYDAY=-1FR", date!(2027 - 01 - 01), 3),
        [date!(2027 - 01 - 29), date!(2027 - 02 - 26), date!(2027 - 03 - 26)]
    );
    assert_eq!(
        first("FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO", date!(2027 - 01 - 01), 3),
        [date!(2027 - 01 - 04), date!(2027 - 03 - 01), date!(2027 - 05 - 03)]
    );
    // Thanksgiving: the fourth Thursday of November.
    assert_eq!(
        first("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", date!(2026 - 01 - 01), 2),
        [date!(2026 - 11 - 26), date!(2027 - 11 - 25)]
    );
}

#[test]
fn weekly_rules_fall_on_their_days_every_interval_weeks() {
    // Every other week on Monday and Thursday, from a Wednesday: that week's Thursday first.
    assert_eq!(
        first("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", date!(2026 - 12 - 02), 4),
        [date!(2026 - 12 - 03), date!(2026 - 12 - 14), date!(2026 - 12 - 17), date!(2026 - 12 - 28)]
    );
    assert_eq!(first("FREQ=WEEKLY", date!(2026 - 12 - 02), 2), [date!(2026 - 12 - 02), date!(2026 - 12 - 09)]);
}

#[test]
fn count_and_until_end_the_rule() {
    assert_eq!(first("FREQ=DAILY;COUNT=3", date!(2026 - 12 - 30), 10).len(), 3);
    assert_eq!(
        first("FREQ=DAILY;INTERVAL=2;UNTIL=20270104", date!(2026 - 12 - 30), 10),
        [date!(2026 - 12 - 30), date!(2027 - 01 - 01), date!(2027 - 01 - 03)]
    );
    let rule = Rule::parse("FREQ=WEEKLY;COUNT=2").unwrap();
    assert_eq!(rule.next_after(date!(2026 - 12 - 02), date!(2026 - 12 - 02)), Some(date!(2026 - 12 - 09)));
    assert_eq!(rule.next_after(date!(2026 - 12 - 02), date!(2026 - 12 - 09)), None, "the count is used up");
}

#[test]
fn next_after_skips_ahead_to_the_first_date_after() {
    let rule = Rule::parse("FREQ=DAILY;INTERVAL=3").unwrap();
    assert_eq!(rule.next_after(date!(2020 - 01 - 01), date!(2026 - 12 - 05)), Some(date!(2026 - 12 - 07)));
    let yearly = Rule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29").unwrap();
    assert_eq!(yearly.next_after(date!(2024 - 02 - 29), date!(2024 - 02 - 29)), Some(date!(2028 - 02 - 29)));
    assert_eq!(yearly.next_after(date!(2096 - 02 - 29), date!(2096 - 02 - 29)), Some(date!(2104 - 02 - 29)));
}

#[test]
fn a_long_yearly_interval_still_has_its_next_date() {
    let rule = Rule::parse("FREQ=YEARLY;INTERVAL=500").unwrap();
    assert_eq!(rule.next_after(date!(2026 - 12 - 05), date!(2026 - 12 - 05)), Some(date!(2526 - 12 - 05)));
}

#[test]
fn a_rule_that_never_happens_ends() {
    let never = Rule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30").unwrap();
    assert_eq!(never.dates(date!(2026 - 01 - 01)).next(), None);
    let never = Rule::parse("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31").unwrap();
    assert_eq!(never.next_after(date!(2026 - 01 - 01), date!(2026 - 01 - 01)), None);
}

#[test]
fn rules_read_back_in_canonical_form() {
    for (text, canonical) in [
        ("FREQ=WEEKLY", "FREQ=WEEKLY"),
        ("rrule:freq=weekly;byday=th,mo;interval=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"),
        ("FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=5"),
        (
            "FREQ=YEARLY;BYMONTH=12,1;BYMONTHDAY=1;UNTIL=20300101T000000Z",
            "FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=1,12;UNTIL=20300101",
        ),
        (" FREQ=DAILY ; INTERVAL=1 ; WKST=MO ;", "FREQ=DAILY"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,-1,1", "FREQ=MONTHLY;BYMONTHDAY=-1,1"),
    ] {
        let rule = Rule::parse(text).unwrap();
        assert_eq!(rule.to_string(), canonical, "{text}");
        assert_eq!(Rule::parse(&rule.to_string()).unwrap(), rule);
    }
}

#[test]
fn rules_read_in_words() {
    for (text, words) in [
        ("FREQ=DAILY", "every day"),
        ("FREQ=DAILY;INTERVAL=3", "every 3 days"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "every 2 weeks on Mon, Thu"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Fri"),
        ("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", "every month on the 2nd Tue, 3 times"),
        ("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", "every year on the 4th Thu in Nov"),
        ("FREQ=YEARLY;UNTIL=20300101", "every year, until 2030-01-01"),
        ("FREQ=MONTHLY;BYMONTHDAY=11,12,13,22;COUNT=1", "every month on the 11th, 12th, 13th, 22nd, once"),
    ] {
        assert_eq!(Rule::parse(text).unwrap().describe(), words, "{text}");
    }
}

#[test]
fn what_is_not_supported_is_named() {
    for (text, named) in [
        ("", "FREQ"),
        ("FREQ=HOURLY", "FREQ"),
        ("FREQ=DAILY;BYHOUR=9", "BYHOUR"),
        ("FREQ=DAILY;BYSETPOS=1", "BYSETPOS"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;INTERVAL=1000", "INTERVAL"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "COUNT"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY;UNTIL=2027-01-01", "UNTIL"),
        ("FREQ=DAILY;UNTIL=20270230", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=1MO", "ordinals"),
        ("FREQ=MONTHLY;BYDAY=MO,1FR", "BYDAY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY ordinal"),
        ("FREQ=MONTHLY;BYDAY=0MO", "BYDAY ordinal"),
        ("FREQ=MONTHLY;BYDAY=XX", "BYDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ"),
        ("FREQ=DAILY;WKST=SU", "WKST"),
        ("FREQ", "FREQ"),
    ] {
        let error = Rule::parse(text).unwrap_err();
        assert!(error.contains(named), "{text}: {error}");
    }
    assert!(Rule::parse(&format!("FREQ=DAILY;{}", "WKST=MO;".repeat(40))).unwrap_err().contains("200"));
}
