//! The database: SQLite (embedded, the default) or PostgreSQL, behind one small abstraction.
//!
//! Queries are written once, in the SQL both databases understand (`$1` parameters,
//! `RETURNING`, `ON CONFLICT`, `FILTER`), and run on either through [`with_pool!`], which
//! expands the same code once per backend so each is type-checked against its own driver.
//! Where the two must differ (the schema's column types) the difference lives in the
//! migrations and in [`Timestamp`], not in the feature code.
//!
//! SQLite gets one writer connection ([`SqliteWriter`]) and a pool of read-only ones:
//! writers queue for the connection instead of failing with "database is locked", requests'
//! writes that queue together share one commit, and readers never wait for them (WAL).
//! PostgreSQL uses one pool for both. Reads go through [`with_pool!`] on [`Db::read`],
//! writes through [`with_writer!`] (one statement: [`execute!`]), and a broken constraint
//! becomes the client's error through [`ResultExt::on_constraint`].

use std::time::Duration;

use sqlx::{
    Decode, Encode, Postgres, Sqlite, Type,
    encode::IsNull,
    error::BoxDynError,
    postgres::{PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous},
};
use time::OffsetDateTime;

use crate::{
    config::{Config, DatabaseConfig},
    error::AppError,
};

pub mod backup;
mod lock;
mod writer;

pub use lock::{DatabaseLock, LockKind, lock_path, with_suffix};
pub use writer::{
    GroupWrite, REQUEST_DEADLINE, SqliteWriter, Writer, WriterGuard, execute, with_writer, with_writer_alone,
};

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Runs the same code on whichever pool `$pool` holds: `with_pool!(db.read(), |pool| ...)`
/// (or, with the backend's `sqlx::Database` type named too, `|pool: DB| ...`). The body is
/// compiled once per backend, so each copy is checked against its own driver; it is written
/// like a closure's so that rustfmt formats it.
#[macro_export]
macro_rules! with_pool {
    ($pool:expr, |$conn:ident| $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($conn) => $body,
            $crate::db::Pool::Postgres($conn) => $body,
        }
    };
    ($pool:expr, |$conn:ident: $db:ident| $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($conn) => {
                type $db = ::sqlx::Sqlite;
                $body
            }
            $crate::db::Pool::Postgres($conn) => {
                type $db = ::sqlx::Postgres;
                $body
            }
        }
    };
}
pub use with_pool;

/// The database of a running server: where to read and where to write.
#[derive(Clone, Debug)]
pub struct Db {
    read: Pool,
    write: Writer,
    /// SQLite only: a connection of its own that moves the write-ahead log into the
    /// database file in the background, so that no request waits for a checkpoint's fsync.
    checkpointer: Option<SqlitePool>,
    /// SQLite's file only: the shared lock that says it is in use ([`DatabaseLock`]).
    _lock: Option<std::sync::Arc<DatabaseLock>>,
    /// PostgreSQL: changes each time a write of this server's is done (see [`Db::writes`]).
    wrote: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

/// Why the database could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DbStartError {
    /// Connecting failed.
    #[error("cannot open the database: {0}")]
    Connect(String),
    /// A migration failed.
    #[error("cannot apply the database migrations: {0}")]
    Migrate(String),
}

/// How long a query waits for a connection before the request fails with 503: long enough
/// for any queue of a healthy server, short enough that people hear of an outage quickly.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long SQLite waits for a write lock held by another process (our own writers never
/// contend: they queue for the single writer connection).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(3);
/// How often SQLite's write-ahead log is copied into the database (see `spawn_checkpoints`).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// At most this many background checkpoint passes in a row, before the writer's own.
const CHECKPOINT_PASSES: usize = 4;
/// Pages written during a background pass that are few enough to leave to the writer.
const CHECKPOINT_TAIL: i64 = 256;
/// SQLite readers by default: reads take tens of microseconds of CPU each, so on a few cores
/// more connections only add threads and page caches (with `make bench`, 4 readers served
/// as many lists per second as 8, in less memory).
const SQLITE_READERS: u32 = 4;
/// Page cache of each SQLite reader (negative: KiB), instead of SQLite's 2 MiB. A reader's
/// pages come from the operating system's file cache at the price of a copy; the per-user
/// pages of a busy server's lists do not fit in a few MiB anyway, and four such caches were
/// the largest part of the server's memory.
const READER_CACHE: &str = "-1024";
/// The checkpointer copies the log page by page and needs next to no cache.
const CHECKPOINTER_CACHE: &str = "-64";
/// How long readiness may take before the database counts as not answering.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

