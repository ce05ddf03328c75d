//! A property test: random sequences of task and sharing operations by three users (each
//! with an Inbox, the first owning a list it shares with the others by role), checked step
//! by step against an in-memory model of what the API promises.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

/// What the model knows of a task.
#[derive(Debug, Clone, PartialEq)]
struct ModelTask {
    title: String,
    description: String,
    completed: bool,
    priority: String,
    due_date: Option<String>,
    tags: Vec<String>,
}

impl ModelTask {
    fn matches(&self, json: &Value) -> bool {
        json["title"] == self.title.as_str()
            && json["description"] == self.description.as_str()
            && json["completed"] == self.completed
            && json["priority"] == self.priority.as_str()
            && json["due_date"].as_str().map(str::to_owned) == self.due_date
            && json["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect::<Vec<_>>()
                == self.tags
            && json["completed_at"].is_null() != self.completed
    }
}

/// The lists of the model: each user's Inbox (0 to 2, by user) and one list that user 0
/// owns and shares ([`SHARED`]).
const USERS: usize = 3;
const SHARED: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Create {
        user: usize,
        list: usize,
        title: String,
        priority: usize,
        due: Option<u8>,
        tags: Vec<usize>,
    },
    Update {
        user: usize,
        target: usize,
        title: Option<String>,
        due: Option<Option<u8>>,
        tags: Option<Vec<usize>>,
    },
    Move {
        user: usize,
        target: usize,
        to: usize,
    },
    SetCompleted {
        user: usize,
        target: usize,
        completed: bool,
    },
    Delete {
        user: usize,
        target: usize,
    },
    ClearCompleted {
        user: usize,
    },
    CompleteAll {
        user: usize,
        completed: bool,
    },
    /// User 0 makes user `member` (1 or 2) a viewer, an editor, or no member of the shared list.
    Share {
        member: usize,
        role: Option<&'static str>,
    },
}

const PRIORITIES: [&str; 4] = ["none", "low", "medium", "high"];
const TAGS: [&str; 4] = ["home", "work", "urgent", "later"];

fn date(day: u8) -> String {
    format!("2030-01-{:02}", day % 28 + 1)
}

fn tag_list(indexes: &[usize]) -> Vec<String> {
    let mut tags: Vec<String> = indexes.iter().map(|i| TAGS[i % TAGS.len()].to_owned()).collect();
    tags.sort();
    tags.dedup();
    tags
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0..USERS;
    let list = 0..=SHARED;
    let title = "[a-zA-Z ]{0,12}";
    let role = prop_oneof![Just(None), Just(Some("viewer")), Just(Some("editor"))];
    prop_oneof![
        3 => (user.clone(), list.clone(), title, 0..4usize, proptest::option::of(any::<u8>()), proptest::collection::vec(0..4usize, 0..3))
            .prop_map(|(user, list, title, priority, due, tags)| Op::Create { user, list, title, priority, due, tags }),
        2 => (user.clone(), any::<usize>(), proptest::option::of("[a-z]{1,8}"), proptest::option::of(proptest::option::of(any::<u8>())), proptest::option::of(proptest::collection::vec(0..4usize, 0..3)))
            .prop_map(|(user, target, title, due, tags)| Op::Update { user, target, title, due, tags }),
        1 => (user.clone(), any::<usize>(), list).prop_map(|(user, target, to)| Op::Move { user, target, to }),
        3 => (user.clone(), any::<usize>(), any::<bool>()).prop_map(|(user, target, completed)| Op::SetCompleted { user, target, completed }),
        1 => (user.clone(), any::<usize>()).prop_map(|(user, target)| Op::Delete { user, target }),
        1 => user.clone().prop_map(|user| Op::ClearCompleted { user }),
        1 => (user, any::<bool>()).prop_map(|(user, completed)| Op::CompleteAll { user, completed }),
        2 => (1..USERS, role).prop_map(|(member, role)| Op::Share { member, role }),
    ]
}

/// The model: every task with its list, and the roles in the shared list.
struct Model {
    tasks: BTreeMap<String, (usize, ModelTask)>,
    shared_roles: [Option<&'static str>; USERS],
}

impl Model {
    fn role(&self, user: usize, list: usize) -> Option<&'static str> {
        match list {
            SHARED => self.shared_roles[user],
            inbox if inbox == user => Some("owner"),
            _ => None,
        }
    }

    fn can_edit(&self, user: usize, list: usize) -> bool {
        matches!(self.role(user, list), Some("owner" | "editor"))
    }

    /// The status a change by `user` to a task of `list` gets: 404 outside it, 403 for a viewer.
    fn change_status(&self, user: usize, list: usize) -> StatusCode {
        match self.role(user, list) {
            None => StatusCode::NOT_FOUND,
            Some("viewer") => StatusCode::FORBIDDEN,
            Some(_) => StatusCode::OK,
        }
    }

