//! `/tasks`: the task page.
//!
//! Everything the page shows is in its URL (`?status=active&q=milk&sort=due&page=2`), so a
//! reload, the back button or a shared link keeps the view. Every action is a form posting to
//! its server function: without the WASM the browser submits it and comes back to the same
//! URL; with the WASM it is sent in place, shown at once (optimistically), and the list is
//! loaded again when the server has answered, so the page never shows stale data as current.

use leptos::{either::Either, ev, prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
    params::ParamsMap,
};
use time::{Date, Duration};

use super::{
    ClearCompleted, CompleteAll, CreateTask, DeleteTask, ListQuery, Priority, SetCompleted, Task, TaskList, UpdateTask,
    limits, list_tags, list_tasks,
};
use crate::{auth::ui::with_user, error::AppError};

/// Tasks per page.
const PAGE_SIZE: i64 = limits::LIMIT_DEFAULT;

/// `/tasks`.
#[component]
pub fn TasksPage() -> impl IntoView {
    view! {
        <Title text="Tasks" />
        {with_user(|_| view! { <Board /> })}
    }
}

/// The view the URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct View {
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
    fn from_params(params: &ParamsMap) -> Self {
        let get = |key: &str| params.get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            status: get("status"),
            q: params.get("q").unwrap_or_default(),
            priority: get("priority"),
            tag: get("tag"),
            due: get("due"),
            sort: get("sort"),
            order: get("order"),
            page: get("page").parse::<i64>().ok().filter(|p| *p >= 1).unwrap_or(1),
            edit: get("edit"),
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
    fn with(&self, change: impl FnOnce(&mut Self)) -> String {
        let mut next = Self { page: 1, edit: String::new(), ..self.clone() };
        change(&mut next);
        next.href()
    }

    /// Whether filters other than the status narrow the list.
    fn is_filtered(&self) -> bool {
        !(self.q.is_empty() && self.priority.is_empty() && self.tag.is_empty() && self.due.is_empty())
    }
}

fn encode(value: &str) -> String {
    crate::ui::encode_component(value)
}

/// What the parts of the board share.
#[derive(Clone, Copy)]
struct Board {
    view: Memo<View>,
    /// Bumped after every change, to load the list again.
    version: RwSignal<u64>,
    complete_all: ServerAction<CompleteAll>,
    clear_completed: ServerAction<ClearCompleted>,
    /// The last failure of an action on one task, shown above the list: the task itself may
    /// be gone by the time the list is loaded again.
    notice: RwSignal<Option<String>>,
}

impl Board {
    fn reload(&self) {
        self.version.update(|v| *v += 1);
    }

    /// Loads the list again whenever `action` has finished (whatever the outcome: on failure
    /// this also undoes the optimistic change).
    fn reload_after<I, O>(&self, action: Action<I, O>)
    where
        I: Send + Sync + 'static,
        O: Send + Sync + 'static,
    {
        let board = *self;
        Effect::new(move |previous: Option<usize>| {
            let version = action.version().get();
            if previous.is_some_and(|p| p != version) {
                board.reload();
            }
            version
        });
    }

    /// What a pending bulk action makes of a task's completion, if one is in flight.
    fn pending_completion(&self) -> Option<bool> {
        self.complete_all.input().with(|input| input.as_ref().map(|i| i.input.completed == "true"))
    }

    fn clearing(&self) -> bool {
        self.clear_completed.pending().get()
    }
}

