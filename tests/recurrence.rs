//! Recurring tasks over real HTTP, on SQLite or PostgreSQL: completing records the date and
//! moves the task on, skipping moves it without a record, undoing moves it back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Client,
    sharing::{ok, world},
    spawn, spawn_with,
};
use reqwest::StatusCode;
use serde_json::Value;
use time::{Date, Duration};

/// The zone the tests' accounts live in: its "today" is rarely the server's (UTC).
const ZONE: &str = "Pacific/Kiritimati";

fn today() -> Date {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(ZONE).unwrap()).date().to_string();
    doable::dates::parse_date(&today).unwrap().unwrap()
}

async fn account(app: &common::TestApp, email: &str) -> Client {
    let (client, _) = app.user(email).await;
    ok(client.post("/api/auth/update-profile", &[("time_zone", ZONE)]).await, "zone");
    client
}

async fn create(client: &Client, form: &[(&str, &str)]) -> Value {
    ok(client.post("/api/tasks/create", form).await, "create")
}

async fn complete(client: &Client, id: &str, completed: bool) -> Value {
    ok(client.post("/api/tasks/set-completed", &[("id", id), ("completed", &completed.to_string())]).await, "complete")
}

async fn completed_tasks(client: &Client) -> Vec<Value> {
    let page = ok(client.get("/api/tasks/list", &[("status", "completed")]).await, "list");
    page["tasks"].as_array().unwrap().clone()
}

fn day(value: &Value) -> Date {
    doable::dates::parse_date(value.as_str().unwrap()).unwrap().unwrap()
}

/// Waits out the minute in which `today()` could roll over between the test's reading and
/// the server's.
async fn wait_past_midnight() {
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(ZONE).unwrap());
    if now.hour() == 23 && now.minute() >= 59 {
        tokio::time::sleep(std::time::Duration::from_secs(70)).await;
    }
}

#[tokio::test]
async fn completing_records_the_date_and_moves_the_task_to_its_next() {
    wait_past_midnight().await;
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    let today = today();
    let due = today.to_string();
    let task = create(
        &client,
        &[
            ("title", "Water the plants"),
            ("due_date", &due),
            ("due_time", "09:00"),
            ("repeat", "freq=daily;interval=2"),
        ],
    )
    .await;
    assert_eq!(task["repeat"], "FREQ=DAILY;INTERVAL=2", "canonical");
    assert_eq!(task["repeat_from"], "due");
    let id = task["id"].as_str().unwrap().to_owned();

    let moved = complete(&client, &id, true).await;
    assert_eq!(moved["id"], id.as_str());
    assert_eq!(moved["completed"], false, "still open");
    assert_eq!(day(&moved["due_date"]), today + Duration::days(2));
    assert_eq!(moved["due_time"], "09:00", "09:00 stays 09:00");
    let done = completed_tasks(&client).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["occurrence_of"], id.as_str());
    assert_eq!((done[0]["title"].as_str(), done[0]["due_date"].as_str()), (Some("Water the plants"), Some(&*due)));
    assert_eq!((&done[0]["repeat"], done[0]["due_time"].as_str()), (&Value::Null, Some("09:00")));
    assert_eq!(app.count("tasks", "").await, 2);

    // An overdue task keeps its schedule and lands after today, never overdue again.
    let late = (today - Duration::days(10)).to_string();
    let every_three =
        create(&client, &[("title", "Stretch"), ("due_date", &late), ("repeat", "FREQ=DAILY;INTERVAL=3")]).await;
    let moved = complete(&client, every_three["id"].as_str().unwrap(), true).await;
    assert_eq!(day(&moved["due_date"]), today + Duration::days(2), "10 days late: the schedule's date after today");

    // From completion: today plus the interval.
    let form = [
        ("title", "Descale"),
        ("due_date", &*late),
        ("repeat", "FREQ=DAILY;INTERVAL=3"),
        ("repeat_from", "completion"),
    ];
    let from_completion = create(&client, &form).await;
    assert_eq!(from_completion["repeat_from"], "completion");
    let moved = complete(&client, from_completion["id"].as_str().unwrap(), true).await;
    assert_eq!(day(&moved["due_date"]), today + Duration::days(3));
    // Done again the same day: its next date is the one it has, and nothing more is recorded.
    let before = completed_tasks(&client).await.len();
    let again = complete(&client, from_completion["id"].as_str().unwrap(), true).await;
    assert_eq!((day(&again["due_date"]), again["completed"].as_bool()), (today + Duration::days(3), Some(false)));
    assert_eq!(completed_tasks(&client).await.len(), before);
    assert_eq!(task["repeat_text"], "every 2 days");
}

