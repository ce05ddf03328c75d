//! Safe upgrades: databases as earlier releases left them (tests/fixtures/upgrade, made by
//! those releases through their own API: `make.sh`) are migrated by today's release, which
//! must then answer for every account what the earlier release answered; and no migration
//! changes after it has landed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{collections::BTreeMap, path::Path};

use common::{ServerProcess, TestDatabase, backend_is_postgres};
use reqwest::StatusCode;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upgrade");

/// The fields of a task every release has answered with, and that an upgrade must keep.
const TASK_FIELDS: &[&str] =
    &["id", "title", "description", "priority", "due_date", "tags", "completed", "created_at", "list_id"];

#[tokio::test]
async fn databases_of_earlier_releases_upgrade_with_every_row_readable() {
    let backend = if backend_is_postgres() { "postgres" } else { "sqlite" };
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(&format!(".{backend}.json")).map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 2, "the upgrade fixtures are missing: {names:?}");
    for name in names {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{name}.{backend}.json")).unwrap())
                .unwrap();
        let database = TestDatabase::new().await;
        load(&database, &name).await;
        // The host's commands leave an older schema alone: its release's server may be
        // running on it.
        let early = doable(&database, &["user", "list"]);
        assert!(!early.status.success(), "{name}: a user command ran on an older schema");
        assert!(String::from_utf8_lossy(&early.stderr).contains("start this release's server once"), "{early:?}");
        let server = ServerProcess::start(&database.settings()).await;
        let password = expected["password"].as_str().unwrap();
        for (email, was) in expected["accounts"].as_object().unwrap() {
            let client = server.client();
            let login = client.post("/api/auth/login", &[("email", email), ("password", password)]).await;
            assert_eq!(login.status, StatusCode::OK, "{name}: {email} cannot log in: {:?}", login.json);
            let now = all_tasks(&client).await;
            let was_tasks = by_id(was["tasks"].as_array().unwrap());
            assert_eq!(now.keys().collect::<Vec<_>>(), was_tasks.keys().collect::<Vec<_>>(), "{name}: {email}'s tasks");
            for (id, before) in &was_tasks {
                for field in TASK_FIELDS.iter().filter(|f| before.get(**f).is_some()) {
                    assert_eq!(
                        normalized(field, &now[id][*field]),
                        normalized(field, &before[*field]),
                        "{name}: {email}'s task {id}, field {field}"
                    );
                }
            }
            if let Some(lists) = was.get("lists") {
                let now = client.get("/api/lists/list", &[]).await;
                let fields = ["id", "name", "role", "inbox", "shared", "members", "open"];
                assert_eq!(summary(&now.json, &fields), summary(lists, &fields), "{name}: {email}'s lists");
                let trash = client.get("/api/trash/list", &[]).await;
                assert_eq!(trash.status, StatusCode::OK, "{name}: {:?}", trash.json);
                assert_eq!(
                    summary(&trash.json, &["id", "title", "name"]),
                    summary(&was["trash"], &["id", "title", "name"])
                );
            }
            let created = client.post("/api/tasks/create", &[("title", "written after the upgrade")]).await;
            assert_eq!(created.status, StatusCode::OK, "{name}: {:?}", created.json);
        }
        let check = doable(&database, &["check"]);
        assert!(check.status.success(), "{name}: doable check: {}", String::from_utf8_lossy(&check.stderr));
        assert!(doable(&database, &["user", "list"]).status.success(), "{name}: user list after the upgrade");
    }
}

/// Runs `doable <args>` with the test database's settings.
fn doable(database: &TestDatabase, args: &[&str]) -> std::process::Output {
    std::fs::create_dir_all(database.data_dir()).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_doable"))
        .args(args)
        .env_clear()
        .envs(database.settings())
        .current_dir(database.data_dir())
        .output()
        .unwrap()
}

/// Puts the fixture's database where the test database is.
async fn load(database: &TestDatabase, name: &str) {
    match database.sqlite_file() {
        Some(file) => {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::copy(format!("{FIXTURES}/{name}.sqlite3"), &file).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
        }
        None => {
            use sqlx::{ConnectOptions, Connection};
            let url = &database.settings()["DATABASE_URL"];
            let mut conn = url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().connect().await.unwrap();
            let dump = std::fs::read_to_string(format!("{FIXTURES}/{name}.postgres.sql")).unwrap();
            // pg_dump's own session settings aside, the dump is plain SQL.
            let dump: String = dump.lines().filter(|l| !l.starts_with("\\")).collect::<Vec<_>>().join("\n");
            sqlx::raw_sql(&dump).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// Every task of the account, in every list it sees, completed or not, by id.
async fn all_tasks(client: &common::Client) -> BTreeMap<String, Value> {
    by_id(&common::reference::by_cursor(client, &[("status", "all")], "100", 100).await)
}

fn by_id(tasks: &[Value]) -> BTreeMap<String, Value> {
    tasks.iter().map(|t| (t["id"].as_str().unwrap().to_owned(), t.clone())).collect()
}

/// A field's value as both releases mean it: times as instants (their text may differ in
/// precision), tags as a set.
fn normalized(field: &str, value: &Value) -> Value {
    match (field, value) {
        ("created_at", Value::String(text)) => {
            let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
            Value::from(i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap())
        }
        ("tags", Value::Array(tags)) => {
            let mut tags: Vec<String> = tags.iter().map(|t| t.as_str().unwrap().to_owned()).collect();
            tags.sort();
            Value::from(tags)
        }
        _ => value.clone(),
    }
}

/// The named fields of every object of an answer (a list, or an object holding one list).
fn summary(answer: &Value, fields: &[&str]) -> Vec<BTreeMap<String, Value>> {
    let items = match answer {
        Value::Array(items) => items.clone(),
        Value::Object(object) => object.values().filter_map(|v| v.as_array().cloned()).flatten().collect(),
        _ => Vec::new(),
    };
    let mut rows: Vec<BTreeMap<String, Value>> = items
        .iter()
        .map(|item| fields.iter().filter_map(|f| Some(((*f).to_owned(), item.get(*f)?.clone()))).collect())
        .collect();
    rows.sort_by_key(|row| row.get("id").map(Value::to_string));
    rows
}

#[test]
fn no_migration_changes_after_it_has_landed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let listed: BTreeMap<String, String> = std::fs::read_to_string(root.join("checksums.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (file, sum) = l.split_once(' ').unwrap();
            (file.to_owned(), sum.to_owned())
        })
        .collect();
    let migrators =
        [("sqlite", doable::db::backup::sqlite_migrator()), ("postgres", doable::db::backup::postgres_migrator())];
    let mut seen = 0;
    for (backend, migrator) in migrators {
        for migration in migrator.iter() {
            let file = std::fs::read_dir(root.join(backend))
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find(|name| name.starts_with(&format!("{:04}_", migration.version)))
                .unwrap();
            let key = format!("{backend}/{file}");
            let sum: String = migration.checksum.iter().map(|b| format!("{b:02x}")).collect();
            match listed.get(&key) {
                None => panic!("{key} is new: add its line to migrations/checksums.txt: {key} {sum}"),
                Some(landed) => assert_eq!(
                    landed, &sum,
                    "{key} changed after it landed: databases that applied it will refuse to start; put the \
                     change in a new migration"
                ),
            }
            seen += 1;
        }
    }
    assert_eq!(seen, listed.len(), "migrations/checksums.txt lists a migration that is gone");
}
