//! The calendar feed: read back by an independent parser (Python's icalendar), every event
//! checked; its secret address turned on, rotated and off; `ETag` and 304.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, TestApp, sharing::ok, spawn};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Reads a feed as a calendar app would (tests/support/read_ics.py).
fn read(feed: &str) -> Value {
    let output = common::python("read_ics.py", &[], feed.as_bytes());
    assert!(output.status.success(), "icalendar could not read the feed:\n{feed}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The path of a feed address.
fn path_of(url: &str) -> String {
    format!("/calendar/{}", url.rsplit_once("/calendar/").unwrap().1)
}

async fn enable(client: &Client) -> String {
    let enabled = ok(client.post("/api/calendar/enable", &[("password", common::PASSWORD)]).await, "enable");
    enabled["url"].as_str().unwrap().to_owned()
}

async fn task(client: &Client, form: &[(&str, &str)]) -> Value {
    ok(client.post("/api/tasks/create", form).await, "task")
}

const HOSTILE: &str = "Call, Bob; at \\home: END:VEVENT <b>";
/// A description that tries to end its event and start another.
const FORGED: &str = "Notes\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:forged\r\nDTSTART:20310101";

async fn seed(app: &TestApp) -> (Client, Client) {
    let (ada, _) = app.user("ada@example.com").await;
    ok(ada.post("/api/auth/update-profile", &[("time_zone", "Europe/Berlin")]).await, "zone");
    task(&ada, &[("title", "All day"), ("due_date", "2031-01-15"), ("tags", "home,errands"), ("reminders", "1d,0m")])
        .await;
    task(
        &ada,
        &[
            ("title", "Winter call"),
            ("due_date", "2031-01-15"),
            ("due_time", "18:30"),
            ("reminders", "15m,2031-01-15T08:00"),
            ("description", "Dial in.\nBring notes; and coffee, please."),
        ],
    )
    .await;
    task(
        &ada,
        &[
            ("title", "Summer standup"),
            ("due_date", "2031-07-07"),
            ("due_time", "09:15"),
            ("repeat", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20311231"),
            ("reminders", "1w"),
        ],
    )
    .await;
    task(
        &ada,
        &[
            ("title", "Water plants"),
            ("due_date", "2031-02-01"),
            ("repeat", "FREQ=DAILY;INTERVAL=3"),
            ("repeat_from", "completion"),
        ],
    )
    .await;
    task(&ada, &[("title", HOSTILE), ("due_date", "2031-03-01"), ("description", FORGED)]).await;
    task(&ada, &[("title", "No date")]).await;
    let done = task(&ada, &[("title", "Done already"), ("due_date", "2031-01-02")]).await;
    ok(
        ada.post("/api/tasks/set-completed", &[("id", done["id"].as_str().unwrap()), ("completed", "true")]).await,
        "done",
    );
    let (bob, _) = app.user("bob@example.com").await;
    task(&bob, &[("title", "Bob's own"), ("due_date", "2031-01-20")]).await;
    (ada, bob)
}

#[tokio::test]
async fn the_feed_reads_back_event_by_event() {
    let app = spawn().await;
    let (ada, _) = seed(&app).await;
    let url = enable(&ada).await;
    assert!(url.starts_with(&app.base) && url.ends_with(".ics"), "{url}");
    let feed = app.client().get(&path_of(&url), &[]).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert_eq!(feed.headers["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(feed.headers["referrer-policy"], "same-origin", "the secret address is never sent to another site");
    assert!(feed.text.starts_with("BEGIN:VCALENDAR\r\n") && feed.text.ends_with("END:VCALENDAR\r\n"));
    assert!(feed.text.lines().all(|line| line.len() <= 76), "content lines are folded at 75 octets");
    let calendar = read(&feed.text);
    assert_eq!(calendar["zones"], json!(["Europe/Berlin"]));
    let events = calendar["events"].as_array().unwrap();
    let titles: Vec<&str> = events.iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 5, "{titles:?}");
    for absent in ["No date", "Done already", "Bob's own", "forged"] {
        assert!(!titles.contains(&absent), "{absent} in {titles:?}");
    }
    let event = |title: &str| events.iter().find(|e| e["summary"] == title).unwrap_or_else(|| panic!("{title}"));

    let all_day = event("All day");
    assert_eq!((all_day["start"].as_str(), all_day["end"].as_str()), (Some("2031-01-15"), Some("2031-01-16")));
    assert_eq!(all_day["categories"], json!(["errands", "home"]));
    // Due at 09:00: a day before is 15 hours before the day starts; at the time, 9 hours after.
    assert_eq!(
        all_day["alarms"],
        json!([{"before_seconds": 54000.0, "action": "DISPLAY"}, {"before_seconds": -32400.0, "action": "DISPLAY"}])
    );
    assert!(all_day["uid"].as_str().unwrap().ends_with("@doable"));
    assert!(all_day["url"].as_str().unwrap().starts_with(&format!("{}/tasks?list=", app.base)));

    // Timed events carry the zone, and the feed's VTIMEZONE agrees with the zone database in
    // winter (+01:00) and in summer (+02:00).
    let winter = event("Winter call");
    assert_eq!(
        (winter["start"].as_str(), winter["tzid"].as_str()),
        (Some("2031-01-15T18:30:00"), Some("Europe/Berlin"))
    );
    assert_eq!((winter["offset_feed"].as_f64(), winter["offset_system"].as_f64()), (Some(3600.0), Some(3600.0)));
    assert_eq!(winter["description"], "Dial in.\nBring notes; and coffee, please.");
    // 15 minutes before, and 08:00 in Berlin, which is 07:00 UTC.
    assert_eq!(
        winter["alarms"],
        json!([{"before_seconds": 900.0, "action": "DISPLAY"}, {"at": "2031-01-15T07:00:00+00:00", "action": "DISPLAY"}])
    );
    let summer = event("Summer standup");
    assert_eq!((summer["offset_feed"].as_f64(), summer["offset_system"].as_f64()), (Some(7200.0), Some(7200.0)));
    assert_eq!(summer["rrule"], "FREQ=WEEKLY;UNTIL=20311231T225959Z;BYDAY=MO");
    assert_eq!(summer["alarms"], json!([{"before_seconds": 604800.0, "action": "DISPLAY"}]));
    // Repeating from completion has no schedule to draw: the next date alone.
    assert_eq!(event("Water plants")["rrule"], Value::Null);
    // Hostile text stays one summary of one event.
    let hostile = event(HOSTILE);
    assert_eq!(hostile["start"], "2031-03-01");
    assert_eq!(hostile["description"], FORGED.replace("\r\n", "\n"));
}

#[tokio::test]
async fn an_unchanged_feed_is_not_sent_again_and_a_change_is() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let made = task(&ada, &[("title", "Dentist"), ("due_date", "2031-05-05")]).await;
    // A timed task brings the zone's VTIMEZONE, which must not change from one request to the
    // next either.
    ok(ada.post("/api/auth/update-profile", &[("time_zone", "America/New_York")]).await, "zone");
    task(&ada, &[("title", "Call"), ("due_date", "2031-05-06"), ("due_time", "10:00")]).await;
    let path = path_of(&enable(&ada).await);
    let calendar = app.client();
    let first = calendar.get(&path, &[]).await;
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "{etag}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(first.headers["cache-control"], "private, no-cache");
    let again = calendar.with_header("if-none-match", &etag).get(&path, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    assert_eq!(again.headers["etag"], etag.as_str());
    let other = calendar.with_header("if-none-match", "\"something else\"").get(&path, &[]).await;
    assert_eq!(other.status, StatusCode::OK);
    ok(ada.post("/api/tasks/update", &[("id", made["id"].as_str().unwrap()), ("title", "Dentist at 3")]).await, "edit");
    let changed = calendar.with_header("if-none-match", &etag).get(&path, &[]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.headers["etag"], etag.as_str());
    assert_eq!(read(&changed.text)["events"][0]["summary"], "Dentist at 3");
    // The tag alone (without W/), as some clients send it back, matches too.
    let bare = changed.headers["etag"].to_str().unwrap().trim_start_matches("W/").to_owned();
    assert_eq!(calendar.with_header("if-none-match", &bare).get(&path, &[]).await.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_address_is_turned_on_rotated_and_off() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let anyone = app.client();
    assert_eq!(ok(ada.get("/api/calendar/link", &[]).await, "link")["url"], Value::Null);
    // A new address is confirmed with the password: a stolen session cannot make one.
    let wrong = ada.post("/api/calendar/enable", &[("password", "not it at all")]).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::FORBIDDEN, "invalid_credentials"));
    let none = ada.post("/api/calendar/enable", &[]).await;
    assert!(none.json["fields"]["password"].is_string(), "{}", none.text);
    assert_eq!(ok(ada.get("/api/calendar/link", &[]).await, "link")["url"], Value::Null);
    let first = enable(&ada).await;
    assert_eq!(enable(&ada).await, first, "turning it on again keeps the address");
    assert_eq!(ok(ada.get("/api/calendar/link", &[]).await, "link")["url"], first.as_str());
    assert_eq!(anyone.get(&path_of(&first), &[]).await.status, StatusCode::OK);
    let wrong = ada.post("/api/calendar/rotate", &[("password", "not it at all")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(anyone.get(&path_of(&first), &[]).await.status, StatusCode::OK, "a refused rotation changes nothing");
    let rotated = ok(ada.post("/api/calendar/rotate", &[("password", common::PASSWORD)]).await, "rotate")["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rotated, first);
    assert_eq!(anyone.get(&path_of(&first), &[]).await.status, StatusCode::NOT_FOUND, "the old address stops");
    assert_eq!(anyone.get(&path_of(&rotated), &[]).await.status, StatusCode::OK);
    // A disabled account's feed stops with it.
    app.set_disabled("ada@example.com", true).await;
    assert_eq!(anyone.get(&path_of(&rotated), &[]).await.status, StatusCode::NOT_FOUND);
    app.set_disabled("ada@example.com", false).await;
    ada.post("/api/auth/login", &[("email", "ada@example.com"), ("password", common::PASSWORD)]).await;
    let off = ok(ada.post("/api/calendar/disable", &[]).await, "disable");
    assert_eq!(off["url"], Value::Null);
    assert_eq!(anyone.get(&path_of(&rotated), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("users where id = $1 and calendar_secret is not null", &ada_id).await, 0);
    // Addresses that were never one: 404, never a 500.
    for path in ["/calendar/x.ics", "/calendar/.ics", &format!("{}.txt", &path_of(&rotated)[..53]), "/calendar/%00.ics"]
    {
        assert_eq!(anyone.get(path, &[]).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Without a session, nothing is managed.
    for path in ["/api/calendar/enable", "/api/calendar/rotate", "/api/calendar/disable"] {
        assert_eq!(anyone.post(path, &[]).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

/// A member's feed rings only the reminders the app would send them: of tasks assigned to
/// them, or to nobody in a list whose reminders they chose to hear.
#[tokio::test]
async fn alarms_follow_who_the_app_reminds() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    let list = ok(ada.post("/api/lists/create", &[("name", "Home")]).await, "list")["id"].as_str().unwrap().to_owned();
    ok(
        ada.post("/api/lists/invite", &[("id", &list), ("email", "bob@example.com"), ("role", "editor")]).await,
        "invite",
    );
    let invitation = bob.get("/api/invitations/list", &[]).await.json["invitations"][0]["id"].clone();
    ok(bob.post("/api/invitations/accept", &[("id", invitation.as_str().unwrap())]).await, "accept");
    let base = [("due_date", "2031-04-01"), ("reminders", "15m,1d"), ("list_id", list.as_str())];
    task(&ada, &[&base[..], &[("title", "Ada's"), ("assignee_id", &ada_id)]].concat()).await;
    task(&ada, &[&base[..], &[("title", "Nobody's")]].concat()).await;
    let alarms = |feed: &Value, title: &str| {
        feed["events"].as_array().unwrap().iter().find(|e| e["summary"] == title).unwrap()["alarms"]
            .as_array()
            .unwrap()
            .len()
    };
    let (hers, his) = (path_of(&enable(&ada).await), path_of(&enable(&bob).await));
    let feed = read(&app.client().get(&his, &[]).await.text);
    assert_eq!((alarms(&feed, "Ada's"), alarms(&feed, "Nobody's")), (0, 0), "Bob hears neither");
    let feed = read(&app.client().get(&hers, &[]).await.text);
    assert_eq!((alarms(&feed, "Ada's"), alarms(&feed, "Nobody's")), (2, 2), "the owner hears both");
    ok(bob.post("/api/lists/reminders", &[("id", &list), ("enabled", "true")]).await, "opt in");
    let feed = read(&app.client().get(&his, &[]).await.text);
    assert_eq!((alarms(&feed, "Ada's"), alarms(&feed, "Nobody's")), (0, 2), "Bob now hears the unassigned one");
}

/// Dates a calendar cannot draw (before 1900) are left out rather than breaking the feed.
#[tokio::test]
async fn a_task_in_year_one_does_not_break_the_feed() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    ok(ada.post("/api/auth/update-profile", &[("time_zone", "America/New_York")]).await, "zone");
    task(&ada, &[("title", "Ancient"), ("due_date", "0001-01-01"), ("due_time", "09:00")]).await;
    task(
        &ada,
        &[("title", "Far"), ("due_date", "9999-12-30"), ("due_time", "09:00"), ("repeat", "FREQ=DAILY;UNTIL=99991231")],
    )
    .await;
    task(&ada, &[("title", "Now"), ("due_date", "2031-01-01"), ("reminders", "0001-01-01T05:00,15m")]).await;
    let feed = app.client().get(&path_of(&enable(&ada).await), &[]).await;
    let calendar = read(&feed.text);
    let titles: Vec<&str> =
        calendar["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Now", "Far"]);
    assert_eq!(calendar["events"][0]["alarms"].as_array().unwrap().len(), 1, "the year-1 reminder is left out");
    assert!(calendar["events"][1]["rrule"].as_str().unwrap().contains("UNTIL=99991231T235959Z"));
}

/// A rule that ends after so many dates has fewer left once some are done.
#[tokio::test]
async fn a_counted_rule_shows_only_the_dates_left() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let made = task(&ada, &[("title", "Course"), ("due_date", "2031-01-10"), ("repeat", "FREQ=DAILY;COUNT=3")]).await;
    let path = path_of(&enable(&ada).await);
    let rule = |feed: &str| read(feed)["events"][0]["rrule"].clone();
    assert_eq!(rule(&app.client().get(&path, &[]).await.text), "FREQ=DAILY;COUNT=3");
    ok(ada.post("/api/tasks/set-completed", &[("id", made["id"].as_str().unwrap()), ("completed", "true")]).await, "1");
    let feed = app.client().get(&path, &[]).await.text;
    assert_eq!(read(&feed)["events"][0]["start"], "2031-01-11");
    assert_eq!(rule(&feed), "FREQ=DAILY;COUNT=2");
    ok(ada.post("/api/tasks/set-completed", &[("id", made["id"].as_str().unwrap()), ("completed", "true")]).await, "2");
    let last = read(&app.client().get(&path, &[]).await.text);
    assert_eq!(
        (last["events"][0]["start"].as_str(), last["events"][0]["rrule"].clone()),
        (Some("2031-01-12"), Value::Null)
    );
}

/// The secret address never reaches the server's log, not even at debug level.
#[tokio::test]
async fn the_address_never_reaches_the_log() {
    let database = common::TestDatabase::new().await;
    let server = common::ServerProcess::start_logging(&database.settings(), "debug").await;
    let ada = server.client();
    ada.sign_up("ada@example.com").await;
    let url = enable(&ada).await;
    let secret = url.rsplit_once('/').unwrap().1.trim_end_matches(".ics").to_owned();
    let feed = server.client().get(&path_of(&url), &[]).await;
    assert_eq!(feed.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = server.log();
    assert!(log.contains("/calendar/<secret>"), "the request is logged, without its secret: {log}");
    assert!(!log.contains(&secret[..16]), "the secret reached the log");
}
