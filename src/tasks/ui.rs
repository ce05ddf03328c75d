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

use leptos::{either::Either, ev, prelude::*, server_fn::ServerFn, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use time::{Date, Duration};
use uuid::Uuid;

use super::{
    ClearCompleted, CompleteAll, CompleteAllInput, CreateTask, DeleteTask, ListQuery, NewTask, Priority, SetCompleted,
    SetCompletedInput, TagCount, Task, TaskId, TaskList, TaskUpdate, UpdateTask, clear_completed, complete_all,
    create_task, delete_task, limits, list_tags, list_tasks, set_completed, update_task,
};
use crate::{app::mark_hydrated, auth::ui::with_user, error::AppError, ui::textarea_text};

/// Tasks per page.
const PAGE_SIZE: i64 = limits::LIMIT_DEFAULT;

/// `/tasks`.
#[component]
pub fn TasksPage() -> impl IntoView {
    let params = use_query_map();
    view! {
        <Title text="Tasks" />
        {with_user(move |_| {
            let params = params.read_untracked();
            let notice = no_script_error(params.get("__path").as_deref(), params.get("__err").as_deref());
            view! { <TaskBoard notice /> }
        })}
    }
}

/// The error of an action that the browser submitted without the WASM, carried back in the
/// URL by the server (for the bulk and per-task buttons, whose forms have no room for it).
fn no_script_error(path: Option<&str>, error: Option<&str>) -> Option<String> {
    let (path, error) = (path?, error?);
    let ours = ["create", "update", "set-completed", "delete", "clear-completed", "complete-all"]
        .iter()
        .any(|name| path.strip_prefix("/api/tasks/") == Some(*name));
    if !ours {
        return None;
    }
    // The URL's text is anyone's: the message is chosen by the error's code (and, for a
    // refused field, by the field's name) alone.
    Some(match AppError::from_url(error, field_hint) {
        AppError::Validation(fields) if !fields.is_empty() => {
            let what = if path.ends_with("create") { "The task was not added" } else { "The task was not saved" };
            format!("{what}: {}", fields.into_values().collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    })
}

/// What the task page says of a field the server refused, when the error came in the URL.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "title" => "A task needs a title of at most 200 characters.",
        "description" => "A description has at most 2,000 characters.",
        "priority" => "The priority is none, low, medium or high.",
        "due_date" => "The due date must be a real date.",
        "tags" => "Use at most 10 tags, each of letters, digits, - and _.",
        "id" => "That task does not exist.",
        "completed" => "Completed is true or false.",
        _ => return None,
    })
}

/// The view the URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    status: String,
    q: String,
    priority: String,
    tag: String,
    due: String,
    sort: String,
    order: String,
    page: i64,
    edit: String,
}

