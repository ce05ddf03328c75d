//! A task form refused without JavaScript (a new task, a quick-add line, an edit, a skip) says why on the page
//! it comes back to, over real HTTP on SQLite or PostgreSQL.
//!
//! In a test binary of its own: beside the other task tests, running in parallel in one
//! process, the page it loads last stalled until the request's 10 s deadline in about one
//! run in ten (never when the tests ran one at a time: 0 of 20). That stall is an open issue
//! (the closing note of stop 24); the behaviour checked here is not in question.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, spawn};
use reqwest::StatusCode;
use serde_json::Value;

async fn create(client: &Client, form: &[(&str, &str)]) -> Value {
    let response = client.post("/api/tasks/create", form).await;
    assert_eq!(response.status, StatusCode::OK, "create {form:?}: {}", response.text);
    response.json
}

#[tokio::test]
async fn a_refused_task_form_without_javascript_says_why_on_the_page() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let browser = client.with_header("accept", "text/html").with_header("referer", &format!("{}/tasks", app.base));
    for (path, form, expected) in [
        ("/api/tasks/create", vec![("title", "  ")], "The task was not added: A task needs a title"),
        ("/api/tasks/create", vec![("title", "ok"), ("due_date", "2026-02-30")], "The due date must be a real date."),
        ("/api/tasks/quick-add", vec![("text", " ")], "The task was not added: Type what needs to be done"),
        ("/api/tasks/quick-add", vec![("text", "ok"), ("due_date", "2026-02-30")], "The due date must be a real date."),
    ] {
        let refused = browser.post(path, &form).await;
        assert!(refused.status.is_redirection(), "{}", refused.status);
        let location = refused.headers["location"].to_str().unwrap().to_owned();
        let page = client.with_header("accept", "text/html").get(location.trim_start_matches(&app.base), &[]).await;
        assert!(page.text.contains(expected), "{form:?}: {}", page.text);
    }
    let task = create(&client, &[("title", "Kept")]).await;
    let id = task["id"].as_str().unwrap();
    let refused = browser.post("/api/tasks/update", &[("id", id), ("title", "")]).await;
    let location = refused.headers["location"].to_str().unwrap().to_owned();
    let page = client.with_header("accept", "text/html").get(location.trim_start_matches(&app.base), &[]).await;
    assert!(page.text.contains("The task was not saved: A task needs a title"), "{}", page.text);
    assert_eq!(app.count("tasks", "").await, 1);
}

#[tokio::test]
async fn a_refused_skip_without_javascript_says_why_on_the_page() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let once = create(&client, &[("title", "Once")]).await;
    let browser = client.with_header("accept", "text/html").with_header("referer", &format!("{}/tasks", app.base));
    let refused = browser.post("/api/tasks/skip", &[("id", once["id"].as_str().unwrap())]).await;
    assert!(refused.status.is_redirection(), "{}", refused.status);
    let location = refused.headers["location"].to_str().unwrap().to_owned();
    let page = client.with_header("accept", "text/html").get(location.trim_start_matches(&app.base), &[]).await;
    assert!(page.text.contains("Nothing was skipped"), "{}", page.text);
}
