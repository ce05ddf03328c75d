//! SQLite's group commit ([`super`]), on a database file of its own.

use std::time::Duration;

use sqlx::{
    Connection, SqliteConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};
use tokio::time::Instant;

use super::{REQUEST_DEADLINE, SqliteWriter, Writer};

/// What [`with_writer!`] needs of a database.
struct Db {
    writer: Writer,
}

impl Db {
    fn writer(&self) -> &Writer {
        &self.writer
    }
    fn wrote(&self) {}
}

/// A writer on a new file with a table of rows whose parent is checked only at commit.
async fn open() -> (Db, SqliteConnectOptions, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("group.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("create table parents (id integer primary key)").execute(&mut conn).await.unwrap();
    sqlx::query("insert into parents values (1)").execute(&mut conn).await.unwrap();
    sqlx::query(
        "create table rows (id integer primary key, parent integer not null \
         references parents (id) deferrable initially deferred)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    // A row here ends the whole transaction, as SQLite does itself on a full disk.
    sqlx::query("create table doom (id integer primary key)").execute(&mut conn).await.unwrap();
    sqlx::query("create trigger doom before insert on doom begin select raise(rollback, 'the disk is full'); end")
        .execute(&mut conn)
        .await
        .unwrap();
    (Db { writer: Writer::Sqlite(SqliteWriter::new(conn)) }, options, dir)
}

fn sqlite(db: &Db) -> &SqliteWriter {
    match db.writer() {
        Writer::Sqlite(writer) => writer,
        Writer::Postgres(_) => unreachable!(),
    }
}

/// A request's write of row `id` (in a transaction of its own, as the app writes), which
/// then fails when `fail` says so.
async fn write(db: &Db, id: i64, parent: i64, fail: bool) -> Result<(), sqlx::Error> {
    let request = async {
        crate::db::with_writer!(db, |conn| {
            let mut tx = conn.begin().await?;
            sqlx::query("insert into rows (id, parent) values ($1, $2)")
                .bind(id)
                .bind(parent)
                .execute(&mut *tx)
                .await?;
            if fail {
                return Err(sqlx::Error::RowNotFound);
            }
            tx.commit().await
        })
    };
    REQUEST_DEADLINE.scope(Instant::now() + Duration::from_secs(10), request).await
}

/// A request's write that ends the whole transaction from inside its own savepoint.
async fn doomed(db: &Db) -> Result<(), sqlx::Error> {
    let request = async {
        crate::db::with_writer!(db, |conn| {
            let mut tx = conn.begin().await?;
            sqlx::query("insert into doom (id) values (1)").execute(&mut *tx).await?;
            tx.commit().await
        })
    };
    REQUEST_DEADLINE.scope(Instant::now() + Duration::from_secs(10), request).await
}

/// The rows another connection sees.
async fn rows(options: &SqliteConnectOptions) -> Vec<i64> {
    let mut reader = SqliteConnection::connect_with(options).await.unwrap();
    sqlx::query_scalar("select id from rows order by id").fetch_all(&mut reader).await.unwrap()
}

/// Runs `writes` while the writer is held, so that they all queue and join one group.
async fn queued_together(db: &std::sync::Arc<Db>, writes: &[(i64, i64, bool)]) -> Vec<Result<(), sqlx::Error>> {
    let held = sqlite(db).lock().await.unwrap();
    let tasks: Vec<_> = writes
        .iter()
        .map(|&(id, parent, fail)| {
            let db = db.clone();
            tokio::spawn(async move { write(&db, id, parent, fail).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(held);
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_that_arrive_together_share_commits_and_are_read_back_once_answered() {
    let (db, options, _dir) = open().await;
    let db = std::sync::Arc::new(db);
    let commits = sqlite(&db).released();
    let before = *commits.borrow();
    let tasks: Vec<_> = (1..=40)
        .map(|id| {
            let (db, options) = (db.clone(), options.clone());
            tokio::spawn(async move {
                write(&db, id, 1, false).await.unwrap();
                // Answered means committed: another connection reads it at once.
                let mut reader = SqliteConnection::connect_with(&options).await.unwrap();
                let found: Option<i64> = sqlx::query_scalar("select id from rows where id = $1")
                    .bind(id)
                    .fetch_optional(&mut reader)
                    .await
                    .unwrap();
                assert_eq!(found, Some(id));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(rows(&options).await, (1..=40).collect::<Vec<_>>());
    let made = commits.borrow().wrapping_sub(before);
    assert!(made < 40, "40 writes at once took {made} commits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_whose_commit_fails_fails_every_write_in_it_and_keeps_none() {
    let (db, options, _dir) = open().await;
    let db = std::sync::Arc::new(db);
    // Row 4's parent does not exist, which only the commit finds.
    let outcomes = queued_together(&db, &[(1, 1, false), (2, 1, false), (3, 1, false), (4, 99, false)]).await;
    for outcome in &outcomes {
        let error = outcome.as_ref().unwrap_err();
        assert!(matches!(error, sqlx::Error::Io(_)), "{error:?}");
    }
    assert_eq!(rows(&options).await, Vec::<i64>::new());
    // The connection is clean again.
    write(&db, 5, 1, false).await.unwrap();
    assert_eq!(rows(&options).await, vec![5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_fails_leaves_the_others_of_its_group() {
    let (db, options, _dir) = open().await;
    let db = std::sync::Arc::new(db);
    let outcomes = queued_together(&db, &[(1, 1, false), (2, 1, true), (3, 1, false)]).await;
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "{outcomes:?}");
    assert!(matches!(outcomes[1], Err(sqlx::Error::RowNotFound)), "{outcomes:?}");
    assert_eq!(rows(&options).await, vec![1, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_write_does_not_hold_its_group_open() {
    let (db, options, _dir) = open().await;
    let db = std::sync::Arc::new(db);
    let stuck = {
        let db = db.clone();
        tokio::spawn(REQUEST_DEADLINE.scope(Instant::now() + Duration::from_secs(10), async move {
            crate::db::with_writer!(db, |conn| {
                sqlx::query("insert into rows (id, parent) values (1, 1)").execute(conn).await?;
                std::future::pending::<()>().await;
                Ok::<_, sqlx::Error>(())
            })
        }))
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    stuck.abort();
    // The statement it had run is committed with its group, as it would have been alone.
    let waited = Instant::now();
    while rows(&options).await != vec![1] {
        assert!(waited.elapsed() < Duration::from_secs(5), "the group was never committed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    write(&db, 2, 1, false).await.unwrap();
    assert_eq!(rows(&options).await, vec![1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_outside_a_request_commits_alone_and_at_once() {
    let (db, options, _dir) = open().await;
    let outcome = crate::db::with_writer!(db, |conn| {
        sqlx::query("insert into rows (id, parent) values (7, 1)").execute(conn).await.map(drop)
    });
    outcome.unwrap();
    assert_eq!(rows(&options).await, vec![7]);
    // Nothing else is left open: a checkpoint-like statement that needs no transaction runs.
    let mut alone = sqlite(&db).lock().await.unwrap();
    sqlx::query("pragma wal_checkpoint(truncate)").execute(&mut *alone).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_ended_by_sqlite_fails_its_group_and_the_writer_goes_on() {
    let (db, options, _dir) = open().await;
    let db = std::sync::Arc::new(db);
    let held = sqlite(&db).lock().await.unwrap();
    let first = {
        let db = db.clone();
        tokio::spawn(async move { write(&db, 1, 1, false).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let doom = {
        let db = db.clone();
        tokio::spawn(async move { doomed(&db).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after = {
        let db = db.clone();
        tokio::spawn(async move { write(&db, 3, 1, false).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(held);
    // The first write's row went with the transaction: it must not be answered as kept.
    assert!(first.await.unwrap().is_err());
    assert!(doom.await.unwrap().is_err());
    after.await.unwrap().unwrap();
    assert_eq!(rows(&options).await, vec![3]);
    // A write alone and a request's write after it are committed as usual.
    crate::db::with_writer!(db, |conn| {
        sqlx::query("insert into rows (id, parent) values (4, 1)").execute(conn).await.map(drop)
    })
    .unwrap();
    write(&db, 5, 1, false).await.unwrap();
    assert_eq!(rows(&options).await, vec![3, 4, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_writes_is_committed_sixteen_at_most_at_a_time() {
    let (db, options, _dir) = open().await;
    let db = std::sync::Arc::new(db);
    let commits = sqlite(&db).released();
    let before = *commits.borrow();
    let writes: Vec<_> = (1..=48).map(|id| (id, 1, false)).collect();
    let outcomes = queued_together(&db, &writes).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(rows(&options).await.len(), 48);
    // At least three groups, and the lock held meanwhile counts one more.
    let made = commits.borrow().wrapping_sub(before);
    assert!(made > 48 / super::GROUP_MOST as u64, "48 writes took {made} commits");
}
