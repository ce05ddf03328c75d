//! The task API over real HTTP, on SQLite or PostgreSQL (see `common`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Client,
    reference::{expected, ids, list, varied_tasks},
    spawn, spawn_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn create(client: &Client, form: &[(&str, &str)]) -> Value {
    let response = client.post("/api/tasks/create", form).await;
    assert_eq!(response.status, StatusCode::OK, "create {form:?}: {}", response.text);
    response.json
}

#[tokio::test]
async fn a_created_task_has_every_documented_field() {
    let app = spawn().await;
    let (client, ada_id) = app.user("ada@example.com").await;
    let task = create(&client, &[("title", "  Buy milk  ")]).await;
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["list_id"], ada_id.as_str(), "a new task goes to the Inbox, whose id is the account's");
    assert_eq!(task["assignee"], Value::Null);
    assert_eq!(task["created_by"], json!({"id": ada_id, "name": "Test User"}));
    assert_eq!(task["description"], "");
    assert_eq!(task["completed"], false);
    assert_eq!(task["priority"], "none");
    assert_eq!(task["due_date"], Value::Null);
    assert_eq!(task["tags"], json!([]));
    assert_eq!(task["reminders"], json!([]));
    assert_eq!(task["completed_at"], Value::Null);
    assert_eq!(task["created_at"], task["updated_at"]);
    let mut keys: Vec<&String> = task.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "assignee",
            "completed",
            "completed_at",
            "created_at",
            "created_by",
            "description",
            "due_date",
            "due_time",
            "id",
            "list_id",
            "occurrence_of",
            "priority",
            "reminders",
            "repeat",
            "repeat_from",
            "repeat_text",
            "tags",
            "title",
            "updated_at"
        ]
    );

    let full = create(
        &client,
        &[
            ("title", "Plan trip"),
            ("description", "Book\nhotel"),
            ("priority", "high"),
            ("due_date", "2030-02-28"),
            ("tags", "Travel, family,travel"),
        ],
    )
    .await;
    assert_eq!(full["description"], "Book\nhotel");
    assert_eq!(full["priority"], "high");
    assert_eq!(full["due_date"], "2030-02-28");
    assert_eq!(full["tags"], json!(["family", "travel"]));

    let fetched = client.get("/api/tasks/get", &[("id", full["id"].as_str().unwrap())]).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json, full);
}

#[tokio::test]
async fn task_fields_are_checked_on_both_sides_of_each_limit() {
    let app = spawn().await;
    let (client, id) = app.user("ada@example.com").await;
    let ten_tags: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let cases: Vec<(&str, String, bool)> = vec![
        ("title", "t".repeat(200), true),
        ("title", "t".repeat(201), false),
        ("title", "   ".into(), false),
        ("title", "nul\u{0}byte".into(), false),
        ("description", "d".repeat(2000), true),
        ("description", "d".repeat(2001), false),
        ("description", "bell\u{7}".into(), false),
        ("priority", "medium".into(), true),
        ("priority", "urgent".into(), false),
        ("due_date", "2024-02-29".into(), true),
        ("due_date", "2023-02-29".into(), false),
        ("due_date", "31/12/2030".into(), false),
        ("tags", ten_tags.join(","), true),
        ("tags", format!("{},t10", ten_tags.join(",")), false),
        ("tags", "x".repeat(32), true),
        ("tags", "x".repeat(33), false),
        ("tags", "two words".into(), false),
    ];
    let mut created = 0;
    for (field, value, ok) in cases {
        let mut form = vec![("title", "Valid title")];
        form.retain(|(k, _)| *k != field);
        form.push((field, value.as_str()));
        let response = client.post("/api/tasks/create", &form).await;
        if ok {
            assert_eq!(response.status, StatusCode::OK, "{field}={value:?}: {}", response.text);
            created += 1;
        } else {
            assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={value:?}: {}", response.text);
            assert_eq!(response.code(), "validation_failed");
            assert!(response.json["fields"][field].is_string(), "{field} not named: {}", response.text);
        }
    }
    assert_eq!(app.count("tasks where list_id = $1", &id).await, created);
}

