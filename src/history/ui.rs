//! `/lists/{id}/history`: who did what in a list, newest first, a page at a time (the link
//! to the older page carries `?before=`). Server-rendered: it costs the WASM nothing.

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{Event, EventKind, History, HistoryQuery, list_history};
use crate::{
    auth::{Person, ui::with_user},
    dates::machine_of,
    error::AppError,
    ui::error_text,
    zone::minute_in,
};

/// `/lists/{id}/history`.
#[component]
pub fn HistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    view! {
        <Title text="History" />
        {with_user(move |user| {
            let zone = user.time_zone;
            let id = params.read_untracked().get("id").unwrap_or_default();
            let before = query.read_untracked().get("before");
            let input = HistoryQuery {
                id: id.clone(),
                limit: None,
                before,
            };
            let page = Resource::new(move || input.clone(), list_history);
            view! {
                <section class="card history">
                    <p class="breadcrumb">
                        <a href=format!("/lists/{id}")>"← The list and its members"</a>
                    </p>
                    <h1>"History"</h1>
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading the history…"</p> }
                    }>
                        {Suspend::new(async move {
                            match page.await {
                                Ok(history) => Either::Left(view! { <Events id history zone /> }),
                                Err(error) => Either::Right(view! { <Failed error /> }),
                            }
                        })}
                    </Suspense>
                </section>
            }
        })}
    }
}

#[component]
fn Failed(error: AppError) -> impl IntoView {
    let message = match error {
        AppError::NotFound => "This list is not one of yours, or it is in the trash.".to_owned(),
        other => error_text(&other),
    };
    view! {
        <p class="form-error" role="alert">
            {message}
        </p>
        <p>
            <a href="/tasks">"Back to your tasks"</a>
        </p>
    }
}

#[component]
fn Events(id: String, history: History, zone: String) -> impl IntoView {
    let empty = history.events.is_empty();
    let older = history.next_before.map(|before| {
        view! {
            <p>
                <a href=format!("/lists/{id}/history?before={before}")>"Older events"</a>
            </p>
        }
    });
    view! {
        {empty.then(|| view! { <p>"Nothing has happened here yet."</p> })}
        <ol class="events">
            {history
                .events
                .into_iter()
                .map(|event| {
                    let at = (machine_of(&event.at), minute_in(&event.at, &zone));
                    view! {
                        <li>
                            <time datetime=at.0>{at.1}</time>
                            " "
                            <span>{sentence(&event)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        {older}
    }
}

/// The event as a sentence: "Ann completed “Buy milk”." (as text: the names and titles in it
/// are whatever people typed).
fn sentence(event: &Event) -> String {
    let name = |person: &Option<Person>| person.as_ref().map_or("A deleted account", |p| p.name.as_str()).to_owned();
    let actor = name(&event.actor);
    let task = event.task.as_ref().map(|t| format!("“{}”", t.title)).unwrap_or_default();
    let detail = event.detail.as_deref().unwrap_or_default();
    let member = name(&event.member);
    match event.kind {
        EventKind::TaskCreated => format!("{actor} added {task}."),
        EventKind::TaskEdited => {
            format!("{actor} changed the {} of {task}.", detail.replace(',', ", ").replace('_', " "))
        }
        EventKind::TaskCompleted => format!("{actor} completed {task}."),
        EventKind::TaskReopened => format!("{actor} reopened {task}."),
        EventKind::TaskDeleted => format!("{actor} moved {task} to the trash."),
        EventKind::TaskRestored => format!("{actor} restored {task} from the trash."),
        EventKind::TaskMoved if detail == "in" => format!("{actor} moved {task} here from another list."),
        EventKind::TaskMoved => format!("{actor} moved {task} to another list."),
        EventKind::TaskAssigned if event.member.is_none() => format!("{actor} unassigned {task}."),
        EventKind::TaskAssigned => format!("{actor} assigned {task} to {member}."),
        EventKind::MemberInvited => {
            format!("{actor} invited {} as {detail}.", event.email.as_deref().unwrap_or("someone"))
        }
        EventKind::MemberJoined => format!("{actor} joined as {detail}."),
        EventKind::MemberLeft => format!("{actor} left the list."),
        EventKind::MemberRemoved => format!("{actor} removed {member} from the list."),
        EventKind::RoleChanged if event.actor.is_none() => {
            format!("The list passed to {member} as {detail} when its owner's account was deleted.")
        }
        EventKind::RoleChanged if event.actor.is_some() && event.actor == event.member => {
            format!("{actor} handed the list over and is now {detail}.")
        }
        EventKind::RoleChanged => format!("{actor} made {member} {detail}."),
        EventKind::ListCreated => format!("{actor} made the list “{detail}”."),
        EventKind::ListRenamed => format!("{actor} renamed the list to “{detail}”."),
        EventKind::ListDeleted => format!("{actor} moved the list to the trash."),
        EventKind::ListRestored => format!("{actor} restored the list from the trash."),
    }
}
