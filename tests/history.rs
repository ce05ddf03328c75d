//! A list's history over HTTP: every change leaves one event, written with the change and
//! only when it happened, newest first, in pages, for the list's members only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Client,
    sharing::{add_task, join, make_list, ok, person, world},
    spawn,
};
use reqwest::StatusCode;
use serde_json::Value;

async fn history(client: &Client, list: &str, query: &[(&str, &str)]) -> Value {
    let mut query = query.to_vec();
    query.push(("id", list));
    ok(client.get("/api/lists/history", &query).await, "history")
}

/// The kinds of a list's newest `n` events, newest first.
async fn kinds(client: &Client, list: &str, n: usize) -> Vec<String> {
    let page = history(client, list, &[("limit", &n.to_string())]).await;
    page["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_change_to_a_shared_list_is_in_its_history_with_who_did_it() {
    let mut app = spawn().await;
    let w = world(&app).await;
    let (editor, list, task) = (&w.editor.client, w.list.as_str(), w.task.as_str());
    ok(
        editor.post("/api/tasks/update", &[("id", task), ("title", "Water ferns"), ("due_date", "2027-01-02")]).await,
        "edit",
    );
    ok(editor.post("/api/tasks/set-completed", &[("id", task), ("completed", "true")]).await, "complete");
    ok(editor.post("/api/tasks/set-completed", &[("id", task), ("completed", "false")]).await, "reopen");
    ok(editor.post("/api/tasks/update", &[("id", task), ("assignee_id", &w.viewer.id)]).await, "assign");
    ok(editor.post("/api/tasks/delete", &[("id", task)]).await, "delete");
    ok(w.owner.client.post("/api/trash/restore", &[("kind", "task"), ("id", task)]).await, "restore");
    ok(w.owner.client.post("/api/lists/rename", &[("id", list), ("name", "Home")]).await, "rename");
    ok(
        w.owner
            .client
            .post("/api/lists/set-role", &[("id", list), ("user_id", &w.viewer.id), ("role", "editor")])
            .await,
        "role",
    );
    ok(w.owner.client.post("/api/lists/remove-member", &[("id", list), ("user_id", &w.viewer.id)]).await, "remove");
    ok(editor.post("/api/lists/leave", &[("id", list)]).await, "leave");

    let page = history(&w.owner.client, list, &[]).await;
    let events = page["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "member_left",
            "member_removed",
            "role_changed",
            "list_renamed",
            "task_restored",
            "task_deleted",
            "task_assigned",
            "task_reopened",
            "task_completed",
            "task_edited",
            "task_created",
            "member_joined",
            "member_invited",
            "member_joined",
            "member_invited",
            "list_created",
        ]
    );
    assert_eq!(page["next_before"], Value::Null, "one page holds them all");
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let by = |i: usize| events[i]["actor"]["id"].as_str().unwrap_or("nobody").to_owned();
    assert_eq!(
        (by(0), by(1), by(4), by(5)),
        (w.editor.id.clone(), w.owner.id.clone(), w.owner.id.clone(), w.editor.id.clone())
    );
    assert_eq!(events[1]["member"]["id"], w.viewer.id.as_str());
    assert_eq!(events[2]["detail"], "editor");
    assert_eq!(events[3]["detail"], "Home");
    assert_eq!(events[6]["member"]["id"], w.viewer.id.as_str(), "assigned to the viewer");
    assert_eq!(events[9]["detail"], "title,due_date");
    assert_eq!(events[9]["task"]["title"], "Water ferns", "the title as it was then");
    assert_eq!(events[10]["task"]["title"], "Water the plants");
    assert_eq!(events[10]["task"]["id"], task);
    assert_eq!(events[14]["email"], "editor@example.com", "the owner sees whom they invited");
    assert!(events.iter().all(|e| e["at"].as_str().is_some_and(|at| at.ends_with('Z'))));
    app.stop().await;
}