    /// One of the tasks (in id order), with its list.
    fn pick(&self, target: usize) -> Option<(String, usize)> {
        (!self.tasks.is_empty()).then(|| {
            let (id, (list, _)) = self.tasks.iter().nth(target % self.tasks.len()).unwrap();
            (id.clone(), *list)
        })
    }
}

/// Runs one sequence against three fresh users, the shared list of the first, and the model.
async fn run(app: &common::TestApp, case: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut clients = Vec::new();
    let mut emails = Vec::new();
    let mut list_ids = Vec::new();
    for user in 0..USERS {
        let email = format!("case{case}-user{user}@example.com");
        let (client, id) = app.user(&email).await;
        clients.push(client);
        emails.push(email);
        list_ids.push(id);
    }
    let shared = clients[0].post("/api/lists/create", &[("name", "Shared")]).await;
    list_ids.push(shared.json["id"].as_str().unwrap().to_owned());
    let user_ids = list_ids[..USERS].to_vec();
    let mut model = Model { tasks: BTreeMap::new(), shared_roles: [Some("owner"), None, None] };

    for op in ops {
        match op {
            Op::Create { user, list, title, priority, due, tags } => {
                let due = due.map(date);
                let tags = tag_list(&tags);
                let form = [
                    ("title", title.as_str()),
                    ("priority", PRIORITIES[priority]),
                    ("due_date", due.as_deref().unwrap_or("")),
                    ("tags", &tags.join(",")),
                    ("list_id", &list_ids[list]),
                ];
                let response = clients[user].post("/api/tasks/create", &form).await;
                // The form is checked before the list: a bad title is 422 wherever it was sent.
                let expected = model.change_status(user, list);
                if title.trim().is_empty() {
                    prop_assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
                } else if expected != StatusCode::OK {
                    prop_assert_eq!(response.status, expected, "{}", response.text);
                } else {
                    prop_assert_eq!(response.status, StatusCode::OK);
                    let task = ModelTask {
                        title: title.trim().to_owned(),
                        description: String::new(),
                        completed: false,
                        priority: PRIORITIES[priority].into(),
                        due_date: due,
                        tags,
                    };
                    prop_assert!(task.matches(&response.json), "{:?} vs {}", task, response.json);
                    prop_assert_eq!(response.json["list_id"].as_str(), Some(list_ids[list].as_str()));
                    model.tasks.insert(response.json["id"].as_str().unwrap().to_owned(), (list, task));
                }
            }
            Op::Update { user, target, title, due, tags } => {
                let Some((id, list)) = model.pick(target) else { continue };
                let due = due.map(|d| d.map(date));
                let tags = tags.map(|t| tag_list(&t));
                let mut form = vec![("id", id.clone())];
                if let Some(title) = &title {
                    form.push(("title", title.clone()));
                }
                if let Some(due) = &due {
                    form.push(("due_date", due.clone().unwrap_or_default()));
                }
                if let Some(tags) = &tags {
                    form.push(("tags", tags.join(",")));
                }
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let response = clients[user].post("/api/tasks/update", &pairs).await;
                let expected = model.change_status(user, list);
                prop_assert_eq!(response.status, expected, "{}", response.text);
                if expected != StatusCode::OK {
                    continue;
                }
                let task = &mut model.tasks.get_mut(&id).unwrap().1;
                if let Some(title) = title {
                    task.title = title;
                }
                if let Some(due) = due {
                    task.due_date = due;
                }
                if let Some(tags) = tags {
                    task.tags = tags;
                }
                prop_assert!(task.matches(&response.json), "{:?} vs {}", task, response.json);
            }
            Op::Move { user, target, to } => {
                let Some((id, list)) = model.pick(target) else { continue };
                let response =
                    clients[user].post("/api/tasks/update", &[("id", &id), ("list_id", &list_ids[to])]).await;
                let expected = match model.change_status(user, list) {
                    StatusCode::OK => model.change_status(user, to),
                    refused => refused,
                };
                prop_assert_eq!(response.status, expected, "{}", response.text);
                if expected == StatusCode::OK {
                    model.tasks.get_mut(&id).unwrap().0 = to;
                }
            }
            Op::SetCompleted { user, target, completed } => {
                let Some((id, list)) = model.pick(target) else { continue };
                let form = [("id", id.as_str()), ("completed", if completed { "true" } else { "false" })];
                let response = clients[user].post("/api/tasks/set-completed", &form).await;
                let expected = model.change_status(user, list);
                prop_assert_eq!(response.status, expected, "{}", response.text);
                if expected == StatusCode::OK {
                    let task = &mut model.tasks.get_mut(&id).unwrap().1;
                    task.completed = completed;
                    prop_assert!(task.matches(&response.json), "{:?} vs {}", task, response.json);
                }
            }
            Op::Delete { user, target } => {
                let Some((id, list)) = model.pick(target) else { continue };
                let response = clients[user].post("/api/tasks/delete", &[("id", &id)]).await;
                let expected = model.change_status(user, list);
                prop_assert_eq!(response.status, expected, "{}", response.text);
                if expected == StatusCode::OK {
                    prop_assert_eq!(response.json["deleted"].as_u64(), Some(1));
                    model.tasks.remove(&id);
                }
            }
            Op::ClearCompleted { user } => {
                let response = clients[user].post("/api/tasks/clear-completed", &[]).await;
                let before = model.tasks.len();
                let editable: Vec<bool> = (0..=SHARED).map(|l| model.can_edit(user, l)).collect();
                model.tasks.retain(|_, (list, t)| !(t.completed && editable[*list]));
                prop_assert_eq!(response.json["deleted"].as_u64(), Some((before - model.tasks.len()) as u64));
            }
            Op::CompleteAll { user, completed } => {
                let response = clients[user]
                    .post("/api/tasks/complete-all", &[("completed", if completed { "true" } else { "false" })])
                    .await;
                let editable: Vec<bool> = (0..=SHARED).map(|l| model.can_edit(user, l)).collect();
                let mut changed = 0;
                for (list, task) in model.tasks.values_mut() {
                    if editable[*list] && task.completed != completed {
                        task.completed = completed;
                        changed += 1;
                    }
                }
                prop_assert_eq!(response.json["updated"].as_u64(), Some(changed));
            }
            Op::Share { member, role } => {
                let list = list_ids[SHARED].as_str();
                let response = match (model.shared_roles[member], role) {
                    (None, None) => continue,
                    (None, Some(role)) => {
                        let invite = [("id", list), ("email", emails[member].as_str()), ("role", role)];
                        prop_assert_eq!(clients[0].post("/api/lists/invite", &invite).await.status, StatusCode::OK);
                        let pending = clients[member].get("/api/invitations/list", &[]).await.json;
                        let invitation = pending["invitations"][0]["id"].as_str().unwrap().to_owned();
                        clients[member].post("/api/invitations/accept", &[("id", &invitation)]).await
                    }
                    (Some(_), Some(role)) => {
                        let form = [("id", list), ("user_id", user_ids[member].as_str()), ("role", role)];
                        clients[0].post("/api/lists/set-role", &form).await
                    }
                    (Some(_), None) => {
                        let form = [("id", list), ("user_id", user_ids[member].as_str())];
                        clients[0].post("/api/lists/remove-member", &form).await
                    }
                };
                prop_assert_eq!(response.status, StatusCode::OK, "{}", response.text);
                model.shared_roles[member] = role;
            }
        }
    }

    // Finally what each user sees across their lists (tasks, counts, tags) is the model's.
    for (user, client) in clients.iter().enumerate() {
        let visible: BTreeMap<&String, &ModelTask> = model
            .tasks
            .iter()
            .filter(|(_, (list, _))| model.role(user, *list).is_some())
            .map(|(id, (_, t))| (id, t))
            .collect();
        let listed = client.get("/api/tasks/list", &[("limit", "100")]).await.json;
        let tasks = listed["tasks"].as_array().unwrap();
        prop_assert_eq!(tasks.len(), visible.len());
        for task in tasks {
            let expected = visible.get(&task["id"].as_str().unwrap().to_owned());
            prop_assert!(expected.is_some_and(|m| m.matches(task)), "{:?} vs {}", expected, task);
        }
        let completed = visible.values().filter(|t| t.completed).count() as i64;
        prop_assert_eq!(
            &listed["counts"],
            &serde_json::json!({"all": visible.len(), "active": visible.len() as i64 - completed, "completed": completed})
        );
        let mut tag_counts: BTreeMap<&str, i64> = BTreeMap::new();
        for task in visible.values() {
            for tag in &task.tags {
                *tag_counts.entry(tag).or_default() += 1;
            }
        }
        let tags = client.get("/api/tasks/tags", &[]).await.json;
        let expected_tags: Vec<Value> =
            tag_counts.into_iter().map(|(name, count)| serde_json::json!({"name": name, "count": count})).collect();
        prop_assert_eq!(&tags["tags"], &Value::Array(expected_tags));
    }
    Ok(())
}

#[test]
fn random_operation_sequences_agree_with_the_model() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(common::spawn());
    let case = std::sync::atomic::AtomicUsize::new(0);
    let config =
        ProptestConfig { cases: 24, max_shrink_iters: 64, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40))| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(run(&app, case, ops))?;
    });
}