#[tokio::test]
async fn every_task_call_needs_a_session() {
    let app = spawn().await;
    let anonymous = app.client();
    let id = uuid::Uuid::new_v4().to_string();
    let gets =
        [("/api/tasks/list", vec![]), ("/api/tasks/get", vec![("id", id.as_str())]), ("/api/tasks/tags", vec![])];
    for (path, query) in gets {
        let response = anonymous.get(path, &query).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(response.code(), "unauthenticated");
    }
    let posts = [
        ("/api/tasks/create", vec![("title", "x")]),
        ("/api/tasks/update", vec![("id", id.as_str()), ("title", "x")]),
        ("/api/tasks/set-completed", vec![("id", id.as_str()), ("completed", "true")]),
        ("/api/tasks/delete", vec![("id", id.as_str())]),
        ("/api/tasks/clear-completed", vec![]),
        ("/api/tasks/complete-all", vec![("completed", "true")]),
    ];
    for (path, form) in posts {
        let response = anonymous.post(path, &form).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(response.code(), "unauthenticated");
    }
    assert_eq!(app.count("tasks", "").await, 0);
}

#[tokio::test]
async fn updates_change_only_the_given_fields() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let task = create(
        &client,
        &[
            ("title", "Draft"),
            ("description", "text"),
            ("priority", "low"),
            ("due_date", "2030-01-01"),
            ("tags", "a,b"),
        ],
    )
    .await;
    let id = task["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let renamed = client.post("/api/tasks/update", &[("id", id), ("title", " Final ")]).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.json["title"], "Final");
    for kept in ["description", "priority", "due_date", "tags", "created_at", "completed"] {
        assert_eq!(renamed.json[kept], task[kept], "{kept} changed");
    }
    assert!(renamed.json["updated_at"].as_str().unwrap() > task["updated_at"].as_str().unwrap());

    let cleared = client
        .post(
            "/api/tasks/update",
            &[("id", id), ("due_date", ""), ("tags", ""), ("description", ""), ("priority", "high")],
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.json["due_date"], Value::Null);
    assert_eq!(cleared.json["tags"], json!([]));
    assert_eq!(cleared.json["description"], "");
    assert_eq!(cleared.json["priority"], "high");
    assert_eq!(cleared.json["title"], "Final");
    assert_eq!(client.get("/api/tasks/get", &[("id", id)]).await.json, cleared.json);
    assert_eq!(list(&client, &[("tag", "a")]).await["total"], 0, "old tags are gone from the tag index");

    let bad = client.post("/api/tasks/update", &[("id", id), ("title", ""), ("due_date", "2030-13-01")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json["fields"]["title"].is_string() && bad.json["fields"]["due_date"].is_string());
    assert_eq!(
        client.get("/api/tasks/get", &[("id", id)]).await.json,
        cleared.json,
        "a refused update changes nothing"
    );
}

#[tokio::test]
async fn completing_sets_and_reopening_clears_completed_at() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let task = create(&client, &[("title", "Done soon")]).await;
    let id = task["id"].as_str().unwrap();
    let done = client.post("/api/tasks/set-completed", &[("id", id), ("completed", "true")]).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.json["completed"], true);
    let completed_at = done.json["completed_at"].as_str().unwrap().to_owned();
    assert!(done.json["updated_at"].as_str().unwrap() >= task["updated_at"].as_str().unwrap());

    let again = client.post("/api/tasks/set-completed", &[("id", id), ("completed", "true")]).await;
    assert_eq!(again.json["completed_at"], completed_at, "completing twice keeps the first time");

    let reopened = client.post("/api/tasks/set-completed", &[("id", id), ("completed", "false")]).await;
    assert_eq!(reopened.json["completed"], false);
    assert_eq!(reopened.json["completed_at"], Value::Null);

    let bad = client.post("/api/tasks/set-completed", &[("id", id), ("completed", "yes")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json["fields"]["completed"].is_string());
}

