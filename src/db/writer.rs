//! Where writes go: SQLite's one writer connection or the PostgreSQL pool, and the macros
//! that run code with it (split from [`super`] for length).
//!
//! **SQLite's writes commit in groups.** A request's write ([`with_writer!`]) joins the
//! transaction open on the writer connection, or opens one, and its own transaction is a
//! savepoint inside it. It is answered once that transaction is committed: as soon as no
//! other request's write is queued behind it, or after [`GROUP_MOST`] writes, or
//! [`GROUP_OPEN`] after it opened. Writes that arrive together share one commit, so the
//! pages they all change (the last pages of the history and of the feed, the counts, index
//! pages) go to the log once instead of once each (README, "Group commit", for what it
//! gives). A group whose commit fails fails every write in it, so that no write answered
//! with an error is committed. Work outside a request (housekeeping, jobs) and the long
//! writes of a request ([`with_writer_alone!`]) run in a transaction of their own, so that
//! they never hold other requests' answers back.

use std::{
    borrow::Cow,
    ops::{Deref, DerefMut},
    sync::{
        Arc, Weak,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use sqlx::{Sqlite, TransactionManager, postgres::PgPool, sqlite::SqliteConnection};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard, mpsc, watch};
use tokio::time::Instant;

use super::ACQUIRE_TIMEOUT;

/// Runs the body with the database's writer: `with_writer!(db, |conn| ...)`, where `conn` is
/// for SQLite the writer connection (`&mut SqliteConnection`, held until the body is done)
/// and for PostgreSQL the pool. Waiting longer than [`ACQUIRE_TIMEOUT`] for the writer
/// ([`SqliteWriter::join`]) fails like a pool would
/// (`sqlx::Error::PoolTimedOut`, a 503). The body must be a `Result` whose error converts
/// from `sqlx::Error`. On SQLite a request's body runs inside a group's transaction (see the
/// module) and the macro's value is ready once that is committed; a body must therefore not
/// read what it wrote through another connection. A write through the PostgreSQL pool tells
/// [`super::Db::wrote`] when done.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db.writer() {
            $crate::db::Writer::Sqlite(writer) => match writer.join().await {
                Ok(mut write) => {
                    let $conn = &mut *write;
                    let done = $body;
                    match write.done(done.is_ok()).await {
                        Ok(()) => done,
                        Err(e) => Err(::std::convert::From::from(e)),
                    }
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

/// [`with_writer!`] for a request's long write (an import, a batch of a bulk change, an
/// account's deletion, what moves many reminders): on SQLite it runs in a transaction of its
/// own after the open group is committed, so that the writes that joined that group are not
/// held back for its length.
#[macro_export]
macro_rules! with_writer_alone {
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
pub use with_writer_alone;

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
/// The most writes one commit takes. Each waits for the bodies of those that joined after
/// it (a request's write takes a fraction of a millisecond), and the gain flattens out: a
/// completion and its history row cost the writer 274 µs alone, 196 µs in groups of 4 and
/// 191 µs in groups of 16 (`bench/group_commit.py`).
const GROUP_MOST: usize = 16;
/// How long a group takes in writes that arrive after it opened.
const GROUP_OPEN: Duration = Duration::from_millis(5);

tokio::task_local! {
    /// When the request being served must be answered: set by the server around each request,
    /// read by [`SqliteWriter::join`] (and by the server, for the request's body). Work outside
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

/// SQLite's one writer connection, taken by one write at a time (fairly, in the order
/// they asked), whose requests' writes commit in groups (see the module).
///
/// Not a pool of one connection: sqlx's pool pings a SQLite connection's worker thread
/// before the connection goes back to the pool, in a task of its own. Under `make bench`'s
/// creates the statements themselves kept the writer busy only about a third of the time
/// (sqlx's own statement timings); the rest went in that round trip and the hand-over.
/// A mutex hands the connection straight to the next writer. (What the ping is for, a
/// transaction abandoned by a cancelled request, is covered as well: sqlx queues its
/// rollback on the connection's worker, ahead of whatever the next writer sends.)
#[derive(Clone)]
pub struct SqliteWriter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter").finish_non_exhaustive()
    }
}

struct Shared {
    slot: Arc<Mutex<Option<Slot>>>,
    /// How many times something was committed: what the live feed watches (`live::hub`).
    released: watch::Sender<u64>,
    /// Requests' writes waiting for the connection: the group stays open while there are.
    queued: AtomicUsize,
    /// Wakes the task that commits groups ([`commit_groups`]) when one opens.
    opened: mpsc::Sender<()>,
}

/// The connection, and the group whose transaction is open on it.
struct Slot {
    conn: SqliteConnection,
    group: Option<Group>,
}

/// The writes in the open transaction.
struct Group {
    started: Instant,
    writes: usize,
    /// Whether the last write's body ended well. One that failed or was cancelled may have
    /// ended the whole transaction (SQLite rolls it back on a full disk or an I/O error), so
    /// the next write checks that it is still open before joining it.
    clean: bool,
    /// Told the commit's outcome.
    outcome: watch::Sender<Option<Outcome>>,
}

/// A group commit's outcome, for each write in it: the reason it failed.
type Outcome = Result<(), Arc<str>>;

/// The connection, held (owned, so that a commit can finish in a task of its own).
type SlotGuard = OwnedMappedMutexGuard<Option<Slot>, Slot>;

/// The writer connection, held alone: handing it back ([`Drop`]) tells
/// [`SqliteWriter::released`].
pub struct WriterGuard<'a> {
    slot: SlotGuard,
    released: &'a watch::Sender<u64>,
}

impl Deref for WriterGuard<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.slot.conn
    }
}

