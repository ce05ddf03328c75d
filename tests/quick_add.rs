//! Quick add (`GET /api/tasks/parse`, `POST /api/tasks/quick-add`) over real HTTP on SQLite
//! or PostgreSQL: the line's meaning on the person's own today, the task it creates, the
//! fields beside it, and every refusal changing nothing. (The phrases themselves are the
//! parser's unit tests, `src/tasks/quick/tests.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Client,
    sharing::{join, make_list, ok, person},
    spawn,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Today's date in a zone, computed apart from the server (jiff directly).
fn today_in(zone: &str) -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(zone).unwrap()).date()
}

/// The first day of a month on or after `date`.
fn next_first(date: jiff::civil::Date) -> String {
    if date.day() == 1 { date.to_string() } else { date.last_of_month().tomorrow().unwrap().to_string() }
}

async fn parse(client: &Client, text: &str) -> Value {
    ok(client.get("/api/tasks/parse", &[("text", text)]).await, text)
}

fn refused(response: &common::Response, field: &str) {
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.text);
    assert_eq!(response.code(), "validation_failed", "{}", response.text);
    assert!(response.json["fields"][field].is_string(), "{field}: {}", response.text);
}

#[tokio::test]
async fn a_line_means_what_the_issue_says_on_the_persons_own_today() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let line = "Pay rent every month on the 1st #home !high";
    let parsed = parse(&client, line).await;
    assert_eq!(parsed["title"], "Pay rent");
    assert_eq!(parsed["repeat"], "FREQ=MONTHLY;BYMONTHDAY=1");
    assert_eq!(parsed["repeat_text"], "every month on the 1st");
    assert_eq!(parsed["repeat_from"], "due");
    assert_eq!(parsed["priority"], "high");
    assert_eq!(parsed["tags"], json!(["home"]));
    assert_eq!(parsed["due_date"], next_first(today_in("UTC")));
    assert_eq!(parsed["due_time"], Value::Null);
    assert_eq!(
        parsed["parts"],
        json!([
            {"kind": "repeat", "text": "every month on the 1st", "start": 9, "end": 31},
            {"kind": "tag", "text": "#home", "start": 32, "end": 37},
            {"kind": "priority", "text": "!high", "start": 38, "end": 43},
        ])
    );
    // Offsets count characters, not bytes.
    let parts = parse(&client, "Café tomorrow").await["parts"].clone();
    assert_eq!(parts, json!([{"kind": "date", "text": "tomorrow", "start": 5, "end": 13}]));

    // "Today" is the account's: on each side of the date line at once, a day apart or more.
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        ok(client.post("/api/auth/update-profile", &[("time_zone", zone)]).await, zone);
        let parsed = parse(&client, "Call mom today at 9pm").await;
        assert_eq!(parsed["due_date"], today_in(zone).to_string(), "{zone}");
        assert_eq!(parsed["due_time"], "21:00");
        assert_eq!(parsed["title"], "Call mom");
    }

    // Nothing is created by reading a line; a session is needed; a line has a bound.
    assert_eq!(app.count("tasks", "").await, 0);
    let anonymous = app.client().get("/api/tasks/parse", &[("text", "x tomorrow")]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    refused(&client.get("/api/tasks/parse", &[("text", &"a".repeat(1001))]).await, "text");
    assert_eq!(parse(&client, &"é".repeat(1000)).await["title"], "é".repeat(1000));
    let empty = parse(&client, "").await;
    assert_eq!((empty["title"].as_str(), empty["parts"].as_array().map(Vec::len)), (Some(""), Some(0)));
}

