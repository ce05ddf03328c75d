//! How a task's fields read (priority labels and menus, due dates), and menus of fixed choices.

use leptos::prelude::*;
use time::{Date, Duration, Time};

use crate::tasks::{Priority, RepeatFrom};

/// The `<option>`s of a priority menu.
#[component]
pub(super) fn PriorityOptions(selected: Priority) -> impl IntoView {
    Priority::ALL
        .into_iter()
        .map(|p| {
            view! {
                <option value=p.as_str() selected=p == selected>
                    {priority_label(p)}
                </option>
            }
        })
        .collect_view()
}

/// The common recurrence rules the forms offer (canonical), with their names.
const REPEAT_CHOICES: [(&str, &str); 8] = [
    ("", "Does not repeat"),
    ("FREQ=DAILY", "Every day"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
    ("FREQ=WEEKLY", "Every week"),
    ("FREQ=WEEKLY;INTERVAL=2", "Every 2 weeks"),
    ("FREQ=MONTHLY", "Every month"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "Every month on the last Friday"),
    ("FREQ=YEARLY", "Every year"),
];

/// The `<option>`s of a repeat menu: the common rules, and the task's own (`selected`, with
/// its words) when it is another (one set through the API).
#[component]
pub(super) fn RepeatOptions(selected: Option<String>, #[prop(optional)] words: Option<String>) -> impl IntoView {
    let selected = selected.unwrap_or_default();
    let own = (!REPEAT_CHOICES.iter().any(|(rule, _)| *rule == selected)).then(|| {
        let words = words.unwrap_or_else(|| selected.clone());
        view! {
            <option value=selected.clone() selected=true>
                {capitalized(&words)}
            </option>
        }
    });
    let common = REPEAT_CHOICES
        .into_iter()
        .map(|(rule, name)| {
            view! {
                <option value=rule selected=rule == selected>
                    {name}
                </option>
            }
        })
        .collect_view();
    view! {
        {common}
        {own}
    }
}

/// The `<option>`s of the "next date from" menu.
#[component]
pub(super) fn RepeatFromOptions(selected: RepeatFrom) -> impl IntoView {
    [(RepeatFrom::Due, "Keep the schedule"), (RepeatFrom::Completion, "Count from the day it is done")]
        .into_iter()
        .map(|(from, name)| {
            view! {
                <option value=from.as_str() selected=from == selected>
                    {name}
                </option>
            }
        })
        .collect_view()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub(super) fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::None => "No priority",
        Priority::Low => "Low",
        Priority::Medium => "Medium",
        Priority::High => "High",
    }
}

/// How a due date (and time, if any) reads, relative to today in the account's time zone.
pub(super) fn due_label(due: Date, time: Option<Time>, today: Date, completed: bool) -> (String, &'static str) {
    let day = if due.year() == today.year() {
        format!("{} {}", due.day(), month_abbr(due.month()))
    } else {
        format!("{} {} {}", due.day(), month_abbr(due.month()), due.year())
    };
    let at = time.map(|t| format!(" at {}", crate::dates::time_text(t))).unwrap_or_default();
    if due == today {
        (format!("Due today{at}"), "today")
    } else if due == today + Duration::days(1) {
        (format!("Due tomorrow{at}"), "")
    } else if due < today && !completed {
        (format!("Overdue · was due {day}{at}"), "overdue")
    } else {
        (format!("Due {day}{at}"), "")
    }
}

fn month_abbr(month: time::Month) -> &'static str {
    use time::Month::*;
    match month {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

/// The `<option>`s of a menu of fixed choices (value and label), with `selected` chosen.
pub(super) fn choice_options(
    choices: &'static [(&'static str, &'static str)],
    selected: &str,
) -> impl IntoView + use<> {
    choices
        .iter()
        .map(|&(value, label)| {
            view! {
                <option value=value selected=value == selected>
                    {label}
                </option>
            }
        })
        .collect_view()
}
