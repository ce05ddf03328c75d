//! What a quick-add line will set, shown under the "New task" field as it is typed: the
//! grammar is the server's ([`crate::tasks::quick`]), so the preview says what will be
//! created, before anything is sent. Written into its element directly rather than through a
//! reactive view: a view of its own cost the WASM 10 KiB gzipped, for one line of text.

use time::Date;

use super::fields::{due_label, priority_label};
use crate::tasks::{
    Priority, limits,
    quick::{Checks, PartKind, parse_with},
};

/// The id of the preview's element, which the form renders hidden and empty.
pub(super) const ID: &str = "new-task-preview";

/// The preview's checks ([`parse_with`] says why they are not the server's).
pub const CHECKS: Checks = Checks { rule: |_, _| Some(None), tag };

/// A tag as the preview shows it: the server's rules of tags (1 to 32 letters, digits, `-`
/// or `_`, lower-cased), but any other character than ASCII taken for a letter, and kept as
/// typed.
fn tag(raw: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii();
    let count = raw.chars().count();
    ((1..=limits::TAG_MAX).contains(&count) && raw.chars().all(allowed)).then(|| raw.to_ascii_lowercase())
}

/// What `text` will add, in one sentence, on the person's `today`; empty when the line holds
/// nothing but a title.
pub(super) fn sentence(text: &str, today: Date) -> String {
    let parsed = parse_with(text, today, CHECKS);
    if parsed.parts.is_empty() {
        return String::new();
    }
    let mut said = vec![format!("Adds “{}”", parsed.title)];
    match (parsed.due_date, parsed.due_time) {
        (Some(date), time) => said.push(due_label(date, time, today, false).0.to_ascii_lowercase()),
        // A rule's first date is the server's to give; its time is the line's.
        (None, Some(time)) => said.push(format!("at {}", crate::dates::time_text(time))),
        (None, None) => {}
    }
    if let Some(part) = parsed.parts.iter().find(|p| p.kind == PartKind::Repeat) {
        said.push(format!("repeats {}", &text[part.start..part.end]));
    }
    match parsed.priority {
        Some(Priority::None) => said.push("no priority".to_owned()),
        Some(priority) => said.push(format!("{} priority", priority_label(priority).to_ascii_lowercase())),
        None => {}
    }
    said.extend(parsed.tags.iter().map(|tag| format!("#{tag}")));
    said.join(" · ")
}

/// Shows the sentence for `text` under the field (hides it when there is nothing to say, or
/// no `today` to read the line on).
pub(super) fn show(text: &str, today: Option<Date>) {
    if let (Some(today), Some(element)) = (today, leptos::prelude::document().get_element_by_id(ID)) {
        let said = sentence(text, today);
        element.set_text_content(Some(&said));
        let _ = element.toggle_attribute_with_force("hidden", said.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::{CHECKS, sentence};
    use crate::tasks::quick::{Parsed, parse, parse_with, tests::CASES};

    /// The preview reads every line of the parser's table as the server does, but for a
    /// rule's first date, and for a rule the server refuses (one that ends before today).
    #[test]
    fn the_preview_reads_each_line_as_the_server_does() {
        let today = date!(2026 - 12 - 02);
        let read = |p: &Parsed| (p.title.clone(), p.repeat.clone(), p.tags.clone(), p.priority, p.due_time);
        for (text, ..) in CASES {
            let (server, preview) = (parse(text, today), parse_with(text, today, CHECKS));
            if server.repeat.is_none() && preview.repeat.is_some() {
                assert!(text.contains("until 2020"), "{text:?}: only a rule ending in the past is refused");
                continue;
            }
            assert_eq!(read(&preview), read(&server), "{text:?}");
            if server.repeat.is_none() {
                assert_eq!(preview.due_date, server.due_date, "{text:?}");
            }
        }
    }

    #[test]
    fn the_sentence_says_what_the_line_adds() {
        let today = date!(2026 - 12 - 02);
        assert_eq!(
            sentence("Pay rent every month on the 1st #home !high", today),
            "Adds “Pay rent” · repeats every month on the 1st · high priority · #home"
        );
        assert_eq!(
            sentence("Call Bob tomorrow at 9pm p3", today),
            "Adds “Call Bob” · due tomorrow at 21:00 · low priority"
        );
        assert_eq!(sentence("Party jan 5 2028", today), "Adds “Party” · due 5 jan 2028");
        assert_eq!(
            sentence("Standup every weekday at 9:15 p4", today),
            "Adds “Standup” · at 09:15 · repeats every weekday · no priority"
        );
        assert_eq!(sentence("Just a title", today), "");
        assert_eq!(sentence("tomorrow", today), "", "a line that is all phrase is all title");
    }
}
