//! The status links with their counts, search, filters and sorting.

use leptos::{ev, prelude::*};

use super::{
    board::{Board, follow},
    fields::{choice_options, priority_label},
    view::View,
};
use crate::tasks::{Counts, Priority, TagCount, limits};

/// The due-date filter's choices: value and label.
const DUE_CHOICES: [(&str, &str); 5] =
    [("", "Any time"), ("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Upcoming"), ("none", "No due date")];

/// The sort keys: value and label.
const SORT_CHOICES: [(&str, &str); 5] = [
    ("created", "Date added"),
    ("updated", "Last changed"),
    ("due", "Due date"),
    ("priority", "Priority"),
    ("title", "Title"),
];

/// Status links with counts, search, filters and sorting.
#[component]
pub(super) fn Toolbar(counts: Counts, tags: Vec<TagCount>) -> impl IntoView {
    let board = expect_context::<Board>();
    let view = board.view;
    // The view this page of the list was loaded for. The toolbar is rendered again with every
    // load (the browser keeps its fields, focus included); until then, the menus follow the
    // view as it changes.
    let initial = view.get_untracked();
    let status_link = |status: &'static str, label: &'static str, count: i64| {
        let next = initial.changed(|v| v.status = if status == "all" { String::new() } else { status.to_owned() });
        let current = (initial.status == status || (status == "all" && initial.status.is_empty())).then_some("page");
        view! {
            <li>
                <a href=next.href() aria-current=current on:click=follow(board, next.clone())>
                    {label}
                    " "
                    <span class="count">"(" {count} ")"</span>
                </a>
            </li>
        }
    };

    // The filters apply as soon as they change (search after a short pause).
    let search_timer = board.search_timer;
    let apply = move |form: web_sys::HtmlFormElement, replace: bool| {
        let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
        let field = |name: &str| data.get(name).as_string().unwrap_or_default();
        let next = view.read_untracked().changed(|v| {
            let previous_sort = v.sort_key().to_owned();
            v.q = field("q");
            v.priority = field("priority");
            v.tag = field("tag");
            v.due = field("due");
            v.sort = field("sort");
            v.order = field("order");
            // A new sort key starts in its natural order (soonest due, A to Z, ...).
            if v.sort != previous_sort || v.order == View::default_order(&v.sort) {
                v.order.clear();
            }
            if v.sort == "created" {
                v.sort.clear();
            }
        });
        board.go(next, replace);
    };
    let on_change = move |event: ev::Event| {
        let target: web_sys::HtmlElement = event_target(&event);
        if let Some(form) = target.closest("form").ok().flatten().filter(|_| target.tag_name() == "SELECT") {
            apply(wasm_bindgen::JsCast::unchecked_into(form), false);
        }
    };
    let on_search = move |event: ev::Event| {
        let target: web_sys::HtmlInputElement = event_target(&event);
        let Some(form) = target.form() else { return };
        if let Some(handle) = search_timer.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(move || apply(form, true), std::time::Duration::from_millis(300));
        search_timer.set_value(handle.ok());
    };
    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        apply(event_target(&event), false);
    };
    let order_labels = move || match view.read().sort_key() {
        "due" => ("Soonest first", "Latest first"),
        "priority" => ("Lowest first", "Highest first"),
        "title" => ("A to Z", "Z to A"),
        _ => ("Oldest first", "Newest first"),
    };
    let current_tag = initial.tag.clone();
    let unknown_tag = (!current_tag.is_empty() && !tags.iter().any(|t| t.name == current_tag)).then(|| {
        view! {
            <option value=current_tag.clone() selected=true>
                {current_tag.clone()}
            </option>
        }
    });
    let tag_options = tags
        .into_iter()
        .map(|TagCount { name, count }| {
            let selected = name == initial.tag;
            view! {
                <option value=name.clone() selected=selected>
                    {format!("{name} ({count})")}
                </option>
            }
        })
        .collect_view();
    let clear_filters = initial.changed(|v| {
        v.q.clear();
        v.priority.clear();
        v.tag.clear();
        v.due.clear();
    });

    view! {
        <nav aria-label="Filter by status">
            <ul class="status-filters">
                {status_link("all", "All", counts.all)} {status_link("active", "Active", counts.active)}
                {status_link("completed", "Completed", counts.completed)}
            </ul>
        </nav>
        <form
            class="toolbar filters"
            method="get"
            action="/tasks"
            role="search"
            on:change=on_change
            on:submit=on_submit
        >
            <input type="hidden" name="status" value=initial.status.clone() />
            <div class="field search-field">
                <label for="search">"Search"</label>
                <input
                    id="search"
                    name="q"
                    type="search"
                    value=initial.q.clone()
                    prop:value=move || view.read().q.clone()
                    maxlength=limits::QUERY_MAX
                    placeholder="Title or description"
                    on:input=on_search
                />
            </div>
            <div class="field">
                <label for="filter-priority">"Priority"</label>
                <select id="filter-priority" name="priority" prop:value=move || view.read().priority.clone()>
                    <option value="" selected=initial.priority.is_empty()>
                        "Any"
                    </option>
                    {Priority::ALL
                        .into_iter()
                        .rev()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=initial.priority == p.as_str()>
                                    {priority_label(p)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-tag">"Tag"</label>
                <select id="filter-tag" name="tag">
                    <option value="" selected=initial.tag.is_empty()>
                        "Any"
                    </option>
                    {unknown_tag}
                    {tag_options}
                </select>
            </div>
            <div class="field">
                <label for="filter-due">"Due"</label>
                <select id="filter-due" name="due" prop:value=move || view.read().due.clone()>
                    {choice_options(&DUE_CHOICES, &initial.due)}
                </select>
            </div>
            <div class="field">
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort" prop:value=move || view.read().sort_key().to_owned()>
                    {choice_options(&SORT_CHOICES, initial.sort_key())}
                </select>
            </div>
            <div class="field">
                <label for="order">"Order"</label>
                <select id="order" name="order" prop:value=move || view.read().order_key().to_owned()>
                    <option value="asc" selected=initial.order_key() == "asc">
                        {move || order_labels().0}
                    </option>
                    <option value="desc" selected=initial.order_key() == "desc">
                        {move || order_labels().1}
                    </option>
                </select>
            </div>
            <button type="submit" class="no-js-only">
                "Apply"
            </button>
        </form>
        {initial
            .is_filtered()
            .then(|| {
                view! {
                    <p class="active-filters">
                        <span>"Filtered view."</span>
                        <a href=clear_filters.href() on:click=follow(board, clear_filters.clone())>
                            "Clear filters"
                        </a>
                    </p>
                }
            })}
    }
}
