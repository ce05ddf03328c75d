//! SQLite snapshots taken while the server runs, their checks, and putting one back: what
//! `doable backup`, `doable restore`, `doable check` and the scheduled snapshots are made of.
//!
//! A snapshot is SQLite's `VACUUM INTO` from a read-only connection: one read transaction, so
//! the copy is the database as it was when the snapshot began, every commit before it
//! included and none after, while writers go on (WAL). Copying the file instead can copy a
//! page half written, or miss what is still in the `-wal` file beside it.

use std::path::{Path, PathBuf};

use super::with_suffix;

use sqlx::{Connection, PgConnection, SqliteConnection, sqlite::SqliteConnectOptions};

/// Where a snapshot went, and what it holds.
#[derive(Debug)]
pub struct Snapshot {
    /// Its file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The last migration applied to it.
    pub schema: Option<i64>,
}

/// The migrations this build knows for SQLite.
pub fn sqlite_migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("migrations/sqlite")
}

/// The migrations this build knows for PostgreSQL.
pub fn postgres_migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("migrations/postgres")
}

/// The last migration this build knows.
pub fn latest_schema(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Opens a SQLite file only to read it (no `-wal` of its own is created for a file that is
/// not in WAL mode, and nothing is written).
pub async fn open_read_only(file: &Path) -> Result<SqliteConnection, String> {
    let options = SqliteConnectOptions::new().filename(file).read_only(true).create_if_missing(false);
    sqlx::ConnectOptions::connect(&options).await.map_err(|e| format!("cannot open {}: {e}", file.display()))
}

/// Writes a snapshot of the database `conn` reads to `target`, which must not exist yet: into
/// a temporary file beside it, checked with `integrity_check`, made the owner's alone,
/// flushed to disk, and only then renamed to `target`. On any failure nothing is left there.
pub async fn snapshot(conn: &mut SqliteConnection, target: &Path) -> Result<Snapshot, String> {
    if target.exists() {
        return Err(format!("{} already exists; choose a new name", target.display()));
    }
    let partial = partial_path(target)?;
    create_private(&partial)?;
    let result = write_checked(conn, &partial, target).await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Creates `path` empty and the owner's alone, before anything is written into it (a
/// snapshot holds every password hash: no moment where others may open it). Refuses a file
/// that is there already: another snapshot to the same name is under way, or one was
/// interrupted and its remains are for the host to look at.
fn create_private(path: &Path) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
            "{} exists: another snapshot to this name is being written, or one was interrupted (remove it then)",
            path.display()
        )),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// `VACUUM INTO` the empty file `partial` (SQLite writes into an empty file), checks the copy
/// and renames it to `target`.
async fn write_checked(conn: &mut SqliteConnection, partial: &Path, target: &Path) -> Result<Snapshot, String> {
    let name = partial.to_str().ok_or_else(|| format!("{} is not a UTF-8 path", partial.display()))?;
    sqlx::query("vacuum into $1").bind(name).execute(&mut *conn).await.map_err(|e| format!("snapshot failed: {e}"))?;
    let mut copy = open_read_only(partial).await?;
    let problems = integrity(&mut copy).await.map_err(|e| format!("cannot check the snapshot: {e}"))?;
    let schema = schema_version(&mut copy).await.map_err(|e| format!("cannot read the snapshot's schema: {e}"))?;
    let _ = copy.close().await;
    if let Some(problem) = problems.first() {
        return Err(format!("the snapshot fails integrity_check: {problem}"));
    }
    let bytes = durable_rename(partial, target)?;
    Ok(Snapshot { path: target.to_owned(), bytes, schema })
}

/// Removes what interrupted scheduled snapshots left in `dir` (their `.doable-*.partial`
/// files); run before the first one, when no snapshot of this server is being written.
pub fn remove_interrupted(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with(&format!(".{SCHEDULED_PREFIX}")) && name.ends_with("Z.db.partial") {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Takes a scheduled snapshot into `dir`, named by its time (`doable-20270301T090000Z.db`),
/// then removes the oldest such files beyond the newest `keep`.
pub async fn scheduled(conn: &mut SqliteConnection, dir: &Path, keep: usize) -> Result<Snapshot, String> {
    let snapshot = snapshot(conn, &dir.join(format!("{SCHEDULED_PREFIX}{}.db", stamp()))).await?;
    let mut taken = scheduled_snapshots(dir);
    taken.sort();
    let surplus = taken.len().saturating_sub(keep);
    for old in &taken[..surplus] {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(file = %old.display(), error = %e, "cannot remove an old snapshot");
        }
    }
    Ok(snapshot)
}

/// How long ago the newest scheduled snapshot in `dir` was taken (`None`: there is none).
pub fn since_newest(dir: &Path) -> Option<std::time::Duration> {
    scheduled_snapshots(dir)
        .iter()
        .filter_map(|file| std::fs::metadata(file).and_then(|m| m.modified()).ok())
        .max()
        .map(|newest| newest.elapsed().unwrap_or_default())
}

const SCHEDULED_PREFIX: &str = "doable-";

/// The scheduled snapshots in `dir` (by their names: other files there are left alone).
fn scheduled_snapshots(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with(SCHEDULED_PREFIX)
                && name.ends_with("Z.db")
                && name.len() == "doable-20270301T090000Z.db".len()
        })
        .collect()
}

