//! Where writes go: SQLite's one writer connection or the PostgreSQL pool, and the macros
//! that run code with it (split from [`super`] for length).

use std::{
    pin::pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sqlx::{postgres::PgPool, sqlite::SqliteConnection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};
use tokio::time::Instant;

use super::ACQUIRE_TIMEOUT;

/// Runs the body with the database's writer: `with_writer!(db, |conn| ...)`, where `conn` is
/// for SQLite the writer connection (`&mut SqliteConnection`, held until the body is done)
/// and for PostgreSQL the pool. Waiting longer than [`ACQUIRE_TIMEOUT`] for the writer
/// (behind a bulk change a little longer: [`SqliteWriter::lock`]) fails like a pool would
/// (`sqlx::Error::PoolTimedOut`, a 503). The body must be a `Result` whose error converts
/// from `sqlx::Error`.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db.writer() {
            $crate::db::Writer::Sqlite(writer) => match writer.lock().await {
                Ok(mut guard) => {
                    let $conn = &mut *guard;
                    $body
                }
                Err(e) => Err(::std::convert::From::from(e)),
            },
            $crate::db::Writer::Postgres($conn) => $body,
        }
    };
}
pub use with_writer;

/// [`with_writer!`] for what may be a change of thousands of rows at once (complete all, clear
/// completed, empty the trash): `with_bulk_writer!(db, bulk, |conn| ...)`. Where `bulk` is true, on SQLite
/// the writer's page cache is widened to [`BULK_CACHE`] for the body and narrowed again
/// after it, whatever the body's outcome (after a request cancelled meanwhile, by the next
/// writer to take the connection). A bulk change rewrites an entry in each of
/// the task indexes for every row, and with SQLite's 2 MiB the same index pages are read and
/// evicted over and over: completing 99,000 tasks took twice as long. Every other write waits
/// for the writer meanwhile, so the time matters to everyone; the memory is held only while
/// the change runs.
#[macro_export]
macro_rules! with_bulk_writer {
    ($db:expr, $bulk:expr, |$conn:ident| $body:expr) => {
        match $db.writer() {
            $crate::db::Writer::Sqlite(writer) => match writer.lock().await {
                Ok(mut guard) if $bulk => {
                    let done = match writer.widen(&mut guard).await {
                        // In a block of its own, so that a `?` in the body ends the body, not
                        // the caller, and the cache is narrowed after a failure too.
                        Ok(()) => {
                            async {
                                let $conn = &mut *guard;
                                $body
                            }
                            .await
                        }
                        Err(e) => Err(::std::convert::From::from(e)),
                    };
                    writer.narrow(&mut guard).await;
                    done
                }
                Ok(mut guard) => {
                    let $conn = &mut *guard;
                    $body
                }
                Err(e) => Err(::std::convert::From::from(e)),
            },
            $crate::db::Writer::Postgres($conn) => $body,
        }
    };
}
pub use with_bulk_writer;

/// The SQLite writer's page cache during a bulk change (negative: KiB): room for the task
/// indexes of a 100,000-task list, so that each page is read once. Measured on such a list
/// (99,000 tasks completed in one statement): 10.3 s with SQLite's default 2 MiB, 5.4 s with
/// 64 MiB, 5.0 s with 256 MiB (a busy machine; the ratios are what count).
const BULK_CACHE: &str = "-65536";
/// The SQLite writer's page cache otherwise: SQLite's default (2 MiB).
const WRITER_CACHE: &str = "-2000";
/// How long in all a write queued behind a bulk change waits for the writer before it fails
/// (instead of [`ACQUIRE_TIMEOUT`]). Such a change holds the writer for seconds (complete-all
/// of 99,000 tasks about 3 s, clear-completed 4.4 s: `make bench-scale`), and the writes queued
/// behind it are not stuck, only late: with 3 s, the creates sent beside each bulk action by
/// `make bench-scale` failed with 503, one or two an action.
const BEHIND_BULK_WAIT: Duration = Duration::from_secs(6);
/// How long before its request's deadline a write's wait for the writer ends: what the write
/// may still need once it has the connection (SQLite's busy timeout, 3 s, when another process
/// holds the file, and its statements), so that it is never cut off by the request's timeout
/// half-way, made but answered 503.
const WRITE_MARGIN: Duration = Duration::from_secs(4);

tokio::task_local! {
    /// When the request being served must be answered: set by the server around each request,
    /// read by [`SqliteWriter::lock`] (and by the server, for the request's body). Work outside
    /// a request (housekeeping) has none.
    pub static REQUEST_DEADLINE: Instant;
}

/// Sets the page cache of a SQLite connection (`cache_size`, negative: KiB).
async fn set_cache(conn: &mut SqliteConnection, kib: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("pragma cache_size = {kib}")).execute(conn).await.map(drop)
}

