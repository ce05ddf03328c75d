//! Editing a task in place.

use leptos::{ev, prelude::*, server_fn::ServerFn, task::spawn_local};

use super::{
    board::{Board, RowState},
    fields::{PriorityOptions, RepeatFromOptions, RepeatOptions},
    view::View,
};
use crate::{
    dates::time_text,
    error::AppError,
    tasks::{Task, TaskUpdate, UpdateTask, limits, update_task},
    ui::{error_text, invalid, textarea_text},
};

/// Editing a task in place: Enter or leaving the form saves, Escape cancels, and an emptied
/// title offers to delete the task.
#[component]
pub(super) fn EditForm(task: Task, state: RwSignal<RowState>) -> impl IntoView {
    let board = expect_context::<Board>();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let task_id = task.id;
    let id = task.id.to_string();
    let error = RwSignal::new(None::<AppError>);
    let saving = move || state.with(|s| s.saving_title.is_some());
    let original = StoredValue::new(task.clone());
    let cancel_href = View { edit: String::new(), ..board.view.get_untracked() }.href();
    // Reloads wait for the form, also when it opened with the page (`edit=<id>`).
    board.with_edits(&mut |edits| edits.open(task_id));
    let close = move || {
        error.set(None);
        if board.end_edit(state, task_id) {
            board.reload();
        }
    };

    // Focus the title when the form opens (with the WASM; without it the link's page loads).
    Effect::new(move || {
        if let Some(input) = title_ref.get() {
            let _ = input.focus();
        }
    });

    let save = move || {
        // A form whose list loads again (another view was asked for) has nothing left to save.
        if form_ref.is_disposed() || original.is_disposed() {
            return;
        }
        let Some(form) = form_ref.get_untracked() else { return };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
        let field = |name: &str| data.get(name).as_string().unwrap_or_default();
        let task = original.get_value();
        let title = field("title");
        if title.trim().is_empty() {
            let confirmed = window()
                .confirm_with_message(&format!("Delete “{}”? It has no title now.", task.title))
                .unwrap_or(false);
            if confirmed {
                // The deletion loads the list again when the server has answered.
                board.end_edit(state, task_id);
                board.delete(state, task.id.to_string(), &task.title);
            } else if let Some(input) = title_ref.get_untracked() {
                input.set_value(&task.title);
                let _ = input.focus();
            }
            return;
        }
        let changed = |value: String, old: &str| (value.trim() != old.trim()).then_some(value);
        let input = TaskUpdate {
            id: task.id.to_string(),
            title: changed(title, &task.title),
            description: changed(field("description"), &task.description),
            priority: changed(field("priority"), task.priority.as_str()),
            due_date: changed(field("due_date"), &task.due_date.map(|d| d.to_string()).unwrap_or_default()),
            due_time: changed(field("due_time"), &task.due_time.map(time_text).unwrap_or_default()),
            repeat: changed(field("repeat"), task.repeat.as_deref().unwrap_or_default()),
            repeat_from: changed(field("repeat_from"), task.repeat_from.as_str()),
            repeat_words: changed(field("repeat_words"), ""),
            tags: changed(field("tags"), &task.tags.join(", ")),
            reminders: changed(field("reminders"), &task.reminders.join(", ")),
            list_id: changed(field("list_id"), &task.list_id.to_string()),
            assignee_id: changed(
                field("assignee_id"),
                &task.assignee.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
            ),
        };
        let nothing = input.title.is_none()
            && input.description.is_none()
            && input.priority.is_none()
            && input.due_date.is_none()
            && input.due_time.is_none()
            && input.repeat.is_none()
            && input.repeat_from.is_none()
            && input.repeat_words.is_none()
            && input.tags.is_none()
            && input.reminders.is_none()
            && input.list_id.is_none()
            && input.assignee_id.is_none();
        if nothing {
            close();
            return;
        }
        error.set(None);
        state.update(|s| {
            s.saving_title = Some(input.title.clone().unwrap_or_else(|| task.title.clone()).trim().to_owned())
        });
        spawn_local(async move {
            let result = update_task(input).await;
            state.update(|s| s.saving_title = None);
            match result {
                Ok(task) => {
                    state.update(|s| s.answered = Some(task));
                    board.end_edit(state, task_id);
                    board.reload();
                }
                // Shown in the form, which stays open with what was typed.
                Err(refused) => error.set(Some(refused)),
            }
        });
    };

    let on_keydown = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            close();
        }
    };
    // Saving on blur, but only when the focus leaves the whole form (not between its fields).
    let on_focusout = move |event: ev::FocusEvent| {
        // Ending the edit removes the form, and the browser then moves the focus out of it:
        // by that time the form's reactive values are gone (reading one would panic), and
        // there is nothing left to save.
        if form_ref.is_disposed() || state.is_disposed() || original.is_disposed() {
            return;
        }
        let Some(form) = form_ref.get_untracked() else { return };
        let inside = event
            .related_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Node>(t).ok())
            .is_some_and(|node| form.contains(Some(&node)));
        if !inside && state.with_untracked(|s| s.editing && s.saving_title.is_none()) {
            save();
        }
    };

    let field_id = |name: &str| format!("edit-{name}-{id}");
    let due = task.due_date.map(|d| d.to_string()).unwrap_or_default();
    let due_time = task.due_time.map(time_text).unwrap_or_default();
    view! {
        <form
            class="edit-form"
            action=UpdateTask::url()
            method="post"
            node_ref=form_ref
            on:submit=move |event: ev::SubmitEvent| {
                event.prevent_default();
                save();
            }
            on:keydown=on_keydown
            on:focusout=on_focusout
            aria-label=format!("Edit {}", task.title)
        >
            <input type="hidden" name="id" value=id.clone() />
            <div class="field">
                <label for=field_id("title")>"Title"</label>
                <input
                    id=field_id("title")
                    name="title"
                    type="text"
                    value=task.title.clone()
                    maxlength=limits::TITLE_MAX
                    node_ref=title_ref
                    aria-invalid=invalid(error.into(), "title")
                />
            </div>
            <div class="field">
                <label for=field_id("description")>"Description"</label>
                <textarea id=field_id("description") name="description" maxlength=limits::DESCRIPTION_MAX rows="3">
                    {textarea_text(&task.description)}
                </textarea>
            </div>
            <div class="options-grid">
                <div class="field">
                    <label for=field_id("priority")>"Priority"</label>
                    <select id=field_id("priority") name="priority">
                        <PriorityOptions selected=task.priority />
                    </select>
                </div>
                <div class="field">
                    <label for=field_id("due")>"Due date"</label>
                    <input id=field_id("due") name="due_date" type="date" value=due />
                </div>
                <div class="field">
                    <label for=field_id("due-time")>"Due time"</label>
                    <input id=field_id("due-time") name="due_time" type="time" value=due_time />
                </div>
                <div class="field">
                    <label for=field_id("repeat")>"Repeat"</label>
                    <select id=field_id("repeat") name="repeat">
                        <RepeatOptions
                            selected=task.repeat.clone()
                            words=task.repeat_text.clone().unwrap_or_default()
                        />
                    </select>
                </div>
                <div class="field">
                    <label for=field_id("repeat-words")>"Or repeat, in words"</label>
                    <input
                        id=field_id("repeat-words")
                        name="repeat_words"
                        type="text"
                        placeholder="every 2 weeks on mon, thu"
                        autocomplete="off"
                    />
                </div>
                <div class="field">
                    <label for=field_id("repeat-from")>"Next date"</label>
                    <select id=field_id("repeat-from") name="repeat_from">
                        <RepeatFromOptions selected=task.repeat_from />
                    </select>
                </div>
                <div class="field">
                    <label for=field_id("tags")>"Tags"</label>
                    <input id=field_id("tags") name="tags" type="text" value=task.tags.join(", ") autocomplete="off" />
                </div>
                <div class="field">
                    <label for=field_id("reminders")>"Reminders"</label>
                    <input
                        id=field_id("reminders")
                        name="reminders"
                        type="text"
                        value=task.reminders.join(", ")
                        placeholder="1d, 15m"
                        autocomplete="off"
                    />
                </div>
                <Pickers task=task.clone() list_field=field_id("list") assignee_field=field_id("assignee") />
            </div>
            <p class="field-error" role="alert" hidden=move || error.get().is_none()>
                {move || error.get().map(|e| error_text(&e))}
            </p>
            <div class="edit-actions">
                <button type="submit" class="button-primary" disabled=saving>
                    "Save"
                </button>
                <a
                    href=cancel_href
                    role="button"
                    class="button-quiet"
                    on:click=move |event: ev::MouseEvent| {
                        event.prevent_default();
                        close();
                    }
                >
                    "Cancel"
                </a>
            </div>
        </form>
    }
}