#[tokio::test]
async fn ids_are_checked_and_other_peoples_tasks_do_not_exist() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let (bob, bob_id) = app.user("bob@example.com").await;
    let bobs = create(&bob, &[("title", "Bob's secret"), ("tags", "private")]).await;
    let bob_task = bobs["id"].as_str().unwrap();
    let nobody = uuid::Uuid::new_v4().to_string();

    let malformed = ada.get("/api/tasks/get", &[("id", "12345")]).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(malformed.json["fields"]["id"].is_string());

    for id in [bob_task, nobody.as_str()] {
        let requests = [
            ada.get("/api/tasks/get", &[("id", id)]).await,
            ada.post("/api/tasks/update", &[("id", id), ("title", "mine now")]).await,
            ada.post("/api/tasks/set-completed", &[("id", id), ("completed", "true")]).await,
            ada.post("/api/tasks/delete", &[("id", id)]).await,
        ];
        for response in requests {
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{}", response.text);
            assert_eq!(response.json, json!({"code": "not_found", "message": "Not found."}));
        }
    }
    assert_eq!(ada.post("/api/tasks/complete-all", &[("completed", "true")]).await.json, json!({"updated": 0}));
    assert_eq!(ada.post("/api/tasks/clear-completed", &[]).await.json, json!({"deleted": 0}));
    assert_eq!(list(&ada, &[]).await["total"], 0);
    assert_eq!(ada.get("/api/tasks/tags", &[]).await.json, json!({"tags": []}));

    // Bob's task is exactly as he left it.
    let unchanged = bob.get("/api/tasks/get", &[("id", bob_task)]).await;
    assert_eq!(unchanged.json, bobs);
    assert_eq!(app.count("tasks where list_id = $1", &bob_id).await, 1);
}