/// The time now, as `20270301T090000Z`.
fn stamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap_or_default()
}

/// What `pragma integrity_check` finds wrong (nothing: an empty list).
pub async fn integrity(conn: &mut SqliteConnection) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar("pragma integrity_check(20)").fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().filter(|row| row != "ok").collect())
}

/// Rows whose foreign key points at nothing (`pragma foreign_key_check`), one line each.
pub async fn foreign_key_problems(conn: &mut SqliteConnection) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("select \"table\", rowid, parent from pragma_foreign_key_check limit 20")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(table, row, parent)| {
            format!("a row of {table} (rowid {}) points at a missing row of {parent}", row.unwrap_or_default())
        })
        .collect())
}

/// The last migration applied to a database (`None` for a file that Doable never migrated).
pub async fn schema_version(conn: &mut SqliteConnection) -> Result<Option<i64>, sqlx::Error> {
    let table: Option<String> =
        sqlx::query_scalar("select name from sqlite_master where type = 'table' and name = '_sqlx_migrations'")
            .fetch_optional(&mut *conn)
            .await?;
    if table.is_none() {
        return Ok(None);
    }
    sqlx::query_scalar("select max(version) from _sqlx_migrations where success").fetch_one(&mut *conn).await
}

/// The migrations recorded in a database that this build does not have as they were applied:
/// unknown versions (a newer release's) or changed files, one line each.
pub fn foreign_migrations(applied: &[(i64, Vec<u8>)], migrator: &sqlx::migrate::Migrator) -> Vec<String> {
    applied
        .iter()
        .filter_map(|(version, checksum)| match migrator.iter().find(|m| m.version == *version) {
            None => Some(format!("migration {version} is not one this build knows (a newer release made it)")),
            Some(known) if known.checksum.as_ref() != checksum.as_slice() => {
                Some(format!("migration {version} was applied from a different file than this build's"))
            }
            Some(_) => None,
        })
        .collect()
}

/// The applied migrations of a database that has the table, with their checksums.
const APPLIED: &str = "select version, checksum from _sqlx_migrations where success order by version";

/// The migrations recorded in a SQLite database, with their checksums (empty for a database
/// nothing has created yet).
pub async fn applied_migrations(conn: &mut SqliteConnection) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    if schema_version(conn).await?.is_none() {
        return Ok(Vec::new());
    }
    sqlx::query_as(APPLIED).fetch_all(&mut *conn).await
}

