//! The quick-add parser on a fixed today: Wednesday 2 December 2026.

use time::macros::date;

use super::{PartKind, parse};
use crate::tasks::{Priority, RepeatFrom};

/// A line and what it means: title, due date, due time, repeat rule (`!` first when it
/// counts from the completion), priority, tags (comma-separated); `-` for nothing.
pub(crate) type Case =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str);

pub(crate) const CASES: &[Case] = &[
    // The example.
    (
        "Pay rent every month on the 1st #home !high",
        "Pay rent",
        "2027-01-01",
        "-",
        "FREQ=MONTHLY;BYMONTHDAY=1",
        "high",
        "home",
    ),
    ("Pay rent every month on the 1st", "Pay rent", "2027-01-01", "-", "FREQ=MONTHLY;BYMONTHDAY=1", "-", "-"),
    // Days by name and by distance.
    ("Buy milk today", "Buy milk", "2026-12-02", "-", "-", "-", "-"),
    ("Buy milk tomorrow", "Buy milk", "2026-12-03", "-", "-", "-", "-"),
    ("Pay TOMORROW", "Pay", "2026-12-03", "-", "-", "-", "-"),
    ("Call mom tonight", "Call mom", "2026-12-02", "-", "-", "-", "-"),
    ("Pay bills tmr", "Pay bills", "2026-12-03", "-", "-", "-", "-"),
    ("Pay bills tmrw", "Pay bills", "2026-12-03", "-", "-", "-", "-"),
    ("Report friday", "Report", "2026-12-04", "-", "-", "-", "-"),
    ("Report Friday", "Report", "2026-12-04", "-", "-", "-", "-"),
    ("Report wednesday", "Report", "2026-12-02", "-", "-", "-", "-"),
    ("Report tuesday", "Report", "2026-12-08", "-", "-", "-", "-"),
    ("Report sunday", "Report", "2026-12-06", "-", "-", "-", "-"),
    ("Report on fri", "Report", "2026-12-04", "-", "-", "-", "-"),
    ("Report on tues", "Report", "2026-12-08", "-", "-", "-", "-"),
    ("Report fri", "Report fri", "-", "-", "-", "-", "-"),
    ("Wear sun cream", "Wear sun cream", "-", "-", "-", "-", "-"),
    ("Dinner sat", "Dinner sat", "-", "-", "-", "-", "-"),
    ("Dinner on sat", "Dinner", "2026-12-05", "-", "-", "-", "-"),
    ("Report due monday", "Report", "2026-12-07", "-", "-", "-", "-"),
    ("Report by thursday", "Report", "2026-12-03", "-", "-", "-", "-"),
    ("Monday meeting", "meeting", "2026-12-07", "-", "-", "-", "-"),
    ("Plan next week", "Plan", "2026-12-07", "-", "-", "-", "-"),
    ("Plan next month", "Plan", "2027-01-01", "-", "-", "-", "-"),
    ("Plan next year", "Plan", "2027-01-01", "-", "-", "-", "-"),
    ("Dentist next wednesday", "Dentist", "2026-12-09", "-", "-", "-", "-"),
    ("Dentist next friday", "Dentist", "2026-12-04", "-", "-", "-", "-"),
    ("Dinner next sat", "Dinner", "2026-12-05", "-", "-", "-", "-"),
    ("Dentist this friday", "Dentist", "2026-12-04", "-", "-", "-", "-"),
    ("Dentist this wednesday", "Dentist", "2026-12-02", "-", "-", "-", "-"),
    ("Hike this weekend", "Hike", "2026-12-05", "-", "-", "-", "-"),
    ("Call in 3 days", "Call", "2026-12-05", "-", "-", "-", "-"),
    ("Call in two days", "Call", "2026-12-04", "-", "-", "-", "-"),
    ("Call in a week", "Call", "2026-12-09", "-", "-", "-", "-"),
    ("Call in 2 weeks", "Call", "2026-12-16", "-", "-", "-", "-"),
    ("Pay in 5 weeks", "Pay", "2027-01-06", "-", "-", "-", "-"),
    ("Call in 1 month", "Call", "2027-01-02", "-", "-", "-", "-"),
    ("Call in 3 months", "Call", "2027-03-02", "-", "-", "-", "-"),
    ("Call in a year", "Call", "2027-12-02", "-", "-", "-", "-"),
    ("Call in an hour", "Call in an hour", "-", "-", "-", "-", "-"),
    ("Pay in 0 days", "Pay in 0 days", "-", "-", "-", "-", "-"),
    // Calendar dates.
    ("Party jan 5", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party Jan 5", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party january 5th", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party 5 jan", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party 5th of january", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party dec 2", "Party", "2026-12-02", "-", "-", "-", "-"),
    ("Party dec 1", "Party", "2027-12-01", "-", "-", "-", "-"),
    ("Party jan 5 2028", "Party", "2028-01-05", "-", "-", "-", "-"),
    ("Party jan 5, 2028", "Party", "2028-01-05", "-", "-", "-", "-"),
    ("Party jan 5th 2027", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party on jan 5", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Party sept 9", "Party", "2027-09-09", "-", "-", "-", "-"),
    ("Party march 21st", "Party", "2027-03-21", "-", "-", "-", "-"),
    ("Party 22nd feb", "Party", "2027-02-22", "-", "-", "-", "-"),
    ("Party 2027-01-05", "Party", "2027-01-05", "-", "-", "-", "-"),
    ("Ship it 2026-12-01", "Ship it", "2026-12-01", "-", "-", "-", "-"),
    ("Party on 2027-03-01", "Party", "2027-03-01", "-", "-", "-", "-"),
    ("Leap day feb 29", "Leap day", "2028-02-29", "-", "-", "-", "-"),
    ("Party 2027-02-30", "Party 2027-02-30", "-", "-", "-", "-", "-"),
    ("Party jan 32", "Party jan 32", "-", "-", "-", "-", "-"),
    ("Party jan 5rd", "Party jan 5rd", "-", "-", "-", "-", "-"),
    ("Party feb 30", "Party feb 30", "-", "-", "-", "-", "-"),
    ("Rent on the 15th", "Rent", "2026-12-15", "-", "-", "-", "-"),
    ("Rent on the 1st", "Rent", "2027-01-01", "-", "-", "-", "-"),
    ("Rent on the 31st", "Rent", "2026-12-31", "-", "-", "-", "-"),
    ("Rent on the 2nd", "Rent", "2026-12-02", "-", "-", "-", "-"),
    // Words that only look like the start of a date stay.
    ("Read on the bus", "Read on the bus", "-", "-", "-", "-", "-"),
    ("Focus on the 2 main goals", "Focus on the 2 main goals", "-", "-", "-", "-", "-"),
    ("Party jan +5", "Party jan +5", "-", "-", "-", "-", "-"),
    ("Watch next episode", "Watch next episode", "-", "-", "-", "-", "-"),
    ("Read in the morning", "Read in the morning", "-", "-", "-", "-", "-"),
    ("May the force be with you", "May the force be with you", "-", "-", "-", "-", "-"),
    ("Order 3 decorations", "Order 3 decorations", "-", "-", "-", "-", "-"),
    ("Call Mark", "Call Mark", "-", "-", "-", "-", "-"),
    ("Call mom tomorrow friday", "Call mom friday", "2026-12-03", "-", "-", "-", "-"),
    // Times.
    ("Call at 9", "Call", "2026-12-02", "09:00", "-", "-", "-"),
    ("Call at 9am", "Call", "2026-12-02", "09:00", "-", "-", "-"),
    ("Call at 9 pm", "Call", "2026-12-02", "21:00", "-", "-", "-"),
    ("Call 9 am", "Call", "2026-12-02", "09:00", "-", "-", "-"),
    ("Call 9am", "Call", "2026-12-02", "09:00", "-", "-", "-"),
    ("Call 9AM", "Call", "2026-12-02", "09:00", "-", "-", "-"),
    ("Call 9:30pm", "Call", "2026-12-02", "21:30", "-", "-", "-"),
    ("Call 17:30", "Call", "2026-12-02", "17:30", "-", "-", "-"),
    ("Call at 17:30", "Call", "2026-12-02", "17:30", "-", "-", "-"),
    ("Call at 07:05", "Call", "2026-12-02", "07:05", "-", "-", "-"),
    ("Lunch at noon", "Lunch", "2026-12-02", "12:00", "-", "-", "-"),
    ("Backup at midnight", "Backup", "2026-12-02", "00:00", "-", "-", "-"),
    ("Call 12am", "Call", "2026-12-02", "00:00", "-", "-", "-"),
    ("Call 12pm", "Call", "2026-12-02", "12:00", "-", "-", "-"),
    ("Call at 25", "Call at 25", "-", "-", "-", "-", "-"),
    ("Call at 9:60", "Call at 9:60", "-", "-", "-", "-", "-"),
    ("Call 13pm", "Call 13pm", "-", "-", "-", "-", "-"),
    ("Call 0am", "Call 0am", "-", "-", "-", "-", "-"),
    ("Call 9", "Call 9", "-", "-", "-", "-", "-"),
    ("Score 7:5", "Score 7:5", "-", "-", "-", "-", "-"),
    ("Read John 3:16", "Read John 3:16", "-", "-", "-", "-", "-"),
    ("Call 9:30", "Call 9:30", "-", "-", "-", "-", "-"),
    ("Call at 9:30", "Call", "2026-12-02", "09:30", "-", "-", "-"),
    ("Call 09:30", "Call", "2026-12-02", "09:30", "-", "-", "-"),
    ("Call at 9:+5", "Call at 9:+5", "-", "-", "-", "-", "-"),
    ("Meet at home", "Meet at home", "-", "-", "-", "-", "-"),
    ("Noon walk", "Noon walk", "-", "-", "-", "-", "-"),
    ("Now I am here", "Now I am here", "-", "-", "-", "-", "-"),
    ("Call tomorrow at 9am", "Call", "2026-12-03", "09:00", "-", "-", "-"),
    ("Call at 9am tomorrow", "Call", "2026-12-03", "09:00", "-", "-", "-"),
    ("Call friday 17:30", "Call", "2026-12-04", "17:30", "-", "-", "-"),
    ("Meet Tuesday 9:30am", "Meet", "2026-12-08", "09:30", "-", "-", "-"),
    ("Call in 3 weeks at 8", "Call", "2026-12-23", "08:00", "-", "-", "-"),
    ("Call at 9am at 10am", "Call at 10am", "2026-12-02", "09:00", "-", "-", "-"),
    // Repeat rules, and the first date each gives.
    ("Water plants every day", "Water plants", "2026-12-02", "-", "FREQ=DAILY", "-", "-"),
    ("Water plants daily", "Water plants", "2026-12-02", "-", "FREQ=DAILY", "-", "-"),
    ("Water every other day", "Water", "2026-12-02", "-", "FREQ=DAILY;INTERVAL=2", "-", "-"),
    ("Clean every 2 days", "Clean", "2026-12-02", "-", "FREQ=DAILY;INTERVAL=2", "-", "-"),
    ("Stand-up every weekday", "Stand-up", "2026-12-02", "-", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "-", "-"),
    ("Stand-up every workday", "Stand-up", "2026-12-02", "-", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "-", "-"),
    ("Gym every weekend", "Gym", "2026-12-05", "-", "FREQ=WEEKLY;BYDAY=SA,SU", "-", "-"),
    ("Review every week", "Review", "2026-12-02", "-", "FREQ=WEEKLY", "-", "-"),
    ("Review weekly", "Review", "2026-12-02", "-", "FREQ=WEEKLY", "-", "-"),
    ("Review every 2 weeks", "Review", "2026-12-02", "-", "FREQ=WEEKLY;INTERVAL=2", "-", "-"),
    ("Review every other week", "Review", "2026-12-02", "-", "FREQ=WEEKLY;INTERVAL=2", "-", "-"),
    ("Review every other week on mon", "Review", "2026-12-07", "-", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "-", "-"),
    ("Gym every week on friday", "Gym", "2026-12-04", "-", "FREQ=WEEKLY;BYDAY=FR", "-", "-"),
    ("Gym every monday", "Gym", "2026-12-07", "-", "FREQ=WEEKLY;BYDAY=MO", "-", "-"),
    ("Gym every Monday", "Gym", "2026-12-07", "-", "FREQ=WEEKLY;BYDAY=MO", "-", "-"),
    ("Gym every thurs", "Gym", "2026-12-03", "-", "FREQ=WEEKLY;BYDAY=TH", "-", "-"),
    ("Gym every monday and thursday", "Gym", "2026-12-03", "-", "FREQ=WEEKLY;BYDAY=MO,TH", "-", "-"),
    ("Gym every mon, thu", "Gym", "2026-12-03", "-", "FREQ=WEEKLY;BYDAY=MO,TH", "-", "-"),
    ("Gym every tue, thu and sat", "Gym", "2026-12-03", "-", "FREQ=WEEKLY;BYDAY=TU,TH,SA", "-", "-"),
    ("Rent every month", "Rent", "2026-12-02", "-", "FREQ=MONTHLY", "-", "-"),
    ("Rent monthly", "Rent", "2026-12-02", "-", "FREQ=MONTHLY", "-", "-"),
    ("Rent every month on the 15th", "Rent", "2026-12-15", "-", "FREQ=MONTHLY;BYMONTHDAY=15", "-", "-"),
    ("Rent every month on the last day", "Rent", "2026-12-31", "-", "FREQ=MONTHLY;BYMONTHDAY=-1", "-", "-"),
    ("Rent every month on the last friday", "Rent", "2026-12-25", "-", "FREQ=MONTHLY;BYDAY=-1FR", "-", "-"),
    ("Rent every month on the first monday", "Rent", "2026-12-07", "-", "FREQ=MONTHLY;BYDAY=1MO", "-", "-"),
    ("Rent every month on the 2nd tuesday", "Rent", "2026-12-08", "-", "FREQ=MONTHLY;BYDAY=2TU", "-", "-"),
    ("Rent every 15th", "Rent", "2026-12-15", "-", "FREQ=MONTHLY;BYMONTHDAY=15", "-", "-"),
    ("Rent every last friday", "Rent", "2026-12-25", "-", "FREQ=MONTHLY;BYDAY=-1FR", "-", "-"),
    ("Rent every last day", "Rent", "2026-12-31", "-", "FREQ=MONTHLY;BYMONTHDAY=-1", "-", "-"),
    ("Rent every 3 months", "Rent", "2026-12-02", "-", "FREQ=MONTHLY;INTERVAL=3", "-", "-"),
    ("Review every 2 months on the 1st", "Review", "2027-01-01", "-", "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1", "-", "-"),
    ("Taxes every year", "Taxes", "2026-12-02", "-", "FREQ=YEARLY", "-", "-"),
    ("Taxes yearly", "Taxes", "2026-12-02", "-", "FREQ=YEARLY", "-", "-"),
    ("Taxes annually", "Taxes", "2026-12-02", "-", "FREQ=YEARLY", "-", "-"),
    ("Birthday every jan 5", "Birthday", "2027-01-05", "-", "FREQ=YEARLY;BYMONTHDAY=5;BYMONTH=1", "-", "-"),
    ("Birthday every 5 jan", "Birthday", "2027-01-05", "-", "FREQ=YEARLY;BYMONTHDAY=5;BYMONTH=1", "-", "-"),
    ("Birthday every year on mar 3", "Birthday", "2027-03-03", "-", "FREQ=YEARLY;BYMONTHDAY=3;BYMONTH=3", "-", "-"),
    ("Water every! 3 days", "Water", "2026-12-02", "-", "!FREQ=DAILY;INTERVAL=3", "-", "-"),
    ("Haircut every! 4 weeks", "Haircut", "2026-12-02", "-", "!FREQ=WEEKLY;INTERVAL=4", "-", "-"),
    ("Pills every day at 8am", "Pills", "2026-12-02", "08:00", "FREQ=DAILY", "-", "-"),
    ("Pills every day until jan 5", "Pills", "2026-12-02", "-", "FREQ=DAILY;UNTIL=20270105", "-", "-"),
    ("Ends every day until next friday", "Ends", "2026-12-02", "-", "FREQ=DAILY;UNTIL=20261204", "-", "-"),
    ("Pills every day for 10 times", "Pills", "2026-12-02", "-", "FREQ=DAILY;COUNT=10", "-", "-"),
    ("Pills every day 5 times", "Pills", "2026-12-02", "-", "FREQ=DAILY;COUNT=5", "-", "-"),
    ("Gym every monday starting jan 4", "Gym", "2027-01-04", "-", "FREQ=WEEKLY;BYDAY=MO", "-", "-"),
    ("Gym every monday starting jan 5", "Gym", "2027-01-11", "-", "FREQ=WEEKLY;BYDAY=MO", "-", "-"),
    ("Rent every month on the 1st dec 20", "Rent", "2027-01-01", "-", "FREQ=MONTHLY;BYMONTHDAY=1", "-", "-"),
    ("Gym every other monday", "Gym", "2026-12-07", "-", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "-", "-"),
    ("Gym every other tue and thu", "Gym", "2026-12-03", "-", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "-", "-"),
    ("Gym every thursday and monday", "Gym", "2026-12-03", "-", "FREQ=WEEKLY;BYDAY=MO,TH", "-", "-"),
    ("Gym every mon and monday", "Gym", "2026-12-07", "-", "FREQ=WEEKLY;BYDAY=MO", "-", "-"),
    ("Mow lawn every 2nd week", "Mow lawn", "2026-12-02", "-", "FREQ=WEEKLY;INTERVAL=2", "-", "-"),
    ("Water every third day", "Water", "2026-12-02", "-", "FREQ=DAILY;INTERVAL=3", "-", "-"),
    ("Rent every 3rd friday", "Rent", "2026-12-18", "-", "FREQ=MONTHLY;BYDAY=3FR", "-", "-"),
    ("Rent every month on 15th", "Rent", "2026-12-15", "-", "FREQ=MONTHLY;BYMONTHDAY=15", "-", "-"),
    ("Write weekly report", "Write weekly report", "-", "-", "-", "-", "-"),
    ("Daily standup", "Daily standup", "-", "-", "-", "-", "-"),
    ("Standup daily at 9", "Standup", "2026-12-02", "09:00", "FREQ=DAILY", "-", "-"),
    ("Review weekly #work", "Review", "2026-12-02", "-", "FREQ=WEEKLY", "-", "work"),
    ("Pills every! day for 10 times", "Pills for 10 times", "2026-12-02", "-", "!FREQ=DAILY", "-", "-"),
    ("Standup every weekday at 9:15", "Standup", "2026-12-02", "09:15", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "-", "-"),
    ("Clean every day every week", "Clean every week", "2026-12-02", "-", "FREQ=DAILY", "-", "-"),
    ("Talk every now and then", "Talk every now and then", "-", "-", "-", "-", "-"),
    ("Report every 1000 days", "Report every 1000 days", "-", "-", "-", "-", "-"),
    ("Report every 15", "Report every 15", "-", "-", "-", "-", "-"),
    ("every 2 weeks", "every 2 weeks", "-", "-", "-", "-", "-"),
    // Priorities.
    ("Pay taxes !high", "Pay taxes", "-", "-", "-", "high", "-"),
    ("Pay taxes !HIGH", "Pay taxes", "-", "-", "-", "high", "-"),
    ("Pay taxes !medium", "Pay taxes", "-", "-", "-", "medium", "-"),
    ("Pay taxes !med", "Pay taxes", "-", "-", "-", "medium", "-"),
    ("Pay taxes !low", "Pay taxes", "-", "-", "-", "low", "-"),
    ("Pay taxes p1", "Pay taxes", "-", "-", "-", "high", "-"),
    ("Pay taxes p2", "Pay taxes", "-", "-", "-", "medium", "-"),
    ("Pay taxes P3", "Pay taxes", "-", "-", "-", "low", "-"),
    ("Pay taxes p4", "Pay taxes", "-", "-", "-", "none", "-"),
    ("Pay taxes !urgent", "Pay taxes !urgent", "-", "-", "-", "-", "-"),
    ("Pay taxes !high !low", "Pay taxes !low", "-", "-", "-", "high", "-"),
    ("Buy p5 paper", "Buy p5 paper", "-", "-", "-", "-", "-"),
    // Tags.
    ("Buy milk #shopping", "Buy milk", "-", "-", "-", "-", "shopping"),
    ("Buy milk #Shopping #food", "Buy milk", "-", "-", "-", "-", "shopping,food"),
    ("Buy milk #shopping #SHOPPING", "Buy milk", "-", "-", "-", "-", "shopping"),
    ("#errands Buy milk", "Buy milk", "-", "-", "-", "-", "errands"),
    ("Fix bug #123", "Fix bug #123", "-", "-", "-", "-", "-"),
    ("Fix issue #42 #backend", "Fix issue #42", "-", "-", "-", "-", "backend"),
    ("Fix #1a", "Fix", "-", "-", "-", "-", "1a"),
    ("Fix #bug!", "Fix #bug!", "-", "-", "-", "-", "-"),
    ("Issue #", "Issue #", "-", "-", "-", "-", "-"),
    ("Café #café", "Café", "-", "-", "-", "-", "café"),
    // Quoted words are title.
    ("Read \"Tomorrow\" #books", "Read Tomorrow", "-", "-", "-", "-", "books"),
    ("Watch \"Friday Night Lights\" friday", "Watch Friday Night Lights", "2026-12-04", "-", "-", "-", "-"),
    ("\"Every day\" is a song", "Every day is a song", "-", "-", "-", "-", "-"),
    ("Say \"9am\"", "Say 9am", "-", "-", "-", "-", "-"),
    ("Empty \"\" quotes tomorrow", "Empty quotes", "2026-12-03", "-", "-", "-", "-"),
    ("Pills every day until 2020-01-01", "Pills every day until", "2020-01-01", "-", "-", "-", "-"),
    ("Unclosed \"quote tomorrow", "Unclosed \"quote", "2026-12-03", "-", "-", "-", "-"),
    // Everything at once, spacing, punctuation, a line that is all phrase.
    ("Submit report friday at 5pm #work p1", "Submit report", "2026-12-04", "17:00", "-", "high", "work"),
    ("Team sync every monday at 10:00 #work", "Team sync", "2026-12-07", "10:00", "FREQ=WEEKLY;BYDAY=MO", "-", "work"),
    ("Plan Q1 next month !low #work #plan", "Plan Q1", "2027-01-01", "-", "-", "low", "work,plan"),
    ("  Spaces   everywhere  tomorrow ", "Spaces everywhere", "2026-12-03", "-", "-", "-", "-"),
    ("Buy milk tomorrow, then call", "Buy milk then call", "2026-12-03", "-", "-", "-", "-"),
    ("Ünïcödé tâsk tomorrow", "Ünïcödé tâsk", "2026-12-03", "-", "-", "-", "-"),
    ("tomorrow", "tomorrow", "-", "-", "-", "-", "-"),
    ("#home", "#home", "-", "-", "-", "-", "-"),
    ("tomorrow at 9 #home", "tomorrow at 9 #home", "-", "-", "-", "-", "-"),
    ("", "", "-", "-", "-", "-", "-"),
];

#[test]
fn every_phrase_of_the_table_means_what_it_says() {
    assert!(CASES.len() >= 150, "{} phrases", CASES.len());
    let today = date!(2026 - 12 - 02);
    let mut wrong = Vec::new();
    for &(text, title, due, time, repeat, priority, tags) in CASES {
        let parsed = parse(text, today);
        let shown = (
            parsed.title.as_str(),
            parsed.due_date.map_or("-".to_owned(), |d| d.to_string()),
            parsed.due_time.map_or("-".to_owned(), crate::dates::time_text),
            parsed.repeat.as_ref().map_or("-".to_owned(), |r| {
                format!("{}{r}", if parsed.repeat_from == RepeatFrom::Completion { "!" } else { "" })
            }),
            parsed.priority.map_or("-", Priority::as_str),
            if parsed.tags.is_empty() { "-".to_owned() } else { parsed.tags.join(",") },
        );
        let expected = (title, due.to_owned(), time.to_owned(), repeat.to_owned(), priority, tags.to_owned());
        // The grammar writes each rule in its canonical form, as the recurrence rules read it.
        if let Some(rule) = &parsed.repeat {
            assert_eq!(crate::repeat::Rule::parse(rule).map(|r| r.to_string()).as_ref(), Ok(rule), "{text:?}");
        }
        if shown != expected {
            wrong.push(format!("{text:?}\n    got      {shown:?}\n    expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{} of {} phrases wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn parts_say_where_each_phrase_is() {
    let text = "Pay rent every month on the 1st #home !high";
    let parts: Vec<(PartKind, &str)> =
        parse(text, date!(2026 - 12 - 02)).parts.iter().map(|p| (p.kind, &text[p.start..p.end])).collect();
    assert_eq!(
        parts,
        [(PartKind::Repeat, "every month on the 1st"), (PartKind::Tag, "#home"), (PartKind::Priority, "!high"),]
    );
    let text = "Café demain tomorrow, at 9";
    let parts: Vec<&str> = parse(text, date!(2026 - 12 - 02)).parts.iter().map(|p| &text[p.start..p.end]).collect();
    assert_eq!(parts, ["tomorrow,", "at 9"]);
}

/// Random lines of phrase words, title words and odd characters: the parser never panics,
/// its parts lie on character boundaries in order without overlapping, and no word of a part
/// is left in the title.
#[test]
fn any_line_parses_into_parts_that_fit_it() {
    const WORDS: &[&str] = &[
        "every",
        "every!",
        "day",
        "2",
        "weeks",
        "on",
        "the",
        "last",
        "friday",
        "mon",
        "and",
        "until",
        "jan",
        "5",
        "31st",
        "at",
        "9",
        "9am",
        "pm",
        "17:30",
        "#tag",
        "#",
        "!high",
        "p1",
        "in",
        "a",
        "next",
        "month",
        "\"",
        "\"quoted words\"",
        "tomorrow",
        "é",
        "😀",
        ",",
        "for",
        "times",
        "2027-01-05",
        "this",
        "weekend",
        "of",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap_or(0)
    };
    for _ in 0..20_000 {
        let line: Vec<&str> = (0..next(12)).map(|_| WORDS[next(WORDS.len())]).collect();
        let text = line.join(if next(2) == 0 { " " } else { "  " });
        let parsed = parse(&text, date!(2026 - 12 - 02));
        let mut end = 0;
        for part in &parsed.parts {
            assert!(part.start >= end && part.start < part.end && part.end <= text.len(), "{text:?}: {part:?}");
            assert!(text.is_char_boundary(part.start) && text.is_char_boundary(part.end), "{text:?}");
            end = part.end;
        }
        if !parsed.parts.is_empty() {
            assert!(!parsed.title.is_empty(), "{text:?} left no title");
        }
        assert!(parsed.repeat.is_none() || parsed.due_date.is_some(), "{text:?}: a rule without a first date");
    }
}
