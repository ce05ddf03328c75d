//! The host's side: `doable user ...`, `doable backup|restore|check`, scheduled snapshots and
//! `GET /metrics`, each through the real binary, as a host would run it beside the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    collections::HashMap,
    io::Write,
    path::Path,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
};

use common::{PASSWORD, ServerProcess, TestDatabase, backend_is_postgres};
use reqwest::StatusCode;
use serde_json::Value;

/// What a `doable` command did.
struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `doable <args>` with the server's settings, `input` on its standard input.
fn doable(settings: &HashMap<String, String>, args: &[&str], input: &str) -> Ran {
    let dir = Path::new(&settings["DOABLE_DATA_DIR"]);
    std::fs::create_dir_all(dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_doable"))
        .env_clear()
        .envs(settings)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let ran = Ran {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(out.status.code().is_some_and(|c| c <= 2), "doable {args:?} crashed: {}", ran.stderr);
    ran
}

#[track_caller]
fn succeeded(ran: &Ran, what: &str) {
    assert!(ran.ok, "{what} failed: {}{}", ran.stdout, ran.stderr);
}

#[track_caller]
fn failed_with(ran: &Ran, what: &str, message: &str) {
    assert!(!ran.ok, "{what} succeeded: {}", ran.stdout);
    assert!(ran.stderr.starts_with("doable: error: "), "{what}: {}", ran.stderr);
    assert!(ran.stderr.contains(message), "{what}: expected `{message}` in {}", ran.stderr);
}

async fn login(server: &ServerProcess, email: &str, password: &str) -> (common::Client, common::Response) {
    let client = server.client();
    let response = client.post("/api/auth/login", &[("email", email), ("password", password)]).await;
    (client, response)
}

#[tokio::test]
async fn the_host_creates_disables_enables_resets_and_deletes_accounts_while_the_server_runs() {
    let database = TestDatabase::new().await;
    let settings = database.settings();
    let server = ServerProcess::start(&settings).await;

    let help = doable(&settings, &["user", "create", "--help"], "");
    succeeded(&help, "user create --help");
    assert!(help.stdout.contains("EMAIL") && help.stdout.contains("NAME"), "{}", help.stdout);
    let usage = doable(&settings, &["user", "frobnicate"], "");
    assert!(!usage.ok && usage.stderr.contains("frobnicate"), "{}", usage.stderr);

    // Created with signup's rules: a bad email, a common password and a short one are refused.
    failed_with(&doable(&settings, &["user", "create", "not-an-email", "Ada"], PASSWORD), "a bad email", "email");
    failed_with(&doable(&settings, &["user", "create", "ada@example.com", "Ada"], "password\n"), "common", "common");
    failed_with(&doable(&settings, &["user", "create", "ada@example.com", "Ada"], "short\n"), "short", "password");
    failed_with(&doable(&settings, &["user", "create", "ada@example.com", "Ada"], ""), "no password", "empty");
    let created =
        doable(&settings, &["user", "create", " Ada@Example.com ", "Ada \u{1b}[31m"], &format!("{PASSWORD}\n"));
    failed_with(&created, "a control character in the name", "control characters");
    succeeded(&doable(&settings, &["user", "create", " Ada@Example.com ", "Ada"], &format!("{PASSWORD}\n")), "create");
    failed_with(
        &doable(&settings, &["user", "create", "ada@example.com", "Ada"], &format!("{PASSWORD}\n")),
        "a second account",
        "already has an account",
    );

    let (ada, response) = login(&server, "ada@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.json);
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::OK);

    let list = doable(&settings, &["user", "list", "--json"], "");
    succeeded(&list, "user list --json");
    let rows: Vec<Value> = list.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1, "{}", list.stdout);
    assert_eq!(rows[0]["email"], "ada@example.com");
    assert_eq!(rows[0]["sessions"], 1);
    assert_eq!(rows[0]["disabled_at"], Value::Null);
    let table = doable(&settings, &["user", "list"], "");
    assert!(table.stdout.contains("ada@example.com") && table.stdout.contains("active"), "{}", table.stdout);

    // Disabled: the live session stops at its next request, and a login with the right
    // password says why (a wrong password is told nothing more than before).
    succeeded(&doable(&settings, &["user", "disable", "ADA@example.com"], ""), "disable");
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    let (_, refused) = login(&server, "ada@example.com", PASSWORD).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "account_disabled"), "{:?}", refused.json);
    let (_, wrong) = login(&server, "ada@example.com", "not the password at all").await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    let listed = doable(&settings, &["user", "list", "--json"], "");
    assert!(listed.stdout.contains("\"disabled_at\":\"2"), "{}", listed.stdout);

    succeeded(&doable(&settings, &["user", "enable", "ada@example.com"], ""), "enable");
    let (ada, response) = login(&server, "ada@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.json);

    // A new password ends every session; the old password stops working.
    let new_password = "a brand new passphrase for ada";
    succeeded(
        &doable(&settings, &["user", "set-password", "ada@example.com"], &format!("{new_password}\r\n")),
        "reset",
    );
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&server, "ada@example.com", PASSWORD).await.1.status, StatusCode::UNAUTHORIZED);
    let (ada, response) = login(&server, "ada@example.com", new_password).await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.json);
    let task = ada.post("/api/tasks/create", &[("title", "kept until the account goes")]).await;
    assert_eq!(task.status, StatusCode::OK);

    // Unknown accounts are named; nothing is deleted without a confirmation.
    for args in [&["disable"][..], &["enable"], &["set-password"], &["delete", "--yes"]] {
        let mut args = args.to_vec();
        args.insert(1, "nobody@example.com");
        args.insert(0, "user");
        let ran = doable(&settings, &args, &format!("{PASSWORD}\n"));
        failed_with(&ran, args[1], "there is no account nobody@example.com");
    }
    failed_with(&doable(&settings, &["user", "delete", "ada@example.com"], ""), "unconfirmed delete", "--yes");
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::OK);
    succeeded(&doable(&settings, &["user", "delete", "ada@example.com", "--yes"], ""), "delete");
    assert_eq!(ada.get("/api/auth/me", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&server, "ada@example.com", new_password).await.1.status, StatusCode::UNAUTHORIZED);
    let empty = doable(&settings, &["user", "list", "--json"], "");
    assert_eq!(empty.stdout, "", "the account is still listed");
}

