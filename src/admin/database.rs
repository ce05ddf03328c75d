//! `doable backup`, `doable restore` and `doable check`: the database's safety, for the host.
//! SQLite is snapshotted and restored by Doable itself ([`crate::db::backup`]); PostgreSQL
//! has its own tools, and the commands say exactly how to use them for the configured server.

use std::path::Path;

use sqlx::{ConnectOptions, Connection, postgres::PgConnectOptions};

use super::common::say;
use crate::{
    config::{Config, DatabaseConfig},
    db::{
        DatabaseLock, LockKind,
        backup::{
            self, applied_migrations, foreign_key_problems, foreign_migrations, integrity, latest_schema,
            open_read_only,
        },
        lock_path, sqlite_file, with_suffix,
    },
};

/// A log this large has stopped being folded into the database (a reader that never ends,
/// or checkpoints failing): every read slows down, and the disk fills.
const WAL_TOO_LARGE: u64 = 1024 * 1024 * 1024;

/// `doable backup PATH`.
pub async fn backup(config: &Config, path: &Path) -> Result<(), String> {
    let file = match &config.database {
        DatabaseConfig::Postgres(options) => {
            return Err(format!(
                "PostgreSQL is backed up with its own tools; run: pg_dump --format=custom --file={} {}",
                quote(&path.to_string_lossy()),
                pg_target(options)
            ));
        }
        DatabaseConfig::Sqlite(options) => sqlite_file(options).ok_or("the database lives in memory")?.to_owned(),
    };
    // Shared: the server may go on; a restore may not start meanwhile.
    let _lock = lock(&file, LockKind::Shared)?;
    let mut conn = open_read_only(&file).await?;
    let snapshot = backup::snapshot(&mut conn, path).await;
    let _ = conn.close().await;
    let snapshot = snapshot?;
    say(format!(
        "wrote {} ({}, schema {}), checked with integrity_check",
        snapshot.path.display(),
        size(snapshot.bytes),
        snapshot.schema.map_or("none".to_owned(), |s| s.to_string())
    ));
    Ok(())
}

/// `doable restore PATH`.
pub async fn restore(config: &Config, path: &Path) -> Result<(), String> {
    let file = match &config.database {
        DatabaseConfig::Postgres(options) => {
            return Err(format!(
                "PostgreSQL is restored with its own tools; stop the servers, then run: pg_restore --clean \
                 --if-exists --no-owner {} {}",
                pg_target(options),
                quote(&path.to_string_lossy())
            ));
        }
        DatabaseConfig::Sqlite(options) => sqlite_file(options).ok_or("the database lives in memory")?.to_owned(),
    };
    if !path.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    let Some(_lock) = DatabaseLock::try_take(&file, LockKind::Exclusive)
        .map_err(|e| format!("cannot lock {}: {e}", lock_path(&file).display()))?
    else {
        return Err(format!(
            "{} is in use: a server or another doable command holds {}; stop the server first",
            file.display(),
            lock_path(&file).display()
        ));
    };
    let restored = backup::restore(path, &file).await?;
    say(format!(
        "restored {} into {} (schema {}; the server applies newer migrations when it starts)",
        path.display(),
        file.display(),
        restored.schema
    ));
    match restored.previous {
        Some(previous) => say(format!("the database it replaced is kept as {}", previous.display())),
        None => say("there was no database before it"),
    }
    Ok(())
}

/// `doable check`: prints what it checked, and fails with one line per problem.
pub async fn check(config: &Config) -> Result<(), String> {
    let problems = match &config.database {
        DatabaseConfig::Sqlite(options) => {
            let file = sqlite_file(options).ok_or("the database lives in memory")?.to_owned();
            let _lock = lock(&file, LockKind::Shared)?;
            check_sqlite(&file).await?
        }
        DatabaseConfig::Postgres(options) => check_postgres(options).await?,
    };
    if problems.is_empty() {
        return Ok(());
    }
    Err(problems.join("\ndoable: error: "))
}

async fn check_sqlite(file: &Path) -> Result<Vec<String>, String> {
    let mut conn = open_read_only(file).await?;
    let found = async {
        let mut problems: Vec<String> =
            integrity(&mut conn).await?.into_iter().map(|p| format!("integrity: {p}")).collect();
        problems.extend(foreign_key_problems(&mut conn).await?.into_iter().map(|p| format!("foreign keys: {p}")));
        let applied = applied_migrations(&mut conn).await?;
        Ok::<_, sqlx::Error>((problems, applied))
    }
    .await;
    let _ = conn.close().await;
    let (mut problems, applied) = found.map_err(|e| format!("cannot check {}: {e}", file.display()))?;
    if problems.is_empty() {
        say("integrity: ok");
        say("foreign keys: ok");
    }
    problems.extend(schema_report(&applied, &backup::sqlite_migrator()));
    let log = std::fs::metadata(with_suffix(file, "-wal")).map(|m| m.len()).unwrap_or(0);
    if log > WAL_TOO_LARGE {
        problems.push(format!(
            "the write-ahead log is {}: it is not being folded into the database (a stuck reader?)",
            size(log)
        ));
    } else {
        say(format!("write-ahead log: {}", size(log)));
    }
    Ok(problems)
}

async fn check_postgres(options: &PgConnectOptions) -> Result<Vec<String>, String> {
    let mut conn = options.connect().await.map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
    let applied = backup::applied_postgres_migrations(&mut conn).await;
    let _ = conn.close().await;
    let applied = applied.map_err(|e| format!("cannot read the schema's version: {e}"))?;
    say("connection: ok (PostgreSQL checks its own pages; use amcheck or pg_dump for a full read)");
    Ok(schema_report(&applied, &backup::postgres_migrator()))
}

/// Says which schema the database has against this build's, and what is wrong with it.
fn schema_report(applied: &[(i64, Vec<u8>)], migrator: &sqlx::migrate::Migrator) -> Vec<String> {
    let problems = foreign_migrations(applied, migrator);
    let latest = latest_schema(migrator);
    let have = applied.iter().map(|(v, _)| *v).max();
    match have {
        _ if !problems.is_empty() => {}
        None => say(format!("schema: empty; the server creates it (version {latest}) when it starts")),
        Some(v) if v == latest => say(format!("schema: version {v}, this build's")),
        Some(v) => say(format!("schema: version {v}; the server migrates it to {latest} when it starts")),
    }
    problems.into_iter().map(|p| format!("schema: {p}")).collect()
}

fn lock(file: &Path, kind: LockKind) -> Result<DatabaseLock, String> {
    DatabaseLock::try_take(file, kind)
        .map_err(|e| format!("cannot lock {}: {e}", lock_path(file).display()))?
        .ok_or_else(|| format!("{} is being restored; try again when it has finished", file.display()))
}

/// pg_dump's and pg_restore's options for the configured server (never its password: that
/// goes in `PGPASSWORD` or `~/.pgpass`).
fn pg_target(options: &PgConnectOptions) -> String {
    format!(
        "--host={} --port={} --username={} --dbname={}",
        quote(options.get_host()),
        options.get_port(),
        quote(options.get_username()),
        quote(options.get_database().unwrap_or(options.get_username()))
    )
}

/// A word as the shell reads it, quoted when it needs to be.
fn quote(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}
