//! Doable's own export (`format: "doable"`), every version this Doable has written (one so
//! far): its lists by name, its tasks with every field. The person's export names them by
//! email: a task assigned to the account the file was exported from is assigned to the
//! person importing it; another assignee cannot be (they are not a member of the new list),
//! which the report warns of.

use std::{collections::HashMap, fmt, marker::PhantomData};

use serde::{Deserialize, Deserializer, de};

use super::{
    ROWS_MAX,
    plan::{Extras, Plan, id_key, moment},
};
use crate::{export, lists::limits::LISTS_MAX, tasks::input::NewTask};

#[derive(Deserialize)]
struct Document {
    format: String,
    version: u32,
    #[serde(default)]
    account: Option<Account>,
    #[serde(default)]
    lists: Bounded<List, LISTS_IN_FILE>,
    #[serde(default)]
    tasks: Bounded<Task, ROWS_MAX>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
struct List {
    id: String,
    name: String,
    #[serde(default)]
    inbox: bool,
    #[serde(default = "yes")]
    reminders: bool,
    #[serde(default)]
    trashed: bool,
}

fn yes() -> bool {
    true
}

/// A task as the file has it: every field optional, each checked as a new task's are.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Task {
    id: Option<String>,
    list_id: Option<String>,
    title: String,
    description: String,
    completed: bool,
    priority: Option<String>,
    due_date: Option<String>,
    due_time: Option<String>,
    repeat: Option<String>,
    repeat_from: Option<String>,
    repeat_start: Option<String>,
    reminders: Bounded<String, LIST_ITEMS>,
    occurrence_of: Option<String>,
    tags: Bounded<String, LIST_ITEMS>,
    assignee: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    completed_at: Option<String>,
    trashed_at: Option<String>,
}

/// The most lists a file may name: an export has every list the person is a member of and
/// those they own in the trash (the cap of lists counts only the first).
const LISTS_IN_FILE: usize = 4 * LISTS_MAX as usize;
/// The most tags, or reminders, a task of the file may have (more is refused row by row).
const LIST_ITEMS: usize = 100;

/// A JSON array of at most `MAX` items: a longer one is refused as it is read, before it
/// takes the memory of its items (3 bytes of `{},` would each make a task).
struct Bounded<T, const MAX: usize>(Vec<T>);

impl<T, const MAX: usize> Default for Bounded<T, MAX> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Bounded<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T, const MAX: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> de::Visitor<'de> for Items<T, MAX> {
            type Value = Bounded<T, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "an array of at most {MAX} items")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if items.len() == MAX {
                        return Err(de::Error::custom(format!("more than {MAX} items")));
                    }
                    items.push(item);
                }
                Ok(Bounded(items))
            }
        }
        deserializer.deserialize_seq(Items(PhantomData))
    }
}

/// What a Doable file says to create.
pub fn read(bytes: &[u8]) -> Plan {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let document: Document = match serde_json::from_slice(bytes) {
        Ok(document) => document,
        Err(e) => return Plan::refused(json_error(&e)),
    };
    if document.format != export::FORMAT {
        return Plan::refused("This is not a Doable export: its `format` is not \"doable\".");
    }
    if document.version == 0 || document.version > export::VERSION {
        return Plan::refused(format!(
            "This file is version {} of Doable's export; this Doable reads versions 1 to {}. Update Doable to \
             import it.",
            document.version,
            export::VERSION
        ));
    }
    let me = document.account.map(|a| a.email.trim().to_lowercase()).unwrap_or_default();
    let mut plan = Plan::default();
    let mut lists: HashMap<String, usize> = HashMap::new();
    for (at, list) in document.lists.0.iter().enumerate() {
        let field = format!("lists[{at}].name");
        let index = if list.inbox {
            plan.list("Inbox", true, false, list.reminders)
        } else {
            match crate::lists::input::normalize_list_name(&list.name) {
                Ok(name) => plan.list(&name, false, list.trashed, list.reminders),
                Err(message) => {
                    plan.error(None, Some(&field), message);
                    continue;
                }
            }
        };
        plan.lists[index].explicit = true;
        lists.insert(list.id.clone(), index);
    }
    for (at, task) in document.tasks.0.into_iter().enumerate() {
        read_task(&mut plan, at as u64 + 1, task, &lists, &me);
    }
    plan
}

fn read_task(plan: &mut Plan, row: u64, task: Task, lists: &HashMap<String, usize>, me: &str) {
    let bad = |plan: &mut Plan, field: &str, message: String| plan.error(Some(row), Some(field), message);
    let list = match &task.list_id {
        None => Some(plan.list("Inbox", true, false, true)),
        Some(id) => lists.get(id).copied(),
    };
    let Some(list) = list else {
        return bad(plan, "list_id", "Names no list of the file's `lists`.".to_owned());
    };
    let mut extras = Extras { completed: task.completed, ..Extras::default() };
    let check_id = |plan: &mut Plan, field: &str, raw: &Option<String>| match super::plan::id(
        raw.as_deref().unwrap_or_default(),
    ) {
        Ok(id) => id,
        Err(message) => {
            bad(plan, field, message);
            None
        }
    };
    extras.source_id = check_id(plan, "id", &task.id);
    extras.occurrence_of = check_id(plan, "occurrence_of", &task.occurrence_of);
    for (field, raw, into) in [
        ("created_at", &task.created_at, &mut extras.created_at),
        ("updated_at", &task.updated_at, &mut extras.updated_at),
        ("completed_at", &task.completed_at, &mut extras.completed_at),
        ("trashed_at", &task.trashed_at, &mut extras.trashed_at),
    ] {
        match moment(raw.as_deref().unwrap_or_default()) {
            Ok(value) => *into = value,
            Err(message) => bad(plan, field, message),
        }
    }
    match crate::dates::parse_date(task.repeat_start.as_deref().unwrap_or_default()) {
        Ok(start) => extras.repeat_start = start,
        Err(message) => bad(plan, "repeat_start", message),
    }
    match task.assignee.as_deref().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
        Some(assignee) if assignee == me => extras.assign_me = true,
        Some(_) => plan.warn(
            Some(row),
            Some("assignee"),
            "Assigned to someone else in the file: left unassigned here, where they are not a member.",
        ),
        None => {}
    }
    let key = match extras.source_id {
        Some(id) => id_key(id),
        None => plan.content_key(&["doable", &task.title, &task.description, &task.list_id.unwrap_or_default()]),
    };
    let fields = NewTask {
        title: task.title,
        description: Some(task.description),
        priority: task.priority,
        due_date: task.due_date,
        due_time: task.due_time,
        repeat: task.repeat,
        repeat_from: task.repeat_from,
        repeat_words: None,
        reminders: Some(task.reminders.0.join(",")),
        tags: Some(task.tags.0.join(",")),
        list_id: None,
        assignee_id: None,
    };
    plan.task(row, key, list, &fields, extras, |field| field);
}

/// A JSON error as the report says it, with its line.
fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "The file ends too early: it is not a whole JSON document",
        serde_json::error::Category::Syntax => "The file is not valid JSON",
        serde_json::error::Category::Io => "The file could not be read",
        serde_json::error::Category::Data => "The file is not a Doable export as this Doable writes it",
    };
    // serde's message may quote the file's text whole: the report keeps its start.
    let detail: String = e.to_string().chars().take(200).collect();
    format!("{what} (line {}, column {}: {detail}).", e.line(), e.column())
}