/// The migrations recorded in a PostgreSQL database, with their checksums (empty for a
/// database nothing has created yet).
pub async fn applied_postgres_migrations(conn: &mut PgConnection) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    let table: Option<String> =
        sqlx::query_scalar("select to_regclass('_sqlx_migrations')::text").fetch_one(&mut *conn).await?;
    if table.is_none() {
        return Ok(Vec::new());
    }
    sqlx::query_as(APPLIED).fetch_all(&mut *conn).await
}

/// The migrations recorded in the database a server uses, on either backend.
pub async fn applied_in(db: &super::Db) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    match db.read() {
        super::Pool::Sqlite(pool) => applied_migrations(&mut *pool.acquire().await?).await,
        super::Pool::Postgres(pool) => applied_postgres_migrations(&mut *pool.acquire().await?).await,
    }
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The schema of the restored database (the server migrates it further at start).
    pub schema: i64,
    /// Where the database it replaced now is (`None`: there was none, or it was empty).
    pub previous: Option<PathBuf>,
}

/// Replaces the database `database` with the snapshot `source`, which must pass
/// `integrity_check` and have been made by this release or an earlier one. The caller holds
/// the database's lock exclusively (`DatabaseLock`): nobody has it open.
///
/// The swap is one `rename`: the database is the old one until that moment and the restored
/// one from then on, whatever happens in between. The old one stays beside it, under
/// `<database>.before-restore-<time>` (a hard link made first), its log folded into it; one
/// that cannot be read at all is moved there instead.
pub async fn restore(source: &Path, database: &Path) -> Result<Restored, String> {
    let mut from = open_read_only(source).await?;
    let checked = check_restorable(&mut from, source).await;
    let schema = match checked {
        Ok(schema) => schema,
        Err(e) => {
            let _ = from.close().await;
            return Err(e);
        }
    };
    let incoming = partial_path(database)?;
    let staged = with_suffix(&incoming, ".restoring");
    // Only `doable restore` writes these, under the exclusive lock: what is there was left by
    // an interrupted one. (The server sets WAL mode itself when it opens the copy.)
    for leftover in [&incoming, &staged] {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(leftover, suffix));
        }
    }
    let copied = match create_private(&incoming) {
        Ok(()) => write_checked(&mut from, &incoming, &staged).await,
        Err(e) => Err(e),
    };
    let _ = from.close().await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&incoming);
        return Err(e);
    }
    let previous = match keep_previous(database).await {
        Ok(previous) => previous,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    if let Err(e) = durable_rename(&staged, database) {
        let _ = std::fs::remove_file(&staged);
        // The old database stays where it was; a second name for it would be a trap.
        if let Some(Previous::Linked(link)) = &previous {
            let _ = std::fs::remove_file(link);
        }
        return Err(e);
    }
    // The old database's log and shared-memory index must not be taken for the new one's.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(database, suffix));
    }
    Ok(Restored { schema, previous: previous.map(Previous::into_path) })
}

/// Refuses a snapshot that is damaged, not Doable's, or from a newer release; else its schema.
async fn check_restorable(conn: &mut SqliteConnection, source: &Path) -> Result<i64, String> {
    let problems = integrity(conn).await.map_err(|e| format!("{} is not a SQLite database: {e}", source.display()))?;
    if let Some(problem) = problems.first() {
        return Err(format!("{} fails integrity_check: {problem}", source.display()));
    }
    let migrator = sqlite_migrator();
    let applied = applied_migrations(conn).await.map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let Some(schema) = applied.iter().map(|(version, _)| *version).max() else {
        return Err(format!("{} is not a Doable database (it has no migrations)", source.display()));
    };
    if let Some(problem) = foreign_migrations(&applied, &migrator).first() {
        return Err(format!("{}: {problem}; restore it with the release that made it", source.display()));
    }
    Ok(schema)
}

/// Where the replaced database went.
enum Previous {
    /// A second name for it (it stays the database until the restored one is renamed over it).
    Linked(PathBuf),
    /// Moved aside: it could not be opened (damaged), its log beside it.
    Moved(PathBuf),
}

impl Previous {
    fn into_path(self) -> PathBuf {
        match self {
            Self::Linked(path) | Self::Moved(path) => path,
        }
    }
}