/// The task's list (those where the person may edit) and assignee (a member of its list, or
/// nobody), from the choices the page came with.
#[component]
fn Pickers(task: Task, list_field: String, assignee_field: String) -> impl IntoView {
    let board = expect_context::<Board>();
    let assignee = task.assignee.as_ref().map(|a| a.id);
    // The task's own list and assignee are always offered (and chosen), should the page's
    // choices predate them: a form saved unchanged must not move or unassign the task.
    let (lists, members) = board.choices.with_value(|c| {
        let own_list = (!c.lists.iter().any(|l| l.id == task.list_id)).then(|| {
            view! {
                <option value=task.list_id.to_string() selected=true>
                    "(its list)"
                </option>
            }
        });
        let own_assignee = task
            .assignee
            .as_ref()
            .filter(|a| !c.assignees.iter().any(|m| m.list_id == task.list_id && m.id == a.id))
            .map(|a| {
                view! {
                    <option value=a.id.to_string() selected=true>
                        {a.name.clone()}
                    </option>
                }
            });
        let lists = c
            .lists
            .iter()
            .map(|l| {
                view! {
                    <option value=l.id.to_string() selected=l.id == task.list_id>
                        {l.name.clone()}
                    </option>
                }
            })
            .collect_view();
        let members = c
            .assignees
            .iter()
            .filter(|a| a.list_id == task.list_id)
            .map(|a| {
                view! {
                    <option value=a.id.to_string() selected=Some(a.id) == assignee>
                        {a.name.clone()}
                    </option>
                }
            })
            .collect_view();
        ((own_list, lists), (own_assignee, members))
    });
    view! {
        <div class="field">
            <label for=list_field.clone()>"List"</label>
            <select id=list_field name="list_id">
                {lists}
            </select>
        </div>
        <div class="field">
            <label for=assignee_field.clone()>"Assignee"</label>
            <select id=assignee_field name="assignee_id">
                <option value="" selected=assignee.is_none()>
                    "Nobody"
                </option>
                {members}
            </select>
        </div>
    }
}
