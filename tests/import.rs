//! Import: Doable's JSON and CSV exports round-trip (on each database, and from one to the
//! other), Todoist's CSV template keeps its recurrence, a file with any error changes
//! nothing, the same file imported twice creates nothing twice, and bad files, bodies and
//! credentials are refused with the right status.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Response, TestApp, TestDatabase, sharing::ok, spawn, spawn_on};
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOSTILE: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "-2+3",
    "@SUM(A1:A9)",
    "</textarea><script>alert(1)</script> \"quoted\", with commas",
];

/// One person's account with every kind of field: a list of their own, recurring tasks (one
/// with completed dates, one counted from completion, one with a count), reminders before
/// the due moment and at a fixed time, a due time, tags, their own assignment, titles a
/// spreadsheet would run, a completed task, the trash and a list in it.
async fn seed(app: &TestApp, email: &str) -> Client {
    let (ada, ada_id) = app.user(email).await;
    let home = ok(ada.post("/api/lists/create", &[("name", "Home, \"sweet\" home")]).await, "list")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let create = |form: Vec<(&'static str, String)>| {
        let ada = ada.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ok(ada.post("/api/tasks/create", &form).await, "create")["id"].as_str().unwrap().to_owned()
        }
    };
    let plants = create(vec![
        ("title", "Water the plants".into()),
        ("description", "Both balconies.\nAnd the ficus.".into()),
        ("priority", "high".into()),
        ("due_date", "2031-03-03".into()),
        ("due_time", "08:30".into()),
        ("repeat", "FREQ=WEEKLY;BYDAY=MO".into()),
        ("reminders", "1d,15m".into()),
        ("tags", "home,weekly".into()),
        ("list_id", home.clone()),
        ("assignee_id", ada_id.clone()),
    ])
    .await;
    ok(ada.post("/api/tasks/set-completed", &[("id", &plants), ("completed", "true")]).await, "complete");
    create(vec![
        ("title", "Stretch".into()),
        ("due_date", "2031-01-01".into()),
        ("repeat", "FREQ=DAILY;INTERVAL=2".into()),
        ("repeat_from", "completion".into()),
        ("reminders", "2031-01-01T07:00".into()),
    ])
    .await;
    let lessons = create(vec![
        ("title", "Ten lessons".into()),
        ("due_date", "2031-02-03".into()),
        ("repeat", "FREQ=WEEKLY;COUNT=10".into()),
        ("priority", "low".into()),
    ])
    .await;
    ok(ada.post("/api/tasks/skip", &[("id", &lessons)]).await, "skip a lesson");
    for title in HOSTILE {
        create(vec![("title", title.into()), ("tags", "hostile".into()), ("description", title.into())]).await;
    }
    let done = create(vec![("title", "Done already".into()), ("priority", "medium".into())]).await;
    ok(ada.post("/api/tasks/set-completed", &[("id", &done), ("completed", "true")]).await, "done");
    let doomed = create(vec![("title", "In the trash".into())]).await;
    ok(ada.post("/api/tasks/delete", &[("id", &doomed)]).await, "trash a task");
    let old =
        ok(ada.post("/api/lists/create", &[("name", "Old list")]).await, "old")["id"].as_str().unwrap().to_owned();
    create(vec![("title", "In a trashed list".into()), ("list_id", old.clone())]).await;
    ok(ada.post("/api/lists/delete", &[("id", &old)]).await, "trash a list");
    ada
}

async fn export(client: &Client, format: &str) -> Response {
    let response = client.get("/api/export", &[("format", format)]).await;
    assert_eq!(response.status, StatusCode::OK, "export: {}", response.text);
    response
}

async fn import(client: &Client, file: &[u8], file_name: &str, fields: &[(&str, &str)]) -> Response {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("file", Some(file_name), file)];
    parts.extend(fields.iter().map(|(name, value)| (*name, None, value.as_bytes())));
    client.post_multipart("/api/import", &parts).await
}

