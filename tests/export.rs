//! Export: the whole account as JSON (checked against its schema by an independent
//! validator) and as CSV (read back by a CSV reader), with nothing of anyone else's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Response, TestApp, sharing::ok, spawn};
use reqwest::StatusCode;
use serde_json::Value;

/// Titles a spreadsheet or a careless writer would trip on.
const HOSTILE: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "-2+3",
    "@SUM(A1:A9)",
    "+cmd|' /C calc'!A0",
    "Quotes \" and, commas; </script><b>bold</b>",
];

async fn export(client: &Client, format: &str) -> Response {
    client.get("/api/export", &[("format", format)]).await
}

fn post(response: Response, what: &str) -> Value {
    ok(response, what)
}

/// An account with every kind of field: lists of its own and shared ones, a recurring task
/// with a completed date, reminders, a due time, tags, an assignee, the trash.
async fn seed(app: &TestApp) -> (Client, Client) {
    let (ada, _) = app.user("ada@example.com").await;
    let (bob, bob_id) = app.user("bob@example.com").await;
    let home = post(ada.post("/api/lists/create", &[("name", "Home, \"sweet\" home")]).await, "list")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        ada.post("/api/lists/invite", &[("id", &home), ("email", "bob@example.com"), ("role", "editor")]).await,
        "invite",
    );
    let invitation =
        bob.get("/api/invitations/list", &[]).await.json["invitations"][0]["id"].as_str().unwrap().to_owned();
    post(bob.post("/api/invitations/accept", &[("id", &invitation)]).await, "accept");
    post(
        ada.post(
            "/api/tasks/create",
            &[
                ("title", "Water the plants"),
                ("description", "Both balconies.\nAnd the ficus."),
                ("priority", "high"),
                ("due_date", "2031-03-03"),
                ("due_time", "08:30"),
                ("repeat", "FREQ=WEEKLY;BYDAY=MO"),
                ("reminders", "1d,15m"),
                ("tags", "home,weekly"),
                ("list_id", &home),
                ("assignee_id", &bob_id),
            ],
        )
        .await,
        "recurring",
    );
    let recurring =
        ada.get("/api/tasks/list", &[("q", "plants")]).await.json["tasks"][0]["id"].as_str().unwrap().to_owned();
    post(ada.post("/api/tasks/set-completed", &[("id", &recurring), ("completed", "true")]).await, "complete");
    for title in HOSTILE {
        post(ada.post("/api/tasks/create", &[("title", title), ("tags", "hostile")]).await, "hostile");
    }
    let doomed = post(ada.post("/api/tasks/create", &[("title", "In the trash")]).await, "doomed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(ada.post("/api/tasks/delete", &[("id", &doomed)]).await, "trash a task");
    let old =
        post(ada.post("/api/lists/create", &[("name", "Old list")]).await, "old")["id"].as_str().unwrap().to_owned();
    post(ada.post("/api/tasks/create", &[("title", "In a trashed list"), ("list_id", &old)]).await, "old task");
    post(ada.post("/api/lists/delete", &[("id", &old)]).await, "trash a list");
    // Bob's own Inbox is his alone; a task he adds to the shared list is Ada's to see.
    post(bob.post("/api/tasks/create", &[("title", "Bob's secret")]).await, "bob's");
    post(bob.post("/api/tasks/create", &[("title", "Bob's shared"), ("list_id", &home)]).await, "bob's shared");
    (ada, bob)
}