impl View {
    /// The view of a URL's query, given a way to read its parameters.
    fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let trimmed = |key: &str| get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            status: trimmed("status"),
            q: get("q").unwrap_or_default(),
            priority: trimmed("priority"),
            tag: trimmed("tag"),
            due: trimmed("due"),
            sort: trimmed("sort"),
            order: trimmed("order"),
            page: trimmed("page").parse::<i64>().ok().filter(|p| *p >= 1).unwrap_or(1),
            edit: trimmed("edit"),
        }
    }

    /// The view of the page's URL: the request's on the server, the address bar's in the
    /// browser (read there rather than passed in the island's props, which would take a
    /// JSON decoder for it in the WASM).
    fn current() -> Self {
        #[cfg(feature = "ssr")]
        return {
            let params = use_query_map();
            let params = params.read_untracked();
            Self::from_query(|key| params.get(key))
        };
        #[cfg(not(feature = "ssr"))]
        return Self::from_location();
    }

    /// The view of the browser's current URL.
    fn from_location() -> Self {
        let search = window().location().search().unwrap_or_default();
        match web_sys::UrlSearchParams::new_with_str(&search) {
            Ok(params) => Self::from_query(|key| params.get(key)),
            Err(_) => Self::default(),
        }
    }

    /// The order a sort key is shown in when the URL does not say: newest, soonest, most
    /// urgent, A to Z.
    fn default_order(sort: &str) -> &'static str {
        match sort {
            "due" | "title" => "asc",
            _ => "desc",
        }
    }

    fn query(&self) -> ListQuery {
        let some = |v: &String| (!v.is_empty()).then(|| v.clone());
        let order = if self.order.is_empty() { Self::default_order(&self.sort).to_owned() } else { self.order.clone() };
        ListQuery {
            status: some(&self.status),
            q: some(&self.q),
            priority: some(&self.priority),
            tag: some(&self.tag),
            due: some(&self.due),
            sort: some(&self.sort),
            order: Some(order),
            limit: Some(PAGE_SIZE.to_string()),
            offset: Some(((self.page - 1).saturating_mul(PAGE_SIZE)).to_string()),
        }
    }

    /// The URL of this view.
    fn href(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("q", &self.q),
            ("priority", &self.priority),
            ("tag", &self.tag),
            ("due", &self.due),
            ("sort", &self.sort),
            ("order", &self.order),
        ];
        let mut query: Vec<String> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode(v))).collect();
        if self.page > 1 {
            query.push(format!("page={}", self.page));
        }
        if !self.edit.is_empty() {
            query.push(format!("edit={}", encode(&self.edit)));
        }
        if query.is_empty() { "/tasks".to_owned() } else { format!("/tasks?{}", query.join("&")) }
    }

    /// This view changed by `change`, back on its first page and out of editing.
    fn changed(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = Self { page: 1, edit: String::new(), ..self.clone() };
        change(&mut next);
        next
    }

    /// Whether filters other than the status narrow the list.
    fn is_filtered(&self) -> bool {
        !(self.q.is_empty() && self.priority.is_empty() && self.tag.is_empty() && self.due.is_empty())
    }

    /// The sort key shown in the menu.
    fn sort_key(&self) -> &str {
        if self.sort.is_empty() { "created" } else { &self.sort }
    }

    /// The order shown in the menu.
    fn order_key(&self) -> &str {
        if self.order.is_empty() { Self::default_order(self.sort_key()) } else { &self.order }
    }
}

fn encode(value: &str) -> String {
    crate::ui::encode_component(value)
}

/// A change to all tasks at once, while it is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bulk {
    /// Completing (`true`) or reopening (`false`) every task.
    Complete(bool),
    /// Deleting the completed tasks.
    ClearCompleted,
}

/// What the parts of the board share.
#[derive(Clone, Copy)]
struct Board {
    view: RwSignal<View>,
    /// Bumped after every change, to load the list again.
    version: RwSignal<u64>,
    /// A bulk change in flight.
    bulk: RwSignal<Option<Bulk>>,
    /// The last failure of a change, shown above the list: the task itself may be gone by the
    /// time the list is loaded again.
    notice: RwSignal<Option<String>>,
    /// The edit forms open (or asked for). Loading the list again builds its rows anew, and
    /// the rows on screen until the new ones are ready no longer change: a form asked for
    /// meanwhile opens in the new row. And while a form is open, a reload waits for it to
    /// close ([`Board::reload`]), so the list does not change under it.
    edits: StoredValue<Edits>,
}

/// The edit forms open, by task, and whether a reload waits for them to close.
#[derive(Default)]
struct Edits {
    open: Vec<Uuid>,
    stale: bool,
}

impl Edits {
    fn open(&mut self, id: Uuid) {
        if !self.open.contains(&id) {
            self.open.push(id);
        }
    }
}

impl Board {
    /// Reads or changes the open edit forms (through `dyn`, so that the WASM holds one copy
    /// of the storage's code rather than one for each use).
    fn with_edits(self, f: &mut dyn FnMut(&mut Edits)) {
        self.edits.update_value(|edits| f(edits));
    }

    /// Loads the list again, now or, while an edit form is open, when the last one closes.
    fn reload(self) {
        let mut waits = false;
        self.with_edits(&mut |edits| {
            waits = !edits.open.is_empty();
            edits.stale = waits;
        });
        if !waits {
            self.version.update(|v| *v += 1);
        }
    }

