//! How a task's fields read (priority labels and menus, due dates), and menus of fixed choices.

use leptos::prelude::*;
use time::{Date, Duration, Time};

use crate::tasks::Priority;

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