#[component]
fn Board() -> impl IntoView {
    let params = use_query_map();
    let view = Memo::new(move |_| View::from_params(&params.read()));
    let board = Board {
        view,
        version: RwSignal::new(0),
        complete_all: ServerAction::<CompleteAll>::new(),
        clear_completed: ServerAction::<ClearCompleted>::new(),
        notice: RwSignal::new(None),
    };
    provide_context(board);
    board.reload_after(board.complete_all.into());
    board.reload_after(board.clear_completed.into());
    report_failure(board, board.complete_all.into(), "Could not change the tasks".to_owned());
    report_failure(board, board.clear_completed.into(), "Could not clear the completed tasks".to_owned());

    let list = Resource::new(move || (view.get().query(), board.version.get()), |(query, _)| list_tasks(query));
    let tags = Resource::new(move || board.version.get(), |_| list_tags());
    refresh_when_visible(board);
    keyboard_shortcuts();

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
        <NoScriptError />
        <Notice />
        <Transition fallback=|| view! { <p class="loading">"Loading your tasks…"</p> }>
            {move || Suspend::new(async move {
                let tags = tags.await.map(|t| t.tags).unwrap_or_default();
                match list.await {
                    Ok(list) => Either::Left(view! { <ListView list tags /> }),
                    Err(error) => Either::Right(view! { <ListError error /> }),
                }
            })}
        </Transition>
    }
}

/// Loads the list again when the tab comes back into view: another tab may have changed it.
fn refresh_when_visible(board: Board) {
    Effect::new(move || {
        let handle = window_event_listener(ev::visibilitychange, move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                board.reload();
            }
        });
        on_cleanup(move || handle.remove());
    });
}

/// `n` focuses the new-task field, `/` the search field (unless typing somewhere).
fn keyboard_shortcuts() {
    Effect::new(move || {
        let handle = window_event_listener(ev::keydown, move |event| {
            if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
                return;
            }
            let typing = document().active_element().is_some_and(|element| {
                matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || element.has_attribute("contenteditable")
            });
            if typing {
                return;
            }
            let target = match event.key().as_str() {
                "n" => "new-task",
                "/" => "search",
                _ => return,
            };
            if let Some(input) = document().get_element_by_id(target) {
                event.prevent_default();
                let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&input).focus();
            }
        });
        on_cleanup(move || handle.remove());
    });
}

/// The error of an action that the browser submitted without the WASM, carried back in the
/// URL by the server (for the bulk and per-task buttons, whose forms have no room for it).
#[component]
fn NoScriptError() -> impl IntoView {
    let params = use_query_map();
    let message = move || {
        let params = params.read();
        let path = params.get("__path")?;
        let error = params.get("__err")?;
        let ours =
            ["set-completed", "delete", "clear-completed", "complete-all"].iter().any(|name| path.ends_with(name));
        ours.then(|| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&error).to_string())
    };
    view! {
        {move || message().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
    }
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
                            <button type="button" class="button-quiet" on:click=move |_| board.notice.set(None)>
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
                <A href="/tasks">"Show all tasks"</A>
            </p>
        </div>
    }
}

/// The "New task" field with its "More options".
#[component]
fn NewTaskForm() -> impl IntoView {
    let board = expect_context::<Board>();
    let create = ServerAction::<CreateTask>::new();
    board.reload_after(create.into());
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let local_error = RwSignal::new(None::<AppError>);
    // The last failure, unless a later submission is on its way.
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| if create.pending().get() { None } else { create.value().get().and_then(Result::err) })
    });
    let described = move || if error.get().is_some() { "new-task-error" } else { "new-task-hint" };

    // What was typed comes back into the form if the server refuses it.
    let last_sent = StoredValue::new(None::<super::NewTask>);
    Effect::new(move || {
        if let (Some(Err(_)), Some(sent), Some(form)) =
            (create.value().get(), last_sent.get_value(), form_ref.get_untracked())
        {
            restore_new_task(&form, &sent);
        }
    });

    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        local_error.set(None);
        let Ok(input) = <CreateTask as leptos::form::FromFormData>::from_event(&event) else {
            return;
        };
        if input.input.title.trim().is_empty() {
            local_error.set(Some(AppError::field("title", "Type what needs to be done first.")));
            if let Some(title) = title_ref.get_untracked() {
                let _ = title.focus();
            }
            return;
        }
        last_sent.set_value(Some(input.input.clone()));
        create.dispatch(input);
        if let Some(form) = form_ref.get_untracked() {
            form.reset();
        }
        if let Some(title) = title_ref.get_untracked() {
            let _ = title.focus();
        }
    };

    view! {
        <form
            class="card new-task"
            action=CreateTask::url()
            method="post"
            node_ref=form_ref
            on:submit=on_submit
            aria-label="Add a task"
        >
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
                    aria-invalid=move || if error.get().is_some_and(|e| e.field_message("title").is_some()) { "true" } else { "false" }
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
                {move || error.get().map(|e| match &e {
                    AppError::Validation(fields) => fields.values().cloned().collect::<Vec<_>>().join(" "),
                    other => other.to_string(),
                })}
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
                        <PrioritySelect id="new-priority" selected=Priority::None />
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
                create.input().get().map(|pending| {
                    view! {
                        <p class="hint" role="status">
                            "Adding “" {pending.input.title.trim().to_owned()} "”…"
                        </p>
                    }
                })
            }}
        </form>
    }
}