    /// Opens the edit form of a row.
    fn edit(self, state: RwSignal<RowState>, id: Uuid) {
        self.with_edits(&mut |edits| edits.open(id));
        state.update(|s| s.editing = true);
    }

    /// Closes the edit form of a row; says whether a reload waited for the open forms (the
    /// caller loads the list again, unless a change of its own is about to).
    fn end_edit(self, state: RwSignal<RowState>, id: Uuid) -> bool {
        state.update(|s| s.editing = false);
        let mut waited = false;
        self.with_edits(&mut |edits| {
            edits.open.retain(|open| *open != id);
            waited = edits.stale;
        });
        waited
    }

    /// Whether the edit form of task `id` is open.
    fn editing(self, id: Uuid) -> bool {
        let mut open = false;
        self.with_edits(&mut |edits| open = edits.open.contains(&id));
        open
    }

    /// Keeps the edit forms of the tasks `list` shows (none if it could not be loaded).
    fn keep_edits(self, list: Option<&TaskList>) {
        self.with_edits(&mut |edits| match list {
            Some(list) => edits.open.retain(|id| list.tasks.iter().any(|task| task.id == *id)),
            None => edits.open.clear(),
        });
    }

    /// Shows another view (its list is loaded afresh), with no edit form open.
    fn show(self, next: View) {
        self.with_edits(&mut |edits| *edits = Edits::default());
        self.view.set(next);
    }

    /// Shows `next` and puts it in the address bar (replacing the current entry, for views
    /// that are steps of one change, like typing a search).
    fn go(self, next: View, replace: bool) {
        let url = next.href();
        if let Ok(history) = window().history() {
            let state = wasm_bindgen::JsValue::NULL;
            let _ = if replace {
                history.replace_state_with_url(&state, "", Some(&url))
            } else {
                history.push_state_with_url(&state, "", Some(&url))
            };
        }
        self.show(next);
    }

    /// Sends a change (whose future also applies the answer to the page); when it is done,
    /// reports a failure (prefixed with `what`) and loads the list again, which also undoes
    /// whatever was shown optimistically.
    fn send(self, what: String, change: Change) {
        self.notice.set(None);
        spawn_local(async move {
            if let Err(error) = change.await {
                self.notice.set(Some(format!("{what}: {error}")));
            }
            self.reload();
        });
    }

    /// Deletes a task, hiding its row at once (and showing it again if the server refuses).
    fn delete(self, state: RwSignal<RowState>, id: String, title: &str) {
        state.update(|s| s.deleting = true);
        self.send(
            format!("Could not delete “{title}”"),
            Box::pin(async move {
                let result = delete_task(TaskId { id }).await;
                if result.is_err() {
                    state.update(|s| s.deleting = false);
                }
                result.map(drop)
            }),
        );
    }

    fn clearing(self) -> bool {
        self.bulk.get() == Some(Bulk::ClearCompleted)
    }

    /// What a pending bulk change makes of every task's completion.
    fn bulk_completion(self) -> Option<bool> {
        match self.bulk.get() {
            Some(Bulk::Complete(completed)) => Some(completed),
            _ => None,
        }
    }
}

/// A change on its way to the server, with what the page makes of the answer. Boxed, so
/// that [`Board::send`] is compiled once for every kind of change.
type Change = std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>>>>;

/// Follows a link to another view in place (a click with a modifier key, or with another
/// button than the main one, is left to the browser: a new tab, say).
fn follow(board: Board, next: View) -> impl Fn(ev::MouseEvent) + 'static {
    move |event: ev::MouseEvent| {
        if event.button() != 0 || event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key() {
            return;
        }
        event.prevent_default();
        board.go(next.clone(), false);
    }
}

