//! One loaded page of the list: the toolbar, the rows (each its checkbox, title, details and
//! buttons, or its edit form), and the footer.

use leptos::{either::Either, ev, prelude::*, server_fn::ServerFn};
use time::Date;

use super::{
    board::{Board, RowState, follow},
    edit::EditForm,
    fields::{due_label, priority_label},
    footer::{ListFooter, Pagination},
    toolbar::Toolbar,
    view::{PAGE_SIZE, View},
};
use crate::tasks::{
    DeleteTask, Priority, SetCompleted, SetCompletedInput, SkipTask, TagCount, Task, TaskId, TaskList, set_completed,
    skip_task,
};

/// The toolbar, the list and its footer, for one loaded page.
#[component]
pub(super) fn ListView(list: TaskList, tags: Vec<TagCount>) -> impl IntoView {
    let board = expect_context::<Board>();
    let TaskList { tasks, total, total_exact, counts, today, .. } = list;
    let page = board.view.read_untracked().page;
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let busy = move || board.bulk.get().is_some().to_string();
    view! {
        <Toolbar counts tags />
        {if tasks.is_empty() {
            Either::Left(view! { <EmptyState all=counts.all page /> })
        } else {
            Either::Right(
                view! {
                    <ul class="task-list" aria-label="Tasks" aria-busy=busy>
                        <For
                            each=move || tasks.clone()
                            key=row_key
                            children=move |task| view! { <TaskItem task today /> }
                        />
                    </ul>
                },
            )
        }}
        <ListFooter counts />
        {(pages > 1).then(|| view! { <Pagination page pages exact=total_exact /> })}
    }
}

/// A row's key: its id and last change, so that a changed task is rendered anew.
#[allow(clippy::clone_on_copy, reason = "a Moment is a copy type on the server, text in the WASM")]
fn row_key(task: &Task) -> (uuid::Uuid, crate::dates::Moment) {
    (task.id, task.updated_at.clone())
}

#[component]
fn EmptyState(all: i64, page: i64) -> impl IntoView {
    let board = expect_context::<Board>();
    let (lead, detail, link) = if all == 0 {
        ("Nothing to do yet.", "Type a task above and press Enter to add it.", None)
    } else if page > 1 {
        ("This page is empty.", "", Some("Go to the first page"))
    } else {
        ("No tasks match this view.", "", Some("Show all tasks"))
    };
    view! {
        <div class="card empty">
            <p>
                <strong>{lead}</strong>
            </p>
            {(!detail.is_empty()).then(|| view! { <p>{detail}</p> })}
            {link
                .map(|label| {
                    view! {
                        <p>
                            <a href="/tasks" on:click=follow(board, View::default())>
                                {label}
                            </a>
                        </p>
                    }
                })}
        </div>
    }
}

/// One task: its checkbox, title, details and buttons, or its edit form.
#[component]
fn TaskItem(task: Task, today: Date) -> impl IntoView {
    let board = expect_context::<Board>();
    // Without the WASM, "Edit" is a link to this page with `edit=<id>`.
    let locked = board.reads_only(&task.list_id.to_string());
    let editing = !locked && (board.view.read_untracked().edit == task.id.to_string() || board.editing(task.id));
    let state = RwSignal::new(RowState { editing, ..RowState::default() });
    let task = StoredValue::new(task);

    // The completion shown: the one asked for while it is on its way, then the server's.
    let completed = Signal::derive(move || {
        if let Some(bulk) = board.bulk_completion() {
            return bulk;
        }
        state
            .with(|s| s.completed.or(s.answered.as_ref().map(|t| t.completed)))
            .unwrap_or_else(|| task.with_value(|t| t.completed))
    });
    let hidden = move || state.with(|s| s.deleting) || (board.clearing() && completed.get());
    let pending = move || state.with(|s| s.completed.is_some() || s.saving_title.is_some());
    // Only opening and closing the form changes which of the two shows: a save's progress
    // (`saving_title`) must not build the form again, which would drop its error.
    let editing = Memo::new(move |_| state.with(|s| s.editing));
    view! {
        <li class="task" class:done=completed class:pending=pending hidden=hidden>
            {move || {
                if editing.get() {
                    Either::Left(view! { <EditForm task=task.get_value() state /> })
                } else {
                    let shown = state
                        .with(|s| {
                            let mut shown = s.answered.clone().unwrap_or_else(|| task.get_value());
                            if let Some(title) = &s.saving_title {
                                shown.title.clone_from(title);
                            }
                            shown
                        });
                    Either::Right(view! { <TaskRow task=shown today completed state /> })
                }
            }}
        </li>
    }
}

