//! `/trash`: the lists and tasks the person may restore, most recently deleted first, each
//! with Restore, and a button that empties their part of the trash. Server-rendered, every
//! action a plain form.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{EmptyTrash, KEPT_DAYS, RestoreFromTrash, Trash, list_trash};
use crate::{
    auth::{Person, ui::with_user},
    dates::machine_of,
    jobs::{current_job, ui::JobProgress},
    ui::{Alert, encode_component, error_text, posted_error},
    zone::minute_in,
};

/// `/trash`.
#[component]
pub fn TrashPage() -> impl IntoView {
    let query = use_query_map();
    view! {
        <Title text="Trash" />
        {with_user(move |user| {
            let zone = user.time_zone;
            let ours = [RestoreFromTrash::url(), EmptyTrash::url()];
            let notice = posted_error(&query.read_untracked(), &ours, |_| None).map(|e| error_text(&e));
            let trash = Resource::new(|| (), |_| async { (list_trash().await, current_job().await) });
            view! {
                <section class="card trash">
                    <p class="breadcrumb">
                        <a href="/tasks">"← Tasks"</a>
                    </p>
                    <h1>"Trash"</h1>
                    <p class="hint">
                        {format!(
                            "Deleted lists and tasks wait here for {KEPT_DAYS} days, then go for good. \
                             Whoever could delete them may restore them.",
                        )}
                    </p>
                    {notice.map(|message| view! { <Alert message /> })}
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading the trash…"</p> }
                    }>
                        {Suspend::new(async move {
                            let (trash, job) = trash.await;
                            let job = job.ok().flatten().map(|job| view! { <JobProgress job /> });
                            match trash {
                                Ok(trash) => {
                                    Either::Left(
                                        view! {
                                            {job}
                                            <Contents trash zone />
                                        },
                                    )
                                }
                                Err(error) => Either::Right(view! { <Alert message=error_text(&error) /> }),
                            }
                        })}
                    </Suspense>
                </section>
            }
        })}
    }
}

/// "deleted 2026-12-01 21:40 by Ann", in the account's time zone.
fn deleted(at: &crate::dates::Moment, by: &Option<Person>, zone: &str) -> impl IntoView + use<> {
    let who = by.as_ref().map_or("a deleted account".to_owned(), |p| p.name.clone());
    let (machine, shown) = (machine_of(at), minute_in(at, zone));
    view! { <span class="hint">"deleted " <time datetime=machine>{shown}</time> {format!(" by {who}")}</span> }
}

fn restore_form(kind: &'static str, id: String, what: String) -> impl IntoView {
    view! {
        <form action=RestoreFromTrash::url() method="post">
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="id" value=id />
            <button type="submit" aria-label=format!("Restore {what}")>
                "Restore"
            </button>
        </form>
    }
}

#[component]
fn Contents(trash: Trash, zone: String) -> impl IntoView {
    if trash.lists.is_empty() && trash.tasks.is_empty() {
        return Either::Left(view! { <p>"The trash is empty."</p> });
    }
    let more = (trash.tasks_total > trash.tasks.len() as i64).then(|| {
        view! {
            <p class="hint">
                {format!("The {} most recently deleted of {} tasks.", trash.tasks.len(), trash.tasks_total)}
            </p>
        }
    });
    Either::Right(view! {
        {(!trash.lists.is_empty())
            .then(|| {
                view! {
                    <h2>"Lists"</h2>
                    <ul class="trash-items">
                        {trash
                            .lists
                            .into_iter()
                            .map(|list| {
                                view! {
                                    <li>
                                        <div>
                                            <strong>{list.name.clone()}</strong>
                                            " "
                                            {deleted(&list.deleted_at, &list.deleted_by, &zone)}
                                        </div>
                                        {restore_form("list", list.id.to_string(), list.name)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
        {(!trash.tasks.is_empty())
            .then(|| {
                view! {
                    <h2>"Tasks"</h2>
                    {more}
                    <ul class="trash-items">
                        {trash
                            .tasks
                            .into_iter()
                            .map(|task| {
                                let list_href = format!("/tasks?list={}", encode_component(&task.list.id.to_string()));
                                view! {
                                    <li>
                                        <div>
                                            <strong>{task.title.clone()}</strong>
                                            " in "
                                            <a href=list_href>{task.list.name}</a>
                                            " "
                                            {deleted(&task.deleted_at, &task.deleted_by, &zone)}
                                        </div>
                                        {restore_form("task", task.id.to_string(), task.title)}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
        <form class="empty-trash" action=EmptyTrash::url() method="post">
            <button type="submit" class="button-danger">
                "Empty the trash"
            </button>
            <p class="hint">
                "Deletes for good the tasks you deleted and the lists you own. \
                 What others deleted stays theirs to restore."
            </p>
        </form>
    })
}