/// A JSON export without what differs between two accounts holding the same data: ids (a
/// task's list is named by its list's name, a completed date's task by its title), the
/// account and its email, the time of the export and of the lists' making.
fn comparable(document: &Value) -> Value {
    let email = document["account"]["email"].as_str().unwrap();
    let lists = document["lists"].as_array().unwrap();
    let tasks = document["tasks"].as_array().unwrap();
    let list_name = |id: &Value| lists.iter().find(|l| l["id"] == *id).unwrap()["name"].clone();
    let mut lists: Vec<Value> = lists
        .iter()
        .map(|l| {
            let mut l = l.clone();
            let l = l.as_object_mut().unwrap();
            l.remove("id");
            l.remove("created_at");
            Value::Object(l.clone())
        })
        .collect();
    lists.sort_by_key(|l| l.to_string());
    let mut tasks: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let mut t = t.clone();
            let series = t["occurrence_of"].clone();
            let o = t.as_object_mut().unwrap();
            o.remove("id");
            o.insert("list_id".into(), list_name(&o["list_id"]));
            if !series.is_null() {
                let title = tasks.iter().find(|s| s["id"] == series).map(|s| s["title"].clone());
                o.insert("occurrence_of".into(), title.unwrap_or(Value::Null));
            }
            for person in ["assignee", "created_by"] {
                if o[person] == email {
                    o.insert(person.into(), json!("(the account)"));
                }
            }
            t
        })
        .collect();
    tasks.sort_by_key(|t| t.to_string());
    json!({"format": document["format"], "version": document["version"], "lists": lists, "tasks": tasks})
}

/// Exports `from`, imports the file into a new account of `into`, exports that again: the
/// same but for ids (and whose account it is).
async fn round_trip(from: &TestApp, into: &TestApp) {
    let ada = seed(from, "ada@example.com").await;
    let before = export(&ada, "json").await;
    let (carl, _) = into.user("carl@example.com").await;
    let answer = import(&carl, before.text.as_bytes(), "doable.json", &[]).await;
    let report = ok(answer, "import");
    assert_eq!(report["format"], "doable");
    assert_eq!(report["imported"], true);
    let tasks = before.json["tasks"].as_array().unwrap().len() as u64;
    assert_eq!(report["created"], json!({"lists": 2, "tasks": tasks}), "{report}");
    assert_eq!((report["skipped"].as_u64(), report["error_count"].as_u64()), (Some(0), Some(0)));
    let after = export(&carl, "json").await;
    assert_eq!(comparable(&after.json), comparable(&before.json));
    // What the app does with them: the reminders are queued, the trash is the trash.
    let open = carl.get("/api/tasks/list", &[("q", "plants"), ("status", "active")]).await.json;
    assert_eq!(open["tasks"][0]["reminders"], json!(["1d", "15m"]));
    assert!(into.count("reminder_queue where task_id = $1", open["tasks"][0]["id"].as_str().unwrap()).await > 0);
    let trash = ok(carl.get("/api/trash/list", &[]).await, "trash");
    assert!(trash.to_string().contains("In the trash") && trash.to_string().contains("Old list"), "{trash}");
}

#[tokio::test]
async fn a_json_export_imports_into_a_new_account_whole() {
    let app = spawn().await;
    round_trip(&app, &app).await;
}

/// Exported from SQLite, imported into PostgreSQL, and the other way round.
#[tokio::test]
async fn a_json_export_moves_between_the_two_databases() {
    let sqlite = spawn_backend(false).await;
    let postgres = spawn_backend(true).await;
    round_trip(&sqlite, &postgres).await;
    let (sqlite_again, postgres_again) = (spawn_backend(false).await, spawn_backend(true).await);
    round_trip(&postgres_again, &sqlite_again).await;
}

async fn spawn_backend(postgres: bool) -> TestApp {
    let database = TestDatabase::on(postgres).await;
    let settings = database.settings();
    spawn_on(database, settings).await
}