impl Db {
    /// Opens the pools (without touching the schema).
    pub async fn connect(config: &Config) -> Result<Self, DbStartError> {
        let pool_size = config.db_pool_size;
        match &config.database {
            DatabaseConfig::Sqlite(options) => {
                let lock = sqlite_file(options).map(take_shared_lock).transpose()?.map(std::sync::Arc::new);
                let options = sqlite_options(options.clone());
                // No checkpoint inside a request: they run between requests (`spawn_checkpoints`).
                let write = sqlx::ConnectOptions::connect(&options.clone().pragma("wal_autocheckpoint", "0"))
                    .await
                    .map_err(|e| DbStartError::Connect(describe_connect_error(&e)))?;
                let checkpointer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(
                        options
                            .clone()
                            .pragma("wal_autocheckpoint", "0")
                            .pragma("cache_size", CHECKPOINTER_CACHE)
                            .optimize_on_close(false, None),
                    )
                    .await
                    .map_err(|e| DbStartError::Connect(describe_connect_error(&e)))?;
                let read = SqlitePoolOptions::new()
                    .max_connections(pool_size.unwrap_or(SQLITE_READERS).max(1))
                    .min_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .test_before_acquire(false)
                    .connect_with(options.read_only(true).create_if_missing(false).pragma("cache_size", READER_CACHE))
                    .await
                    .map_err(|e| DbStartError::Connect(describe_connect_error(&e)))?;
                let write = Writer::Sqlite(SqliteWriter::new(write));
                Ok(Self {
                    read: Pool::Sqlite(read),
                    write,
                    checkpointer: Some(checkpointer),
                    _lock: lock,
                    wrote: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
                })
            }
            DatabaseConfig::Postgres(options) => {
                // PostgreSQL gives up on a statement when the request that sent it would have
                // timed out anyway, so that a write answered with 503 never lands afterwards.
                let statement_timeout = config.request_timeout.as_millis().to_string();
                let pool = PgPoolOptions::new()
                    .max_connections(pool_size.unwrap_or(10).max(1))
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .test_before_acquire(false)
                    .connect_with(options.clone().options([("statement_timeout", statement_timeout.as_str())]))
                    .await
                    .map_err(|e| DbStartError::Connect(describe_connect_error(&e)))?;
                Ok(Self {
                    read: Pool::Postgres(pool.clone()),
                    write: Writer::Postgres(pool),
                    checkpointer: None,
                    _lock: None,
                    wrote: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
                })
            }
        }
    }

    /// Brings the schema up to date. Safe to run from several instances at once.
    pub async fn migrate(&self) -> Result<(), DbStartError> {
        let failed = |e: &dyn std::fmt::Display| DbStartError::Migrate(e.to_string());
        match &self.write {
            Writer::Sqlite(writer) => {
                let mut conn = writer.lock().await.map_err(|e| failed(&e))?;
                sqlx::migrate!("migrations/sqlite").run(&mut *conn).await.map_err(|e| failed(&e))
            }
            Writer::Postgres(pool) => {
                // A migration may take longer than a request; its connection has no statement
                // timeout and is closed afterwards rather than returned to the pool.
                let mut conn = pool.acquire().await.map_err(|e| failed(&e))?;
                sqlx::query("set statement_timeout = 0").execute(&mut *conn).await.map_err(|e| failed(&e))?;
                let result = sqlx::migrate!("migrations/postgres").run(&mut *conn).await.map_err(|e| failed(&e));
                let _ = conn.close().await;
                result
            }
        }
    }

    /// The pool for queries that only read.
    pub fn read(&self) -> &Pool {
        &self.read
    }

    /// Where queries that write go (for SQLite: the single writer connection); used through
    /// [`with_writer!`].
    pub fn writer(&self) -> &Writer {
        &self.write
    }

    /// Changes after each write of this server's through [`with_writer!`] is done, whatever
    /// it committed: what the live feed's reader watches (`live::hub`). For SQLite, each time
    /// a group of writes is committed, or a write alone hands the connection back.
    pub fn writes(&self) -> tokio::sync::watch::Receiver<u64> {
        match &self.write {
            Writer::Sqlite(writer) => writer.released(),
            Writer::Postgres(_) => self.wrote.subscribe(),
        }
    }