fn check_schema(document: &str) {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/export-v1.schema.json");
    let output = common::python("check_schema.py", &[schema], document.as_bytes());
    assert!(
        output.status.success(),
        "the export does not match its schema:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[tokio::test]
async fn the_json_export_holds_everything_and_matches_its_schema() {
    let app = spawn().await;
    let (ada, bob) = seed(&app).await;
    let response = export(&ada, "json").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.headers["cache-control"], "no-store");
    let disposition = response.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"doable-") && disposition.ends_with(".json\""));
    check_schema(&response.text);
    let document = &response.json;
    assert_eq!((document["format"].as_str(), document["version"].as_u64()), (Some("doable"), Some(1)));
    assert_eq!(document["account"]["email"], "ada@example.com");
    let lists = document["lists"].as_array().unwrap();
    let names: Vec<&str> = lists.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Inbox", "Home, \"sweet\" home", "Old list"]);
    assert_eq!(lists[2]["trashed"], true);
    assert_eq!(lists[1]["role"], "owner");
    let tasks = document["tasks"].as_array().unwrap();
    let titled = |title: &str| tasks.iter().find(|t| t["title"] == title).unwrap_or_else(|| panic!("{title}"));
    let plants = tasks.iter().find(|t| t["title"] == "Water the plants" && t["completed"] == false).unwrap();
    assert_eq!(plants["repeat"], "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(plants["reminders"], serde_json::json!(["1d", "15m"]));
    assert_eq!(plants["due_time"], "08:30");
    assert_eq!(plants["due_date"], "2031-03-10", "moved on to its next date");
    assert_eq!(plants["repeat_start"], "2031-03-03");
    assert_eq!(plants["assignee"], "bob@example.com");
    assert_eq!(plants["created_by"], "ada@example.com");
    assert_eq!(plants["tags"], serde_json::json!(["home", "weekly"]));
    assert_eq!(plants["priority"], "high");
    let done = tasks.iter().find(|t| t["occurrence_of"] == plants["id"]).expect("the completed date");
    assert_eq!((done["completed"].as_bool(), done["due_date"].as_str()), (Some(true), Some("2031-03-03")));
    assert!(titled("In the trash")["trashed_at"].is_string());
    assert!(titled("Water the plants")["trashed_at"].is_null());
    assert_eq!(titled("In a trashed list")["list_id"], lists[2]["id"]);
    assert_eq!(titled("Bob's shared")["created_by"], "bob@example.com");
    for title in HOSTILE {
        titled(title);
    }
    assert!(!response.text.contains("Bob's secret"), "another person's task leaked");
    assert_eq!(tasks.len(), 2 + HOSTILE.len() + 3);
    // Bob sees the shared list as an editor, without Ada's Inbox or her trashed list.
    let his = export(&bob, "json").await;
    check_schema(&his.text);
    let his_lists: Vec<&str> =
        his.json["lists"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(his_lists, ["Inbox", "Home, \"sweet\" home"]);
    assert_eq!(his.json["lists"][1]["role"], "editor");
    assert!(!his.text.contains("In a trashed list") && !his.text.contains(HOSTILE[1]));
}

#[tokio::test]
async fn the_csv_export_reads_back_with_formulas_neutralised() {
    let app = spawn().await;
    let (ada, _) = seed(&app).await;
    let response = export(&ada, "csv").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers["content-disposition"].to_str().unwrap().ends_with(".csv\""));
    assert!(response.text.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_reader(response.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], ["id", "list", "list_id", "title"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2 + HOSTILE.len() + 3);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let titles: Vec<&str> = rows.iter().map(|r| &r[column("title")]).collect();
    for title in HOSTILE {
        let expected = if "=+-@".contains(&title[..1]) { format!("'{title}") } else { title.to_owned() };
        assert!(titles.contains(&expected.as_str()), "{expected:?} in {titles:?}");
    }
    for row in &rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula cell: {cell:?}");
        }
    }
    let plants = rows.iter().find(|r| &r[column("title")] == "Water the plants" && &r[column("completed")] == "false");
    let plants = plants.unwrap();
    assert_eq!(&plants[column("list")], "Home, \"sweet\" home");
    assert_eq!(&plants[column("reminders")], "1d,15m");
    assert_eq!(&plants[column("due_time")], "08:30");
    assert_eq!(&plants[column("assignee")], "bob@example.com");
    assert_eq!(&plants[column("description")], "Both balconies.\nAnd the ficus.");
}