impl DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.slot.conn
    }
}

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        self.released.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// A write in a group: the connection while its body runs, then [`GroupWrite::done`].
/// Outside a request it is a write alone, done when its body is.
pub struct GroupWrite<'a> {
    held: Held<'a>,
    outcome: Option<watch::Receiver<Option<Outcome>>>,
}

enum Held<'a> {
    Group(SlotGuard),
    Alone(WriterGuard<'a>),
}

impl Deref for GroupWrite<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.held {
            Held::Group(slot) => &slot.conn,
            Held::Alone(guard) => guard,
        }
    }
}

impl DerefMut for GroupWrite<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.held {
            Held::Group(slot) => &mut slot.conn,
            Held::Alone(guard) => &mut *guard,
        }
    }
}

impl GroupWrite<'_> {
    /// Hands the connection on and waits for the group's commit: an error when it failed,
    /// and then nothing of this write was kept. `ok` says whether the body ended well.
    /// A body that failed is answered at once with its own error: what it wrote went with its
    /// savepoint.
    pub async fn done(self, ok: bool) -> Result<(), sqlx::Error> {
        let GroupWrite { held, outcome } = self;
        match held {
            Held::Group(mut slot) => {
                if let Some(group) = slot.group.as_mut() {
                    group.clean = ok;
                }
            }
            Held::Alone(guard) => drop(guard),
        }
        let Some(mut outcome) = outcome.filter(|_| ok) else { return Ok(()) };
        let seen = match outcome.wait_for(Option::is_some).await {
            Ok(seen) => seen.clone(),
            Err(_) => None,
        };
        match seen {
            Some(Ok(())) => Ok(()),
            Some(Err(why)) => Err(uncommitted(&why)),
            None => Err(uncommitted("the writer closed first")),
        }
    }
}

/// The error of a write whose group was not committed (a 503: nothing was written).
fn uncommitted(why: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(format!("a group commit failed: {why}")))
}

/// Counts a request's write as queued until it has the connection (or gave up).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

type Manager = <Sqlite as sqlx::Database>::TransactionManager;

