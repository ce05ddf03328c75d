//! How a task's fields read (priority labels and menus, due dates), and menus of fixed choices.

use leptos::prelude::*;
use time::{Date, Duration};

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

/// How a due date reads, relative to the server's today.
pub(super) fn due_label(due: Date, today: Date, completed: bool) -> (String, &'static str) {
    let day = if due.year() == today.year() {
        format!("{} {}", due.day(), month_abbr(due.month()))
    } else {
        format!("{} {} {}", due.day(), month_abbr(due.month()), due.year())
    };
    if due == today {
        ("Due today".to_owned(), "today")
    } else if due == today + Duration::days(1) {
        ("Due tomorrow".to_owned(), "")
    } else if due < today && !completed {
        (format!("Overdue · was due {day}"), "overdue")
    } else {
        (format!("Due {day}"), "")
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