/// Keeps the database as `<database>.before-restore-<time>`: its log folded into it first, so
/// that the kept file is whole on its own. A database that cannot be opened (the damage a
/// restore is for) is moved aside as it is, with its log.
async fn keep_previous(database: &Path) -> Result<Option<Previous>, String> {
    let size = std::fs::metadata(database).map(|m| m.len()).unwrap_or(0);
    let log = with_suffix(database, "-wal");
    if size == 0 && std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(None);
    }
    let previous = with_suffix(database, &format!(".before-restore-{}", stamp()));
    match fold_log(database).await {
        Ok(()) => {
            std::fs::hard_link(database, &previous)
                .map_err(|e| format!("cannot keep the current database as {}: {e}", previous.display()))?;
            Ok(Some(Previous::Linked(previous)))
        }
        Err(FoldError::InUse(e)) => Err(e),
        Err(FoldError::Unreadable(e)) => {
            tracing::warn!(error = %e, "the current database cannot be read; it is moved aside as it is");
            std::fs::rename(database, &previous)
                .map_err(|e| format!("cannot move the current database to {}: {e}", previous.display()))?;
            if log.exists() {
                let _ = std::fs::rename(&log, with_suffix(&previous, "-wal"));
            }
            Ok(Some(Previous::Moved(previous)))
        }
    }
}

enum FoldError {
    /// Someone else has it open (a process that takes no lock: an older release, `sqlite3`).
    InUse(String),
    /// It is not a database SQLite can read.
    Unreadable(String),
}

/// Copies the whole log into the database and checks that the log is gone: a checkpoint that
/// could not copy everything, or a log that stays, means another connection is open.
async fn fold_log(database: &Path) -> Result<(), FoldError> {
    let in_use = || {
        FoldError::InUse(format!(
            "{} is open in another program (one that does not take {}); stop it first",
            database.display(),
            super::lock_path(database).display()
        ))
    };
    let options = SqliteConnectOptions::new().filename(database).create_if_missing(false);
    let mut conn = sqlx::ConnectOptions::connect(&options)
        .await
        .map_err(|e| FoldError::Unreadable(format!("cannot open {}: {e}", database.display())))?;
    let folded: Result<(i64, i64, i64), _> =
        sqlx::query_as("pragma wal_checkpoint(truncate)").fetch_one(&mut conn).await;
    let _ = conn.close().await;
    match folded {
        Ok((0, _, _)) => {}
        Ok(_) => return Err(in_use()),
        Err(e) => return Err(FoldError::Unreadable(format!("cannot read {}: {e}", database.display()))),
    }
    // SQLite removes the log when its last connection closes: one still there (even empty,
    // after the truncating checkpoint) is held open by another connection.
    match std::fs::metadata(with_suffix(database, "-wal")) {
        Ok(_) => Err(in_use()),
        Err(_) => Ok(()),
    }
}

/// `<dir>/.<name>.partial`: hidden, and beside the target so that the rename is atomic.
fn partial_path(target: &Path) -> Result<PathBuf, String> {
    let name = target.file_name().ok_or_else(|| format!("{} is not a file name", target.display()))?;
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!("directory {} does not exist", dir.display()));
    }
    Ok(dir.join(format!(".{}.partial", name.to_string_lossy())))
}

/// Flushes `from` to disk, renames it to `to` and flushes the directory, so that after a
/// power loss either name holds a whole file. Returns the file's size.
fn durable_rename(from: &Path, to: &Path) -> Result<u64, String> {
    let failed = |e: std::io::Error| format!("cannot move {} to {}: {e}", from.display(), to.display());
    let file = std::fs::File::open(from).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    let bytes = file.metadata().map_err(failed)?.len();
    std::fs::rename(from, to).map_err(failed)?;
    let dir = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        // Moved, but the move may not survive a power loss yet; nothing to undo.
        tracing::warn!(dir = %dir.display(), error = %e, "cannot flush the directory");
    }
    Ok(bytes)
}