/// Puts a refused new task's fields back into the form.
fn restore_new_task(form: &web_sys::HtmlFormElement, sent: &super::NewTask) {
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

#[component]
fn PrioritySelect(id: &'static str, selected: Priority) -> impl IntoView {
    view! {
        <select id=id name="priority">
            {Priority::ALL
                .into_iter()
                .map(|p| {
                    view! {
                        <option value=p.as_str() selected=p == selected>
                            {priority_label(p)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::None => "No priority",
        Priority::Low => "Low",
        Priority::Medium => "Medium",
        Priority::High => "High",
    }
}

/// The toolbar, the list and its footer, for one loaded page.
#[component]
fn ListView(list: TaskList, tags: Vec<super::TagCount>) -> impl IntoView {
    let board = expect_context::<Board>();
    let view = board.view;
    let TaskList { tasks, total, counts, today, .. } = list;
    let empty = tasks.is_empty();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let current = view.get_untracked();
    let busy = move || board.complete_all.pending().get() || board.clear_completed.pending().get();
    view! {
        <Toolbar counts tags />
        {if empty {
            Either::Left(view! { <EmptyState all=counts.all page=current.page /> })
        } else {
            Either::Right(
                view! {
                    <ul class="task-list" aria-label="Tasks" aria-busy=move || busy().to_string()>
                        <For
                            each=move || tasks.clone()
                            key=|task| (task.id, task.updated_at)
                            children=move |task| view! { <TaskItem task today /> }
                        />
                    </ul>
                },
            )
        }}
        <ListFooter counts />
        {(pages > 1).then(|| view! { <Pagination page=current.page pages /> })}
    }
}

#[component]
fn EmptyState(all: i64, page: i64) -> impl IntoView {
    let message = if all == 0 {
        Either::Left(view! {
            <p>
                <strong>"Nothing to do yet."</strong>
            </p>
            <p>"Type a task above and press Enter to add it."</p>
        })
    } else if page > 1 {
        Either::Right(Either::Left(view! {
            <p>"This page is empty."</p>
            <p>
                <A href="/tasks">"Go to the first page"</A>
            </p>
        }))
    } else {
        Either::Right(Either::Right(view! {
            <p>"No tasks match this view."</p>
            <p>
                <A href="/tasks">"Show all tasks"</A>
            </p>
        }))
    };
    view! { <div class="card empty">{message}</div> }
}

/// Status links with counts, search, filters and sorting.
#[component]
fn Toolbar(counts: super::Counts, tags: Vec<super::TagCount>) -> impl IntoView {
    let board = expect_context::<Board>();
    let view = board.view;
    let navigate = use_navigate();
    let current = view.get_untracked();
    let status_link = move |status: &'static str, label: &'static str, count: i64| {
        let href =
            view.get_untracked().with(|v| v.status = if status == "all" { String::new() } else { status.to_owned() });
        let active = {
            let current = view.get_untracked().status;
            current == status || (status == "all" && current.is_empty())
        };
        // A plain link (the router still handles it): `<A>` would mark every one of these
        // current, since they share the path and differ only in the query.
        view! {
            <li>
                <a href=href aria-current=active.then_some("page")>
                    {label}
                    " "
                    <span class="count">"(" {count} ")"</span>
                </a>
            </li>
        }
    };

    // With the WASM the filters apply as soon as they change (search after a short pause).
    let search_timer = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);
    let apply = {
        let navigate = navigate.clone();
        move |form: web_sys::HtmlFormElement, replace: bool| {
            let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
            let field = |name: &str| data.get(name).as_string().unwrap_or_default();
            let next = view.get_untracked().with(|v| {
                let previous_sort = if v.sort.is_empty() { "created".to_owned() } else { v.sort.clone() };
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
            navigate(&next, NavigateOptions { replace, scroll: false, ..Default::default() });
        }
    };
    let on_change = {
        let apply = apply.clone();
        move |event: ev::Event| {
            let target: web_sys::HtmlElement = event_target(&event);
            if let Some(form) = target.closest("form").ok().flatten().filter(|_| target.tag_name() == "SELECT") {
                apply(wasm_bindgen::JsCast::unchecked_into(form), false);
            }
        }
    };
    let on_search = {
        let apply = apply.clone();
        move |event: ev::Event| {
            let target: web_sys::HtmlInputElement = event_target(&event);
            let Some(form) = target.form() else { return };
            if let Some(handle) = search_timer.get_value() {
                handle.clear();
            }
            let apply = apply.clone();
            let handle = set_timeout_with_handle(move || apply(form, true), std::time::Duration::from_millis(300));
            search_timer.set_value(handle.ok());
        }
    };
    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        let form: web_sys::HtmlFormElement = event_target(&event);
        apply(form, false);
    };
    let sort = if current.sort.is_empty() { "created".to_owned() } else { current.sort.clone() };
    let order = if current.order.is_empty() { View::default_order(&sort).to_owned() } else { current.order.clone() };
    let order_labels = match sort.as_str() {
        "due" => ("Soonest first", "Latest first"),
        "priority" => ("Lowest first", "Highest first"),
        "title" => ("A to Z", "Z to A"),
        _ => ("Oldest first", "Newest first"),
    };
    let has_tag = tags.iter().any(|t| t.name == current.tag);

    view! {
        <nav aria-label="Filter by status">
            <ul class="status-filters">
                {status_link("all", "All", counts.all)}
                {status_link("active", "Active", counts.active)}
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
            <input type="hidden" name="status" value=current.status.clone() />
            <div class="field search-field">
                <label for="search">"Search"</label>
                <input
                    id="search"
                    name="q"
                    type="search"
                    value=current.q.clone()
                    maxlength=limits::QUERY_MAX
                    placeholder="Title or description"
                    on:input=on_search
                />
            </div>
            <div class="field">
                <label for="filter-priority">"Priority"</label>
                <select id="filter-priority" name="priority">
                    <option value="" selected=current.priority.is_empty()>
                        "Any"
                    </option>
                    {Priority::ALL
                        .into_iter()
                        .rev()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=current.priority == p.as_str()>
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
                    <option value="" selected=current.tag.is_empty()>
                        "Any"
                    </option>
                    {(!has_tag && !current.tag.is_empty())
                        .then(|| view! { <option value=current.tag.clone() selected=true>{current.tag.clone()}</option> })}
                    {tags
                        .into_iter()
                        .map(|t| {
                            let selected = t.name == current.tag;
                            view! {
                                <option value=t.name.clone() selected=selected>
                                    {format!("{} ({})", t.name, t.count)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-due">"Due"</label>
                <select id="filter-due" name="due">
                    {[("", "Any time"), ("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Upcoming"), ("none", "No due date")]
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value selected=current.due == value>{label}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort">
                    {[("created", "Date added"), ("updated", "Last changed"), ("due", "Due date"), ("priority", "Priority"), ("title", "Title")]
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value selected=sort == value>{label}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="order">"Order"</label>
                <select id="order" name="order">
                    <option value="asc" selected=order == "asc">
                        {order_labels.0}
                    </option>
                    <option value="desc" selected=order == "desc">
                        {order_labels.1}
                    </option>
                </select>
            </div>
            <button type="submit" class="no-js-only">
                "Apply"
            </button>
        </form>
        {current.is_filtered().then(|| view! {
            <p class="active-filters">
                <span>"Filtered view."</span>
                <A href=view.get_untracked().with(|v| {
                    v.q.clear();
                    v.priority.clear();
                    v.tag.clear();
                    v.due.clear();
                })>"Clear filters"</A>
            </p>
        })}
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

/// Shows the failure of a dispatched `action` in the board's notice; a new dispatch clears it.
fn report_failure<I, O>(board: Board, action: Action<I, Result<O, AppError>>, what: String)
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    Effect::new(move |previous: Option<usize>| {
        let version = action.version().get();
        if previous.is_some_and(|p| p != version)
            && let Some(Err(error)) = action.value().read_untracked().as_ref()
        {
            board.notice.set(Some(format!("{what}: {error}")));
        }
        version
    });
    Effect::new(move || {
        if action.pending().get() {
            board.notice.set(None);
        }
    });
}

/// One task: its checkbox, title, details and buttons, or its edit form.
#[component]
fn TaskItem(task: Task, today: Date) -> impl IntoView {
    let board = expect_context::<Board>();
    let toggle = ServerAction::<SetCompleted>::new();
    let delete = ServerAction::<DeleteTask>::new();
    let update = ServerAction::<UpdateTask>::new();
    board.reload_after(toggle.into());
    board.reload_after(delete.into());
    board.reload_after(update.into());
    let id = task.id.to_string();
    // Without the WASM, "Edit" is a link to this page with `edit=<id>`.
    let editing = RwSignal::new(board.view.get_untracked().edit == id);
    let task = StoredValue::new(task);

    // The completion shown: the one asked for while it is on its way, then the server's.
    let completed = move || {
        if let Some(asked) = toggle.input().with(|i| i.as_ref().map(|i| i.input.completed == "true")) {
            return asked;
        }
        if let Some(bulk) = board.pending_completion() {
            return bulk;
        }
        match toggle.value().get() {
            Some(Ok(updated)) => updated.completed,
            _ => task.with_value(|t| t.completed),
        }
    };
    // The task shown: with an edit on its way, its new fields.
    let shown = move || {
        let mut current = task.get_value();
        if let Some(Ok(updated)) = update.value().get() {
            current = updated;
        }
        let pending_title =
            update.input().get().and_then(|pending| pending.input.title).filter(|t| !t.trim().is_empty());
        if let Some(title) = pending_title {
            current.title = title.trim().to_owned();
        }
        current
    };
    let hidden = move || {
        delete.pending().get() || matches!(delete.value().get(), Some(Ok(_))) || (board.clearing() && completed())
    };
    // Failures of this row's own calls (not errors carried in the URL for a page without WASM).
    let title = task.with_value(|t| t.title.clone());
    report_failure(board, toggle.into(), format!("Could not update “{title}”"));
    report_failure(board, delete.into(), format!("Could not delete “{title}”"));

    view! {
        <li class="task" class:done=completed class:pending=move || toggle.pending().get() || update.pending().get() hidden=hidden>
            {move || {
                if editing.get() {
                    Either::Left(view! { <EditForm task=task.get_value() update delete editing /> })
                } else {
                    Either::Right(view! { <TaskRow task=shown() today completed=Signal::derive(completed) toggle delete editing /> })
                }
            }}
        </li>
    }
}

#[component]
fn TaskRow(
    task: Task,
    today: Date,
    completed: Signal<bool>,
    toggle: ServerAction<SetCompleted>,
    delete: ServerAction<DeleteTask>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let board = expect_context::<Board>();
    let id = task.id.to_string();
    let title = task.title.clone();
    // Without the WASM, "Edit" opens this same view with the task's edit form.
    let edit_href = {
        let mut current = board.view.get_untracked();
        current.edit = id.clone();
        current.href()
    };
    let description = task.description.lines().next().unwrap_or_default().chars().take(160).collect::<String>();
    let due = task.due_date.map(|due| due_label(due, today, task.completed));
    let delete_id = id.clone();
    let start_editing = move |event: ev::MouseEvent| {
        event.prevent_default();
        editing.set(true);
    };
    view! {
        <ActionForm action=toggle attr:class="inline-form">
            <input type="hidden" name="id" value=id.clone() />
            <input type="hidden" name="completed" value=move || (!completed.get()).to_string() />
            <button
                type="submit"
                class="check"
                role="checkbox"
                aria-checked=move || completed.get().to_string()
                aria-label=title.clone()
            ></button>
        </ActionForm>
        <div class="task-main">
            <p class="task-title" on:dblclick=move |_| editing.set(true)>
                {task.title.clone()}
            </p>
            {(!description.is_empty()).then(|| view! { <p class="task-description">{description}</p> })}
            <div class="task-meta">
                {(task.priority != Priority::None).then(|| {
                    view! {
                        <span class=format!("badge {}", task.priority.as_str())>
                            {priority_label(task.priority)}
                            <span class="visually-hidden">" priority"</span>
                        </span>
                    }
                })}
                {due.map(|(label, class)| {
                    let date = task.due_date.map(|d| d.to_string()).unwrap_or_default();
                    view! {
                        <time class=format!("due {class}") datetime=date>
                            {label}
                        </time>
                    }
                })}
                {task.tags.clone().into_iter().map(|tag| {
                    let href = board.view.get_untracked().with(|v| v.tag = tag.clone());
                    let label = format!("Show tasks tagged {tag}");
                    view! {
                        <A href=href attr:class="chip" attr:aria-label=label>
                            "#"{tag}
                        </A>
                    }
                }).collect_view()}
            </div>
        </div>
        <div class="task-actions">
            <a href=edit_href class="button-quiet" role="button" aria-label=format!("Edit {}", task.title) on:click=start_editing>
                "Edit"
            </a>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=delete_id />
                <button type="submit" class="button-quiet" aria-label=format!("Delete {}", task.title)>
                    "Delete"
                </button>
            </ActionForm>
        </div>
    }
}

/// Editing a task in place: Enter or leaving the form saves, Escape cancels, and an emptied
/// title offers to delete the task.
#[component]
fn EditForm(
    task: Task,
    update: ServerAction<UpdateTask>,
    delete: ServerAction<DeleteTask>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let board = expect_context::<Board>();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let id = task.id.to_string();
    let original = StoredValue::new(task.clone());
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let cancel_href = {
        let mut current = board.view.get_untracked();
        current.edit.clear();
        current.href()
    };

    // Focus the title when the form opens (with the WASM; without it the link's page loads).
    Effect::new(move || {
        if let Some(input) = title_ref.get() {
            let _ = input.focus();
        }
    });
    // Leave edit mode once the server has taken the change.
    Effect::new(move |previous: Option<usize>| {
        let version = update.version().get();
        if previous.is_some_and(|p| p != version) && matches!(update.value().get_untracked(), Some(Ok(_))) {
            editing.set(false);
        }
        version
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
                delete.dispatch(DeleteTask { input: super::TaskId { id: task.id.to_string() } });
                editing.set(false);
            } else if let Some(input) = title_ref.get_untracked() {
                input.set_value(&task.title);
                let _ = input.focus();
            }
            return;
        }
        let changed = |value: String, old: &str| (value.trim() != old.trim()).then_some(value);
        let input = super::TaskUpdate {
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
            editing.set(false);
        } else {
            update.dispatch(UpdateTask { input });
        }
    };

    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        save();
    };
    let on_keydown = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            update.value().set(None);
            editing.set(false);
        }
    };
    // Saving on blur, but only when the focus leaves the whole form (not between its fields).
    let on_focusout = move |event: ev::FocusEvent| {
        let Some(form) = form_ref.get_untracked() else { return };
        let inside = event
            .related_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Node>(t).ok())
            .is_some_and(|node| form.contains(Some(&node)));
        if !inside && editing.get_untracked() && !update.pending().get_untracked() {
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
            on:submit=on_submit
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
                    aria-invalid=move || if error.get().is_some_and(|e| e.field_message("title").is_some()) { "true" } else { "false" }
                />
            </div>
            <div class="field">
                <label for=field_id("description")>"Description"</label>
                <textarea id=field_id("description") name="description" maxlength=limits::DESCRIPTION_MAX rows="3">
                    {task.description.clone()}
                </textarea>
            </div>
            <div class="options-grid">
                <div class="field">
                    <label for=field_id("priority")>"Priority"</label>
                    <select id=field_id("priority") name="priority">
                        {Priority::ALL
                            .into_iter()
                            .map(|p| view! { <option value=p.as_str() selected=p == task.priority>{priority_label(p)}</option> })
                            .collect_view()}
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
                {move || error.get().map(|e| match &e {
                    AppError::Validation(fields) => fields.values().cloned().collect::<Vec<_>>().join(" "),
                    other => other.to_string(),
                })}
            </p>
            <div class="edit-actions">
                <button type="submit" class="button-primary" disabled=update.pending()>
                    "Save"
                </button>
                <a
                    href=cancel_href
                    role="button"
                    class="button-quiet"
                    on:click=move |event: ev::MouseEvent| {
                        event.prevent_default();
                        update.value().set(None);
                        editing.set(false);
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
        let active = match board.pending_completion() {
            Some(true) => 0,
            Some(false) => counts.all,
            None => counts.active,
        };
        format!("{active} {} left", if active == 1 { "item" } else { "items" })
    };
    let completed = counts.completed;
    view! {
        {(counts.all > 0).then(|| view! {
            <div class="list-footer">
                <p class="items-left" aria-live="polite" role="status">
                    {left}
                </p>
                <div class="bulk">
                    {if counts.active > 0 {
                        Either::Left(view! {
                            <ActionForm action=board.complete_all attr:class="inline-form">
                                <input type="hidden" name="completed" value="true" />
                                <button type="submit" disabled=board.complete_all.pending()>"Mark all complete"</button>
                            </ActionForm>
                        })
                    } else {
                        Either::Right(view! {
                            <ActionForm action=board.complete_all attr:class="inline-form">
                                <input type="hidden" name="completed" value="false" />
                                <button type="submit" disabled=board.complete_all.pending()>"Mark all active"</button>
                            </ActionForm>
                        })
                    }}
                    {(completed > 0).then(|| view! {
                        <ActionForm action=board.clear_completed attr:class="inline-form">
                            <button type="submit" disabled=board.clear_completed.pending()>
                                {format!("Clear completed ({completed})")}
                            </button>
                        </ActionForm>
                    })}
                </div>
            </div>
        })}
    }
}

#[component]
fn Pagination(page: i64, pages: i64) -> impl IntoView {
    let board = expect_context::<Board>();
    let link = move |page: i64| {
        let mut view = board.view.get_untracked();
        view.page = page;
        view.edit.clear();
        view.href()
    };
    view! {
        <nav class="pagination" aria-label="Pages">
            {if page > 1 {
                Either::Left(view! { <A href=link(page - 1) attr:rel="prev">"← Previous"</A> })
            } else {
                Either::Right(view! { <span aria-hidden="true" class="hint">"← Previous"</span> })
            }}
            <span>{format!("Page {page} of {pages}")}</span>
            {if page < pages {
                Either::Left(view! { <A href=link(page + 1) attr:rel="next">"Next →"</A> })
            } else {
                Either::Right(view! { <span aria-hidden="true" class="hint">"Next →"</span> })
            }}
        </nav>
    }
}