impl SqliteWriter {
    /// Takes the connection, and starts the task that commits its groups (within the
    /// runtime).
    pub(super) fn new(conn: SqliteConnection) -> Self {
        let (opened, wakes) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            slot: Arc::new(Mutex::new(Some(Slot { conn, group: None }))),
            released: watch::channel(0).0,
            queued: AtomicUsize::new(0),
            opened,
        });
        tokio::spawn(commit_groups(Arc::downgrade(&shared), wakes));
        Self { shared }
    }

    /// Changes each time something was committed.
    pub fn released(&self) -> watch::Receiver<u64> {
        self.shared.released.subscribe()
    }

    /// A request's write: it joins the group open on the connection, or opens one, once the
    /// writes ahead have run their bodies. Outside a request, a write alone ([`Self::lock`]).
    pub async fn join(&self) -> Result<GroupWrite<'_>, sqlx::Error> {
        if REQUEST_DEADLINE.try_with(|_| ()).is_err() {
            return Ok(GroupWrite { held: Held::Alone(self.lock().await?), outcome: None });
        }
        let queued = Queued::new(&self.shared.queued);
        let slot = self.acquire().await?;
        drop(queued);
        let (slot, outcome) = enter(&self.shared, slot).await?;
        Ok(GroupWrite { held: Held::Group(slot), outcome: Some(outcome) })
    }

    /// The connection alone, once the writes ahead have finished with it and the open group
    /// (if any) is committed: for writes that must not wait in a group, and for what cannot
    /// run inside a transaction (checkpoints, pragmas).
    ///
    /// Waiting longer than [`ACQUIRE_TIMEOUT`] fails (a 503). Within a request, the wait ends
    /// [`WRITE_MARGIN`] before its deadline ([`REQUEST_DEADLINE`]) in any case, so that a write
    /// that gets the connection has the time to finish, and one that does not was not made.
    pub async fn lock(&self) -> Result<WriterGuard<'_>, sqlx::Error> {
        let mut slot = committed(&self.shared, self.acquire().await?).await?;
        // Outside any transaction, or its writes would be a savepoint nobody commits.
        abandon(&mut slot.conn).await;
        Ok(WriterGuard { slot, released: &self.shared.released })
    }

    /// Waits for the connection ([`Self::lock`]'s limits).
    async fn acquire(&self) -> Result<SlotGuard, sqlx::Error> {
        let waited_out = Instant::now() + ACQUIRE_TIMEOUT;
        let until = REQUEST_DEADLINE
            .try_with(|deadline| deadline.checked_sub(WRITE_MARGIN))
            .ok()
            .flatten()
            .map_or(waited_out, |last| last.min(waited_out));
        let asked = Instant::now();
        let guard = tokio::time::timeout_at(until, self.shared.slot.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut);
        // Requests' writes only (the checkpointer and the job runner take it too).
        if REQUEST_DEADLINE.try_with(|_| ()).is_ok() {
            metrics::histogram!("doable_sqlite_writer_wait_seconds").record(asked.elapsed().as_secs_f64());
        }
        OwnedMutexGuard::try_map(guard?, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)
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

    /// Closes the connection after the writes that hold it or wait in its group are done.
    pub(super) async fn close(&self) {
        let mut slot = self.shared.slot.lock().await;
        if let Some(open) = slot.as_mut() {
            commit(open, &self.shared.released).await;
        }
        if let Some(open) = slot.take() {
            let _ = sqlx::Connection::close(open.conn).await;
        }
    }

    pub(super) async fn is_closed(&self) -> bool {
        self.shared.slot.lock().await.is_none()
    }
}

/// Puts a request's write into the open group, or opens one; gives what will tell it the
/// commit's outcome. A group that is full (or has been open long enough) is committed first,
/// so that no group grows with a backlog of writes.
async fn enter(
    shared: &Arc<Shared>,
    mut slot: SlotGuard,
) -> Result<(SlotGuard, watch::Receiver<Option<Outcome>>), sqlx::Error> {
    if slot.group.as_ref().is_some_and(Group::is_full) {
        slot = committed(shared, slot).await?;
    }
    // Out of the slot while it is checked: a check cut short leaves no group to join.
    if let Some(group) = slot.group.take_if(|group| !group.clean) {
        // A plain BEGIN fails inside a transaction ("within a transaction", SQLite's error 1)
        // and starts one otherwise: then the group's had ended, and the group failed.
        match sqlx::query("begin immediate").execute(&mut slot.conn).await {
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("1") => slot.group = Some(group),
            checked => {
                tracing::error!("the writer's group transaction ended before its commit; its writes are refused");
                fail(group, "its transaction ended before its commit");
                abandon(&mut slot.conn).await;
                checked?;
            }
        }
    }
    if slot.group.is_none() {
        let begun = match Manager::begin(&mut slot.conn, Some(Cow::Borrowed("begin immediate"))).await {
            // sqlx counts a transaction still open (left by a check cut short): end it first.
            Err(sqlx::Error::InvalidSavePointStatement) => {
                abandon(&mut slot.conn).await;
                Manager::begin(&mut slot.conn, Some(Cow::Borrowed("begin immediate"))).await
            }
            begun => begun,
        };
        begun?;
        slot.group = Some(Group::new());
        // Full: the committer is already woken.
        let _ = shared.opened.try_send(());
    }
    let Some(group) = slot.group.as_mut() else { return Err(uncommitted("no group")) };
    group.writes += 1;
    group.clean = false;
    let outcome = group.outcome.subscribe();
    Ok((slot, outcome))
}