#[tokio::test]
async fn a_snapshot_taken_under_writes_restores_every_write_acknowledged_before_it() {
    let database = TestDatabase::new().await;
    let settings = database.settings();
    let mut server = ServerProcess::start(&settings).await;
    let writer = server.client();
    writer.sign_up("writer@example.com").await;

    if backend_is_postgres() {
        let ran = doable(&settings, &["backup", "/tmp/never-written.dump"], "");
        failed_with(&ran, "backup on PostgreSQL", "pg_dump --format=custom --file=/tmp/never-written.dump --host=");
        assert!(!ran.stderr.contains("password"), "{}", ran.stderr);
        failed_with(&doable(&settings, &["restore", "/tmp/x.dump"], ""), "restore on PostgreSQL", "pg_restore");
        let check = doable(&settings, &["check"], "");
        succeeded(&check, "check on PostgreSQL");
        assert!(check.stdout.contains("schema: version"), "{}", check.stdout);
        return;
    }

    // A steady stream of creates, each recorded once the server has acknowledged it.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::spawn({
        let (acknowledged, stop, writer) = (acknowledged.clone(), stop.clone(), writer.clone());
        async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let response = writer.post("/api/tasks/create", &[("title", &format!("write {n}"))]).await;
                assert_eq!(response.status, StatusCode::OK, "{:?}", response.json);
                acknowledged.lock().unwrap().push(response.json["id"].as_str().unwrap().to_owned());
            }
        }
    });
    while acknowledged.lock().unwrap().len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let snapshots = tempfile::tempdir().unwrap();
    let snapshot = snapshots.path().join("snapshot.db");
    let taken = tokio::task::spawn_blocking({
        let (settings, snapshot) = (settings.clone(), snapshot.clone());
        move || doable(&settings, &["backup", snapshot.to_str().unwrap()], "")
    })
    .await
    .unwrap();
    succeeded(&taken, "backup");
    assert!(taken.stdout.contains("integrity_check"), "{}", taken.stdout);
    // Acknowledged by the time the command had finished.
    let during = acknowledged.lock().unwrap().len();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.await.unwrap();
    let all = acknowledged.lock().unwrap().clone();
    assert!(all.len() > during, "no write landed after the snapshot");
    let mut in_snapshot = ids_in(&snapshot).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&snapshot).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a snapshot holds password hashes");
    }
    failed_with(&doable(&settings, &["backup", snapshot.to_str().unwrap()], ""), "overwrite", "already exists");
    let check = doable(&settings, &["check"], "");
    succeeded(&check, "check");
    assert!(check.stdout.contains("integrity: ok") && check.stdout.contains("this build's"), "{}", check.stdout);

    // The snapshot is the database at one moment: the writes acknowledged before it began,
    // then the following ones in order, up to at most one in flight when the command ended.
    let taken = in_snapshot.len();
    assert!(
        taken >= before.len() && taken <= during + 1,
        "{taken} writes, {} before, {during} by its end",
        before.len()
    );
    in_snapshot.sort();
    let mut prefix = all[..taken].to_vec();
    prefix.sort();
    assert_eq!(in_snapshot, prefix, "the snapshot is not the writes up to one moment");

    // No restore under a running server.
    let refused = doable(&settings, &["restore", snapshot.to_str().unwrap()], "");
    failed_with(&refused, "restore while serving", "is in use");
    // Killed, its last writes still in the write-ahead log: the restore folds them into the
    // database it keeps.
    server.kill();
    let file = database.sqlite_file().unwrap();
    assert!(std::fs::metadata(format!("{}-wal", file.display())).is_ok_and(|m| m.len() > 0), "the log is empty");

    // Damaged files and newer schemas are refused, and change nothing.
    let garbage = snapshots.path().join("garbage.db");
    std::fs::write(&garbage, vec![7u8; 8192]).unwrap();
    failed_with(&doable(&settings, &["restore", garbage.to_str().unwrap()], ""), "garbage", "not a SQLite database");
    let newer = snapshots.path().join("newer.db");
    std::fs::copy(&snapshot, &newer).unwrap();
    sql(
        &newer,
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
                 values (9999, 'from the future', 1, x'00', 0)",
    )
    .await;
    failed_with(&doable(&settings, &["restore", newer.to_str().unwrap()], ""), "newer", "newer release");

    // A program that has the database open without the lock (an older release's server,
    // sqlite3) keeps its log alive: the restore stops and changes nothing.
    let mut other = {
        use sqlx::ConnectOptions;
        sqlx::sqlite::SqliteConnectOptions::new().filename(&file).connect().await.unwrap()
    };
    // As a server would have: SQLite joins the log at the first read.
    let _: i64 = sqlx::query_scalar("select count(*) from tasks").fetch_one(&mut other).await.unwrap();
    let refused = doable(&settings, &["restore", snapshot.to_str().unwrap()], "");
    failed_with(&refused, "restore under another program", "is open in another program");
    {
        use sqlx::Connection;
        other.close().await.unwrap();
    }

    // What an interrupted restore left does not stand in the way.
    std::fs::write(database.data_dir().join(".doable.db.partial"), b"half").unwrap();
    std::fs::write(database.data_dir().join(".doable.db.partial.restoring-journal"), b"stale").unwrap();

    // A server that starts while a restore holds the database refuses to.
    let restoring = doable::db::DatabaseLock::try_take(&file, doable::db::LockKind::Exclusive).unwrap().unwrap();
    let blocked = Command::new(env!("CARGO_BIN_EXE_doable")).env_clear().envs(&settings).output().unwrap();
    assert_eq!(blocked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&blocked.stderr).contains("is being restored"), "{blocked:?}");
    drop(restoring);

    let restored = doable(&settings, &["restore", snapshot.to_str().unwrap()], "");
    succeeded(&restored, "restore");
    assert!(restored.stdout.contains("before-restore-"), "{}", restored.stdout);
    let kept: Vec<_> = std::fs::read_dir(database.data_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("doable.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "the replaced database is kept: {kept:?}");
    let mut everything = ids_in(&kept[0]).await;
    everything.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(everything, expected, "the kept database lacks writes that were in its log");

    let server = ServerProcess::start(&settings).await;
    let (client, response) = login(&server, "writer@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.json);
    let present: std::collections::HashSet<String> = common::reference::by_cursor(&client, &[], "100", 100)
        .await
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<_> = before.iter().filter(|id| !present.contains(*id)).collect();
    assert!(missing.is_empty(), "{} acknowledged writes missing from the restore", missing.len());
    assert!(present.len() < all.len(), "the restore holds writes made after the snapshot ended");
    assert!(present.iter().all(|id| all.contains(id)), "the restore holds tasks nobody wrote");
}

/// The ids of the tasks in a SQLite file.
async fn ids_in(file: &Path) -> Vec<String> {
    use sqlx::Connection;
    let mut conn = doable::db::backup::open_read_only(file).await.unwrap();
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("select id from tasks").fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// Runs one statement on a SQLite file.
async fn sql(file: &Path, statement: &str) {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(file).connect().await.unwrap();
    sqlx::query(statement).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn check_names_each_problem_and_fails() {
    if backend_is_postgres() {
        return; // PostgreSQL's check is in the snapshot test above.
    }
    let database = TestDatabase::new().await;
    let settings = database.settings();
    let server = ServerProcess::start(&settings).await;
    server.client().sign_up("ada@example.com").await;
    drop(server);
    let file = database.sqlite_file().unwrap();
    succeeded(&doable(&settings, &["check"], ""), "check of a sound database");

    // A session whose account is gone (foreign keys are off for this one connection).
    sql(
        &file,
        "pragma foreign_keys = off; insert into sessions (id, user_id, created_at, expires_at) \
               values (x'00112233445566778899aabbccddeeff', x'ffeeddccbbaa99887766554433221100', 0, 0)",
    )
    .await;
    sql(&file, "update _sqlx_migrations set checksum = x'00' where version = 1").await;
    let ran = doable(&settings, &["check"], "");
    failed_with(&ran, "check of a damaged database", "foreign keys: a row of sessions");
    assert!(ran.stderr.contains("schema: migration 1 was applied from a different file"), "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 2, "one line per problem: {}", ran.stderr);
}

#[tokio::test]
async fn the_server_takes_snapshots_on_schedule_and_keeps_the_newest() {
    if backend_is_postgres() {
        let database = TestDatabase::new().await;
        let mut settings = database.settings();
        settings.insert("DOABLE_BACKUP_DIR".into(), "/tmp/doable-never".into());
        let env: HashMap<String, String> = settings.clone();
        let err = doable::config::Config::from_source(&env).err().expect("backups on PostgreSQL were accepted");
        assert_eq!(err.variable, "DOABLE_BACKUP_DIR");
        return;
    }
    let database = TestDatabase::new().await;
    let snapshots = tempfile::tempdir().unwrap();
    let mut settings = database.settings();
    settings.insert("DOABLE_BACKUP_DIR".into(), snapshots.path().to_string_lossy().into());
    settings.insert("DOABLE_BACKUP_EVERY".into(), "1h".into());
    settings.insert("DOABLE_BACKUP_KEEP".into(), "2".into());
    settings.insert("DOABLE_METRICS_TOKEN".into(), "a-token-for-the-monitor".into());
    // Three older snapshots (two hours old and more) and a file of the host's own.
    let old = ["doable-20261101T000000Z.db", "doable-20261102T000000Z.db", "doable-20261103T000000Z.db"];
    for name in old {
        let path = snapshots.path().join(name);
        std::fs::write(&path, b"old").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(two_hours_ago).unwrap();
    }
    std::fs::write(snapshots.path().join("notes.txt"), b"mine").unwrap();

    let server = ServerProcess::start(&settings).await;
    // The newest is two hours old, more than `every`: one is taken at start.
    let mut names = Vec::new();
    for _ in 0..200 {
        names = files(snapshots.path());
        if names.len() == 3 && !names.contains(&old[1].to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(names.len(), 3, "expected the new snapshot, the newest old one and notes.txt: {names:?}");
    assert!(names.contains(&old[2].to_owned()) && names.contains(&"notes.txt".to_owned()), "{names:?}");
    let new = names.iter().find(|n| !old.contains(&n.as_str()) && n.ends_with("Z.db")).expect("a new snapshot");
    let mut conn = doable::db::backup::open_read_only(&snapshots.path().join(new)).await.unwrap();
    assert!(doable::db::backup::integrity(&mut conn).await.unwrap().is_empty());
    assert!(doable::db::backup::schema_version(&mut conn).await.unwrap().is_some());
    let metrics = scrape(&server, Some("a-token-for-the-monitor")).await;
    assert!(metrics.1.contains("doable_snapshots_total{result=\"made\"} 1"), "{}", metrics.1);
    assert!(metrics.1.contains("doable_snapshots_total{result=\"failed\"} 0"), "{}", metrics.1);
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

async fn scrape(server: &ServerProcess, token: Option<&str>) -> (StatusCode, String) {
    let mut request = reqwest::Client::new().get(format!("{}/metrics", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The value of one sample in a scrape (0 when it is not there yet).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_answer_only_the_token_and_move_with_the_requests() {
    let database = TestDatabase::new().await;
    let mut settings = database.settings();
    let off = ServerProcess::start(&settings).await;
    assert_eq!(scrape(&off, None).await.0, StatusCode::NOT_FOUND, "metrics are off without a token");
    drop(off);
    settings.insert("DOABLE_METRICS_TOKEN".into(), "a-token-for-the-monitor".into());
    let server = ServerProcess::start(&settings).await;

    assert_eq!(scrape(&server, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(&server, Some("a-token-for-the-monitoR")).await.0, StatusCode::UNAUTHORIZED);
    let (status, first) = scrape(&server, Some("a-token-for-the-monitor")).await;
    assert_eq!(status, StatusCode::OK);

    let client = server.client();
    client.sign_up("ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(client.get("/api/tasks/list", &[]).await.status, StatusCode::OK);
    }
    for junk in 0..20 {
        let _ = client.get(&format!("/no/such/page/{junk}"), &[]).await;
    }
    let (_, text) = scrape(&server, Some("a-token-for-the-monitor")).await;
    let lists = r#"doable_http_requests_total{route="/api/tasks/list",status="200"}"#;
    assert_eq!(sample(&text, lists) - sample(&first, lists), 3.0, "{text}");
    let signups = r#"doable_http_requests_total{route="/api/auth/signup",status="200"}"#;
    assert_eq!(sample(&text, signups), 1.0, "{text}");
    assert!(sample(&text, r#"doable_http_request_duration_seconds_count{route="/api/tasks/list"}"#) >= 3.0);
    // A client's paths never become series of their own.
    assert!(!text.contains("/no/such/page"), "{text}");
    assert!(text.lines().any(|l| l == "doable_password_hashes_running 0"), "{text}");
    assert!(text.lines().any(|l| l == "doable_password_hashes_queued 0"), "{text}");
    assert!(text.contains("doable_db_connections{pool="), "{text}");
    if !backend_is_postgres() {
        assert!(text.contains("doable_sqlite_writer_wait_seconds_bucket"), "{text}");
        // The sign-up's writes above were committed in groups (here of one write each).
        assert!(sample(&text, "doable_sqlite_commit_writes_count") >= 1.0, "{text}");
    }

    // Prometheus' own checker accepts it.
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{promtool}: {e} (make test-rust unpacks it; or set PROMTOOL)"));
    check.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_login_that_checked_a_password_the_host_has_just_replaced_gets_no_session() {
    let app = common::spawn().await;
    let (_, id) = app.user("ada@example.com").await;
    let id = uuid::Uuid::parse_str(&id).unwrap();
    let sessions = &app.state.sessions;
    // The hash the login verified is no longer the account's: no session.
    let stale = sessions.start(&app.db, id, Some("$argon2id$v=19$m=7168,t=5,p=1$c2FsdA$aGFzaA")).await;
    assert_eq!(stale.err(), Some(doable::error::AppError::InvalidCredentials));
    assert_eq!(app.count("sessions where user_id = $1", &id.to_string()).await, 1, "only the signup's session");
    // Nor for an account disabled after its password was checked.
    let hash: String = doable::with_pool!(app.db.read(), |pool| {
        sqlx::query_scalar("select password_hash from users where id = $1").bind(id).fetch_one(pool).await.unwrap()
    });
    assert!(sessions.start(&app.db, id, Some(&hash)).await.is_ok());
    doable::db::execute!(&app.db, |conn| {
        sqlx::query("update users set disabled_at = created_at where id = $1").bind(id).execute(conn)
    })
    .unwrap();
    let disabled = sessions.start(&app.db, id, Some(&hash)).await;
    assert_eq!(disabled.err(), Some(doable::error::AppError::InvalidCredentials));
}
