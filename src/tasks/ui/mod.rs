//! `/tasks`: the task page.
//!
//! Everything the page shows is in its URL (`?status=active&q=milk&sort=due&page=2`), so a
//! reload, the back button or a shared link keeps the view. Every action is a plain form
//! posting to its server function, and every filter a link or a GET form: without the WASM
//! the browser submits them and comes back to the same URL.
//!
//! With the WASM, the board is an island (the rest of the page is server-rendered HTML and
//! stays so): it sends changes in place, shows them at once (optimistically), and loads the
//! list again when the server has answered, so the page never shows stale data as current.
//! Filters, sorting and pages change the URL with the History API and load the list in
//! place; the back and forward buttons go through the same views.
//!
//! The rows keep no server actions of their own: one [`Board`] holds what is in flight, and
//! a row reads its own state from one signal. A page of 50 rows is cheap to render on the
//! server and small in the WASM.

use leptos::{either::Either, ev, prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{hooks::use_query_map, params::ParamsMap};

use crate::{
    auth::ui::with_user,
    error::AppError,
    jobs::{Job, current_job, ui::JobProgress},
    lists::{
        AcceptInvitation, CreateList, DeclineInvitation, ListRef, list_assignees, list_lists,
        ui::{ListsSidebar, PendingInvitations},
    },
    tasks::{
        ClearCompleted, CompleteAll, CreateTask, DeleteTask, ListScope, QuickAdd, SetCompleted, SkipTask, UpdateTask,
        list_tags, list_tasks,
    },
    ui::{mark_hydrated, posted_error},
};

mod board;
mod edit;
mod fields;
mod footer;
mod list;
mod new_task;
mod preview;
mod toolbar;
mod view;

use board::{Board, Choices, follow};
use list::ListView;
use new_task::NewTaskForm;
use view::View;

/// `/tasks`.
#[component]
pub fn TasksPage() -> impl IntoView {
    let params = use_query_map();
    view! {
        <Title text="Tasks" />
        {with_user(move |user| {
            let notice = no_script_error(&params.read_untracked());
            let today = crate::zone::today_in(&user.time_zone).map(|d| d.to_string()).unwrap_or_default();
            let lists = Resource::new(
                || (),
                |_| async { (list_lists().await, list_assignees().await, current_job().await) },
            );
            // The person's today, for the quick-add preview (the WASM has no zone database).
            view! {
                <Suspense fallback=|| {
                    view! { <p class="loading">"Loading your lists…"</p> }
                }>
                    {Suspend::new(async move {
                        let (lists, assignees, job) = lists.await;
                        let job = job.ok().flatten();
                        let lists = lists.map(|page| page.lists).unwrap_or_default();
                        let assignees = assignees.unwrap_or_default();
                        let read_only = lists.iter().filter(|l| !l.role.can_edit()).map(|l| l.id).collect();
                        let editable = lists
                            .iter()
                            .filter(|l| l.role.can_edit())
                            .map(|l| ListRef {
                                id: l.id,
                                name: l.name.clone(),
                            })
                            .collect();
                        let choices = Choices {
                            read_only,
                            lists: editable,
                            assignees: assignees.assignees,
                        };
                        view! {
                            <div class="tasks-layout">
                                <ListsSidebar lists />
                                <div class="tasks-main">
                                    <PendingInvitations />
                                    <TaskBoard notice choices job today=today.clone() />
                                </div>
                            </div>
                        }
                    })}
                </Suspense>
            }
        })}
    }
}

/// The error of an action that the browser submitted without the WASM, carried back in the
/// URL by the server (for the bulk and per-task buttons, whose forms have no room for it).
fn no_script_error(params: &ParamsMap) -> Option<String> {
    let ours = [
        CreateTask::url(),
        QuickAdd::url(),
        UpdateTask::url(),
        SetCompleted::url(),
        SkipTask::url(),
        DeleteTask::url(),
        ClearCompleted::url(),
        CompleteAll::url(),
        CreateList::url(),
        AcceptInvitation::url(),
        DeclineInvitation::url(),
    ];
    let skipped = params.get("__path").as_deref() == Some(SkipTask::url());
    Some(match posted_error(params, &ours, field_hint)? {
        // The only field of a skip is its task: refused, it had no date to skip to.
        AppError::Validation(_) if skipped => {
            "Nothing was skipped: the task does not repeat, or this was the last date of its rule.".to_owned()
        }
        AppError::Validation(fields) if !fields.is_empty() => {
            let path = params.get("__path");
            let created = [Some(CreateTask::url()), Some(QuickAdd::url())].contains(&path.as_deref());
            let what = if created { "The task was not added" } else { "The task was not saved" };
            format!("{what}: {}", fields.into_values().collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    })
}

/// What the task page says of a field the server refused, when the error came in the URL.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "title" => "A task needs a title of at most 200 characters.",
        "text" => "Type what needs to be done: a title of at most 200 characters, in a line of at most 1,000.",
        "description" => "A description has at most 2,000 characters.",
        "priority" => "The priority is none, low, medium or high.",
        "due_date" => "The due date must be a real date.",
        "due_time" => "The due time is a time like 09:30, and needs a due date.",
        "repeat" => "A repeating task needs a due date, and a rule that gives dates from it.",
        "repeat_from" => "The next date counts from the schedule or from the day it is done.",
        "tags" => "Use at most 10 tags, each of letters, digits, - and _.",
        "repeat_words" => "Write a repeat rule like every 2 weeks on mon, thu, or every month on the last friday.",
        "reminders" => {
            "Reminders are offsets before the due time (15m, 2h, 1d, 1w; these need a due date) or \
             times like 2027-03-01 09:00, at most 5."
        }
        "id" => "That task does not exist.",
        "completed" => "Completed is true or false.",
        "name" => "A list needs a name of at most 100 characters.",
        _ => return None,
    })
}

