//! Where writes go: SQLite's one writer connection or the PostgreSQL pool, and the macros
//! that run code with it (split from [`super`] for length).

use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
    time::Duration,
};

use sqlx::{postgres::PgPool, sqlite::SqliteConnection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, watch};
use tokio::time::Instant;

use super::ACQUIRE_TIMEOUT;

/// Runs the body with the database's writer: `with_writer!(db, |conn| ...)`, where `conn` is
/// for SQLite the writer connection (`&mut SqliteConnection`, held until the body is done)
/// and for PostgreSQL the pool. Waiting longer than [`ACQUIRE_TIMEOUT`] for the writer
/// ([`SqliteWriter::lock`]) fails like a pool would
/// (`sqlx::Error::PoolTimedOut`, a 503). The body must be a `Result` whose error converts
/// from `sqlx::Error`. A write through the PostgreSQL pool tells [`super::Db::wrote`] when done.
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
            $crate::db::Writer::Postgres($conn) => {
                let done = $body;
                $db.wrote();
                done
            }
        }
    };
}
pub use with_writer;

/// The SQLite writer's page cache while bulk changes run (negative: KiB): room for the task
/// indexes of a 100,000-task list, so that each page is read once. A batch of a bulk change
/// moves an entry in each of seven task indexes for every row, at random places: with
/// SQLite's default 2 MiB the same index pages are read and evicted over and over. Measured
/// on such a list (99,000 tasks completed in one statement): 10.3 s with 2 MiB, 5.4 s with
/// 64 MiB, 5.0 s with 256 MiB (a busy machine; the ratios are what count); in batches of
/// 2,000 the difference was larger still (README, "Large accounts").
const BULK_CACHE: &str = "-65536";
/// The SQLite writer's page cache otherwise: SQLite's default (2 MiB).
const WRITER_CACHE: &str = "-2000";
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
    /// How many times the connection has been handed back: what the live feed watches
    /// (`live::hub`), as whatever was committed is committed by then.
    released: Arc<watch::Sender<u64>>,
}

/// The writer connection, held: handing it back ([`Drop`]) tells [`SqliteWriter::released`].
pub struct WriterGuard<'a> {
    conn: MappedMutexGuard<'a, SqliteConnection>,
    released: &'a watch::Sender<u64>,
}

impl Deref for WriterGuard<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        self.released.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl SqliteWriter {
    pub(super) fn new(conn: SqliteConnection) -> Self {
        Self { conn: Arc::new(Mutex::new(Some(conn))), released: Arc::new(watch::channel(0).0) }
    }

    /// Changes each time a writer hands the connection back, after what it committed.
    pub fn released(&self) -> watch::Receiver<u64> {
        self.released.subscribe()
    }

    /// The connection, once the writers ahead have finished with it.
    ///
    /// Waiting longer than [`ACQUIRE_TIMEOUT`] fails (a 503). Within a request, the wait ends
    /// [`WRITE_MARGIN`] before its deadline ([`REQUEST_DEADLINE`]) in any case, so that a write
    /// that gets the connection has the time to finish, and one that does not was not made.
    pub async fn lock(&self) -> Result<WriterGuard<'_>, sqlx::Error> {
        let waited_out = Instant::now() + ACQUIRE_TIMEOUT;
        let until = REQUEST_DEADLINE
            .try_with(|deadline| deadline.checked_sub(WRITE_MARGIN))
            .ok()
            .flatten()
            .map_or(waited_out, |last| last.min(waited_out));
        let asked = Instant::now();
        let guard = tokio::time::timeout_at(until, self.conn.lock()).await.map_err(|_| sqlx::Error::PoolTimedOut);
        // Requests' writes only (the checkpointer and the job runner take it too).
        if REQUEST_DEADLINE.try_with(|_| ()).is_ok() {
            metrics::histogram!("doable_sqlite_writer_wait_seconds").record(asked.elapsed().as_secs_f64());
        }
        let guard = guard?;
        let conn = MutexGuard::try_map(guard, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)?;
        Ok(WriterGuard { conn, released: &self.released })
    }

    /// Widens the page cache for bulk changes ([`BULK_CACHE`]), or narrows it back to
    /// SQLite's default and frees what it held: the job runner widens it while it has jobs,
    /// so that the memory is held only while they run.
    pub async fn bulk_cache(&self, wide: bool) -> Result<(), sqlx::Error> {
        let mut conn = self.lock().await?;
        set_cache(&mut conn, if wide { BULK_CACHE } else { WRITER_CACHE }).await?;
        if !wide {
            sqlx::query("pragma shrink_memory").execute(&mut *conn).await?;
        }
        Ok(())
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