#[tokio::test]
async fn nothing_that_did_not_happen_is_in_the_history() {
    let mut app = spawn().await;
    let w = world(&app).await;
    let (list, task) = (w.list.as_str(), w.task.as_str());
    let before = kinds(&w.owner.client, list, 100).await;
    // Refused, or changing nothing: no events.
    let refused = w.viewer.client.post("/api/tasks/update", &[("id", task), ("title", "Mine")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = w.viewer.client.post("/api/tasks/set-completed", &[("id", task), ("completed", "true")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = w.stranger.client.post("/api/tasks/delete", &[("id", task)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let invalid = w.owner.client.post("/api/tasks/update", &[("id", task), ("priority", "urgent")]).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    ok(w.owner.client.post("/api/tasks/update", &[("id", task), ("title", "Water the plants")]).await, "same title");
    ok(w.owner.client.post("/api/tasks/set-completed", &[("id", task), ("completed", "false")]).await, "already open");
    // Forms saved as they were (the sharing page's fields come filled in).
    ok(w.owner.client.post("/api/lists/rename", &[("id", list), ("name", "Household")]).await, "same name");
    let same_role = [("id", list), ("user_id", w.viewer.id.as_str()), ("role", "viewer")];
    ok(w.owner.client.post("/api/lists/set-role", &same_role).await, "same role");
    assert_eq!(kinds(&w.owner.client, list, 100).await, before);
    // Completing twice is one completion.
    for _ in 0..2 {
        let done =
            ok(w.owner.client.post("/api/tasks/set-completed", &[("id", task), ("completed", "true")]).await, "done");
        assert_eq!(done["completed"], true);
    }
    assert_eq!(kinds(&w.owner.client, list, 2).await, ["task_completed", "task_created"]);
    app.stop().await;
}

#[tokio::test]
async fn bulk_changes_and_moves_leave_an_event_per_task_in_each_list() {
    let mut app = spawn().await;
    let w = world(&app).await;
    let owner = &w.owner.client;
    let other = make_list(&w.owner, "Garden").await;
    for title in ["Rake", "Sow"] {
        add_task(owner, &w.list, title).await;
    }
    ok(owner.post("/api/tasks/complete-all", &[("list_id", &w.list), ("completed", "true")]).await, "complete all");
    assert_eq!(kinds(owner, &w.list, 4).await[..3], ["task_completed"; 3]);
    ok(owner.post("/api/tasks/clear-completed", &[("list_id", &w.list)]).await, "clear");
    assert_eq!(kinds(owner, &w.list, 4).await[..3], ["task_deleted"; 3]);
    let moved = add_task(owner, &w.list, "Prune").await;
    ok(owner.post("/api/tasks/update", &[("id", &moved), ("assignee_id", &w.editor.id)]).await, "assign");
    // Moved and renamed at once, with the assignee sent as it was (as a form without the
    // WASM sends it): the editor is no member of `other`, so the task arrives unassigned.
    let form = [("id", moved.as_str()), ("list_id", &other), ("title", "Prune roses"), ("assignee_id", &w.editor.id)];
    let arrived = ok(owner.post("/api/tasks/update", &form).await, "move");
    assert_eq!(arrived["assignee"], Value::Null);
    let out = history(owner, &w.list, &[("limit", "1")]).await;
    assert_eq!(out["events"][0]["task"]["title"], "Prune", "the list it left knows it by its old title");
    assert_eq!(
        (out["events"][0]["kind"].as_str(), out["events"][0]["detail"].as_str()),
        (Some("task_moved"), Some("out"))
    );
    let here = history(owner, &other, &[("limit", "3")]).await;
    let kinds_here: Vec<&str> =
        here["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds_here, ["task_assigned", "task_moved", "task_edited"]);
    assert_eq!(here["events"][1]["detail"], "in");
    assert_eq!(here["events"][1]["task"]["title"], "Prune roses");
    // Deleting and restoring the list: both in its history.
    ok(owner.post("/api/lists/delete", &[("id", &other)]).await, "delete list");
    let gone = owner.get("/api/lists/history", &[("id", &other)]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "a list in the trash has no history to read");
    ok(owner.post("/api/trash/restore", &[("kind", "list"), ("id", &other)]).await, "restore list");
    assert_eq!(kinds(owner, &other, 2).await, ["list_restored", "list_deleted"]);
    app.stop().await;
}

#[tokio::test]
async fn history_comes_in_pages_and_only_to_members() {
    let mut app = spawn().await;
    let w = world(&app).await;
    for i in 0..6 {
        add_task(&w.editor.client, &w.list, &format!("Task {i}")).await;
    }
    let total = history(&w.viewer.client, &w.list, &[("limit", "100")]).await["events"].as_array().unwrap().len();
    assert_eq!(total, 12, "6 tasks, the first task, 2 invitations and joins, the list");
    let (mut seen, mut before, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let page = history(&w.viewer.client, &w.list, &[("limit", "5"), ("before", &before)]).await;
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 5);
        seen.extend(events.iter().map(|e| e["id"].as_i64().unwrap()));
        pages += 1;
        match page["next_before"].as_i64() {
            Some(next) => before = next.to_string(),
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (12, 3));
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "no event twice, none skipped: {seen:?}");
    // Invited emails are the owner's to see.
    let events = history(&w.editor.client, &w.list, &[("limit", "100")]).await;
    assert!(events["events"].as_array().unwrap().iter().all(|e| e["email"].is_null()));

    let missing = w.stranger.client.get("/api/lists/history", &[("id", "0195c6e4-4f1b-7d22-9b1a-3f6a2c9d8e70")]).await;
    let stranger = w.stranger.client.get("/api/lists/history", &[("id", &w.list)]).await;
    assert_eq!((stranger.status, &stranger.text), (StatusCode::NOT_FOUND, &missing.text), "as if it did not exist");
    let someone_elses_inbox = w.stranger.client.get("/api/lists/history", &[("id", &w.owner.id)]).await;
    assert_eq!(someone_elses_inbox.status, StatusCode::NOT_FOUND);
    for (field, query) in [("limit", [("limit", "0")]), ("limit", [("limit", "101")]), ("before", [("before", "x")])] {
        let mut query = query.to_vec();
        query.push(("id", &w.list));
        let bad = w.owner.client.get("/api/lists/history", &query).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{query:?}");
        assert!(bad.json["fields"][field].is_string(), "{}", bad.text);
    }
    let anonymous = app.client().get("/api/lists/history", &[("id", &w.list)]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_accounts_events_stay_without_it() {
    let mut app = spawn().await;
    let w = world(&app).await;
    let member = person(&app, "leaving@example.com").await;
    join(&w.owner, &w.list, &member, "editor").await;
    add_task(&member.client, &w.list, "Left behind").await;
    let deleted = member.client.post("/api/auth/delete-account", &[("password", common::PASSWORD)]).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    let page = history(&w.owner.client, &w.list, &[("limit", "3")]).await;
    let events = page["events"].as_array().unwrap();
    assert_eq!(events[0]["kind"], "member_left");
    assert_eq!((&events[0]["actor"], &events[1]["actor"]), (&Value::Null, &Value::Null), "nobody named");
    assert_eq!(events[1]["task"]["title"], "Left behind");
    app.stop().await;
}
