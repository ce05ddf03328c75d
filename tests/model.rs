//! A property test: random sequences of task operations by two users, checked step by step
//! against an in-memory model of what the API promises.
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

#[derive(Debug, Clone)]
enum Op {
    Create {
        user: usize,
        title: String,
        priority: usize,
        due: Option<u8>,
        tags: Vec<usize>,
    },
    Update {
        user: usize,
        target: usize,
        owner: usize,
        title: Option<String>,
        due: Option<Option<u8>>,
        tags: Option<Vec<usize>>,
    },
    SetCompleted {
        user: usize,
        target: usize,
        owner: usize,
        completed: bool,
    },
    Delete {
        user: usize,
        target: usize,
        owner: usize,
    },
    ClearCompleted {
        user: usize,
    },
    CompleteAll {
        user: usize,
        completed: bool,
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
    let user = 0..2usize;
    let title = "[a-zA-Z ]{0,12}";
    prop_oneof![
        3 => (user.clone(), title, 0..4usize, proptest::option::of(any::<u8>()), proptest::collection::vec(0..4usize, 0..3))
            .prop_map(|(user, title, priority, due, tags)| Op::Create { user, title, priority, due, tags }),
        2 => (user.clone(), any::<usize>(), 0..2usize, proptest::option::of("[a-z]{1,8}"), proptest::option::of(proptest::option::of(any::<u8>())), proptest::option::of(proptest::collection::vec(0..4usize, 0..3)))
            .prop_map(|(user, target, owner, title, due, tags)| Op::Update { user, target, owner, title, due, tags }),
        3 => (user.clone(), any::<usize>(), 0..2usize, any::<bool>()).prop_map(|(user, target, owner, completed)| Op::SetCompleted { user, target, owner, completed }),
        1 => (user.clone(), any::<usize>(), 0..2usize).prop_map(|(user, target, owner)| Op::Delete { user, target, owner }),
        1 => user.clone().prop_map(|user| Op::ClearCompleted { user }),
        1 => (user, any::<bool>()).prop_map(|(user, completed)| Op::CompleteAll { user, completed }),
    ]
}

/// Runs one sequence against a fresh pair of users and the model.
async fn run(app: &common::TestApp, case: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut clients = Vec::new();
    for user in 0..2 {
        clients.push(app.user(&format!("case{case}-user{user}@example.com")).await.0);
    }
    let mut model: [BTreeMap<String, ModelTask>; 2] = [BTreeMap::new(), BTreeMap::new()];

    // Picks one of `owner`'s tasks (in id order), if they have any.
    let pick = |model: &[BTreeMap<String, ModelTask>; 2], owner: usize, target: usize| -> Option<String> {
        let tasks = &model[owner];
        (!tasks.is_empty()).then(|| tasks.keys().nth(target % tasks.len()).unwrap().clone())
    };

    for op in ops {
        match op {
            Op::Create { user, title, priority, due, tags } => {
                let due = due.map(date);
                let tags = tag_list(&tags);
                let form = [
                    ("title", title.as_str()),
                    ("priority", PRIORITIES[priority]),
                    ("due_date", due.as_deref().unwrap_or("")),
                    ("tags", &tags.join(",")),
                ];
                let response = clients[user].post("/api/tasks/create", &form).await;
                if title.trim().is_empty() {
                    prop_assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
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
                    model[user].insert(response.json["id"].as_str().unwrap().to_owned(), task);
                }
            }
            Op::Update { user, target, owner, title, due, tags } => {
                let Some(id) = pick(&model, owner, target) else { continue };
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
                if user != owner {
                    prop_assert_eq!(response.status, StatusCode::NOT_FOUND);
                    continue;
                }
                prop_assert_eq!(response.status, StatusCode::OK);
                let task = model[owner].get_mut(&id).unwrap();
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
            Op::SetCompleted { user, target, owner, completed } => {
                let Some(id) = pick(&model, owner, target) else { continue };
                let response = clients[user]
                    .post(
                        "/api/tasks/set-completed",
                        &[("id", &id), ("completed", if completed { "true" } else { "false" })],
                    )
                    .await;
                if user != owner {
                    prop_assert_eq!(response.status, StatusCode::NOT_FOUND);
                    continue;
                }
                prop_assert_eq!(response.status, StatusCode::OK);
                let task = model[owner].get_mut(&id).unwrap();
                task.completed = completed;
                prop_assert!(task.matches(&response.json), "{:?} vs {}", task, response.json);
            }
            Op::Delete { user, target, owner } => {
                let Some(id) = pick(&model, owner, target) else { continue };
                let response = clients[user].post("/api/tasks/delete", &[("id", &id)]).await;
                if user != owner {
                    prop_assert_eq!(response.status, StatusCode::NOT_FOUND);
                    continue;
                }
                prop_assert_eq!(response.json["deleted"].as_u64(), Some(1));
                model[owner].remove(&id);
            }
            Op::ClearCompleted { user } => {
                let response = clients[user].post("/api/tasks/clear-completed", &[]).await;
                let before = model[user].len();
                model[user].retain(|_, t| !t.completed);
                prop_assert_eq!(response.json["deleted"].as_u64(), Some((before - model[user].len()) as u64));
            }
            Op::CompleteAll { user, completed } => {
                let response = clients[user]
                    .post("/api/tasks/complete-all", &[("completed", if completed { "true" } else { "false" })])
                    .await;
                let changed = model[user].values().filter(|t| t.completed != completed).count();
                model[user].values_mut().for_each(|t| t.completed = completed);
                prop_assert_eq!(response.json["updated"].as_u64(), Some(changed as u64));
            }
        }
    }

    // Finally each user's whole list, counts and tags are exactly the model's.
    for user in 0..2 {
        let listed = clients[user].get("/api/tasks/list", &[("limit", "100")]).await.json;
        let tasks = listed["tasks"].as_array().unwrap();
        prop_assert_eq!(tasks.len(), model[user].len());
        for task in tasks {
            let expected = model[user].get(task["id"].as_str().unwrap());
            prop_assert!(expected.is_some_and(|m| m.matches(task)), "{:?} vs {}", expected, task);
        }
        let completed = model[user].values().filter(|t| t.completed).count() as i64;
        prop_assert_eq!(
            &listed["counts"],
            &serde_json::json!({"all": model[user].len(), "active": model[user].len() as i64 - completed, "completed": completed})
        );
        let mut tag_counts: BTreeMap<&str, i64> = BTreeMap::new();
        for task in model[user].values() {
            for tag in &task.tags {
                *tag_counts.entry(tag).or_default() += 1;
            }
        }
        let tags = clients[user].get("/api/tasks/tags", &[]).await.json;
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
