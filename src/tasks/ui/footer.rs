//! Below the list: how many tasks are left, the bulk buttons, and the pages.

use leptos::{either::Either, ev, prelude::*, server_fn::ServerFn};

use super::{
    board::{Board, Bulk, follow},
    view::View,
};
use crate::{
    tasks::{ClearCompleted, CompleteAll, CompleteAllInput, Counts, ListScope, clear_completed, complete_all},
    ui::Sent,
};

/// "N items left", and the bulk buttons.
#[component]
pub(super) fn ListFooter(counts: Counts) -> impl IntoView {
    let board = expect_context::<Board>();
    let left = move || {
        let active = match board.bulk_completion() {
            Some(true) => 0,
            Some(false) => counts.all,
            None => counts.active,
        };
        format!("{active} {} left", if active == 1 { "item" } else { "items" })
    };
    let busy = move || board.bulk.get().is_some() || board.job.get().is_some();
    // The bulk changes apply to the list in view (all of the user's lists when there is none).
    let list_id = move || Some(board.view.get_untracked().list).filter(|l| !l.is_empty());
    let on_bulk = move |bulk: Bulk| {
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            board.bulk.set(Some(bulk));
            let (what, change): (&str, Sent) = match bulk {
                Bulk::Complete(completed) => {
                    let input = CompleteAllInput { completed: completed.to_string(), list_id: list_id() };
                    let sent = async move { complete_all(input).await.map(|answer| board.job.set(answer.job)) };
                    ("Could not change the tasks", Box::pin(sent))
                }
                Bulk::ClearCompleted => {
                    let input = ListScope { list_id: list_id() };
                    (
                        "Could not clear the completed tasks",
                        Box::pin(async move { clear_completed(input).await.map(|answer| board.job.set(answer.job)) }),
                    )
                }
            };
            board.send(
                what.to_owned(),
                Box::pin(async move {
                    let result = change.await;
                    board.bulk.set(None);
                    result
                }),
            );
        }
    };
    let complete = counts.active > 0;
    let completed = counts.completed;
    (counts.all > 0).then(|| {
        view! {
            <div class="list-footer">
                <p class="items-left" aria-live="polite" role="status">
                    {left}
                </p>
                <div class="bulk" hidden=move || board.view.with(|v| board.reads_only(&v.list))>
                    <form
                        class="inline-form"
                        action=CompleteAll::url()
                        method="post"
                        on:submit=on_bulk(Bulk::Complete(complete))
                    >
                        <input type="hidden" name="completed" value=complete.to_string() />
                        <input type="hidden" name="list_id" value=list_id />
                        <button type="submit" disabled=busy>
                            {if complete { "Mark all complete" } else { "Mark all active" }}
                        </button>
                    </form>
                    {(completed > 0)
                        .then(|| {
                            view! {
                                <form
                                    class="inline-form"
                                    action=ClearCompleted::url()
                                    method="post"
                                    on:submit=on_bulk(Bulk::ClearCompleted)
                                >
                                    <input type="hidden" name="list_id" value=list_id />
                                    <button type="submit" disabled=busy>
                                        {format!("Clear completed ({completed})")}
                                    </button>
                                </form>
                            }
                        })}
                </div>
            </div>
        }
    })
}

#[component]
pub(super) fn Pagination(page: i64, pages: i64, exact: bool) -> impl IntoView {
    let board = expect_context::<Board>();
    let link = move |page: i64, label: &'static str, rel: &'static str| {
        let next = View { page, edit: String::new(), ..board.view.get_untracked() };
        let go = follow(board, next.clone());
        view! {
            <a
                href=next.href()
                rel=rel
                on:click=move |event| {
                    go(event);
                    window().scroll_to_with_x_and_y(0.0, 0.0);
                }
            >
                {label}
            </a>
        }
    };
    view! {
        <nav class="pagination" aria-label="Pages">
            {if page > 1 {
                Either::Left(link(page - 1, "← Previous", "prev"))
            } else {
                Either::Right(
                    view! {
                        <span aria-hidden="true" class="hint">
                            "← Previous"
                        </span>
                    },
                )
            }}
            <span>{format!("Page {page} of {pages}{}", if exact { "" } else { " or more" })}</span>
            {if page < pages {
                Either::Left(link(page + 1, "Next →", "next"))
            } else {
                Either::Right(
                    view! {
                        <span aria-hidden="true" class="hint">
                            "Next →"
                        </span>
                    },
                )
            }}
        </nav>
    }
}