/// The task board: new task, filters, the list and its footer.
#[island]
fn TaskBoard(notice: Option<String>) -> impl IntoView {
    mark_hydrated();
    let board = Board {
        view: RwSignal::new(View::current()),
        version: RwSignal::new(0),
        bulk: RwSignal::new(None),
        notice: RwSignal::new(notice),
        edits: StoredValue::new(Edits::default()),
    };
    provide_context(board);
    let list = Resource::new(move || (board.view.get().query(), board.version.get()), |(query, _)| list_tasks(query));
    let tags = Resource::new(move || board.version.get(), |_| list_tags());
    listen_to_window(board);

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
        <NewTaskForm />
        <Notice />
        <Transition fallback=|| view! { <p class="loading">"Loading your tasks…"</p> }>
            {move || Suspend::new(async move {
                let tags = tags.await.map(|t| t.tags).unwrap_or_default();
                let list = list.await;
                board.keep_edits(list.as_ref().ok());
                // While it settles on the server, the Transition walks this once with the data
                // already loaded, looking for more resources, builds the whole list and throws
                // it away (a sixth of the page's time). There are no more resources below, and
                // one yield makes that walk pass over the list; the render awaits it as usual.
                #[cfg(feature = "ssr")]
                tokio::task::yield_now().await;
                match list {
                    Ok(list) => Either::Left(view! { <ListView list tags /> }),
                    Err(error) => Either::Right(view! { <ListError error /> }),
                }
            })}
        </Transition>
    }
}