    /// Says that a write through the PostgreSQL pool is done ([`with_writer!`] calls it).
    pub fn wrote(&self) {
        self.wrote.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Whether the database answers within a second. For SQLite that includes taking the
    /// write lock (and letting it go at once): a file that another process keeps locked can
    /// be read but not written, and the server is not ready to serve people then.
    pub async fn is_ready(&self) -> bool {
        let probe = async {
            with_pool!(&self.read, |pool| sqlx::query("select 1").execute(pool).await.map(|_| ()))?;
            if let Writer::Sqlite(writer) = &self.write {
                let mut conn = writer.lock().await?;
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                // A write statement takes the write lock even when it changes nothing.
                sqlx::query("delete from rate_limits where 0").execute(&mut *tx).await?;
                tx.rollback().await?;
            }
            Ok::<_, sqlx::Error>(())
        };
        matches!(tokio::time::timeout(READY_TIMEOUT, probe).await, Ok(Ok(())))
    }

    /// SQLite: checkpoints the write-ahead log four times a second, so that no request waits
    /// for a checkpoint (the writer's own automatic ones are off) and the log stays small.
    ///
    /// Passive checkpoints, none of which waits for anyone. The checkpointer's own connection
    /// copies the log into the database while writes go on, then again the part written
    /// during its last pass, until that part is small (at most [`CHECKPOINT_TAIL`] pages);
    /// then the writer connection, between two writes, copies the little that is left. That
    /// last step is what lets the log start over: SQLite restarts it only when a write
    /// transaction begins on a fully copied log. With the background pass alone the log grew
    /// for ever under steady writes (2.2 GB beside a 21 MB database after 30,000 creates,
    /// slowing every read); with a single background pass before the writer's, the writer
    /// copied everything written during that pass (20 to 40 ms of copying under `make
    /// bench`'s creates) while every write waited, and creates' p99 was 27 to 40 ms.
    pub fn spawn_checkpoints(&self) -> Option<tokio::task::JoinHandle<()>> {
        let (Some(checkpointer), Writer::Sqlite(writer)) = (self.checkpointer.clone(), self.write.clone()) else {
            return None;
        };
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !writer.is_closed().await {
                tick.tick().await;
                // The log's length at the end of the previous pass: what a pass finds beyond
                // it was written meanwhile (a shorter log has started over).
                let mut copied_to = 0;
                for _ in 0..CHECKPOINT_PASSES {
                    match checkpoint(&checkpointer).await {
                        Ok(log) => {
                            let fresh = if log >= copied_to { log - copied_to } else { log };
                            copied_to = log;
                            if fresh <= CHECKPOINT_TAIL {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "WAL checkpoint failed");
                            break;
                        }
                    }
                }
                // Not taking the writer within the acquire timeout (it is stuck behind another
                // process's lock) skips this round.
                if let Ok(mut conn) = writer.lock().await
                    && let Err(e) = checkpoint(&mut *conn).await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        }))
    }

    /// Closes every connection, waiting for queries in progress.
    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
        if let Writer::Sqlite(writer) = &self.write {
            writer.close().await;
        }
        // PostgreSQL's writer is this same pool.
        with_pool!(&self.read, |pool| pool.close().await);
    }

    /// Each pool's connections (`read`, and for PostgreSQL the same pool serves writes), as
    /// `(pool, open, idle)`, for the metrics.
    pub fn pool_connections(&self) -> [(&'static str, u32, usize); 1] {
        let (open, idle) = with_pool!(&self.read, |pool| (pool.size(), pool.num_idle()));
        [(if self.is_sqlite() { "sqlite_read" } else { "postgres" }, open, idle)]
    }

    /// Whether this is the SQLite backend.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.read, Pool::Sqlite(_))
    }
}

/// A passive checkpoint; returns the length of the log it saw, in pages.
async fn checkpoint<'c>(conn: impl sqlx::Executor<'c, Database = Sqlite>) -> Result<i64, sqlx::Error> {
    let started = std::time::Instant::now();
    let (_busy, log, copied): (i64, i64, i64) =
        sqlx::query_as("pragma wal_checkpoint(passive)").fetch_one(conn).await?;
    tracing::debug!(log, copied, elapsed_us = started.elapsed().as_micros() as u64, "WAL checkpoint");
    Ok(log)
}

/// The file of a SQLite database, unless it lives in memory (`sqlite::memory:`, which sqlx
/// names `file:sqlx-in-memory-<n>`).
pub fn sqlite_file(options: &SqliteConnectOptions) -> Option<&std::path::Path> {
    let file = options.get_filename();
    let text = file.to_string_lossy();
    (!file.as_os_str().is_empty() && text != ":memory:" && !text.starts_with("file:sqlx-in-memory-")).then_some(file)
}

