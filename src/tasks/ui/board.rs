//! The task board's state, which its parts share through the context: the view, the changes
//! in flight (each row's in its [`RowState`]), the notice, and the open edit forms, with the
//! rules for when the list is loaded again.

use leptos::{ev, prelude::*, task::spawn_local};
use uuid::Uuid;

use super::view::View;
use crate::{
    error::AppError,
    jobs::{Job, JobId, get_job},
    lists::{Assignee, ListRef},
    tasks::{Task, TaskId, TaskList, delete_task},
    ui::Sent,
};

/// A change to all tasks at once, while it is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bulk {
    /// Completing (`true`) or reopening (`false`) every task.
    Complete(bool),
    /// Deleting the completed tasks.
    ClearCompleted,
}

/// What the parts of the board share.
#[derive(Clone, Copy)]
pub(super) struct Board {
    /// The view shown, as in the address bar.
    pub(super) view: RwSignal<View>,
    /// Bumped after every change, to load the list again.
    pub(super) version: RwSignal<u64>,
    /// A bulk change in flight.
    pub(super) bulk: RwSignal<Option<Bulk>>,
    /// A bulk change going on in the background, as last heard of.
    pub(super) job: RwSignal<Option<Job>>,
    /// The last failure of a change, shown above the list: the task itself may be gone by the
    /// time the list is loaded again.
    pub(super) notice: RwSignal<Option<String>>,
    /// The edit forms open (or asked for). Loading the list again builds its rows anew, and
    /// the rows on screen until the new ones are ready no longer change: a form asked for
    /// meanwhile opens in the new row. And while a form is open, a reload waits for it to
    /// close ([`Board::reload`]), so the list does not change under it.
    pub(super) edits: StoredValue<Edits>,
    /// The lists the person reads only, and the choices of the edit forms.
    pub(super) choices: StoredValue<Choices>,
    /// The search waiting for a pause in the typing. The board keeps it, not the toolbar: a
    /// toolbar's values go with its list when the list loads again, the field staying on
    /// screen (and typed into) until the new one is ready.
    pub(super) search_timer: StoredValue<Option<leptos::leptos_dom::helpers::TimeoutHandle>>,
}

/// What the board's rows and edit forms offer, by list: loaded with the page.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Choices {
    /// The lists where the person only reads (a viewer): their tasks show no controls.
    pub(super) read_only: Vec<Uuid>,
    /// The lists a task may move to: those where the person may edit.
    pub(super) lists: Vec<ListRef>,
    /// Whom a task may be assigned to, by list.
    pub(super) assignees: Vec<Assignee>,
}

/// The edit forms open, by task, and whether a reload waits for them to close.
#[derive(Default)]
pub(super) struct Edits {
    /// The tasks whose edit form is open.
    pub(super) open: Vec<Uuid>,
    /// Whether a reload waits for the last of them to close.
    pub(super) stale: bool,
}

impl Edits {
    pub(super) fn open(&mut self, id: Uuid) {
        if !self.open.contains(&id) {
            self.open.push(id);
        }
    }
}

impl Board {
    /// A board showing `view`, with `notice` above the list (the error a plain form came
    /// back with, say).
    pub(super) fn new(view: View, notice: Option<String>, choices: Choices, job: Option<Job>) -> Self {
        Self {
            view: RwSignal::new(view),
            version: RwSignal::new(0),
            bulk: RwSignal::new(None),
            job: RwSignal::new(job),
            notice: RwSignal::new(notice),
            edits: StoredValue::new(Edits::default()),
            choices: StoredValue::new(choices),
            search_timer: StoredValue::new(None),
        }
    }

    /// Whether the person only reads the list `id` (a list id, or a view's `list` text).
    pub(super) fn reads_only(self, id: &str) -> bool {
        self.choices.with_value(|c| c.read_only.iter().any(|l| l.to_string() == id))
    }

    /// Reads or changes the open edit forms (through `dyn`, so that the WASM holds one copy
    /// of the storage's code rather than one for each use).
    pub(super) fn with_edits(self, f: &mut dyn FnMut(&mut Edits)) {
        self.edits.update_value(|edits| f(edits));
    }

    /// Loads the list again, now or, while an edit form is open, when the last one closes
    /// (then it says so: `true`).
    pub(super) fn reload(self) -> bool {
        let mut waits = false;
        self.with_edits(&mut |edits| {
            waits = !edits.open.is_empty();
            edits.stale = waits;
        });
        if !waits {
            self.version.update(|v| *v += 1);
        }
        waits
    }

    /// Something changed in another tab, on another device or by another member (live.js),
    /// or the tab came back into view: the list loads again, in the view's filter and order,
    /// but not under an open edit form, which keeps what is typed in it (live.js says why the
    /// list has not moved).
    pub(super) fn changed_elsewhere(self) {
        self.reload();
    }

