//! Each account's time zone and tasks' due times, over real HTTP on SQLite or PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    Client, PASSWORD,
    sharing::{join, make_list, ok, person},
    spawn,
};
use reqwest::StatusCode;
use serde_json::Value;

/// Today's date (`YYYY-MM-DD`) in a zone, computed apart from the server (jiff directly).
fn today_in(zone: &str) -> String {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(zone).unwrap()).date().to_string()
}

async fn me(client: &Client) -> Value {
    ok(client.get("/api/auth/me", &[]).await, "me")
}

async fn set_zone(client: &Client, zone: &str) {
    ok(client.post("/api/auth/update-profile", &[("time_zone", zone)]).await, "update the profile");
}

#[tokio::test]
async fn an_account_starts_in_the_browsers_zone_or_in_utc() {
    let app = spawn().await;
    let plain = app.client();
    plain.sign_up("plain@example.com").await;
    assert_eq!(me(&plain).await["time_zone"], "UTC", "without a zone (a browser without scripts)");

    let berlin = app.client();
    let signup =
        [("email", "berlin@example.com"), ("password", PASSWORD), ("name", "B"), ("time_zone", "europe/berlin")];
    let created = ok(berlin.post("/api/auth/signup", &signup).await, "signup with a zone");
    assert_eq!(created["time_zone"], "Europe/Berlin", "kept in its canonical spelling");
    assert_eq!(me(&berlin).await["time_zone"], "Europe/Berlin");

    let empty = app.client();
    let signup = [("email", "empty@example.com"), ("password", PASSWORD), ("name", "E"), ("time_zone", "")];
    assert_eq!(ok(empty.post("/api/auth/signup", &signup).await, "signup")["time_zone"], "UTC");

    // Some browsers report a link's name: the account keeps the primary one.
    let calcutta = app.client();
    let signup = [("email", "in@example.com"), ("password", PASSWORD), ("name", "I"), ("time_zone", "Asia/Calcutta")];
    assert_eq!(ok(calcutta.post("/api/auth/signup", &signup).await, "signup")["time_zone"], "Asia/Kolkata");

    // The zone comes from a field the person cannot see or correct: one the server does not
    // know starts the account in UTC instead of refusing the signup.
    for (i, bad) in ["Mars/Olympus_Mons", "Etc/Unknown", "../../etc/passwd", "<b>Berlin</b>"].into_iter().enumerate() {
        let email = format!("far{i}@example.com");
        let signup = [("email", &*email), ("password", PASSWORD), ("name", "M"), ("time_zone", bad)];
        assert_eq!(ok(app.client().post("/api/auth/signup", &signup).await, bad)["time_zone"], "UTC", "{bad}");
    }
}