#[tokio::test]
async fn export_needs_a_session_or_a_token_and_a_known_format() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    ada.post("/api/tasks/create", &[("title", "Mine")]).await;
    assert_eq!(export(&app.client(), "json").await.status, StatusCode::UNAUTHORIZED);
    let refused = export(&ada, "xml").await;
    assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    assert!(refused.json["fields"]["format"].is_string());
    let twice = ada.get("/api/export", &[("format", "csv"), ("format", "json")]).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::BAD_REQUEST, "bad_request"));
    // The default is JSON; a read token may export (it only reads).
    let made =
        ada.post("/api/tokens/create", &[("name", "backup"), ("scope", "read"), ("password", common::PASSWORD)]).await;
    let token = made.json["token"].as_str().unwrap().to_owned();
    let by_token = Client::bearer(&app.base, &token).get("/api/export", &[]).await;
    assert_eq!(by_token.status, StatusCode::OK);
    assert_eq!(by_token.json["tasks"][0]["title"], "Mine");
    // Compressed, as browsers ask for it: the whole answer arrives (the compression layer
    // polls a body once more after its end, which must not bring the server down).
    let (http, base) = ada.http();
    let gzipped = ada.send(http.get(format!("{base}/api/export")).header("accept-encoding", "gzip")).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.headers["content-encoding"], "gzip");
    assert_eq!(export(&ada, "json").await.status, StatusCode::OK, "the server still answers");
    // Other methods are not exports.
    let (http, base) = ada.http();
    let posted = ada.send(http.post(format!("{base}/api/export"))).await;
    assert_eq!(posted.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// A viewer's export holds the list's tasks but not its trash (which only its editors and
/// owner may restore, and see on `/trash`), and names no one who left the list.
#[tokio::test]
async fn a_viewer_sees_no_trash_and_no_former_members_email() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let (vic, _) = app.user("vic@example.com").await;
    let (eve, _) = app.user("eve@example.com").await;
    let list =
        post(ada.post("/api/lists/create", &[("name", "Shared")]).await, "list")["id"].as_str().unwrap().to_owned();
    for (who, client, role) in [("vic@example.com", &vic, "viewer"), ("eve@example.com", &eve, "editor")] {
        post(ada.post("/api/lists/invite", &[("id", &list), ("email", who), ("role", role)]).await, "invite");
        let invitation = client.get("/api/invitations/list", &[]).await.json["invitations"][0]["id"].clone();
        post(client.post("/api/invitations/accept", &[("id", invitation.as_str().unwrap())]).await, "accept");
    }
    post(eve.post("/api/tasks/create", &[("title", "By Eve"), ("list_id", &list)]).await, "eve's");
    let gone = post(ada.post("/api/tasks/create", &[("title", "Deleted"), ("list_id", &list)]).await, "gone");
    post(ada.post("/api/tasks/delete", &[("id", gone["id"].as_str().unwrap())]).await, "delete");
    post(eve.post("/api/lists/leave", &[("id", &list)]).await, "leave");
    let his = export(&vic, "json").await;
    assert_eq!(his.status, StatusCode::OK);
    let titles: Vec<&str> =
        his.json["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["By Eve"], "no trashed task for a viewer");
    assert_eq!(his.json["tasks"][0]["created_by"], Value::Null, "Eve left the list: her email is not shown");
    assert!(!his.text.contains("eve@example.com"));
    // The owner sees the trash.
    let hers = export(&ada, "json").await;
    assert!(
        hers.json["tasks"].as_array().unwrap().iter().any(|t| t["title"] == "Deleted" && t["trashed_at"].is_string())
    );
}

/// More tasks than a page, in more than one list: every one exactly once, in order.
#[tokio::test]
async fn a_large_export_pages_through_every_task_once() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let list = post(ada.post("/api/lists/create", &[("name", "Big")]).await, "list")["id"].as_str().unwrap().to_owned();
    // Seeded through SQL: 1,234 tasks in the Inbox (three pages of 500), 3 in the other list.
    let inbox = ada.get("/api/lists/list", &[]).await.json["lists"][0]["id"].as_str().unwrap().to_owned();
    for n in 0..1234 {
        let id = uuid::Uuid::now_v7();
        let at = doable::db::Timestamp::now();
        doable::execute!(app.db, |conn| {
            sqlx::query(
                "insert into tasks (id, list_id, created_by, title, description, completed, priority, tags, search, \
                 title_key, created_at, updated_at) values ($1, $2, $3, $4, '', false, 0, '', $4, $4, $5, $5)",
            )
            .bind(id)
            .bind(uuid::Uuid::parse_str(&inbox).unwrap())
            .bind(uuid::Uuid::parse_str(&ada_id).unwrap())
            .bind(format!("task {n:04}"))
            .bind(at)
            .execute(conn)
        })
        .unwrap();
    }
    for n in 0..3 {
        post(ada.post("/api/tasks/create", &[("title", &format!("other {n}")), ("list_id", &list)]).await, "task");
    }
    let response = export(&ada, "json").await;
    assert_eq!(response.status, StatusCode::OK);
    let tasks = response.json["tasks"].as_array().unwrap();
    let titles: Vec<&str> = tasks.iter().map(|t| t["title"].as_str().unwrap()).collect();
    let mut expected: Vec<String> = (0..1234).map(|n| format!("task {n:04}")).collect();
    expected.extend((0..3).map(|n| format!("other {n}")));
    // The Inbox first (by creation), then "Big".
    assert_eq!(titles, expected);
    let csv = export(&ada, "csv").await;
    assert_eq!(csv.text.matches("\r\n").count(), 1 + 1237);
}