/// Commits the open group, if any, in a task of its own: a request cancelled meanwhile
/// (its deadline) leaves the commit to finish and tell the group's writes, and the
/// connection is handed on after it.
async fn committed(shared: &Arc<Shared>, slot: SlotGuard) -> Result<SlotGuard, sqlx::Error> {
    if slot.group.is_none() {
        return Ok(slot);
    }
    let shared = shared.clone();
    let committing = tokio::spawn(async move {
        let mut slot = slot;
        commit(&mut slot, &shared.released).await;
        slot
    });
    committing.await.map_err(|_| sqlx::Error::WorkerCrashed)
}

impl Group {
    fn new() -> Self {
        Self { started: Instant::now(), writes: 0, clean: true, outcome: watch::channel(None).0 }
    }

    /// Whether the group takes no more writes: it has [`GROUP_MOST`], or has been open for
    /// [`GROUP_OPEN`]. The next write commits it first; the committer no longer waits for more.
    fn is_full(&self) -> bool {
        self.writes >= GROUP_MOST || self.started.elapsed() >= GROUP_OPEN
    }
}

/// Tells a group's writes that it failed.
fn fail(group: Group, why: &str) {
    group.outcome.send_replace(Some(Err(Arc::from(why))));
}

/// The task that commits each group once the writes queued behind it have joined it.
/// Queued on the connection's mutex like any write, it has it when the writes ahead of it
/// have run their bodies; while more are queued (and the group has room), it queues again.
async fn commit_groups(shared: Weak<Shared>, mut opened: mpsc::Receiver<()>) {
    while opened.recv().await.is_some() {
        loop {
            let Some(shared) = shared.upgrade() else { return };
            let mut slot = shared.slot.lock().await;
            let Some(open) = slot.as_mut() else { return };
            let Some(group) = &open.group else { break };
            let more = shared.queued.load(Ordering::Acquire) > 0;
            if more && !group.is_full() {
                drop(slot);
                tokio::task::yield_now().await;
                continue;
            }
            commit(open, &shared.released).await;
            break;
        }
    }
}

/// Commits the open group (if any) and tells its writes; on failure rolls everything back.
async fn commit(slot: &mut Slot, released: &watch::Sender<u64>) {
    let Some(group) = slot.group.take() else { return };
    let outcome = match Manager::commit(&mut slot.conn).await {
        // A write that left a savepoint of its own open would have made that COMMIT a RELEASE.
        Ok(()) if Manager::get_transaction_depth(&slot.conn) == 0 => Ok(()),
        Ok(()) => {
            tracing::error!("a write left its transaction open inside its group; the group is rolled back");
            abandon(&mut slot.conn).await;
            Err(Arc::from("a write left its transaction open"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "a group commit failed");
            abandon(&mut slot.conn).await;
            Err(Arc::from(e.to_string()))
        }
    };
    metrics::histogram!("doable_sqlite_commit_writes").record(group.writes as f64);
    group.outcome.send_replace(Some(outcome));
    released.send_modify(|n| *n = n.wrapping_add(1));
}

/// Rolls back whatever transaction sqlx counts open on the connection, so that both it and
/// SQLite see none. SQLite may have ended the transaction already (it rolls back on a full
/// disk or an I/O error) while sqlx still counts it and its savepoints: a BEGIN (which fails
/// harmlessly inside a transaction) and a savepoint of each name sqlx will roll back to let
/// every one of its ROLLBACKs find what it names. Safe to run again if cut short.
async fn abandon(conn: &mut SqliteConnection) {
    // sqlx's count is its worker's: current once what was queued before (a cancelled
    // write's rollback) has run.
    if let Err(e) = sqlx::query("select 1").execute(&mut *conn).await {
        tracing::warn!(error = %e, "the writer connection does not answer");
    }
    let depth = Manager::get_transaction_depth(conn);
    if depth == 0 {
        return;
    }
    let _ = sqlx::query("begin").execute(&mut *conn).await;
    for level in 1..depth {
        let _ = sqlx::query(&format!("savepoint _sqlx_savepoint_{level}")).execute(&mut *conn).await;
    }
    for _ in 0..depth {
        if let Err(e) = Manager::rollback(conn).await {
            tracing::error!(error = %e, "rolling back the writer's transaction failed");
            return;
        }
    }
}

#[cfg(test)]
mod tests;
