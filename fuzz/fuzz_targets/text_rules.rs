//! Each text rule on any string: never a panic, what it accepts obeys the rule, and
//! normalizing twice changes nothing (so a value read back from the database passes again).
#![no_main]

use doable::{
    auth::{check_password_shape, normalize_email, normalize_name},
    dates::parse_date,
    tasks::{limits, normalize_description, normalize_tag, normalize_title, parse_tags},
    ui::safe_next,
};
use libfuzzer_sys::fuzz_target;

fn idempotent(rule: impl Fn(&str) -> Result<String, String>, text: &str) {
    if let Ok(once) = rule(text) {
        assert_eq!(rule(&once).as_ref(), Ok(&once), "normalizing {text:?} twice differs");
    }
}

fuzz_target!(|text: &str| {
    idempotent(normalize_title, text);
    idempotent(normalize_description, text);
    idempotent(normalize_tag, text);
    idempotent(normalize_email, text);
    idempotent(normalize_name, text);

    if let Ok(tags) = parse_tags(text) {
        assert!(tags.len() <= limits::TAGS_MAX);
        assert_eq!(parse_tags(&tags.join(",")).as_ref(), Ok(&tags), "tags survive a round trip");
    }
    if let Ok(Some(date)) = parse_date(text) {
        assert_eq!(parse_date(&date.to_string()), Ok(Some(date)), "dates survive a round trip");
    }
    if check_password_shape(text).is_ok() {
        let length = text.chars().count();
        assert!((8..=128).contains(&length));
    }

    let next = safe_next(Some(text));
    assert!(next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\"), "{next:?}");
    assert!(!next.chars().any(|c| c.is_control() || c.is_whitespace()), "{next:?}");
});