/// The shared lock of a database being opened ([`DatabaseLock`]); refused while a restore runs.
fn take_shared_lock(file: &std::path::Path) -> Result<DatabaseLock, DbStartError> {
    match DatabaseLock::try_take(file, LockKind::Shared) {
        Ok(Some(lock)) => Ok(lock),
        Ok(None) => Err(DbStartError::Connect(format!(
            "{} is being restored (`doable restore` holds {}); start again when it has finished",
            file.display(),
            lock_path(file).display()
        ))),
        Err(e) => Err(DbStartError::Connect(format!("cannot lock {}: {e}", lock_path(file).display()))),
    }
}

fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL never corrupts the database and keeps every commit across a
        // crash of the process; only a power loss can drop the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .pragma("temp_store", "memory")
        // A log that grew in a burst is cut back to this size when it starts over.
        .pragma("journal_size_limit", (64 * 1024 * 1024).to_string())
        // sqlx hands rows from its worker thread over a bounded channel; room for a whole
        // page (at most 100 tasks) spares the worker a wait for every batch.
        .row_buffer_size(128)
        .optimize_on_close(true, Some(400))
}

/// A connection error for the start-up message: what failed, without credentials.
fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(e) => format!("connection failed: {e}"),
        sqlx::Error::PoolTimedOut => {
            format!("no answer from the database server within {} seconds", ACQUIRE_TIMEOUT.as_secs())
        }
        sqlx::Error::Database(e) => e.message().to_owned(),
        other => other.to_string(),
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            if matches!(error, sqlx::Error::PoolTimedOut) {
                metrics::counter!("doable_db_acquire_timeouts_total").increment(1);
            }
            tracing::warn!(%error, "database unavailable");
            AppError::Unavailable
        } else {
            tracing::error!(%error, "database error");
            AppError::Internal
        }
    }
}

/// Errors that mean "the database is not there right now" rather than "this query is wrong".
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            let code = e.code().unwrap_or_default();
            if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Busy (5), locked (6), I/O error (10), cannot open (14), with their extended codes.
                code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 14))
            } else {
                // Connection exceptions (08...), shutting down (57P0x), too many connections,
                // and a statement cancelled by `statement_timeout` (57014): that timeout is the
                // request's own, so a request that ran out of time is a 503 whichever of the
                // two timers fires first (it was a 500 when the database's did).
                code.starts_with("08") || code.starts_with("57P0") || code == "53300" || code == "57014"
            }
        }
        _ => false,
    }
}

/// What a query's failure means to the client, by the constraint it broke.
pub trait ResultExt<T> {
    /// A violation of the named unique or foreign-key constraint becomes the error `map`
    /// makes of it; any other failure becomes an [`AppError`] as usual (503 or 500).
    fn on_constraint(self, constraint: &str, map: impl FnOnce(&sqlx::Error) -> AppError) -> Result<T, AppError>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_constraint(self, constraint: &str, map: impl FnOnce(&sqlx::Error) -> AppError) -> Result<T, AppError> {
        self.map_err(|error| if violates(&error, constraint) { map(&error) } else { error.into() })
    }
}

/// Whether an error is a violation of the named unique or foreign-key constraint.
fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    match error {
        sqlx::Error::Database(e) => match e.constraint() {
            Some(name) => name == constraint,
            // SQLite does not report constraint names, only the columns: the migrations name
            // each unique index after the constraint so that its message can be matched.
            None => e.is_unique_violation() && e.message().contains(constraint_columns(constraint)),
        },
        _ => false,
    }
}

/// The `table.column` SQLite names in a unique violation of our named constraints.
fn constraint_columns(constraint: &str) -> &'static str {
    match constraint {
        "users_email_key" => "users.email",
        "import_keys_pkey" => "import_keys.user_id, import_keys.key",
        _ => "\u{0}",
    }
}

/// A point in time, stored as microseconds since the Unix epoch in SQLite (an `INTEGER`,
/// which sorts and compares correctly) and as a `timestamptz` in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    /// Now, to the microsecond (the precision both databases keep).
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self(now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now))
    }

    fn micros(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1000) as i64
    }

    fn from_micros(micros: i64) -> Result<Self, BoxDynError> {
        Ok(Self(OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)?))
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        Self(self.0 + rhs)
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Self;
    fn sub(self, rhs: Duration) -> Self {
        Self(self.0 - rhs)
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> <Sqlite as sqlx::Database>::TypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &<Sqlite as sqlx::Database>::TypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Sqlite>>::encode(self.micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: <Sqlite as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Self::from_micros(<i64 as Decode<'r, Sqlite>>::decode(value)?)
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> <Postgres as sqlx::Database>::TypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: <Postgres as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <OffsetDateTime as Decode<'r, Postgres>>::decode(value).map(Self)
    }
}