/// What the board hears from the window: the back and forward buttons (it shows the view of
/// the URL they land on), the tab coming back into view (another tab may have changed the
/// list, so it is loaded again), and the keys `n` and `/`, which focus the new-task and the
/// search field (unless the person is typing somewhere).
fn listen_to_window(board: Board) {
    Effect::new(move || {
        let handles = [
            window_event_listener(ev::popstate, move |_| board.show(View::from_location())),
            window_event_listener(ev::visibilitychange, move |_| {
                if document().visibility_state() == web_sys::VisibilityState::Visible {
                    board.reload();
                }
            }),
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
                board.notice.get().map(|message| {
                    view! {
                        <p class="form-error notice-message">
                            <span>{message}</span>
                            <button type="button" class="button-quiet needs-js" on:click=move |_| board.notice.set(None)>
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

/// The "New task" field with its "More options".
#[component]
fn NewTaskForm() -> impl IntoView {
    let board = expect_context::<Board>();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let error = RwSignal::new(None::<AppError>);
    // The title on its way to the server, if any.
    let adding = RwSignal::new(None::<String>);
    let described = move || if error.get().is_some() { "new-task-error" } else { "new-task-hint" };
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
        let input = NewTask {
            title: field("title").unwrap_or_default(),
            description: field("description"),
            priority: field("priority"),
            due_date: field("due_date"),
            tags: field("tags"),
        };
        if input.title.trim().is_empty() {
            error.set(Some(AppError::field("title", "Type what needs to be done first.")));
            focus_title();
            return;
        }
        adding.set(Some(input.title.trim().to_owned()));
        let sent = input.clone();
        board.send(
            "Could not add the task".to_owned(),
            Box::pin(async move {
                let result = create_task(input).await;
                adding.set(None);
                if let (Err(refused), Some(form)) = (result, form_ref.get_untracked()) {
                    // What was typed comes back into the form, with the reason under it.
                    restore_new_task(&form, &sent);
                    error.set(Some(refused));
                }
                Ok(())
            }),
        );
        if let Some(form) = form_ref.get_untracked() {
            form.reset();
        }
        focus_title();
    };

    view! {
        <form class="card new-task" action=CreateTask::url() method="post" node_ref=form_ref on:submit=on_submit aria-label="Add a task">
            <label id="new-task-label" for="new-task" class="visually-hidden">
                "New task"
            </label>
            <div class="new-task-row">
                <input
                    id="new-task"
                    name="title"
                    type="text"
                    placeholder="What needs to be done?"
                    autocomplete="off"
                    maxlength=limits::TITLE_MAX
                    aria-describedby=described
                    aria-invalid=move || invalid(error.get().as_ref(), "title")
                    node_ref=title_ref
                />
                <button type="submit" class="button-primary">
                    "Add"
                </button>
            </div>
            <p id="new-task-hint" class="visually-hidden">
                "Press Enter to add the task."
            </p>
            <p id="new-task-error" class="field-error" role="alert" hidden=move || error.get().is_none()>
                {move || error.get().map(|e| error_text(&e))}
            </p>
            <details>
                <summary>"More options"</summary>
                <div class="options-grid">
                    <div class="field wide">
                        <label for="new-description">"Description"</label>
                        <textarea id="new-description" name="description" maxlength=limits::DESCRIPTION_MAX rows="2"></textarea>
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
                        <label for="new-tags">"Tags"</label>
                        <input id="new-tags" name="tags" type="text" placeholder="home, errands" autocomplete="off" />
                    </div>
                </div>
            </details>
            {move || {
                adding.get().map(|title| view! { <p class="hint" role="status">"Adding “" {title} "”…"</p> })
            }}
        </form>
    }
}

/// `"true"` when the last failure was about `field`, for `aria-invalid`.
fn invalid(error: Option<&AppError>, field: &str) -> &'static str {
    if error.is_some_and(|e| e.field_message(field).is_some()) { "true" } else { "false" }
}

/// A failure as one line: every field's message, or the error itself.
fn error_text(error: &AppError) -> String {
    match error {
        AppError::Validation(fields) => fields.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Puts a refused new task's fields back into the form.
fn restore_new_task(form: &web_sys::HtmlFormElement, sent: &NewTask) {
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
    set("title", &sent.title);
    set("description", sent.description.as_deref().unwrap_or_default());
    set("priority", sent.priority.as_deref().unwrap_or("none"));
    set("due_date", sent.due_date.as_deref().unwrap_or_default());
    set("tags", sent.tags.as_deref().unwrap_or_default());
}

/// The `<option>`s of a priority menu.
#[component]
fn PriorityOptions(selected: Priority) -> impl IntoView {
    Priority::ALL
        .into_iter()
        .map(|p| view! { <option value=p.as_str() selected=p == selected>{priority_label(p)}</option> })
        .collect_view()
}

fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::None => "No priority",
        Priority::Low => "Low",
        Priority::Medium => "Medium",
        Priority::High => "High",
    }
}

/// Status links with counts, search, filters and sorting.
#[component]
fn Toolbar(counts: super::Counts, tags: Vec<TagCount>) -> impl IntoView {
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
    let search_timer = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);
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
    let unknown_tag = (!current_tag.is_empty() && !tags.iter().any(|t| t.name == current_tag))
        .then(|| view! { <option value=current_tag.clone() selected=true>{current_tag.clone()}</option> });
    let tag_options = tags
        .into_iter()
        .map(|TagCount { name, count }| {
            let selected = name == initial.tag;
            view! { <option value=name.clone() selected=selected>{format!("{name} ({count})")}</option> }
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
                {status_link("all", "All", counts.all)}
                {status_link("active", "Active", counts.active)}
                {status_link("completed", "Completed", counts.completed)}
            </ul>
        </nav>
        <form class="toolbar filters" method="get" action="/tasks" role="search" on:change=on_change on:submit=on_submit>
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
                    <option value="" selected=initial.priority.is_empty()>"Any"</option>
                    {Priority::ALL
                        .into_iter()
                        .rev()
                        .map(|p| view! { <option value=p.as_str() selected=initial.priority == p.as_str()>{priority_label(p)}</option> })
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
                    {[("", "Any time"), ("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Upcoming"), ("none", "No due date")]
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value selected=initial.due == value>{label}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort" prop:value=move || view.read().sort_key().to_owned()>
                    {[("created", "Date added"), ("updated", "Last changed"), ("due", "Due date"), ("priority", "Priority"), ("title", "Title")]
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value selected=initial.sort_key() == value>{label}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="order">"Order"</label>
                <select id="order" name="order" prop:value=move || view.read().order_key().to_owned()>
                    <option value="asc" selected=initial.order_key() == "asc">{move || order_labels().0}</option>
                    <option value="desc" selected=initial.order_key() == "desc">{move || order_labels().1}</option>
                </select>
            </div>
            <button type="submit" class="no-js-only">
                "Apply"
            </button>
        </form>
        {initial.is_filtered().then(|| view! {
            <p class="active-filters">
                <span>"Filtered view."</span>
                <a href=clear_filters.href() on:click=follow(board, clear_filters.clone())>
                    "Clear filters"
                </a>
            </p>
        })}
    }
}

/// The toolbar, the list and its footer, for one loaded page.
#[component]
fn ListView(list: TaskList, tags: Vec<TagCount>) -> impl IntoView {
    let board = expect_context::<Board>();
    let TaskList { tasks, total, counts, today, .. } = list;
    let page = board.view.read_untracked().page;
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let busy = move || board.bulk.get().is_some().to_string();
    view! {
        <Toolbar counts tags />
        {if tasks.is_empty() {
            Either::Left(view! { <EmptyState all=counts.all page /> })
        } else {
            Either::Right(view! {
                <ul class="task-list" aria-label="Tasks" aria-busy=busy>
                    <For
                        each=move || tasks.clone()
                        key=row_key
                        children=move |task| view! { <TaskItem task today /> }
                    />
                </ul>
            })
        }}
        <ListFooter counts />
        {(pages > 1).then(|| view! { <Pagination page pages /> })}
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
            {link.map(|label| view! {
                <p>
                    <a href="/tasks" on:click=follow(board, View::default())>
                        {label}
                    </a>
                </p>
            })}
        </div>
    }
}

/// What a row shows while a change of it is on its way.
#[derive(Debug, Clone, Default, PartialEq)]
struct RowState {
    /// The completion asked for.
    completed: Option<bool>,
    /// Being deleted.
    deleting: bool,
    /// Showing its edit form.
    editing: bool,
    /// The title of an edit on its way.
    saving_title: Option<String>,
    /// The task as the server answered the last change (until the list is loaded again).
    answered: Option<Task>,
}

/// One task: its checkbox, title, details and buttons, or its edit form.
#[component]
fn TaskItem(task: Task, today: Date) -> impl IntoView {
    let board = expect_context::<Board>();
    // Without the WASM, "Edit" is a link to this page with `edit=<id>`.
    let editing = board.view.read_untracked().edit == task.id.to_string() || board.editing(task.id);
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
    view! {
        <li class="task" class:done=completed class:pending=pending hidden=hidden>
            {move || {
                if state.with(|s| s.editing) {
                    Either::Left(view! { <EditForm task=task.get_value() state /> })
                } else {
                    let shown = state.with(|s| {
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
    let id = task.id;
    let title = task.title.clone();
    let on_toggle = {
        let title = title.clone();
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            let asked = !completed.get_untracked();
            state.update(|s| s.completed = Some(asked));
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
            board.delete(state, id.to_string(), &title);
        }
    };
    let start_editing = move |event: ev::MouseEvent| {
        event.prevent_default();
        board.edit(state, id);
    };
    // Without the WASM, "Edit" opens this same view with the task's edit form.
    let edit_href = View { edit: id.to_string(), ..board.view.get_untracked() }.href();
    let description = task.description.lines().next().unwrap_or_default().chars().take(160).collect::<String>();
    let due = task.due_date.map(|due| (due, due_label(due, today, task.completed)));
    let tags = task.tags.iter().map(|tag| {
        let next = board.view.read_untracked().changed(|v| v.tag.clone_from(tag));
        view! {
            <a href=next.href() class="chip" aria-label=format!("Show tasks tagged {tag}") on:click=follow(board, next.clone())>
                "#"{tag.clone()}
            </a>
        }
    });
    view! {
        <form class="inline-form" action=SetCompleted::url() method="post" on:submit=on_toggle>
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="completed" value=move || (!completed.get()).to_string() />
            <button type="submit" class="check" role="checkbox" aria-checked=move || completed.get().to_string() aria-label=title.clone()></button>
        </form>
        <div class="task-main">
            <p class="task-title" on:dblclick=move |_| board.edit(state, id)>
                {task.title.clone()}
            </p>
            {(!description.is_empty()).then(|| view! { <p class="task-description">{description}</p> })}
            <div class="task-meta">
                {(task.priority != Priority::None).then(|| view! {
                    <span class=format!("badge {}", task.priority.as_str())>
                        {priority_label(task.priority)}
                        <span class="visually-hidden">" priority"</span>
                    </span>
                })}
                {due.map(|(date, (label, class))| view! {
                    <time class=format!("due {class}") datetime=date.to_string()>
                        {label}
                    </time>
                })}
                {tags.collect_view()}
            </div>
        </div>
        <div class="task-actions">
            <a href=edit_href class="button-quiet" role="button" aria-label=format!("Edit {title}") on:click=start_editing>
                "Edit"
            </a>
            <form class="inline-form" action=DeleteTask::url() method="post" on:submit=on_delete>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button-quiet" aria-label=format!("Delete {title}")>
                    "Delete"
                </button>
            </form>
        </div>
    }
}

/// Editing a task in place: Enter or leaving the form saves, Escape cancels, and an emptied
/// title offers to delete the task.
#[component]
fn EditForm(task: Task, state: RwSignal<RowState>) -> impl IntoView {
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
            tags: changed(field("tags"), &task.tags.join(", ")),
        };
        let nothing = input.title.is_none()
            && input.description.is_none()
            && input.priority.is_none()
            && input.due_date.is_none()
            && input.tags.is_none();
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
                    aria-invalid=move || invalid(error.get().as_ref(), "title")
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
                    <input id=field_id("due") name="due_date" type="date" value=task.due_date.map(|d| d.to_string()).unwrap_or_default() />
                </div>
                <div class="field">
                    <label for=field_id("tags")>"Tags"</label>
                    <input id=field_id("tags") name="tags" type="text" value=task.tags.join(", ") autocomplete="off" />
                </div>
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

/// "N items left", and the bulk buttons.
#[component]
fn ListFooter(counts: super::Counts) -> impl IntoView {
    let board = expect_context::<Board>();
    let left = move || {
        let active = match board.bulk_completion() {
            Some(true) => 0,
            Some(false) => counts.all,
            None => counts.active,
        };
        format!("{active} {} left", if active == 1 { "item" } else { "items" })
    };
    let busy = move || board.bulk.get().is_some();
    let on_bulk = move |bulk: Bulk| {
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            board.bulk.set(Some(bulk));
            let (what, change): (&str, Change) = match bulk {
                Bulk::Complete(completed) => {
                    let input = CompleteAllInput { completed: completed.to_string() };
                    ("Could not change the tasks", Box::pin(async move { complete_all(input).await.map(drop) }))
                }
                Bulk::ClearCompleted => {
                    ("Could not clear the completed tasks", Box::pin(async move { clear_completed().await.map(drop) }))
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
                <div class="bulk">
                    <form class="inline-form" action=CompleteAll::url() method="post" on:submit=on_bulk(Bulk::Complete(complete))>
                        <input type="hidden" name="completed" value=complete.to_string() />
                        <button type="submit" disabled=busy>
                            {if complete { "Mark all complete" } else { "Mark all active" }}
                        </button>
                    </form>
                    {(completed > 0).then(|| view! {
                        <form class="inline-form" action=ClearCompleted::url() method="post" on:submit=on_bulk(Bulk::ClearCompleted)>
                            <button type="submit" disabled=busy>
                                {format!("Clear completed ({completed})")}
                            </button>
                        </form>
                    })}
                </div>
            </div>
        }
    })
}

#[component]
fn Pagination(page: i64, pages: i64) -> impl IntoView {
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
                Either::Right(view! { <span aria-hidden="true" class="hint">"← Previous"</span> })
            }}
            <span>{format!("Page {page} of {pages}")}</span>
            {if page < pages {
                Either::Left(link(page + 1, "Next →", "next"))
            } else {
                Either::Right(view! { <span aria-hidden="true" class="hint">"Next →"</span> })
            }}
        </nav>
    }
}

/// How a due date reads, relative to the server's today.
fn due_label(due: Date, today: Date, completed: bool) -> (String, &'static str) {
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