#[component]
fn TaskRow(task: Task, today: Date, completed: Signal<bool>, state: RwSignal<RowState>) -> impl IntoView {
    let board = expect_context::<Board>();
    // A viewer's row reads only: no completing, editing or deleting.
    let locked = board.reads_only(&task.list_id.to_string());
    let id = task.id;
    let title = task.title.clone();
    let on_toggle = {
        let title = title.clone();
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            // What the row shows decides what the click asks for, as the form says without
            // the WASM: its row may be a stale one (see `StaleRow`), whose values are gone.
            let form: web_sys::HtmlFormElement = event_target(&event);
            let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
            let asked = data.get("completed").as_string().as_deref() == Some("true");
            if state.try_update(|s| s.completed = Some(asked)).is_none() {
                StaleRow(&form).show_completed(asked);
            }
            let input = SetCompletedInput { id: id.to_string(), completed: asked.to_string() };
            let change = async move {
                let result = set_completed(input).await;
                state.update(|s| {
                    s.completed = None;
                    if let Ok(task) = &result {
                        s.answered = Some(task.clone());
                    }
                });
                result.map(drop)
            };
            board.send(format!("Could not update “{title}”"), Box::pin(change));
        }
    };
    let on_delete = {
        let title = title.clone();
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            if state.is_disposed() {
                StaleRow(&event_target::<web_sys::HtmlFormElement>(&event)).hide();
            }
            board.delete(state, id.to_string(), &title);
        }
    };
    let on_skip = {
        let title = title.clone();
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            let input = TaskId { id: id.to_string() };
            board.send(format!("Could not skip “{title}”"), Box::pin(async move { skip_task(input).await.map(drop) }));
        }
    };
    let repeat = task.repeat_text.clone();
    // Only a rule this build reads has a next date to skip to.
    let skippable = task.repeat_text.is_some() && !task.completed;
    let start_editing = move |event: ev::MouseEvent| {
        event.prevent_default();
        board.edit(state, id);
    };
    // Without the WASM, "Edit" opens this same view with the task's edit form.
    let edit_href = View { edit: id.to_string(), ..board.view.get_untracked() }.href();
    let description = task.description.lines().next().unwrap_or_default().chars().take(160).collect::<String>();
    // `<time datetime>` takes a local date-time (`2026-12-05T09:30`) as well as a date.
    let due = task.due_date.map(|due| {
        let machine = match task.due_time {
            Some(time) => format!("{due}T{}", crate::dates::time_text(time)),
            None => due.to_string(),
        };
        (machine, due_label(due, task.due_time, today, task.completed))
    });
    let tags = task.tags.iter().map(|tag| {
        let next = board.view.read_untracked().changed(|v| v.tag.clone_from(tag));
        view! {
            <a
                href=next.href()
                class="chip"
                aria-label=format!("Show tasks tagged {tag}")
                on:click=follow(board, next.clone())
            >
                "#"
                {tag.clone()}
            </a>
        }
    });
    view! {
        <form class="inline-form" action=SetCompleted::url() method="post" on:submit=on_toggle>
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="completed" value=move || (!completed.get()).to_string() />
            <button
                type="submit"
                class="check"
                role="checkbox"
                aria-checked=move || completed.get().to_string()
                aria-label=title.clone()
                disabled=locked
            ></button>
        </form>
        <div class="task-main">
            <p
                class="task-title"
                on:dblclick=move |_| {
                    if !locked {
                        board.edit(state, id)
                    }
                }
            >
                {task.title.clone()}
            </p>
            {(!description.is_empty()).then(|| view! { <p class="task-description">{description}</p> })}
            <div class="task-meta">
                {(task.priority != Priority::None)
                    .then(|| {
                        view! {
                            <span class=format!(
                                "badge {}",
                                task.priority.as_str(),
                            )>{priority_label(task.priority)} <span class="visually-hidden">" priority"</span></span>
                        }
                    })}
                {due
                    .map(|(date, (label, class))| {
                        view! {
                            <time class=format!("due {class}") datetime=date>
                                {label}
                            </time>
                        }
                    })}
                {repeat
                    .map(|words| {
                        view! {
                            <span class="badge repeat">
                                <span aria-hidden="true">"↻ "</span>
                                {words}
                            </span>
                        }
                    })}
                {(!task.reminders.is_empty())
                    .then(|| {
                        let count = task.reminders.len();
                        let label = if count == 1 { "1 reminder".to_owned() } else { format!("{count} reminders") };
                        let title = label.clone();
                        view! {
                            <span class="badge reminders" title=title>
                                <span aria-hidden="true">{format!("⏰ {count}")}</span>
                                <span class="visually-hidden">{label}</span>
                            </span>
                        }
                    })}
                {task
                    .assignee
                    .as_ref()
                    .map(|a| {
                        view! {
                            <span class="badge assignee">
                                <span class="visually-hidden">"Assigned to "</span>
                                {format!("@{}", a.name)}
                            </span>
                        }
                    })} {tags.collect_view()}
            </div>
        </div>
        <div class="task-actions" hidden=locked>
            <a
                href=edit_href
                class="button-quiet"
                role="button"
                aria-label=format!("Edit {title}")
                on:click=start_editing
            >
                "Edit"
            </a>
            {skippable
                .then(|| {
                    view! {
                        <form class="inline-form" action=SkipTask::url() method="post" on:submit=on_skip>
                            <input type="hidden" name="id" value=id.to_string() />
                            <button type="submit" class="button-quiet" aria-label=format!("Skip this date of {title}")>
                                "Skip"
                            </button>
                        </form>
                    }
                })}
            <form class="inline-form" action=DeleteTask::url() method="post" on:submit=on_delete>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button-quiet" aria-label=format!("Delete {title}")>
                    "Delete"
                </button>
            </form>
        </div>
    }
}

/// A row of a list that is loading again. The Transition disposes the rows' reactive values
/// as soon as the next list is asked for, and keeps their elements on screen, no longer
/// updated, until it is ready. A click there still counts (its change is sent, and the list
/// loads again after it): this shows it on the row at once, as a live row would.
struct StaleRow<'a>(&'a web_sys::HtmlFormElement);

impl StaleRow<'_> {
    fn show_completed(&self, completed: bool) {
        let form = self.0;
        if let Ok(Some(button)) = form.query_selector("button") {
            let _ = button.set_attribute("aria-checked", &completed.to_string());
        }
        // A second click asks for the opposite.
        if let Ok(Some(field)) = form.query_selector("input[name=completed]") {
            let _ = field.set_attribute("value", &(!completed).to_string());
        }
        if let Ok(Some(row)) = form.closest("li") {
            let _ = row.class_list().toggle_with_force("done", completed);
        }
    }

    fn hide(&self) {
        if let Ok(Some(row)) = self.0.closest("li") {
            let _ = row.set_attribute("hidden", "");
        }
    }
}