    /// Opens the edit form of a row.
    pub(super) fn edit(self, state: RwSignal<RowState>, id: Uuid) {
        self.with_edits(&mut |edits| edits.open(id));
        state.update(|s| s.editing = true);
    }

    /// Closes the edit form of a row; says whether a reload waited for the open forms (the
    /// caller loads the list again, unless a change of its own is about to).
    pub(super) fn end_edit(self, state: RwSignal<RowState>, id: Uuid) -> bool {
        state.update(|s| s.editing = false);
        let mut waited = false;
        self.with_edits(&mut |edits| {
            edits.open.retain(|open| *open != id);
            waited = edits.stale;
        });
        waited
    }

    /// Whether the edit form of task `id` is open.
    pub(super) fn editing(self, id: Uuid) -> bool {
        let mut open = false;
        self.with_edits(&mut |edits| open = edits.open.contains(&id));
        open
    }

    /// Keeps the edit forms of the tasks `list` shows (none if it could not be loaded).
    pub(super) fn keep_edits(self, list: Option<&TaskList>) {
        self.with_edits(&mut |edits| match list {
            Some(list) => edits.open.retain(|id| list.tasks.iter().any(|task| task.id == *id)),
            None => edits.open.clear(),
        });
    }

    /// Shows another view (its list is loaded afresh), with no edit form open.
    pub(super) fn show(self, next: View) {
        self.with_edits(&mut |edits| *edits = Edits::default());
        self.view.set(next);
    }

    /// Shows `next` and puts it in the address bar (replacing the current entry, for views
    /// that are steps of one change, like typing a search).
    pub(super) fn go(self, next: View, replace: bool) {
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
    pub(super) fn send(self, what: String, change: Sent) {
        self.notice.set(None);
        spawn_local(async move {
            if let Err(error) = change.await {
                self.notice.set(Some(format!("{what}: {error}")));
            }
            self.reload();
        });
    }

    /// Deletes a task, hiding its row at once (and showing it again if the server refuses).
    pub(super) fn delete(self, state: RwSignal<RowState>, id: String, title: &str) {
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

    /// Follows a bulk change going on in the background: asks how far it is every second, and
    /// loads the list again when it is over (or can no longer be followed).
    pub(super) fn follow_job(self) {
        Effect::new(move || {
            // Only unfinished jobs get here: the page's, a bulk change's answer, and a poll's.
            let Some(job) = self.job.get() else { return };
            set_timeout(
                move || {
                    spawn_local(async move {
                        // A failure to ask (the network, say) asks again; a job that is over,
                        // or gone, is no longer followed.
                        let heard = match get_job(JobId { id: job.id.to_string() }).await {
                            Ok(heard) => Some(heard).filter(|heard| !heard.finished),
                            Err(AppError::NotFound) => None,
                            Err(_) => Some(job),
                        };
                        self.job.set(heard);
                        if heard.is_none() {
                            self.reload();
                        }
                    })
                },
                std::time::Duration::from_secs(1),
            );
        });
    }

    pub(super) fn clearing(self) -> bool {
        self.bulk.get() == Some(Bulk::ClearCompleted)
    }

    /// What a pending bulk change makes of every task's completion.
    pub(super) fn bulk_completion(self) -> Option<bool> {
        match self.bulk.get() {
            Some(Bulk::Complete(completed)) => Some(completed),
            _ => None,
        }
    }
}

/// Follows a link to another view in place (a click with a modifier key, or with another
/// button than the main one, is left to the browser: a new tab, say).
pub(super) fn follow(board: Board, next: View) -> impl Fn(ev::MouseEvent) + 'static {
    move |event: ev::MouseEvent| {
        if event.button() != 0 || event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key() {
            return;
        }
        event.prevent_default();
        board.go(next.clone(), false);
    }
}

/// What a row shows while a change of it is on its way.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct RowState {
    /// The completion asked for.
    pub(super) completed: Option<bool>,
    /// Being deleted.
    pub(super) deleting: bool,
    /// Showing its edit form.
    pub(super) editing: bool,
    /// The title of an edit on its way.
    pub(super) saving_title: Option<String>,
    /// The task as the server answered the last change (until the list is loaded again).
    pub(super) answered: Option<Task>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `test` with a reactive owner, as a page would.
    fn with_owner(test: impl FnOnce()) {
        let owner = Owner::new();
        owner.set();
        test();
        drop(owner);
    }

    fn row() -> RwSignal<RowState> {
        RwSignal::new(RowState::default())
    }