#[tokio::test]
async fn a_csv_export_imports_into_a_new_account_whole() {
    let app = spawn().await;
    let ada = seed(&app, "ada@example.com").await;
    let before = export(&ada, "csv").await;
    let (carl, _) = app.user("carl@example.com").await;
    let report = ok(import(&carl, before.text.as_bytes(), "doable.csv", &[]).await, "import");
    assert_eq!((report["format"].as_str(), report["imported"].as_bool()), (Some("csv"), Some(true)));
    // CSV has no place for whose a task is: the assignment is left, and said.
    let warnings = report["warnings"].as_array().unwrap();
    assert!(!warnings.is_empty() && warnings.iter().all(|w| w["field"] == "assignee"), "{report}");
    let after = export(&carl, "csv").await;
    let rows = |text: &str| {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        let records: Vec<Vec<String>> =
            reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        let title_of = |id: &str| records.iter().find(|r| r[0] == id).map(|r| r[3].clone()).unwrap_or_default();
        let mut rows: Vec<Vec<String>> = records
            .iter()
            .map(|record| {
                header
                    .iter()
                    .zip(record)
                    .filter(|(column, _)| !["id", "list_id", "assignee", "created_by"].contains(&column.as_str()))
                    .map(|(column, cell)| if column == "occurrence_of" { title_of(cell) } else { cell.clone() })
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(rows(&after.text), rows(&before.text));
    // Cells the export neutralised come back as they were typed.
    let titles = carl.get("/api/tasks/list", &[("tag", "hostile"), ("limit", "100")]).await.json;
    let mut found: Vec<&str> =
        titles["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    found.sort();
    let mut expected = HOSTILE.to_vec();
    expected.sort();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn importing_a_file_again_creates_nothing_twice() {
    let app = spawn().await;
    let ada = seed(&app, "ada@example.com").await;
    let file = export(&ada, "json").await.text;
    // Into the account it came from: every task is still there.
    let own = ok(import(&ada, file.as_bytes(), "mine.json", &[]).await, "own");
    assert_eq!(own["created"], json!({"lists": 0, "tasks": 0}), "{own}");
    let (carl, carl_id) = app.user("carl@example.com").await;
    let first = ok(import(&carl, file.as_bytes(), "ada.json", &[]).await, "first");
    let made = first["created"]["tasks"].as_u64().unwrap();
    let count = || app.count("tasks where created_by = $1", &carl_id);
    let tasks = count().await;
    let second = ok(import(&carl, file.as_bytes(), "ada.json", &[]).await, "second");
    assert_eq!(second["created"], json!({"lists": 0, "tasks": 0}));
    assert_eq!(second["skipped"].as_u64(), Some(made));
    assert_eq!(count().await, tasks);
    // The CSV of the same export names the same tasks by their ids.
    let csv = export(&ada, "csv").await.text;
    assert_eq!(ok(import(&carl, csv.as_bytes(), "ada.csv", &[]).await, "csv")["created"]["tasks"], 0);
    // Rows without ids are known by what they say; two rows saying the same are two tasks.
    let plain = b"title,tags\nBuy milk,shop\nBuy milk,shop\nCall mum,\n";
    assert_eq!(ok(import(&carl, plain, "list.csv", &[]).await, "plain")["created"]["tasks"], 3);
    let again = ok(import(&carl, plain, "list.csv", &[]).await, "plain again");
    assert_eq!((again["created"]["tasks"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(3)));
    // A task purged from the trash comes back with the next import.
    let milk = carl.get("/api/tasks/list", &[("q", "milk")]).await.json["tasks"][0]["id"].as_str().unwrap().to_owned();
    ok(carl.post("/api/tasks/delete", &[("id", &milk)]).await, "delete");
    assert_eq!(ok(import(&carl, plain, "list.csv", &[]).await, "in trash")["created"]["tasks"], 0);
    ok(carl.post("/api/trash/empty", &[]).await, "empty the trash");
    assert_eq!(ok(import(&carl, plain, "list.csv", &[]).await, "purged")["created"]["tasks"], 1);
}

#[tokio::test]
async fn a_file_with_any_error_changes_nothing_unless_it_is_a_dry_run_that_looks() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let file = "title,list,due_date,priority\n\
        Pay rent,Bills,2027-01-01,high\n\
        Book dentist,Health,,\n\
        Renew passport,Bills,2027-13-01,urgent\n\
        \"Call, mum\",,,\n";
    let tasks = || app.count("tasks where created_by = $1", &ada_id);
    let lists = || app.count("list_members where user_id = $1", &ada_id);
    let (tasks_before, lists_before) = (tasks().await, lists().await);
    let refused = import(&ada, file.as_bytes(), "plan.csv", &[]).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    let report = &refused.json;
    assert_eq!(report["imported"], false);
    let errors: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(4, "due_date"), (4, "priority")]);
    assert_eq!(report["created"], json!({"lists": 2, "tasks": 3}), "what it would have made");
    assert_eq!((tasks().await, lists().await), (tasks_before, lists_before), "nothing changed");
    // A dry run of a good file says what it would do, and does nothing.
    let fixed = file.replace("2027-13-01,urgent", "2027-12-01,low");
    let dry = ok(import(&ada, fixed.as_bytes(), "plan.csv", &[("dry_run", "true")]).await, "dry run");
    assert_eq!((dry["dry_run"].as_bool(), dry["imported"].as_bool()), (Some(true), Some(false)));
    assert_eq!(dry["created"], json!({"lists": 2, "tasks": 4}));
    assert_eq!((tasks().await, lists().await), (tasks_before, lists_before));
    // A dry run of a bad file lists its errors with a 200: it did what it was asked.
    let looked = ok(import(&ada, file.as_bytes(), "plan.csv", &[("dry_run", "true")]).await, "dry run, bad");
    assert_eq!(looked["error_count"], 2);
    let done = ok(import(&ada, fixed.as_bytes(), "plan.csv", &[]).await, "import");
    assert_eq!(done["created"], json!({"lists": 2, "tasks": 4}));
    assert_eq!((tasks().await, lists().await), (tasks_before + 4, lists_before + 2));
    // Over the caps, the whole file is refused.
    let many: String = std::iter::once("title\n".to_owned()).chain((0..30).map(|i| format!("Task {i}\n"))).collect();
    let capped = spawn_with_cap().await;
    let (bea, _) = capped.user("bea@example.com").await;
    let over = import(&bea, many.as_bytes(), "many.csv", &[]).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(over.json["errors"][0]["message"].as_str().unwrap().contains("the most is 20"), "{}", over.text);
    assert_eq!(capped.count("tasks where title like $1", "Task %").await, 0);
}

async fn spawn_with_cap() -> TestApp {
    common::spawn_with(&[("DOABLE_MAX_TASKS", "20")]).await
}

/// Todoist's CSV template, as its help page describes it and its exports write it.
const TODOIST: &str = "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,\
DURATION_UNIT\r\n\
meta,view_style=list,,,,,,,,,,\r\n\
section,Weekly chores,,,,,,,,,,\r\n\
task,Water the plants @home @garden,Both balconies,1,1,Ada (1234),,every monday,en,Europe/Berlin,,\r\n\
note,The ficus needs less,,,,,,,,,,\r\n\
task,Ficus,,4,2,Ada (1234),,,en,Europe/Berlin,,\r\n\
task,Take out the bins,,2,1,Ada (1234),Bob (5678),every! 2 weeks,en,Europe/Berlin,,\r\n\
,,,,,,,,,,,\r\n\
section,Someday,,,,,,,,,,\r\n\
task,Pay rent,,3,1,Ada (1234),,every month on the 1st,en,Europe/Berlin,,\r\n\
task,Dentist,,4,1,Ada (1234),,tomorrow at 9am,en,Europe/Berlin,30,minute\r\n\
task,Steuererklärung,,4,1,Ada (1234),,jeden Montag,de,Europe/Berlin,,\r\n\
task,Arzttermin,,4,1,Ada (1234),,2027-01-05,de,Europe/Berlin,,\r\n";

#[tokio::test]
async fn a_todoist_project_imports_with_its_recurrence_kept() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let report = ok(import(&ada, TODOIST.as_bytes(), "Household.csv", &[]).await, "todoist");
    assert_eq!(report["format"], "todoist", "told from its header");
    assert_eq!(report["created"], json!({"lists": 1, "tasks": 7}), "{report}");
    let warned: Vec<&str> =
        report["warnings"].as_array().unwrap().iter().map(|w| w["field"].as_str().unwrap()).collect();
    assert_eq!(warned, ["RESPONSIBLE", "DATE"]);
    let document = export(&ada, "json").await.json;
    let lists = document["lists"].as_array().unwrap();
    let household = lists.iter().find(|l| l["name"] == "Household").expect("a list named after the file");
    let tasks = document["tasks"].as_array().unwrap();
    let task = |title: &str| tasks.iter().find(|t| t["title"] == title).unwrap_or_else(|| panic!("{title}"));
    let plants = task("Water the plants");
    assert_eq!(plants["list_id"], household["id"]);
    assert_eq!(plants["priority"], "high", "p1 is the highest");
    assert_eq!(plants["tags"], json!(["garden", "home", "weekly-chores"]));
    assert_eq!(plants["repeat"], "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(plants["description"], "Both balconies\n\nThe ficus needs less");
    let monday = time::OffsetDateTime::now_utc().date();
    let due = time::Date::parse(
        plants["due_date"].as_str().unwrap(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    assert_eq!(due.weekday(), time::Weekday::Monday);
    assert!(due > monday.previous_day().unwrap() && (due - monday).whole_days() <= 8);
    assert_eq!(task("Ficus")["description"], "Sub-task of: Water the plants");
    assert_eq!(task("Ficus")["priority"], "none");
    let bins = task("Take out the bins");
    assert_eq!(
        (bins["repeat"].as_str(), bins["repeat_from"].as_str()),
        (Some("FREQ=WEEKLY;INTERVAL=2"), Some("completion"))
    );
    assert_eq!(bins["priority"], "medium");
    assert_eq!(bins["assignee"], Value::Null);
    assert_eq!(task("Pay rent")["repeat"], "FREQ=MONTHLY;BYMONTHDAY=1");
    assert_eq!(task("Pay rent")["tags"], json!(["someday"]));
    assert_eq!(task("Dentist")["due_time"], "09:00");
    let tax = task("Steuererklärung");
    assert_eq!((tax["due_date"].as_str(), tax["repeat"].as_str()), (None, None));
    assert!(tax["description"].as_str().unwrap().contains("Todoist date: jeden Montag"));
    assert_eq!(task("Arzttermin")["due_date"], "2027-01-05", "a date as digits, in any language");
    // Again: nothing new. With another list name: the same rows are new there.
    let again = ok(import(&ada, TODOIST.as_bytes(), "Household.csv", &[]).await, "again");
    assert_eq!((again["created"]["tasks"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(7)));
}

/// An import writes only where the person may edit: an editor of a list its owner put in the
/// trash does not reach it, nor do rows of lists they only view; the file's own ids and the
/// trash's age are checked too.
#[tokio::test]
async fn an_import_writes_only_into_lists_of_ones_own_or_made_for_it() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let (bob, bob_id) = app.user("bob@example.com").await;
    let share = |name: &'static str, role: &'static str| {
        let (ada, bob) = (ada.clone(), bob.clone());
        async move {
            let list =
                ok(ada.post("/api/lists/create", &[("name", name)]).await, "list")["id"].as_str().unwrap().to_owned();
            ok(
                ada.post("/api/lists/invite", &[("id", &list), ("email", "bob@example.com"), ("role", role)]).await,
                "invite",
            );
            let invitations = bob.get("/api/invitations/list", &[]).await.json;
            let id = invitations["invitations"][0]["id"].as_str().unwrap().to_owned();
            ok(bob.post("/api/invitations/accept", &[("id", &id)]).await, "accept");
            ok(ada.post("/api/tasks/create", &[("title", "Ada's own"), ("list_id", &list)]).await, "task");
            list
        }
    };
    let shared = share("Shared", "editor").await;
    let viewed = share("Viewed", "viewer").await;
    // Bob's own export names the list he views: importing it back makes nothing.
    let own = export(&bob, "json").await.text;
    let again = ok(import(&bob, own.as_bytes(), "own.json", &[]).await, "own export");
    assert_eq!(again["created"], json!({"lists": 0, "tasks": 0}), "{again}");
    // Into a list he edits: its owner, who hears its reminders, is reminded of the new task.
    let reminded = b"title,list,due_date,reminders\nWater the ficus,Shared,2031-05-01,1d\n";
    assert_eq!(ok(import(&bob, reminded, "r.csv", &[]).await, "into Shared")["created"]["tasks"], 1);
    assert_eq!(app.count("reminder_queue where user_id = $1", &ada_id).await, 1);
    assert_eq!(app.count("reminder_queue where user_id = $1", &bob_id).await, 0, "Bob did not choose them");
    ok(ada.post("/api/lists/delete", &[("id", &shared)]).await, "trash the shared list");
    let file = json!({
        "format": "doable", "version": 1,
        "lists": [{"id": "a", "name": "Shared", "trashed": true}, {"id": "b", "name": "Viewed"}],
        "tasks": [
            {"list_id": "a", "title": "Into the trashed list?"},
            {"list_id": "b", "title": "Into the viewed list?"},
            {"title": "Long gone", "trashed_at": "2020-01-01T00:00:00Z"},
        ],
    });
    let report = ok(import(&bob, file.to_string().as_bytes(), "f.json", &[]).await, "import");
    assert_eq!(report["created"], json!({"lists": 2, "tasks": 2}), "{report}");
    assert_eq!(report["warnings"][0]["field"], "trashed_at", "the trash keeps 30 days");
    assert_eq!(app.count("tasks where list_id = $1", &shared).await, 2, "Ada's task and the ficus");
    assert_eq!(app.count("tasks where list_id = $1", &viewed).await, 1, "only Ada's task");
    assert_eq!(
        app.count(
            "list_members m join lists l on l.id = m.list_id where m.user_id = $1 and m.role = 'owner' \
        and l.name in ('Shared', 'Viewed')",
            &bob_id
        )
        .await,
        2,
        "Bob's own lists of those names"
    );
    // A file naming one task twice is refused, at the second row.
    let id = uuid::Uuid::new_v4().to_string();
    let twice = format!("id,title\n{id},Once\n{id},Twice\n");
    let refused = import(&bob, twice.as_bytes(), "twice.csv", &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (refused.json["errors"][0]["row"].as_u64(), refused.json["errors"][0]["field"].as_str()),
        (Some(3), Some("id"))
    );
}

#[tokio::test]
async fn bad_files_and_bodies_are_refused_with_where_and_why() {
    let app = spawn().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let refused = |response: Response, status: StatusCode, code: &str| {
        assert_eq!((response.status, response.code()), (status, code), "{}", response.text);
        response.json
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    // Not UTF-8: the line of the first bad byte.
    let latin1 = b"title\nfine\ncaf\xe9\n";
    let report = refused(import(&ada, latin1, "x.csv", &[]).await, unprocessable, "validation_failed");
    assert_eq!(report["errors"][0]["row"], 3);
    // Cut short: a JSON export missing its end, a CSV missing cells.
    let ada_export = export(&ada, "json").await.text;
    let cut = &ada_export[..ada_export.len() - 5];
    let report = refused(import(&ada, cut.as_bytes(), "x.json", &[]).await, unprocessable, "validation_failed");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("ends too early"), "{report}");
    let report = refused(import(&ada, b"title,tags\na,b\nc\n", "x.csv", &[]).await, unprocessable, "validation_failed");
    assert_eq!(report["errors"][0]["row"], 3);
    // Wrong columns, a newer version, another format.
    let report = refused(import(&ada, b"name,when\na,b\n", "x.csv", &[]).await, unprocessable, "validation_failed");
    assert_eq!((report["errors"][0]["row"].as_u64(), report["errors"][0]["field"].as_str()), (Some(1), Some("name")));
    let newer = br#"{"format": "doable", "version": 2, "tasks": []}"#;
    let report = refused(import(&ada, newer, "x.json", &[]).await, unprocessable, "validation_failed");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("version 2"));
    let other = br#"{"format": "vikunja", "version": 1}"#;
    refused(import(&ada, other, "x.json", &[]).await, unprocessable, "validation_failed");
    // A file of more tasks than allowed is refused as it is read.
    let mut many = String::from(r#"{"format": "doable", "version": 1, "tasks": ["#);
    many.push_str(&vec!["{}"; 100_001].join(","));
    many.push_str("]}");
    let report = refused(import(&ada, many.as_bytes(), "x.json", &[]).await, unprocessable, "validation_failed");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("more than 100000"), "{report}");
    let mut rows = String::from("title\n");
    rows.push_str(&"x\n".repeat(100_001));
    let report = refused(import(&ada, rows.as_bytes(), "x.csv", &[]).await, unprocessable, "validation_failed");
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("more than 100000 rows"));
    // Over 10 MiB.
    let huge = vec![b'x'; 10 * 1024 * 1024 + 1];
    refused(import(&ada, &huge, "x.csv", &[]).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Bodies that are no import form.
    let form = ada.post("/api/import", &[("file", "title\nx")]).await;
    let body = refused(form, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(body["message"], "Send the file in a multipart/form-data form.");
    let missing = ada.post_multipart("/api/import", &[("format", None, b"csv")]).await;
    let report = refused(missing, unprocessable, "validation_failed");
    assert!(report["fields"]["file"].is_string(), "{report}");
    assert_eq!((report["error_count"].as_u64(), report["errors"][0]["field"].as_str()), (Some(1), Some("file")));
    // Another method is a 405, whatever its body.
    let (content_type, body) = common::multipart(&[("file", Some("x.csv"), b"title\nx\n")]);
    let (http, base) = ada.http();
    let put = ada.send(http.put(format!("{base}/api/import")).header("content-type", content_type).body(body)).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    let unknown = import(&ada, b"title\nx\n", "x.csv", &[("owner", "bob")]).await;
    refused(unknown, unprocessable, "validation_failed");
    let twice = import(&ada, b"title\nx\n", "x.csv", &[("format", "csv"), ("format", "json")]).await;
    refused(twice, StatusCode::BAD_REQUEST, "bad_request");
    let format = import(&ada, b"title\nx\n", "x.csv", &[("format", "xlsx")]).await;
    assert!(refused(format, unprocessable, "validation_failed")["fields"]["format"].is_string());
    let (content_type, body) = common::multipart(&[("file", Some("x.csv"), b"title\nx\n")]);
    let broken = ada.post_raw("/api/import", &content_type, body[..body.len() - 20].to_vec()).await;
    refused(broken, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(app.count("tasks where created_by = $1", &ada_id).await, 0, "nothing of these was imported");
    // The server still answers.
    assert_eq!(ok(import(&ada, b"title\nx\n", "x.csv", &[]).await, "fine")["created"]["tasks"], 1);
}

#[tokio::test]
async fn only_a_session_or_a_write_token_imports() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let file = b"title\nFrom a script\n";
    let anonymous = import(&app.client(), file, "x.csv", &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let token = |scope: &'static str| {
        let (ada, base) = (ada.clone(), app.base.clone());
        async move {
            let made = ada
                .post("/api/tokens/create", &[("name", scope), ("scope", scope), ("password", common::PASSWORD)])
                .await;
            Client::bearer(&base, made.json["token"].as_str().unwrap())
        }
    };
    let reader = token("read").await;
    let read = import(&reader, file, "x.csv", &[]).await;
    assert_eq!((read.status, read.code()), (StatusCode::FORBIDDEN, "insufficient_scope"));
    let writer = token("write").await;
    assert_eq!(ok(import(&writer, file, "x.csv", &[]).await, "write token")["created"]["tasks"], 1);
    // A page of another site cannot make a browser import into its account.
    let (content_type, body) = common::multipart(&[("file", Some("x.csv"), b"title\nForged\n")]);
    let (http, base) = ada.http();
    let forged = ada
        .send(
            http.post(format!("{base}/api/import"))
                .header("content-type", content_type)
                .header("origin", "https://evil.example")
                .body(body),
        )
        .await;
    assert_eq!((forged.status, forged.code()), (StatusCode::FORBIDDEN, "csrf_rejected"));
}

/// The form on `/account`, sent without scripts: back to the page, which shows the report,
/// with the file's text as text.
#[tokio::test]
async fn the_account_page_form_imports_and_shows_the_report() {
    let app = spawn().await;
    let (ada, _) = app.user("ada@example.com").await;
    let page = ada.get("/account", &[]).await;
    assert!(page.text.contains(r#"enctype="multipart/form-data""#) && page.text.contains(r#"action="/api/import""#));
    let browser = ada.with_header("accept", "text/html,application/xhtml+xml");
    let hostile = "TYPE,CONTENT\n\"<img src=x onerror=alert(1)>\",x\ntask,Fine\n";
    let (content_type, body) =
        common::multipart(&[("file", Some("evil.csv"), hostile.as_bytes()), ("format", None, b"")]);
    let sent = browser.post_raw("/api/import", &content_type, body).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.headers["location"], "/account#import");
    let page = ada.get("/account", &[]).await.text;
    assert!(page.contains("Nothing was imported: the file has 1 error."), "the report is on the page");
    assert!(!page.contains("<img src=x"), "the file's text is escaped");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let good = "title\nFrom the form\n";
    let (content_type, body) = common::multipart(&[("file", Some("good.csv"), good.as_bytes())]);
    assert_eq!(browser.post_raw("/api/import", &content_type, body).await.status, StatusCode::SEE_OTHER);
    assert!(ada.get("/account", &[]).await.text.contains("Imported 1 task in 0 new lists, 0 already here."));
    let last = ok(ada.get("/api/import/last", &[]).await, "last");
    assert_eq!(last["last"]["report"]["created"]["tasks"], 1);
    // A refusal before any report (a file too large) is on the page too.
    let (content_type, body) = common::multipart(&[("file", Some("big.csv"), &vec![b'x'; 10 * 1024 * 1024 + 10])]);
    assert_eq!(browser.post_raw("/api/import", &content_type, body).await.status, StatusCode::SEE_OTHER);
    assert!(ada.get("/account", &[]).await.text.contains("The request is too large."));
}