#[tokio::test]
async fn delete_answers_once_then_not_found() {
    let app = spawn().await;
    let (client, user_id) = app.user("ada@example.com").await;
    let task = create(&client, &[("title", "Temporary"), ("tags", "x")]).await;
    let id = task["id"].as_str().unwrap();
    let deleted = client.post("/api/tasks/delete", &[("id", id)]).await;
    assert_eq!(deleted.json, json!({"deleted": 1}));
    assert_eq!(client.post("/api/tasks/delete", &[("id", id)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("task_tags where list_id = $1", &user_id).await, 0);
}

#[tokio::test]
async fn bulk_calls_touch_only_the_callers_tasks() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let (bob, bob_id) = app.user("bob@example.com").await;
    for title in ["a1", "a2", "a3"] {
        create(&ada, &[("title", title)]).await;
    }
    let b1 = create(&bob, &[("title", "b1")]).await;
    create(&bob, &[("title", "b2")]).await;
    bob.post("/api/tasks/set-completed", &[("id", b1["id"].as_str().unwrap()), ("completed", "true")]).await;

    assert_eq!(ada.post("/api/tasks/complete-all", &[("completed", "true")]).await.json, json!({"updated": 3}));
    assert_eq!(ada.post("/api/tasks/complete-all", &[("completed", "true")]).await.json, json!({"updated": 0}));
    assert_eq!(list(&bob, &[("status", "completed")]).await["total"], 1, "bob's open task stays open");

    assert_eq!(ada.post("/api/tasks/clear-completed", &[]).await.json, json!({"deleted": 3}));
    assert_eq!(app.count("tasks where list_id = $1", &ada_id).await, 0);
    assert_eq!(app.count("tasks where list_id = $1", &bob_id).await, 2, "bob's completed task was not cleared");

    assert_eq!(bob.post("/api/tasks/complete-all", &[("completed", "false")]).await.json, json!({"updated": 1}));
    let bad = bob.post("/api/tasks/complete-all", &[("completed", "maybe")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Holds SQLite's writer for `millis`.
fn hold_the_writer(db: &doable::db::Db, millis: u64) -> tokio::task::JoinHandle<Result<(), sqlx::Error>> {
    let db = db.clone();
    tokio::spawn(async move {
        doable::with_writer!(db, |_conn| {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            Ok::<_, sqlx::Error>(())
        })
    })
}

/// SQLite: the wait for the writer ends early enough before the request's deadline for the
/// write to finish (a 503 then means it was not made), however short the deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_the_writer_no_later_than_its_deadline_allows() {
    let app = spawn_with(&[("DOABLE_REQUEST_TIMEOUT", "5s")]).await;
    if !app.db.is_sqlite() {
        return;
    }
    let (client, _) = app.user("ada@example.com").await;
    let held = hold_the_writer(&app.db, 2500);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let refused = client.post("/api/tasks/create", &[("title", "too late")]).await;
    let waited = started.elapsed();
    held.await.unwrap().unwrap();
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.text);
    // 5 s less the margin the write needs after the wait (4 s): about 1 s.
    assert!(waited < std::time::Duration::from_millis(1900), "gave up after {waited:?}");
    assert_eq!(app.count("tasks", "").await, 0);
}

#[tokio::test]
async fn the_task_cap_is_enforced() {
    let app = spawn_with(&[("DOABLE_MAX_TASKS", "3")]).await;
    let (client, id) = app.user("ada@example.com").await;
    for i in 0..3 {
        create(&client, &[("title", &format!("task {i}"))]).await;
    }
    let over = client.post("/api/tasks/create", &[("title", "one too many")]).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(over.code(), "limit_reached");
    assert_eq!(app.count("tasks where list_id = $1", &id).await, 3);
}

#[tokio::test]
async fn tags_are_listed_with_their_counts() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    create(&client, &[("title", "1"), ("tags", "home,errands")]).await;
    create(&client, &[("title", "2"), ("tags", "home")]).await;
    create(&client, &[("title", "3")]).await;
    let tags = client.get("/api/tasks/tags", &[]).await;
    assert_eq!(tags.json, json!({"tags": [{"name": "errands", "count": 1}, {"name": "home", "count": 2}]}));
}

#[tokio::test]
async fn pages_have_edges_and_a_real_total() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    for i in 0..7 {
        create(&client, &[("title", &format!("task {i}"))]).await;
    }
    let all = list(&client, &[("limit", "100")]).await;
    assert_eq!(all["total"], 7);
    assert_eq!(all["limit"], 100);
    assert_eq!(all["offset"], 0);
    let every = ids(&all);

    let first = list(&client, &[("limit", "3")]).await;
    assert_eq!(ids(&first), every[0..3]);
    let last = list(&client, &[("limit", "3"), ("offset", "6")]).await;
    assert_eq!(ids(&last), every[6..7]);
    assert_eq!(last["total"], 7);
    let past = list(&client, &[("limit", "3"), ("offset", "1000")]).await;
    assert_eq!(ids(&past), Vec::<String>::new());
    assert_eq!(past["total"], 7);
    assert_eq!(past["offset"], 1000);
    assert_eq!(list(&client, &[("limit", "1")]).await["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(list(&client, &[]).await["limit"], 50);

    for (key, value) in [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "x"),
        ("offset", "-1"),
        ("offset", "1e3"),
        ("offset", "99999999999999999999999"),
    ] {
        let response = client.get("/api/tasks/list", &[(key, value)]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}={value}");
        assert!(response.json["fields"][key].is_string());
    }
    for (key, value) in [
        ("status", "done"),
        ("sort", "random"),
        ("order", "up"),
        ("due", "soon"),
        ("priority", "urgent"),
        ("q", &"q".repeat(201)),
        ("tag", "a b"),
    ] {
        let response = client.get("/api/tasks/list", &[(key, value)]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}={value}");
        assert!(response.json["fields"][key].is_string(), "{key}: {}", response.text);
    }
}

#[tokio::test]
async fn search_is_a_case_insensitive_substring_with_literal_wildcards() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let percent = create(&client, &[("title", "Save 50% today")]).await;
    let underscore = create(&client, &[("title", "rename file_name")]).await;
    let plain =
        create(&client, &[("title", "Something else"), ("description", "about 500 things and FILEXNAME")]).await;
    let unicode = create(&client, &[("title", "Ärger mit Öl")]).await;

    let found = |json: &Value| {
        let mut ids = ids(json);
        ids.sort();
        ids
    };
    let id = |task: &Value| task["id"].as_str().unwrap().to_owned();
    assert_eq!(found(&list(&client, &[("q", "50%")]).await), vec![id(&percent)]);
    assert_eq!(found(&list(&client, &[("q", "%")]).await), vec![id(&percent)]);
    assert_eq!(found(&list(&client, &[("q", "file_name")]).await), vec![id(&underscore)]);
    assert_eq!(found(&list(&client, &[("q", "_")]).await), vec![id(&underscore)]);
    assert_eq!(found(&list(&client, &[("q", "SOMETHING")]).await), vec![id(&plain)]);
    assert_eq!(found(&list(&client, &[("q", "filexname")]).await), vec![id(&plain)], "descriptions are searched");
    assert_eq!(found(&list(&client, &[("q", "ärger")]).await), vec![id(&unicode)]);
    assert_eq!(found(&list(&client, &[("q", "öl")]).await), vec![id(&unicode)]);
    assert_eq!(found(&list(&client, &[("q", r"\")]).await), Vec::<String>::new());
}

#[tokio::test]
async fn every_filter_and_sort_matches_the_reference() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let tasks = varied_tasks(&client, &[None]).await;
    assert_eq!(tasks.len(), 20);
    let filters: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("status", "all")],
        vec![("status", "active")],
        vec![("status", "completed")],
        vec![("priority", "high")],
        vec![("priority", "none")],
        vec![("tag", "home")],
        vec![("tag", "HOME")],
        vec![("tag", "nothing")],
        vec![("q", "needle")],
        vec![("q", "APPLE")],
        vec![("due", "overdue")],
        vec![("due", "today")],
        vec![("due", "upcoming")],
        vec![("due", "none")],
        vec![("status", "active"), ("tag", "work"), ("priority", "low")],
        vec![("status", "completed"), ("due", "upcoming"), ("q", "a")],
        vec![("tag", "home"), ("due", "none"), ("q", "e")],
    ];
    let sorts = ["created", "updated", "due", "priority", "title"];
    for filter in &filters {
        for sort in sorts {
            for order in ["asc", "desc"] {
                let mut query = filter.clone();
                query.extend([("sort", sort), ("order", order), ("limit", "100")]);
                let mut reference_query = query.clone();
                if let Some(tag) = reference_query.iter_mut().find(|(k, _)| *k == "tag") {
                    tag.1 = if tag.1 == "HOME" { "home" } else { tag.1 };
                }
                let response = list(&client, &query).await;
                let want = expected(&tasks, &reference_query);
                assert_eq!(ids(&response), want, "query {query:?}");
                assert_eq!(response["total"], want.len(), "total for {query:?}");
                assert_eq!(
                    response["counts"],
                    json!({"all": 20, "active": 13, "completed": 7}),
                    "counts ignore filters"
                );
            }
        }
    }
    // The default is newest first.
    assert_eq!(ids(&list(&client, &[("limit", "100")]).await), expected(&tasks, &[]));
    // Pages of a sorted list are slices of the whole.
    let whole = expected(&tasks, &[("sort", "due"), ("order", "asc")]);
    let mut paged = Vec::new();
    for offset in (0..20).step_by(6) {
        paged.extend(ids(&list(
            &client,
            &[("sort", "due"), ("order", "asc"), ("limit", "6"), ("offset", &offset.to_string())],
        )
        .await));
    }
    assert_eq!(paged, whole);
}