/// The task board: new task, filters, the list and its footer.
#[island]
fn TaskBoard(notice: Option<String>, choices: Choices, job: Option<Job>, today: String) -> impl IntoView {
    mark_hydrated();
    let board = Board::new(View::current(), notice, choices, job);
    provide_context(board);
    board.follow_job();
    let list = Resource::new(move || (board.view.get().query(), board.version.get()), |(query, _)| list_tasks(query));
    let tags = Resource::new(
        move || (board.view.with(|v| v.list.clone()), board.version.get()),
        |(list, _)| list_tags(ListScope { list_id: Some(list).filter(|l| !l.is_empty()) }),
    );
    listen_to_window(board);
    let content = move || {
        Suspend::new(async move {
            let tags = tags.await.map(|t| t.tags).unwrap_or_default();
            let list = list.await;
            board.keep_edits(list.as_ref().ok());
            // While it settles on the server, the Transition walks this once with the data
            // already loaded, looking for more resources, builds the whole list and throws it
            // away (a sixth of the page's time). There are no more resources below, and one
            // yield makes that walk pass over the list; the render awaits it as usual.
            #[cfg(feature = "ssr")]
            tokio::task::yield_now().await;
            match list {
                Ok(list) => Either::Left(view! { <ListView list tags /> }),
                Err(error) => Either::Right(view! { <ListError error /> }),
            }
        })
    };

    view! {
        <div class="tasks-header">
            <h1>"Tasks"</h1>
            <p class="shortcuts needs-js">
                <kbd>"n"</kbd>
                " new task · "
                <kbd>"/"</kbd>
                " search"
            </p>
        </div>
        {if board.view.with_untracked(|v| board.reads_only(&v.list)) {
            Either::Left(
                view! {
                    <p class="card read-only">
                        "You are a viewer of this list: you can read its tasks, and its owner and editors change them."
                    </p>
                },
            )
        } else {
            let today = crate::dates::parse_date(&today).ok().flatten();
            Either::Right(view! { <NewTaskForm today /> })
        }}
        <Notice />
        {move || board.job.get().map(|job| view! { <JobProgress job /> })}
        <Transition fallback=|| {
            view! { <p class="loading">"Loading your tasks…"</p> }
        }>{content}</Transition>
    }
}

/// What the board hears from the window: the back and forward buttons (it shows the view of
/// the URL they land on), a change made elsewhere (`doable-change`, from live.js) and the tab
/// coming back into view (the list is loaded again), and the keys `n` and `/`, which focus the
/// new-task and the search field (unless the person is typing somewhere).
fn listen_to_window(board: Board) {
    Effect::new(move || {
        // A tab out of view loads nothing: it does when it comes back.
        let changed = move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                board.changed_elsewhere();
            }
        };
        let handles = [
            window_event_listener(ev::popstate, move |_| board.show(View::from_location())),
            window_event_listener_untyped("doable-change", changed),
            window_event_listener_untyped("visibilitychange", changed),
            window_event_listener(ev::keydown, move |event| {
                if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
                    return;
                }
                let typing = document().active_element().is_some_and(|element| {
                    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                        || element.has_attribute("contenteditable")
                });
                let target = match event.key().as_str() {
                    "n" if !typing => "new-task",
                    "/" if !typing => "search",
                    _ => return,
                };
                if let Some(input) = document().get_element_by_id(target) {
                    event.prevent_default();
                    let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&input).focus();
                }
            }),
        ];
        on_cleanup(move || handles.into_iter().for_each(|handle| handle.remove()));
    });
}

/// The board's notice, if any, with a button to dismiss it.
#[component]
fn Notice() -> impl IntoView {
    let board = expect_context::<Board>();
    view! {
        <div class="notice" role="alert" aria-live="assertive">
            {move || {
                board
                    .notice
                    .get()
                    .map(|message| {
                        view! {
                            <p class="form-error notice-message">
                                <span>{message}</span>
                                <button
                                    type="button"
                                    class="button-quiet needs-js"
                                    on:click=move |_| board.notice.set(None)
                                >
                                    "Dismiss"
                                </button>
                            </p>
                        }
                    })
            }}
        </div>
    }
}

#[component]
fn ListError(error: AppError) -> impl IntoView {
    let board = expect_context::<Board>();
    let message = match &error {
        AppError::Validation(fields) => {
            let names: Vec<&str> = fields.keys().map(String::as_str).collect();
            format!("This address has filters that are not valid ({}).", names.join(", "))
        }
        other => other.to_string(),
    };
    view! {
        <div class="card" role="alert">
            <p class="form-error">{message}</p>
            <p>
                <a href="/tasks" on:click=follow(board, View::default())>
                    "Show all tasks"
                </a>
            </p>
        </div>
    }
}