/// Gives back the memory a bulk change took: the writer's cache as before, its unused pages
/// freed. A failure leaves only a larger cache, so it is logged, not returned.
async fn narrow_cache(conn: &mut SqliteConnection) {
    let narrowed = match set_cache(conn, WRITER_CACHE).await {
        Ok(()) => sqlx::query("pragma shrink_memory").execute(conn).await.map(drop),
        Err(e) => Err(e),
    };
    if let Err(error) = narrowed {
        tracing::warn!(%error, "could not narrow the SQLite writer's page cache after a bulk change");
    }
}

/// Runs one statement that writes, on the writer, and gives how many rows it changed:
/// `execute!(db, |conn| sqlx::query("delete ...").bind(id).execute(conn))` is a
/// `Result<u64, sqlx::Error>`.
#[macro_export]
macro_rules! execute {
    ($db:expr, |$conn:ident| $statement:expr) => {
        $crate::db::with_writer!($db, |$conn| $statement.await.map(|done| done.rows_affected()))
    };
}
pub use execute;

/// Where writes go: SQLite's writer connection or the PostgreSQL pool.
#[derive(Clone, Debug)]
pub enum Writer {
    /// SQLite.
    Sqlite(SqliteWriter),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// SQLite's one writer connection, taken by one request at a time (fairly, in the order
/// they asked).
///
/// Not a pool of one connection: sqlx's pool pings a SQLite connection's worker thread
/// before the connection goes back to the pool, in a task of its own. Under `make bench`'s
/// creates the statements themselves kept the writer busy only about a third of the time
/// (sqlx's own statement timings); the rest went in that round trip and the hand-over.
/// A mutex hands the connection straight to the next writer. (What the ping is for, a
/// transaction abandoned by a cancelled request, is covered as well: sqlx queues its
/// rollback on the connection's worker, ahead of whatever the next writer sends.)
#[derive(Clone, Debug)]
pub struct SqliteWriter {
    conn: Arc<Mutex<Option<SqliteConnection>>>,
    /// Whether the connection's page cache is widened for a bulk change (changed only by
    /// whoever holds the connection).
    wide: Arc<AtomicBool>,
}

impl SqliteWriter {
    pub(super) fn new(conn: SqliteConnection) -> Self {
        Self { conn: Arc::new(Mutex::new(Some(conn))), wide: Arc::new(AtomicBool::new(false)) }
    }

    /// The connection, once the writers ahead have finished with it.
    ///
    /// Waiting longer than [`ACQUIRE_TIMEOUT`] fails (a 503), except behind a bulk change, which
    /// is known to take seconds: then the wait goes on, in its place in the queue, for up to
    /// [`BEHIND_BULK_WAIT`] more. Within a request, the wait ends [`WRITE_MARGIN`] before its
    /// deadline ([`REQUEST_DEADLINE`]) in any case, so that a write that gets the connection
    /// has the time to finish, and one that does not was not made.
    pub async fn lock(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>, sqlx::Error> {
        let started = Instant::now();
        let last = REQUEST_DEADLINE.try_with(|deadline| deadline.checked_sub(WRITE_MARGIN)).ok().flatten();
        let until = |wait: Duration| last.map_or(started + wait, |last| last.min(started + wait));
        let mut waiting = pin!(self.conn.lock());
        let guard = match tokio::time::timeout_at(until(ACQUIRE_TIMEOUT), waiting.as_mut()).await {
            Ok(guard) => guard,
            Err(_) if self.wide.load(Ordering::Relaxed) => tokio::time::timeout_at(until(BEHIND_BULK_WAIT), waiting)
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)?,
            Err(_) => return Err(sqlx::Error::PoolTimedOut),
        };
        let mut conn = MutexGuard::try_map(guard, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)?;
        // A bulk change whose request was cancelled before it narrowed the cache.
        if self.wide.load(Ordering::Relaxed) {
            self.narrow(&mut conn).await;
        }
        Ok(conn)
    }

    /// Widens the connection's page cache for a bulk change ([`with_bulk_writer!`]).
    pub async fn widen(&self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        self.wide.store(true, Ordering::Relaxed);
        set_cache(conn, BULK_CACHE).await
    }

    /// Narrows the page cache again after a bulk change.
    pub async fn narrow(&self, conn: &mut SqliteConnection) {
        narrow_cache(conn).await;
        self.wide.store(false, Ordering::Relaxed);
    }

    /// Closes the connection after the writer that holds it (if any) is done.
    pub(super) async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            let _ = sqlx::Connection::close(conn).await;
        }
    }

    pub(super) async fn is_closed(&self) -> bool {
        self.conn.lock().await.is_none()
    }
}
