//! Recurrence rules against an independent implementation: python-dateutil's `rrule`, run
//! on thousands of random rules (`tests/support/rrule_reference.py`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use doable::repeat::Rule;
use serde_json::{Value, json};
use time::{Date, Duration, Month};

/// How many random rules are compared (`DOABLE_RRULE_CASES` to run more).
const CASES: usize = 3000;
/// How many dates of each rule are compared, within how many years of its start.
const TAKE: usize = 25;
const YEARS: i64 = 60;

/// A small deterministic generator (xorshift64*), so that a failure can be run again: the
/// seed is printed with it (`DOABLE_RRULE_SEED` to set one).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn nonzero(&mut self, max: i64) -> i64 {
        let n = self.range(1, max);
        if self.chance(30) { -n } else { n }
    }
}

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// A random rule that happens at least once (dateutil would look for a date until the year
/// 9999 otherwise): month days that every month has when months are named, and no ordinal
/// weekday beside a month day.
fn random_rule(random: &mut Random) -> String {
    let freq = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"][random.below(4) as usize];
    let mut parts = vec![format!("FREQ={freq}")];
    if random.chance(50) {
        let max = if random.chance(80) {
            4
        } else if random.chance(90) {
            15
        } else {
            60
        };
        parts.push(format!("INTERVAL={}", random.range(1, max)));
    }
    let months = random.chance(30);
    let mut ordinals = false;
    if random.chance(55) {
        let count = random.range(1, 3);
        let ordinal = freq == "MONTHLY" || freq == "YEARLY";
        ordinals = ordinal && random.chance(50);
        let days: Vec<String> = (0..count)
            .map(|_| {
                let day = DAYS[random.below(7) as usize];
                if ordinals {
                    let max = if freq == "YEARLY" && !months { 53 } else { 5 };
                    let nth = if random.chance(85) { random.nonzero(max.min(4)) } else { random.nonzero(max) };
                    format!("{nth}{day}")
                } else {
                    day.to_owned()
                }
            })
            .collect();
        parts.push(format!("BYDAY={}", days.join(",")));
    }
    if freq != "WEEKLY" && !ordinals && random.chance(35) {
        let max = if months { 28 } else { 31 };
        let days: Vec<String> = (0..random.range(1, 2)).map(|_| random.nonzero(max).to_string()).collect();
        parts.push(format!("BYMONTHDAY={}", days.join(",")));
    }
    if months {
        let list: Vec<String> = (0..random.range(1, 3)).map(|_| random.range(1, 12).to_string()).collect();
        parts.push(format!("BYMONTH={}", list.join(",")));
    }
    parts.join(";")
}

fn random_date(random: &mut Random, from: i32, to: i32) -> Date {
    let year = random.range(from.into(), to.into()) as i32;
    let month = Month::try_from(random.range(1, 12) as u8).unwrap();
    let day = random.range(1, time::util::days_in_month(month, year).into()) as u8;
    Date::from_calendar_date(year, month, day).unwrap()
}

#[test]
fn rules_give_the_dates_python_dateutil_gives() {
    let seed = std::env::var("DOABLE_RRULE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_D0AB_1E19);
    let cases = std::env::var("DOABLE_RRULE_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(CASES);
    let mut random = Random(seed);
    let mut inputs = Vec::new();
    for _ in 0..cases {
        let mut rule = random_rule(&mut random);
        let start = random_date(&mut random, 1990, 2040);
        match random.below(10) {
            0..=2 => rule.push_str(&format!(";COUNT={}", random.range(1, 30))),
            3..=5 => {
                let until = start + Duration::days(random.range(0, 3000));
                rule.push_str(&format!(";UNTIL={:04}{:02}{:02}", until.year(), until.month() as u8, until.day()));
            }
            _ => {}
        }
        let after = start + Duration::days(random.range(-30, 5000));
        inputs.push((rule, start, after));
    }

    let lines: String = inputs
        .iter()
        .map(|(rule, start, after)| {
            let case = json!({"rule": rule, "start": format!("{start}T00:00:00"), "after": format!("{after}T00:00:00"),
                "take": TAKE, "years": YEARS});
            format!("{case}\n")
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/rrule_reference.py");
    let mut python = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 (make test installs python-dateutil)");
    python.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(output.status.success(), "the reference failed (is python-dateutil installed? make test installs it)");
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), inputs.len());

    let mut failures = Vec::new();
    for ((text, start, after), answer) in inputs.iter().zip(&answers) {
        let rule = Rule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let limit = *start + Duration::days(365 * YEARS);
        let ours: Vec<String> =
            rule.dates(*start).take_while(|d| *d <= limit).take(TAKE).map(|d| d.to_string()).collect();
        let theirs: Vec<String> =
            answer["dates"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
        let next = rule.next_after(*start, *after).map(|d| d.to_string());
        let their_next = answer["next"].as_str().map(str::to_owned);
        if ours != theirs || next != their_next {
            failures.push(format!(
                "{text} from {start}: ours {ours:?}, dateutil {theirs:?}; after {after}: ours {next:?}, dateutil \
                 {their_next:?}"
            ));
        }
        // The canonical text is the same rule.
        assert_eq!(Rule::parse(&rule.to_string()).unwrap(), rule, "{text}");
    }
    let compared: usize = answers.iter().map(|a| a["dates"].as_array().unwrap().len()).sum();
    assert!(compared > cases * 10, "too few dates compared ({compared}): the generator makes rules that end early");
    assert!(
        failures.is_empty(),
        "{} of {cases} rules differ from dateutil (seed {seed:#x}):\n{}",
        failures.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}