#[tokio::test]
async fn quick_add_creates_the_task_the_line_describes() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let task = ok(
        client.post("/api/tasks/quick-add", &[("text", "Pay rent every month on the 1st #home !high")]).await,
        "add",
    );
    assert_eq!(task["title"], "Pay rent");
    assert_eq!(task["repeat"], "FREQ=MONTHLY;BYMONTHDAY=1");
    assert_eq!(task["repeat_text"], "every month on the 1st");
    assert_eq!(task["priority"], "high");
    assert_eq!(task["tags"], json!(["home"]));
    assert_eq!(task["due_date"], next_first(today_in("UTC")));
    let stored = ok(client.get("/api/tasks/get", &[("id", task["id"].as_str().unwrap())]).await, "get");
    assert_eq!(stored, task, "what was answered is what was stored");

    // From the completion; a time; quoted words kept; the whole line when nothing else is left.
    let task = ok(client.post("/api/tasks/quick-add", &[("text", "Water ferns every! 3 days at 8am")]).await, "add");
    assert_eq!(
        (task["repeat"].as_str(), task["repeat_from"].as_str()),
        (Some("FREQ=DAILY;INTERVAL=3"), Some("completion"))
    );
    assert_eq!(task["due_time"], "08:00");
    let task = ok(client.post("/api/tasks/quick-add", &[("text", "Read \"Tomorrow\" #books")]).await, "add");
    assert_eq!((task["title"].as_str(), task["due_date"].as_str()), (Some("Read Tomorrow"), None));
    let task = ok(client.post("/api/tasks/quick-add", &[("text", "tomorrow")]).await, "add");
    assert_eq!((task["title"].as_str(), task["due_date"].as_str()), (Some("tomorrow"), None));

    // A field given beside the line wins over the line's; tags are merged.
    let form = [
        ("text", "Call Bob tomorrow at 9 !low #phone"),
        ("priority", "high"),
        ("due_date", "2031-05-06"),
        ("tags", "work, phone"),
        ("description", "About the <b>offer</b>"),
    ];
    let task = ok(client.post("/api/tasks/quick-add", &form).await, "add with fields");
    assert_eq!(task["title"], "Call Bob");
    assert_eq!(task["priority"], "high");
    assert_eq!((task["due_date"].as_str(), task["due_time"].as_str()), (Some("2031-05-06"), Some("09:00")));
    assert_eq!(task["tags"], json!(["phone", "work"]));
    assert_eq!(task["description"], "About the <b>offer</b>");
    // Empty fields, as a form without scripts sends them, leave the line's values.
    let blank = [("text", "Pay taxes p2 #money"), ("priority", ""), ("due_date", ""), ("tags", ""), ("repeat", "")];
    let task = ok(client.post("/api/tasks/quick-add", &blank).await, "add with empty fields");
    assert_eq!((task["priority"].as_str(), task["tags"].clone()), (Some("medium"), json!(["money"])));
    // So do the menus' defaults, which the page's form always sends.
    let page = [("text", "Water every! 2 days !high"), ("priority", "none"), ("repeat_from", "due"), ("due_time", "")];
    let task = ok(client.post("/api/tasks/quick-add", &page).await, "add as the page does");
    assert_eq!((task["priority"].as_str(), task["repeat_from"].as_str()), (Some("high"), Some("completion")));
    assert_eq!(app.count("tasks", "").await, 7);
}

#[tokio::test]
async fn a_refused_line_changes_nothing_and_says_which_field() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    let long_title = format!("{} tomorrow", "x".repeat(201));
    let eleven_tags = "Tagged #a #b #c #d #e #f #g #h #i #j #k";
    for (form, field) in [
        (vec![("text", "   ")], "text"),
        (vec![("text", long_title.as_str())], "text"),
        (vec![("text", &*"y".repeat(1001))], "text"),
        (vec![("text", eleven_tags)], "tags"),
        (vec![("text", "Call at 9"), ("due_time", "25:00")], "due_time"),
        (vec![("text", "Call"), ("repeat", "FREQ=HOURLY")], "repeat"),
        (vec![("text", "Call"), ("list_id", "not-an-id")], "list_id"),
    ] {
        refused(&client.post("/api/tasks/quick-add", &form).await, field);
    }
    // A list of somebody else's is not found; a list the person only views refuses them.
    let owner = person(&app, "owner@example.com").await;
    let viewer = person(&app, "viewer@example.com").await;
    let list = make_list(&owner, "Shared").await;
    let stranger = client.post("/api/tasks/quick-add", &[("text", "Sneak in tomorrow"), ("list_id", &list)]).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND, "{}", stranger.text);
    join(&owner, &list, &viewer, "viewer").await;
    let watching = viewer.client.post("/api/tasks/quick-add", &[("text", "Sneak in"), ("list_id", &list)]).await;
    assert_eq!(watching.status, StatusCode::FORBIDDEN, "{}", watching.text);
    assert_eq!(app.count("tasks", "").await, 0);
    // The owner adds to the shared list.
    let task = ok(
        owner.client.post("/api/tasks/quick-add", &[("text", "Plan trip #travel"), ("list_id", &list)]).await,
        "add",
    );
    assert_eq!(task["list_id"], list);
    let anonymous = app.client().post("/api/tasks/quick-add", &[("text", "Nobody's")]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