    fn list_of(ids: &[Uuid]) -> TaskList {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let task = |id: &Uuid| Task {
            id: *id,
            list_id: Uuid::nil(),
            title: "t".into(),
            description: String::new(),
            completed: false,
            priority: crate::tasks::Priority::None,
            due_date: None,
            due_time: None,
            repeat: None,
            repeat_text: None,
            repeat_from: crate::tasks::RepeatFrom::Due,
            reminders: vec![],
            occurrence_of: None,
            tags: vec![],
            assignee: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        TaskList {
            tasks: ids.iter().map(task).collect(),
            total: ids.len() as i64,
            total_exact: true,
            next_after: None,
            limit: 50,
            offset: 0,
            counts: crate::tasks::Counts::default(),
            today: now.date(),
        }
    }

    #[test]
    fn only_the_lists_the_person_reads_only_are_read_only() {
        with_owner(|| {
            let (viewed, edited) = (Uuid::now_v7(), Uuid::now_v7());
            let choices = Choices { read_only: vec![viewed], ..Choices::default() };
            let board = Board::new(View::default(), None, choices, None);
            assert!(board.reads_only(&viewed.to_string()));
            assert!(!board.reads_only(&edited.to_string()));
            assert!(!board.reads_only(""), "all lists (the view names none)");
        });
    }

    #[test]
    fn a_reload_with_no_edit_open_loads_the_list_at_once() {
        with_owner(|| {
            let board = Board::new(View::default(), None, Choices::default(), None);
            board.reload();
            board.reload();
            assert_eq!(board.version.get_untracked(), 2);
        });
    }

    #[test]
    fn a_reload_waits_for_the_open_edit_forms_to_close() {
        with_owner(|| {
            let board = Board::new(View::default(), None, Choices::default(), None);
            let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
            let (row_a, row_b) = (row(), row());
            board.edit(row_a, a);
            board.edit(row_b, b);
            assert!(row_a.get_untracked().editing && board.editing(a) && board.editing(b));
            board.reload();
            assert_eq!(board.version.get_untracked(), 0, "the list must not change under an open form");
            // Each closing form says a reload waited; the caller reloads once the last is closed.
            assert!(board.end_edit(row_a, a));
            assert!(!row_a.get_untracked().editing && !board.editing(a));
            assert!(board.end_edit(row_b, b));
            board.reload();
            assert_eq!(board.version.get_untracked(), 1);
            assert!(!board.end_edit(row_b, b), "nothing waits any more");
        });
    }

    #[test]
    fn closing_a_form_when_no_reload_waited_says_so() {
        with_owner(|| {
            let board = Board::new(View::default(), None, Choices::default(), None);
            let id = Uuid::from_u128(7);
            let state = row();
            board.edit(state, id);
            board.edit(state, id);
            assert!(!board.end_edit(state, id));
            assert!(!board.editing(id), "opening a form twice keeps one entry");
            assert_eq!(board.version.get_untracked(), 0);
        });
    }

    #[test]
    fn a_loaded_list_keeps_only_the_forms_of_its_tasks() {
        with_owner(|| {
            let board = Board::new(View::default(), None, Choices::default(), None);
            let (kept, gone) = (Uuid::from_u128(1), Uuid::from_u128(2));
            board.edit(row(), kept);
            board.edit(row(), gone);
            board.keep_edits(Some(&list_of(&[kept, Uuid::from_u128(3)])));
            assert!(board.editing(kept));
            assert!(!board.editing(gone), "a form of a task no longer listed is closed");
            board.keep_edits(None);
            assert!(!board.editing(kept), "a list that could not load closes every form");
        });
    }

    #[test]
    fn showing_another_view_closes_every_form() {
        with_owner(|| {
            let board = Board::new(View::default(), Some("old notice".into()), Choices::default(), None);
            let id = Uuid::from_u128(1);
            board.edit(row(), id);
            board.reload();
            let next = View::default().changed(|v| v.q = "milk".into());
            board.show(next.clone());
            assert_eq!(board.view.get_untracked(), next);
            assert!(!board.editing(id));
            board.reload();
            assert_eq!(board.version.get_untracked(), 1, "no form holds reloads back any more");
        });
    }

    #[test]
    fn a_bulk_change_decides_every_row_until_it_is_answered() {
        with_owner(|| {
            let board = Board::new(View::default(), None, Choices::default(), None);
            assert_eq!((board.bulk_completion(), board.clearing()), (None, false));
            board.bulk.set(Some(Bulk::Complete(true)));
            assert_eq!((board.bulk_completion(), board.clearing()), (Some(true), false));
            board.bulk.set(Some(Bulk::Complete(false)));
            assert_eq!(board.bulk_completion(), Some(false));
            board.bulk.set(Some(Bulk::ClearCompleted));
            assert_eq!((board.bulk_completion(), board.clearing()), (None, true));
        });
    }
}
