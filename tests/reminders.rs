//! Reminders and notifications, over real HTTP on SQLite or PostgreSQL: what a task's
//! reminders are, who hears them, that each arrives once (with two servers on one database,
//! and after a restart, marked late), and by email through a real SMTP server.
//!
//! A test makes a reminder come due by moving its queued time to now, as a clock would: the
//! server's sweep, not the test, then sends it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{
    Client, ServerProcess, TestApp, TestDatabase,
    sharing::{join, make_list, ok, person},
    spawn, spawn_with,
};
use doable::db::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

/// A date `days` from today (UTC), `YYYY-MM-DD`.
fn in_days(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn create(client: &Client, fields: &[(&str, &str)]) -> Value {
    ok(client.post("/api/tasks/create", fields).await, "create a task")
}

/// The queued reminders of a task: `(user id, reminder, fire_at in microseconds)`, in order.
async fn queue(app: &TestApp, task: &str) -> Vec<(String, String, i64)> {
    let task = Uuid::parse_str(task).unwrap();
    let rows: Vec<(Uuid, String, Timestamp)> = doable::with_pool!(app.db.read(), |pool| {
        sqlx::query_as(
            "select user_id, reminder, fire_at from reminder_queue where task_id = $1 order by fire_at, user_id",
        )
        .bind(task)
        .fetch_all(pool)
        .await
        .unwrap()
    });
    rows.into_iter().map(|(user, reminder, at)| (user.to_string(), reminder, at.0.unix_timestamp())).collect()
}

/// Moves every queued reminder of `task` to `ago` before now, as if that time had come.
async fn come_due(app: &TestApp, task: &str, ago: Duration) {
    let task = Uuid::parse_str(task).unwrap();
    doable::db::execute!(app.db, |conn| {
        sqlx::query("update reminder_queue set fire_at = $1 where task_id = $2")
            .bind(Timestamp::now() - ago)
            .bind(task)
            .execute(conn)
    })
    .unwrap();
}

async fn notifications(client: &Client) -> Value {
    ok(client.get("/api/notifications/list", &[]).await, "notifications")
}

/// Waits (up to 10 s) until `client` has `count` notifications.
async fn wait_for(client: &Client, count: usize) -> Value {
    for _ in 0..100 {
        let page = notifications(client).await;
        if page["notifications"].as_array().unwrap().len() >= count {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{count} notifications did not arrive: {}", notifications(client).await);
}

#[tokio::test]
async fn reminders_are_kept_canonical_and_bad_ones_change_nothing() {
    let app = spawn().await;
    let (client, _) = app.user("ann@example.com").await;
    let due = in_days(3);
    let task =
        create(&client, &[("title", "Dentist"), ("due_date", &due), ("reminders", "15m, 120m,1d, 2030-01-02 08:00")])
            .await;
    assert_eq!(task["reminders"], serde_json::json!(["1d", "2h", "15m", "2030-01-02T08:00"]));
    let id = task["id"].as_str().unwrap();
    assert_eq!(queue(&app, id).await.len(), 4, "each reminder is queued");

    for (fields, why) in [
        (vec![("title", "x"), ("reminders", "1d")], "an offset needs a due date"),
        (vec![("title", "x"), ("due_date", &*due), ("reminders", "1m,2m,3m,4m,5m,6m")], "at most five"),
        (vec![("title", "x"), ("due_date", &*due), ("reminders", "soon")], "not a reminder"),
        (vec![("title", "x"), ("due_date", &*due), ("reminders", "5w")], "more than four weeks"),
    ] {
        let refused = client.post("/api/tasks/create", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {}", refused.text);
        assert!(refused.json["fields"]["reminders"].is_string(), "{why}: {}", refused.text);
    }
    assert_eq!(app.count("tasks", "").await, 1, "no refused task was made");

    let refused = client.post("/api/tasks/update", &[("id", id), ("reminders", "nonsense")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(queue(&app, id).await.len(), 4, "a refused change leaves the queue");

    // Clearing the date drops the reminders that count from it, and keeps the one at a time,
    // also when a form without scripts sends the reminders as they were beside the emptied date.
    let form = [("id", id), ("due_date", ""), ("reminders", "1d, 2h, 15m, 2030-01-02T08:00")];
    let undated = ok(client.post("/api/tasks/update", &form).await, "clear the date");
    assert_eq!(undated["reminders"], serde_json::json!(["2030-01-02T08:00"]));
    assert_eq!(queue(&app, id).await.len(), 1);
    // But an offset set on a task without a date is refused.
    let refused = client.post("/api/tasks/update", &[("id", id), ("reminders", "1h")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    let none = ok(client.post("/api/tasks/update", &[("id", id), ("reminders", "")]).await, "remove them");
    assert_eq!(none["reminders"], serde_json::json!([]));
    assert!(queue(&app, id).await.is_empty());
}

#[tokio::test]
async fn a_reminder_arrives_once_as_a_notification_and_can_be_marked_read() {
    let app = spawn().await;
    let (ann, _) = app.user("ann@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let due = in_days(2);
    let hostile = "<img src=x onerror=alert(1)> & \"rent\"";
    let task =
        create(&ann, &[("title", hostile), ("due_date", &due), ("due_time", "09:30"), ("reminders", "15m")]).await;
    let id = task["id"].as_str().unwrap();
    assert_eq!(notifications(&ann).await["unread"], 0);

    come_due(&app, id, Duration::ZERO).await;
    let page = wait_for(&ann, 1).await;
    let n = &page["notifications"][0];
    assert_eq!(n["kind"], "reminder");
    assert_eq!(n["title"], hostile);
    assert_eq!(n["task_id"], id);
    assert_eq!(n["reminder"], "15m");
    assert_eq!(n["reminder_text"], "15 minutes before");
    assert_eq!(n["due_date"], due.as_str());
    assert_eq!(n["due_time"], "09:30");
    assert_eq!(n["late"], false);
    assert_eq!(n["read"], false);
    assert_eq!(page["unread"], 1);
    assert!(queue(&app, id).await.is_empty(), "sent, it leaves the queue");

    // Once: later sweeps find nothing more to send.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(notifications(&ann).await["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(notifications(&bob).await["notifications"].as_array().unwrap().len(), 0, "nobody else's");

    // The header counts it; the page shows the title as text.
    let html = ann.get("/notifications", &[]).await.text;
    assert!(html.contains(r#"<span class="unread-number">1</span>"#), "the header's count");
    assert!(!html.contains("<img src=x"), "the title is text, not markup");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));

    let nid = n["id"].as_str().unwrap();
    let refused = bob.post("/api/notifications/read", &[("id", nid)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "another person's notification is not found");
    assert_eq!(notifications(&ann).await["unread"], 1, "and stays unread");
    let read = ok(ann.post("/api/notifications/read", &[("id", nid)]).await, "read");
    assert_eq!((read["read"].as_u64(), read["unread"].as_i64()), (Some(1), Some(0)));
    let again = ok(ann.post("/api/notifications/read", &[("id", nid)]).await, "read again");
    assert_eq!(again["read"], 0);
    assert_eq!(notifications(&ann).await["notifications"][0]["read"], true);
    let unread = ok(ann.get("/api/notifications/list", &[("unread", "true")]).await, "unread only");
    assert_eq!(unread["notifications"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn notification_inputs_are_checked() {
    let app = spawn().await;
    let (ann, _) = app.user("ann@example.com").await;
    for query in [[("limit", "0")], [("limit", "101")], [("before", "yesterday")], [("unread", "maybe")]] {
        let refused = ann.get("/api/notifications/list", &query).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{query:?}: {}", refused.text);
    }
    for form in [vec![], vec![("id", "x")], vec![("all", "true"), ("id", &*Uuid::now_v7().to_string())]] {
        let refused = ann.post("/api/notifications/read", &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {}", refused.text);
    }
    let all = ok(ann.post("/api/notifications/read", &[("all", "true")]).await, "read all of none");
    assert_eq!(all["read"], 0);
    let stranger = app.client();
    assert_eq!(stranger.get("/api/notifications/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stranger.post("/api/notifications/read", &[("all", "true")]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn completing_skipping_and_reopening_move_the_queue_with_the_task() {
    let app = spawn().await;
    let (ann, _) = app.user("ann@example.com").await;
    let due = in_days(2);
    let plain = create(&ann, &[("title", "Plain"), ("due_date", &due), ("reminders", "1h")]).await;
    let plain = plain["id"].as_str().unwrap();
    ok(ann.post("/api/tasks/set-completed", &[("id", plain), ("completed", "true")]).await, "complete");
    assert!(queue(&app, plain).await.is_empty(), "a completed task reminds of nothing");
    ok(ann.post("/api/tasks/set-completed", &[("id", plain), ("completed", "false")]).await, "reopen");
    assert_eq!(queue(&app, plain).await.len(), 1, "reopened, it reminds again");

    let daily =
        create(&ann, &[("title", "Water"), ("due_date", &due), ("repeat", "FREQ=DAILY"), ("reminders", "0m")]).await;
    let daily = daily["id"].as_str().unwrap();
    let before = queue(&app, daily).await[0].2;
    let moved = ok(ann.post("/api/tasks/set-completed", &[("id", daily), ("completed", "true")]).await, "complete");
    assert_eq!(moved["due_date"], in_days(3).as_str());
    assert_eq!(queue(&app, daily).await[0].2, before + 24 * 3600, "the reminder follows it to its next date");
    ok(ann.post("/api/tasks/skip", &[("id", daily)]).await, "skip");
    assert_eq!(queue(&app, daily).await[0].2, before + 2 * 24 * 3600);

    // A queued row the task has moved away from is not sent (a bulk change leaves rows).
    ok(ann.post("/api/tasks/complete-all", &[("completed", "true")]).await, "complete all");
    come_due(&app, plain, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(notifications(&ann).await["notifications"].as_array().unwrap().len(), 0, "completed: not sent");
    assert!(queue(&app, plain).await.is_empty(), "but taken from the queue");
    ok(ann.post("/api/tasks/complete-all", &[("completed", "false")]).await, "reopen all");
    assert_eq!(queue(&app, plain).await.len(), 1, "reopened in bulk, it reminds again");
}

#[tokio::test]
async fn a_new_time_zone_moves_the_reminders_to_its_clock() {
    let app = spawn().await;
    let (ann, _) = app.user("ann@example.com").await;
    let due = in_days(5);
    let task = create(&ann, &[("title", "Call"), ("due_date", &due), ("due_time", "09:00"), ("reminders", "0m")]).await;
    let id = task["id"].as_str().unwrap();
    let utc = queue(&app, id).await[0].2;
    ok(ann.post("/api/auth/update-profile", &[("time_zone", "Asia/Tokyo")]).await, "move to Tokyo");
    assert_eq!(queue(&app, id).await[0].2, utc - 9 * 3600, "09:00 in Tokyo is nine hours earlier");
}

#[tokio::test]
async fn shared_lists_remind_the_assignee_or_the_members_who_chose_to() {
    let app = spawn().await;
    let owner = person(&app, "owner@example.com").await;
    let member = person(&app, "member@example.com").await;
    let list = make_list(&owner, "Household").await;
    join(&owner, &list, &member, "editor").await;
    let lists = ok(member.client.get("/api/lists/list", &[]).await, "lists");
    let shared = lists["lists"].as_array().unwrap().iter().find(|l| l["id"] == list.as_str()).unwrap();
    assert_eq!(shared["reminders"], false, "who joins has not chosen yet");

    let due = in_days(2);
    let task =
        create(&member.client, &[("title", "Bins"), ("list_id", &list), ("due_date", &due), ("reminders", "1h")]).await;
    let id = task["id"].as_str().unwrap();
    let people = |rows: Vec<(String, String, i64)>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(people(queue(&app, id).await), vec![owner.id.clone()], "unassigned: the owner, who hears the list");

    let chose = ok(member.client.post("/api/lists/reminders", &[("id", &list), ("enabled", "true")]).await, "opt in");
    assert_eq!(chose["reminders"], true);
    let again = ok(member.client.post("/api/lists/reminders", &[("id", &list), ("enabled", "true")]).await, "again");
    assert_eq!(again["reminders"], true, "choosing the same again changes nothing");
    let mut both = vec![owner.id.clone(), member.id.clone()];
    both.sort();
    let mut queued = people(queue(&app, id).await);
    queued.sort();
    assert_eq!(queued, both, "and the member who chose to");

    ok(owner.client.post("/api/tasks/update", &[("id", id), ("assignee_id", &member.id)]).await, "assign");
    assert_eq!(people(queue(&app, id).await), vec![member.id.clone()], "assigned: the assignee alone");

    // A member removed before it fires hears nothing.
    ok(owner.client.post("/api/lists/remove-member", &[("id", &list), ("user_id", &member.id)]).await, "remove");
    let refused = member.client.post("/api/lists/reminders", &[("id", &list), ("enabled", "true")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "a former member cannot choose");
    assert_eq!(people(queue(&app, id).await), vec![owner.id.clone()], "unassigned by the removal: the owner again");
    come_due(&app, id, Duration::ZERO).await;
    wait_for(&owner.client, 1).await;
    assert_eq!(notifications(&member.client).await["notifications"].as_array().unwrap().len(), 0);

    let stranger = person(&app, "stranger@example.com").await;
    let refused = stranger.client.post("/api/lists/reminders", &[("id", &list), ("enabled", "true")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "not a member: not found");
    let refused = owner.client.post("/api/lists/reminders", &[("id", &list), ("enabled", "maybe")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn two_servers_on_one_database_send_each_reminder_once() {
    let app = spawn().await;
    // A second server on the same database, sweeping beside the first.
    let config = doable::config::Config::from_source(&app.database().settings()).unwrap();
    let db = doable::db::Db::connect(&config).await.unwrap();
    let second = doable::server::spawn_housekeeping(doable::state::AppState::new(config, db.clone()));

    let (ann, _) = app.user("ann@example.com").await;
    let due = in_days(2);
    let mut ids = Vec::new();
    for i in 0..60 {
        let title = format!("Task {i}");
        let task = create(&ann, &[("title", &title), ("due_date", &due), ("reminders", "1d,1h,15m,5m,0m")]).await;
        ids.push(task["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        come_due(&app, id, Duration::ZERO).await;
    }
    for _ in 0..100 {
        if app.count("reminder_queue", "").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("reminder_queue", "").await, 0, "every reminder was taken");
    assert_eq!(app.count("notifications", "").await, 300, "and sent exactly once: 60 tasks x 5 reminders");
    let distinct = app.count("(select distinct task_id, reminder from notifications) d", "").await;
    assert_eq!(distinct, 300);
    second.stop().await;
    db.close().await;
}

#[tokio::test]
async fn reminders_that_came_due_while_the_server_was_down_arrive_at_start_marked_late() {
    let database = TestDatabase::new().await;
    let settings = database.settings();
    let mut server = ServerProcess::start(&settings).await;
    let ann = server.client();
    ann.sign_up("ann@example.com").await;
    let due = in_days(2);
    let task = create(&ann, &[("title", "Late one"), ("due_date", &due), ("reminders", "15m")]).await;
    server.kill();

    // Ten minutes pass with no server running.
    let config = doable::config::Config::from_source(&settings).unwrap();
    let db = doable::db::Db::connect(&config).await.unwrap();
    let id = Uuid::parse_str(task["id"].as_str().unwrap()).unwrap();
    doable::db::execute!(db, |conn| {
        sqlx::query("update reminder_queue set fire_at = $1 where task_id = $2")
            .bind(Timestamp::now() - Duration::from_secs(600))
            .bind(id)
            .execute(conn)
    })
    .unwrap();
    db.close().await;

    let server = ServerProcess::start(&settings).await;
    let ann = server.client();
    let login = ann.post("/api/auth/login", &[("email", "ann@example.com"), ("password", common::PASSWORD)]).await;
    assert_eq!(login.status, StatusCode::OK);
    let page = wait_for(&ann, 1).await;
    assert_eq!(page["notifications"][0]["title"], "Late one");
    assert_eq!(page["notifications"][0]["late"], true, "sent at start, marked late");
}

/// A real SMTP server (Python's aiosmtpd) writing what it receives into a Maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (make test installs it)");
        let server = Self { child, port, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start (is it installed? make test installs it)");
    }

    /// The messages received so far, as raw text.
    fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(new) else { return Vec::new() };
        entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A quoted-printable body as a mail client reads it (RFC 2045): soft line breaks joined,
/// `=XX` decoded.
fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        match (first, tail.get(..2).and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())) {
            (b'=', Some(byte)) => {
                bytes.push(byte);
                rest = &tail[2..];
            }
            _ => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn a_reminder_is_emailed_through_the_smtp_server() {
    let smtp = SmtpServer::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = spawn_with(&[
        ("DOABLE_SMTP_URL", &url),
        ("DOABLE_SMTP_FROM", "Doable <reminders@doable.test>"),
        ("DOABLE_PUBLIC_URL", "http://doable.test"),
    ])
    .await;
    let (ann, _) = app.user("ann@example.com").await;
    let due = in_days(2);
    let title = "Pay rent Bcc: evil@example.com";
    let task = create(&ann, &[("title", title), ("due_date", &due), ("due_time", "08:15"), ("reminders", "1d")]).await;
    let id = task["id"].as_str().unwrap();
    come_due(&app, id, Duration::ZERO).await;
    let mut messages = Vec::new();
    for _ in 0..100 {
        messages = smtp.messages();
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(messages.len(), 1, "one email");
    let message = messages[0].replace("\r\n", "\n");
    let (headers, body) = message.split_once("\n\n").unwrap();
    let body = if headers.contains("Content-Transfer-Encoding: quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_owned()
    };
    assert!(headers.lines().any(|l| l.starts_with("To: ") && l.contains("ann@example.com")), "{headers}");
    assert!(headers.contains("From: Doable <reminders@doable.test>"), "{headers}");
    assert!(headers.contains(&format!("Subject: Reminder: {title}")), "{headers}");
    assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "the title adds no header: {headers}");
    assert!(body.contains(&format!("Due {due} at 08:15.")), "{body}");
    let list = task["list_id"].as_str().unwrap();
    assert!(body.contains(&format!("http://doable.test/tasks?list={list}")), "{body}");
    for _ in 0..50 {
        if app.count("notifications where email = 2", "").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("notifications where email = 2", "").await, 1, "recorded as sent");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(smtp.messages().len(), 1, "and sent once");
}

#[tokio::test]
async fn an_email_that_fails_is_kept_to_try_again() {
    // Nothing listens on this port: every attempt fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_with(&[("DOABLE_SMTP_URL", &url)]).await;
    let (ann, _) = app.user("ann@example.com").await;
    let task = create(&ann, &[("title", "Unsent"), ("due_date", &in_days(2)), ("reminders", "1d")]).await;
    come_due(&app, task["id"].as_str().unwrap(), Duration::ZERO).await;
    wait_for(&ann, 1).await;
    for _ in 0..100 {
        if app.count("notifications where email_tries = 1", "").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("notifications where email = 1 and email_tries = 1", "").await, 1, "kept, to try again later");
}

#[tokio::test]
async fn a_bad_smtp_setting_stops_the_start_naming_it() {
    for (name, value) in [
        ("DOABLE_SMTP_URL", "mailto:s3cret@example.com"),
        ("DOABLE_SMTP_URL", "smtp://"),
        ("DOABLE_SMTP_URL", "smtp://me:s3cret@mail.example.com:587?tls=sometimes"),
        ("DOABLE_SMTP_FROM", "not an address"),
    ] {
        let database = TestDatabase::new().await;
        let mut settings = database.settings();
        settings.insert("DOABLE_SMTP_URL".into(), "smtp://127.0.0.1:2525".into());
        settings.insert(name.into(), value.into());
        let Err(error) = doable::config::Config::from_source(&settings) else { panic!("{name}={value} was accepted") };
        assert_eq!(error.variable, name, "{value}");
        assert!(!error.to_string().contains("s3cret"), "the password is not shown: {error}");
    }
}
