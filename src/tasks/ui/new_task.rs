//! The "New task" field with its "More options".

use leptos::{ev, prelude::*, server_fn::ServerFn};

use super::{
    board::Board,
    fields::{PriorityOptions, RepeatFromOptions, RepeatOptions},
    preview,
};
use crate::{
    error::AppError,
    tasks::{Priority, QuickAdd, RepeatFrom, limits, quick::line::QuickAddInput, quick_add},
    ui::{error_text, invalid},
};

/// The "New task" field, which reads a quick-add line (`Pay rent every month on the 1st
/// #home !high`, previewed as it is typed), with its "More options" (which win over the
/// line's).
#[component]
pub(super) fn NewTaskForm(today: Option<time::Date>) -> impl IntoView {
    let board = expect_context::<Board>();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let error = RwSignal::new(None::<AppError>);
    // The title on its way to the server, if any.
    let adding = RwSignal::new(None::<String>);
    let described = move || if error.get().is_some() { "new-task-error" } else { "new-task-hint new-task-preview" };
    let focus_title = move || {
        if let Some(title) = title_ref.get_untracked() {
            let _ = title.focus();
        }
    };

    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        error.set(None);
        let form: web_sys::HtmlFormElement = event_target(&event);
        let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
        let field = |name: &str| data.get(name).as_string().filter(|v| !v.is_empty());
        let input = QuickAddInput {
            text: field("text").unwrap_or_default(),
            description: field("description"),
            priority: field("priority"),
            due_date: field("due_date"),
            due_time: field("due_time"),
            repeat: field("repeat"),
            repeat_from: field("repeat_from"),
            tags: field("tags"),
            reminders: field("reminders"),
            list_id: field("list_id"),
        };
        if input.text.trim().is_empty() {
            error.set(Some(AppError::field("text", "Type what needs to be done first.")));
            focus_title();
            return;
        }
        adding.set(Some(input.text.trim().to_owned()));
        let sent = input.clone();
        board.send(
            "Could not add the task".to_owned(),
            Box::pin(async move {
                let result = quick_add(input).await;
                adding.set(None);
                if let (Err(refused), Some(form)) = (result, form_ref.get_untracked()) {
                    // What was typed comes back into the form, with the reason under it.
                    restore_new_task(&form, &sent);
                    preview::show(&sent.text, today);
                    error.set(Some(refused));
                }
                Ok(())
            }),
        );
        if let Some(form) = form_ref.get_untracked() {
            form.reset();
        }
        preview::show("", today);
        focus_title();
    };

    view! {
        <form
            class="card new-task"
            action=QuickAdd::url()
            method="post"
            node_ref=form_ref
            on:submit=on_submit
            aria-label="Add a task"
        >
            <input type="hidden" name="list_id" value=move || board.view.get().list />
            <label id="new-task-label" for="new-task" class="visually-hidden">
                "New task"
            </label>
            <div class="new-task-row">
                <input
                    id="new-task"
                    name="text"
                    type="text"
                    placeholder="What needs to be done?"
                    autocomplete="off"
                    maxlength=crate::tasks::quick::line::TEXT_MAX
                    aria-describedby=described
                    aria-invalid=invalid(error.into(), "text")
                    node_ref=title_ref
                    on:input=move |event| preview::show(&event_target_value(&event), today)
                />
                <button type="submit" class="button-primary">
                    "Add"
                </button>
            </div>
            <p id="new-task-hint" class="hint">
                "Press Enter to add it. Dates, times, repeats, "
                <code>"#tags"</code>
                " and "
                <code>"!high"</code>
                " in the line are understood (“every monday at 9”); quote words to keep them in the title."
            </p>
            <p class="quick-preview" id=preview::ID hidden=true></p>
            <p id="new-task-error" class="field-error" role="alert" hidden=move || error.get().is_none()>
                {move || error.get().map(|e| error_text(&e))}
            </p>
            <details>
                <summary>"More options"</summary>
                <div class="options-grid">
                    <div class="field wide">
                        <label for="new-description">"Description"</label>
                        <textarea
                            id="new-description"
                            name="description"
                            maxlength=limits::DESCRIPTION_MAX
                            rows="2"
                        ></textarea>
                    </div>
                    <div class="field">
                        <label for="new-priority">"Priority"</label>
                        <select id="new-priority" name="priority">
                            <PriorityOptions selected=Priority::None />
                        </select>
                    </div>
                    <div class="field">
                        <label for="new-due">"Due date"</label>
                        <input id="new-due" name="due_date" type="date" />
                    </div>
                    <div class="field">
                        <label for="new-due-time">"Due time"</label>
                        <input id="new-due-time" name="due_time" type="time" />
                    </div>
                    <div class="field">
                        <label for="new-repeat">"Repeat"</label>
                        <select id="new-repeat" name="repeat">
                            <RepeatOptions selected=None />
                        </select>
                    </div>
                    <div class="field">
                        <label for="new-repeat-from">"Next date"</label>
                        <select id="new-repeat-from" name="repeat_from">
                            <RepeatFromOptions selected=RepeatFrom::Due />
                        </select>
                    </div>
                    <div class="field">
                        <label for="new-tags">"Tags"</label>
                        <input id="new-tags" name="tags" type="text" placeholder="home, errands" autocomplete="off" />
                    </div>
                    <div class="field">
                        <label for="new-reminders">"Reminders"</label>
                        <input
                            id="new-reminders"
                            name="reminders"
                            type="text"
                            placeholder="1d, 15m"
                            autocomplete="off"
                            aria-describedby="new-reminders-hint"
                        />
                        <p class="hint" id="new-reminders-hint">
                            "Before the due time (15m, 2h, 1d, 1w), or at a time like 2027-03-01 09:00."
                        </p>
                    </div>
                </div>
            </details>
            {move || {
                adding
                    .get()
                    .map(|title| {
                        view! {
                            <p class="hint" role="status">
                                "Adding “"
                                {title}
                                "”…"
                            </p>
                        }
                    })
            }}
        </form>
    }
}

/// Puts a refused new task's fields back into the form.
fn restore_new_task(form: &web_sys::HtmlFormElement, sent: &QuickAddInput) {
    use wasm_bindgen::JsCast;
    let set = |name: &str, value: &str| {
        if let Some(element) = form.elements().named_item(name) {
            if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
                input.set_value(value);
            } else if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                area.set_value(value);
            } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
                select.set_value(value);
            }
        }
    };
    set("text", &sent.text);
    set("description", sent.description.as_deref().unwrap_or_default());
    set("priority", sent.priority.as_deref().unwrap_or("none"));
    set("due_date", sent.due_date.as_deref().unwrap_or_default());
    set("due_time", sent.due_time.as_deref().unwrap_or_default());
    set("repeat", sent.repeat.as_deref().unwrap_or_default());
    set("repeat_from", sent.repeat_from.as_deref().unwrap_or("due"));
    set("reminders", sent.reminders.as_deref().unwrap_or_default());
    set("tags", sent.tags.as_deref().unwrap_or_default());
}