#[tokio::test]
async fn the_profile_changes_name_and_zone_and_refuses_bad_ones_whole() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;

    let changed = ok(
        client.post("/api/auth/update-profile", &[("name", "  Ada L.  "), ("time_zone", "America/Los_Angeles")]).await,
        "update",
    );
    assert_eq!(
        (changed["name"].as_str(), changed["time_zone"].as_str()),
        (Some("Ada L."), Some("America/Los_Angeles"))
    );
    // Each field is optional: the other stays.
    ok(client.post("/api/auth/update-profile", &[("time_zone", "asia/kolkata")]).await, "zone only");
    ok(client.post("/api/auth/update-profile", &[("name", "Ada")]).await, "name only");
    let now = me(&client).await;
    assert_eq!((now["name"].as_str(), now["time_zone"].as_str()), (Some("Ada"), Some("Asia/Kolkata")));
    // A link is accepted and kept by its primary name.
    set_zone(&client, "US/Pacific").await;
    assert_eq!(me(&client).await["time_zone"], "America/Los_Angeles");
    set_zone(&client, "Asia/Kolkata").await;

    // A bad field refuses the whole change.
    for form in [
        vec![("name", "Ada"), ("time_zone", "Atlantis/Capital")],
        vec![("name", "   "), ("time_zone", "Europe/Paris")],
        vec![("time_zone", "")],
        vec![("time_zone", &*"Europe/".repeat(20))],
    ] {
        let refused = client.post("/api/auth/update-profile", &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {}", refused.text);
        assert_eq!(refused.code(), "validation_failed");
        let now = me(&client).await;
        assert_eq!((now["name"].as_str(), now["time_zone"].as_str()), (Some("Ada"), Some("Asia/Kolkata")), "{form:?}");
    }

    let visitor = app.client().post("/api/auth/update-profile", &[("time_zone", "Europe/Paris")]).await;
    assert_eq!(visitor.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn today_overdue_and_upcoming_are_each_members_own() {
    let app = spawn().await;
    // The zones furthest apart (UTC+14 and UTC-11) never share a date.
    let (east_zone, west_zone) = ("Pacific/Kiritimati", "Pacific/Pago_Pago");
    let east = person(&app, "east@example.com").await;
    let west = person(&app, "west@example.com").await;
    set_zone(&east.client, east_zone).await;
    set_zone(&west.client, west_zone).await;
    // A day ends somewhere during the test at most once: then everything runs again, in a
    // list of its own.
    for attempt in 0..3 {
        let list = make_list(&east, &format!("Shared {attempt}")).await;
        join(&east, &list, &west, "editor").await;
        let (east_today, west_today) = (today_in(east_zone), today_in(west_zone));
        assert_ne!(east_today, west_today);
        let add = |client: Client, title: &'static str, due: String| {
            let list = list.clone();
            async move {
                let form = [("title", title), ("list_id", &*list), ("due_date", &*due)];
                ok(client.post("/api/tasks/create", &form).await, "create")["id"].as_str().unwrap().to_owned()
            }
        };
        let due_east = add(east.client.clone(), "East's today", east_today.clone()).await;
        let due_west = add(west.client.clone(), "West's today", west_today.clone()).await;
        let shown = |client: Client, due: &'static str| {
            let list = list.clone();
            async move {
                let page = ok(client.get("/api/tasks/list", &[("list_id", &list), ("due", due)]).await, "list");
                let ids: Vec<String> =
                    page["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
                (page["today"].as_str().unwrap().to_owned(), ids)
            }
        };
        let east_sees = [shown(east.client.clone(), "today").await, shown(east.client.clone(), "overdue").await];
        let west_sees = [shown(west.client.clone(), "today").await, shown(west.client.clone(), "upcoming").await];
        if (today_in(east_zone), today_in(west_zone)) != (east_today.clone(), west_today.clone()) && attempt < 2 {
            continue;
        }
        assert_eq!(east_sees[0], (east_today.clone(), vec![due_east.clone()]), "east's today");
        assert_eq!(east_sees[1], (east_today.clone(), vec![due_west.clone()]), "west's today is east's yesterday");
        assert_eq!(west_sees[0], (west_today.clone(), vec![due_west.clone()]), "west's today");
        assert_eq!(west_sees[1], (west_today.clone(), vec![due_east.clone()]), "east's today is west's tomorrow");
        return;
    }
}

#[tokio::test]
async fn a_due_time_needs_a_due_date_and_goes_with_it() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;

    for (form, field) in [
        (vec![("title", "No date"), ("due_time", "09:30")], "due_time"),
        (vec![("title", "Bad time"), ("due_date", "2027-01-05"), ("due_time", "24:00")], "due_time"),
        (vec![("title", "Bad time"), ("due_date", "2027-01-05"), ("due_time", "9.30am")], "due_time"),
        (vec![("title", "Bad date"), ("due_date", "2027-02-30"), ("due_time", "09:30")], "due_date"),
    ] {
        let refused = client.post("/api/tasks/create", &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {}", refused.text);
        assert!(refused.json["fields"][field].is_string(), "{form:?}: {}", refused.text);
    }
    assert_eq!(app.count("tasks", "").await, 0, "nothing was created");

    let task = ok(
        client.post("/api/tasks/create", &[("title", "Call"), ("due_date", "2027-01-05"), ("due_time", "09:30")]).await,
        "create",
    );
    assert_eq!((task["due_date"].as_str(), task["due_time"].as_str()), (Some("2027-01-05"), Some("09:30")));
    let id = task["id"].as_str().unwrap().to_owned();
    let get = || async { ok(client.get("/api/tasks/get", &[("id", &id)]).await, "get") };
    assert_eq!(get().await["due_time"], "09:30");
    let untimed =
        ok(client.post("/api/tasks/create", &[("title", "Untimed"), ("due_date", "2027-01-05")]).await, "create");
    assert_eq!(untimed["due_time"], Value::Null);

    let updated = ok(client.post("/api/tasks/update", &[("id", &id), ("due_time", "17:45")]).await, "update");
    assert_eq!(updated["due_time"], "17:45");
    assert_eq!(updated["due_date"], "2027-01-05", "the date stays");
    let cleared = ok(client.post("/api/tasks/update", &[("id", &id), ("due_time", "")]).await, "clear the time");
    assert_eq!((cleared["due_date"].as_str(), &cleared["due_time"]), (Some("2027-01-05"), &Value::Null));

    ok(client.post("/api/tasks/update", &[("id", &id), ("due_time", "08:00")]).await, "set again");
    let dateless = ok(client.post("/api/tasks/update", &[("id", &id), ("due_date", "")]).await, "clear the date");
    assert_eq!(
        (&dateless["due_date"], &dateless["due_time"]),
        (&Value::Null, &Value::Null),
        "the time goes with the date"
    );
    // A form without scripts sends every field: the emptied date beside the time as it was.
    ok(
        client.post("/api/tasks/update", &[("id", &id), ("due_date", "2027-01-06"), ("due_time", "08:00")]).await,
        "again",
    );
    let form = [("id", &*id), ("title", "Call"), ("due_date", ""), ("due_time", "08:00")];
    let dateless = ok(client.post("/api/tasks/update", &form).await, "clear the date in a full form");
    assert_eq!((&dateless["due_date"], &dateless["due_time"]), (&Value::Null, &Value::Null));

    // A time for a task without a date is refused, and nothing changes.
    for form in [vec![("id", &*id), ("due_time", "10:00")], vec![("id", &*id), ("due_time", "10:00"), ("due_date", "")]]
    {
        let refused = client.post("/api/tasks/update", &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {}", refused.text);
        assert!(refused.json["fields"]["due_time"].is_string(), "{}", refused.text);
    }
    let unchanged = get().await;
    assert_eq!((&unchanged["due_date"], &unchanged["due_time"]), (&Value::Null, &Value::Null));
    let both = ok(
        client.post("/api/tasks/update", &[("id", &id), ("due_date", "2027-02-01"), ("due_time", "07:15")]).await,
        "date and time at once",
    );
    assert_eq!((both["due_date"].as_str(), both["due_time"].as_str()), (Some("2027-02-01"), Some("07:15")));

    // The trash keeps it.
    ok(client.post("/api/tasks/delete", &[("id", &id)]).await, "delete");
    ok(client.post("/api/trash/restore", &[("kind", "task"), ("id", &id)]).await, "restore");
    assert_eq!(get().await["due_time"], "07:15", "restored with its due time");
}

#[tokio::test]
async fn the_history_names_a_changed_due_time() {
    let app = spawn().await;
    let ada = person(&app, "ada@example.com").await;
    let list = make_list(&ada, "Errands").await;
    let task = ok(
        ada.client
            .post("/api/tasks/create", &[("title", "Post"), ("list_id", &list), ("due_date", "2027-01-05")])
            .await,
        "create",
    );
    let id = task["id"].as_str().unwrap();
    ok(ada.client.post("/api/tasks/update", &[("id", id), ("due_time", "12:00")]).await, "update");
    let history = ok(ada.client.get("/api/lists/history", &[("id", &list)]).await, "history");
    let edited = history["events"].as_array().unwrap().iter().find(|e| e["kind"] == "task_edited").unwrap();
    assert_eq!(edited["detail"], "due_time");
}

#[tokio::test]
async fn pages_show_times_in_the_accounts_zone_and_the_profile_form_works_without_javascript() {
    let app = spawn().await;
    let (client, _) = app.user("ada@example.com").await;
    ok(
        client
            .post("/api/tasks/create", &[("title", "Dentist"), ("due_date", "2030-06-01"), ("due_time", "14:05")])
            .await,
        "create",
    );
    let html = client.with_header("accept", "text/html");
    let page = html.get("/tasks", &[]).await;
    assert!(page.text.contains(r#"datetime="2030-06-01T14:05""#), "{}", page.text);
    assert!(page.text.contains("at 14:05"), "{}", page.text);

    // The profile form, posted as a browser without scripts posts it.
    let account = html.get("/account", &[]).await;
    assert!(account.text.contains(r#"<option value="UTC" selected"#), "the current zone is chosen: {}", account.text);
    assert!(account.text.contains(r#"<option value="America/New_York""#));
    let browser = html.with_header("referer", &format!("{}/account", app.base));
    let saved = browser.post("/api/auth/update-profile", &[("name", "Ada"), ("time_zone", "America/New_York")]).await;
    assert!(saved.status.is_redirection(), "{}: {}", saved.status, saved.text);
    let account = html.get("/account", &[]).await;
    assert!(account.text.contains(r#"<option value="America/New_York" selected"#), "{}", account.text);

    let refused = browser.post("/api/auth/update-profile", &[("name", "Ada"), ("time_zone", "Nowhere/Land")]).await;
    let location = refused.headers["location"].to_str().unwrap().to_owned();
    let page = html.get(location.trim_start_matches(&app.base), &[]).await;
    assert!(page.text.contains("Choose a time zone from the list."), "{}", page.text);
    assert_eq!(me(&client).await["time_zone"], "America/New_York", "unchanged by the refused form");

    // Moments on the pages are in the account's zone. Kolkata is 5:30 from UTC, so its
    // minutes never read as UTC's.
    set_zone(&client, "Asia/Kolkata").await;
    let list = ok(client.post("/api/lists/create", &[("name", "Home")]).await, "create a list");
    let list = list["id"].as_str().unwrap();
    let history = ok(client.get("/api/lists/history", &[("id", list)]).await, "history");
    let at = history["events"][0]["at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let local = at.to_zoned(jiff::tz::TimeZone::get("Asia/Kolkata").unwrap()).strftime("%Y-%m-%d %H:%M").to_string();
    let utc = at.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%d %H:%M").to_string();
    let page = html.get(&format!("/lists/{list}/history"), &[]).await;
    assert!(page.text.contains(&format!(">{local}</time>")), "{local} in {}", page.text);
    assert!(!page.text.contains(&utc), "{utc} (UTC) in {}", page.text);
    let since = at.to_zoned(jiff::tz::TimeZone::get("Asia/Kolkata").unwrap()).date().to_string();
    let account = html.get("/account", &[]).await;
    assert!(account.text.contains(&format!(r#"<time datetime="{since}">"#)), "{}", account.text);
}

#[tokio::test]
async fn the_signup_page_sends_the_browsers_zone() {
    let app = spawn().await;
    let page = app.client().with_header("accept", "text/html").get("/signup", &[]).await;
    assert!(page.text.contains(r#"id="signup-time-zone" name="time_zone""#), "{}", page.text);
    // The script that fills it carries the page's nonce, so the CSP lets it run.
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    let script = format!(r#"<script nonce="{nonce}">try{{document.getElementById('signup-time-zone')"#);
    assert!(page.text.contains(&script), "{}", page.text);
}