#[tokio::test]
async fn each_recorded_date_counts_towards_its_completers_cap() {
    let app = spawn_with(&[("DOABLE_MAX_TASKS", "3")]).await;
    let client = account(&app, "ada@example.com").await;
    let task = create(&client, &[("title", "Daily"), ("due_date", "2030-01-01"), ("repeat", "FREQ=DAILY")]).await;
    let id = task["id"].as_str().unwrap();
    create(&client, &[("title", "Other")]).await;
    assert_eq!(complete(&client, id, true).await["due_date"], "2030-01-02", "the third task: a record");
    let refused = client.post("/api/tasks/set-completed", &[("id", id), ("completed", "true")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(refused.code(), "limit_reached");
    let same = ok(client.get("/api/tasks/get", &[("id", id)]).await, "get");
    assert_eq!(
        (same["due_date"].as_str(), same["completed"].as_bool()),
        (Some("2030-01-02"), Some(false)),
        "unchanged"
    );
    assert_eq!(app.count("tasks", "").await, 3);
}

#[tokio::test]
async fn the_rules_end_completes_the_task_for_good() {
    wait_past_midnight().await;
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    let today = today();
    let twice =
        create(&client, &[("title", "Two doses"), ("due_date", &today.to_string()), ("repeat", "FREQ=DAILY;COUNT=2")])
            .await;
    let id = twice["id"].as_str().unwrap();
    assert_eq!(day(&complete(&client, id, true).await["due_date"]), today + Duration::days(1));
    let last = complete(&client, id, true).await;
    assert_eq!(last["completed"], true, "the count is used up: the task itself is completed");
    assert_eq!(completed_tasks(&client).await.len(), 2);

    let until = (today + Duration::days(7)).to_string().replace('-', "");
    let weekly = create(
        &client,
        &[
            ("title", "Weekly review"),
            ("due_date", &today.to_string()),
            ("repeat", &format!("FREQ=WEEKLY;UNTIL={until}")),
        ],
    )
    .await;
    let id = weekly["id"].as_str().unwrap();
    assert_eq!(day(&complete(&client, id, true).await["due_date"]), today + Duration::days(7));
    assert_eq!(complete(&client, id, true).await["completed"], true, "nothing after UNTIL");
}

#[tokio::test]
async fn skipping_moves_the_date_and_records_nothing() {
    wait_past_midnight().await;
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    let today = today();
    // The last Friday of each month.
    let task = create(
        &client,
        &[("title", "Pay rent"), ("due_date", &today.to_string()), ("repeat", "FREQ=MONTHLY;BYDAY=-1FR")],
    )
    .await;
    let id = task["id"].as_str().unwrap();
    let skipped = ok(client.post("/api/tasks/skip", &[("id", id)]).await, "skip");
    let next = day(&skipped["due_date"]);
    assert!(
        next > today && next.weekday() == time::Weekday::Friday && (next + Duration::days(7)).month() != next.month()
    );
    assert_eq!(skipped["completed"], false);
    assert!(completed_tasks(&client).await.is_empty(), "a skip records nothing");

    let plain = create(&client, &[("title", "Once")]).await;
    let refused = client.post("/api/tasks/skip", &[("id", plain["id"].as_str().unwrap())]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.json["fields"]["id"].as_str().unwrap().contains("recurring"));

    let once =
        create(&client, &[("title", "One more"), ("due_date", &today.to_string()), ("repeat", "FREQ=DAILY;COUNT=1")])
            .await;
    let refused = client.post("/api/tasks/skip", &[("id", once["id"].as_str().unwrap())]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.json["fields"]["id"].as_str().unwrap().contains("last date"));

    let missing = client.post("/api/tasks/skip", &[("id", &uuid::Uuid::now_v7().to_string())]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn undoing_a_completion_moves_the_task_back() {
    wait_past_midnight().await;
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    let today = today();
    let task = create(&client, &[("title", "Run"), ("due_date", &today.to_string()), ("repeat", "FREQ=DAILY")]).await;
    let id = task["id"].as_str().unwrap();
    complete(&client, id, true).await;
    let record = completed_tasks(&client).await[0]["id"].as_str().unwrap().to_owned();
    let back = complete(&client, &record, false).await;
    assert_eq!((back["id"].as_str(), back["completed"].as_bool()), (Some(id), Some(false)));
    assert_eq!(day(&back["due_date"]), today, "back where it was");
    assert!(completed_tasks(&client).await.is_empty(), "the record is gone");
    assert_eq!(app.count("tasks", "").await, 1);

    // Two completions, then undoing the first: the task has moved on, so that date comes back
    // as a task of its own.
    complete(&client, id, true).await;
    complete(&client, id, true).await;
    let records = completed_tasks(&client).await;
    assert_eq!(records.len(), 2);
    let first = records.iter().find(|r| day(&r["due_date"]) == today).unwrap()["id"].as_str().unwrap().to_owned();
    let reopened = complete(&client, &first, false).await;
    assert_eq!((reopened["id"].as_str(), reopened["completed"].as_bool()), (Some(&*first), Some(false)));
    assert_eq!(reopened["occurrence_of"], Value::Null);
    let series = ok(client.get("/api/tasks/get", &[("id", id)]).await, "get");
    assert_eq!(day(&series["due_date"]), today + Duration::days(2), "the recurring task stays where it is");
}

#[tokio::test]
async fn bad_rules_are_refused_with_the_part_named_and_change_nothing() {
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    for (form, field, says) in [
        (vec![("title", "x"), ("repeat", "FREQ=DAILY")], "repeat", "due date"),
        (vec![("title", "x"), ("due_date", "2027-01-04"), ("repeat", "FREQ=DAILY;BYHOUR=9")], "repeat", "BYHOUR"),
        (vec![("title", "x"), ("due_date", "2027-01-04"), ("repeat", "FREQ=MINUTELY")], "repeat", "FREQ"),
        (vec![("title", "x"), ("due_date", "2027-01-04"), ("repeat", "FREQ=WEEKLY;BYDAY=1MO")], "repeat", "ordinals"),
        (
            vec![("title", "x"), ("due_date", "2027-01-04"), ("repeat", "FREQ=DAILY"), ("repeat_from", "later")],
            "repeat_from",
            "due or completion",
        ),
    ] {
        let refused = client.post("/api/tasks/create", &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {}", refused.text);
        assert!(refused.json["fields"][field].as_str().unwrap().contains(says), "{form:?}: {}", refused.text);
    }
    assert_eq!(app.count("tasks", "").await, 0);

    let task = create(&client, &[("title", "Weekly"), ("due_date", "2027-01-04"), ("repeat", "FREQ=WEEKLY")]).await;
    let id = task["id"].as_str().unwrap();
    let refused =
        client.post("/api/tasks/update", &[("id", id), ("repeat", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert_eq!(ok(client.get("/api/tasks/get", &[("id", id)]).await, "get")["repeat"], "FREQ=WEEKLY", "unchanged");
    // A form without scripts sends the rule as it was beside the emptied date: both go.
    let cleared =
        ok(client.post("/api/tasks/update", &[("id", id), ("due_date", ""), ("repeat", "FREQ=WEEKLY")]).await, "clear");
    assert_eq!((&cleared["due_date"], &cleared["repeat"]), (&Value::Null, &Value::Null));
    let refused = client.post("/api/tasks/update", &[("id", id), ("repeat", "FREQ=DAILY")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "a rule for a task without a date");
    let set = ok(
        client
            .post(
                "/api/tasks/update",
                &[("id", id), ("due_date", "2027-03-01"), ("repeat", "FREQ=MONTHLY;BYMONTHDAY=-1")],
            )
            .await,
        "set both",
    );
    assert_eq!(set["repeat"], "FREQ=MONTHLY;BYMONTHDAY=-1");
    let stopped = ok(client.post("/api/tasks/update", &[("id", id), ("repeat", "")]).await, "stop repeating");
    assert_eq!((&stopped["repeat"], stopped["due_date"].as_str()), (&Value::Null, Some("2027-03-01")));
}

#[tokio::test]
async fn complete_all_leaves_recurring_tasks_to_be_completed_one_by_one() {
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    create(&client, &[("title", "Once")]).await;
    let recurring = create(&client, &[("title", "Daily"), ("due_date", "2030-01-01"), ("repeat", "FREQ=DAILY")]).await;
    let answer = ok(client.post("/api/tasks/complete-all", &[("completed", "true")]).await, "complete all");
    assert_eq!(answer["updated"], 1);
    let still = ok(client.get("/api/tasks/get", &[("id", recurring["id"].as_str().unwrap())]).await, "get");
    assert_eq!((still["completed"].as_bool(), still["due_date"].as_str()), (Some(false), Some("2030-01-01")));
}

#[tokio::test]
async fn members_complete_and_skip_by_their_role() {
    let app = spawn().await;
    let w = world(&app).await;
    let task = ok(
        w.owner
            .client
            .post(
                "/api/tasks/create",
                &[("title", "Bins out"), ("list_id", &w.list), ("due_date", "2030-01-07"), ("repeat", "FREQ=WEEKLY")],
            )
            .await,
        "create",
    );
    let id = task["id"].as_str().unwrap();
    let viewer = w.viewer.client.post("/api/tasks/skip", &[("id", id)]).await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN, "{}", viewer.text);
    let viewer = w.viewer.client.post("/api/tasks/set-completed", &[("id", id), ("completed", "true")]).await;
    assert_eq!(viewer.status, StatusCode::FORBIDDEN, "{}", viewer.text);
    let stranger = w.stranger.client.post("/api/tasks/skip", &[("id", id)]).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("tasks where list_id = $1", &w.list).await, 2, "nothing recorded");
    let skipped = ok(w.editor.client.post("/api/tasks/skip", &[("id", id)]).await, "editor skips");
    assert_eq!(skipped["due_date"], "2030-01-14");
    let moved =
        ok(w.editor.client.post("/api/tasks/set-completed", &[("id", id), ("completed", "true")]).await, "editor");
    assert_eq!(moved["due_date"], "2030-01-21");
    let records =
        ok(w.owner.client.get("/api/tasks/list", &[("list_id", &w.list), ("status", "completed")]).await, "list");
    assert_eq!(records["tasks"][0]["created_by"]["id"], w.editor.id.as_str(), "the record is the completer's");
    let history = ok(w.owner.client.get("/api/lists/history", &[("id", &w.list)]).await, "history");
    assert_eq!(history["events"][0]["kind"], "task_completed");
    let from =
        ok(w.owner.client.post("/api/tasks/update", &[("id", id), ("repeat_from", "completion")]).await, "update");
    assert_eq!(from["repeat_from"], "completion");

    // The trash keeps the rule.
    ok(w.owner.client.post("/api/tasks/delete", &[("id", id)]).await, "delete");
    let restored = ok(w.owner.client.post("/api/trash/restore", &[("kind", "task"), ("id", id)]).await, "restore");
    assert_eq!((restored["repeat"].as_str(), restored["due_date"].as_str()), (Some("FREQ=WEEKLY"), Some("2030-01-21")));
    assert_eq!(restored["repeat_from"], "completion");
    // And counts from today (these accounts are in UTC): a week from today.
    let utc_today =
        doable::dates::parse_date(&jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string());
    let skipped = ok(w.owner.client.post("/api/tasks/skip", &[("id", id)]).await, "skip after restore");
    assert_eq!(day(&skipped["due_date"]), utc_today.unwrap().unwrap() + Duration::days(7));
}

#[tokio::test]
async fn a_rule_this_build_cannot_read_stays_through_other_edits() {
    let app = spawn().await;
    let client = account(&app, "ada@example.com").await;
    let task = create(&client, &[("title", "Old"), ("due_date", "2030-01-07"), ("repeat", "FREQ=WEEKLY")]).await;
    let id = task["id"].as_str().unwrap();
    // As a newer release might have stored it.
    let uuid = uuid::Uuid::parse_str(id).unwrap();
    let sql = "update tasks set repeat = $1 where id = $2";
    doable::db::execute!(&app.db, |conn| sqlx::query(sql).bind("FREQ=WEEKLY;BYHOUR=9").bind(uuid).execute(conn))
        .unwrap();
    let renamed = ok(client.post("/api/tasks/update", &[("id", id), ("title", "Renamed")]).await, "rename");
    assert_eq!((renamed["repeat"].as_str(), &renamed["repeat_text"]), (Some("FREQ=WEEKLY;BYHOUR=9"), &Value::Null));
}

#[tokio::test]
async fn a_rule_can_be_given_in_words_as_quick_add_reads_it() {
    let app = spawn().await;
    let client = account(&app, "words@example.com").await;
    let due = today().to_string();
    let task =
        create(&client, &[("title", "Gym"), ("due_date", &due), ("repeat_words", "every 2 weeks on mon, thu")]).await;
    assert_eq!(task["repeat"], "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH");
    assert_eq!(task["repeat_from"], "due");
    let id = task["id"].as_str().unwrap();

    // Words win over the menu's rule, and `every!` counts from the completion.
    let form = [("id", id), ("repeat", "FREQ=DAILY"), ("repeat_words", "every! 3 days")];
    let updated = ok(client.post("/api/tasks/update", &form).await, "update in words");
    assert_eq!(updated["repeat"], "FREQ=DAILY;INTERVAL=3");
    assert_eq!(updated["repeat_from"], "completion");
    // Empty words leave the menu's rule.
    let form = [("id", id), ("repeat", "FREQ=MONTHLY"), ("repeat_words", "")];
    assert_eq!(ok(client.post("/api/tasks/update", &form).await, "menu")["repeat"], "FREQ=MONTHLY");

    for words in ["someday", "every 2 weeks and then some", "\"every day\"", "every day until 2001-01-01"] {
        let refused = client.post("/api/tasks/update", &[("id", id), ("repeat_words", words)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{words}: {}", refused.text);
        assert!(refused.json["fields"]["repeat_words"].is_string(), "{words}: {}", refused.text);
    }
    let refused = client.post("/api/tasks/create", &[("title", "No date"), ("repeat_words", "every day")]).await;
    assert!(refused.json["fields"]["repeat"].is_string(), "a rule needs a due date: {}", refused.text);
    let kept = ok(client.get("/api/tasks/get", &[("id", id)]).await, "get");
    assert_eq!(kept["repeat"], "FREQ=MONTHLY", "refused words change nothing");
}
