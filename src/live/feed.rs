//! The change feed's SQL: reading it (in order, or what one person may see), numbering it
//! on PostgreSQL, forgetting it, and the table of open streams.
//!
//! A row is about a list (seen by the list's members as they are when it is read), about a
//! person (`user_id`: their notifications, a credential of theirs that ended, their own
//! removal from a list), or both.

use std::time::Duration;

use sqlx::{Connection as _, postgres::PgPool};
use uuid::Uuid;

use crate::{
    db::{Db, Timestamp, execute, with_pool, with_writer},
    error::AppError,
};

/// How long changes are kept: a client away longer is told to start over (`resync`).
pub const KEPT_DAYS: u64 = 8;
/// How often a server marks its open streams as alive.
pub const ALIVE_EVERY: Duration = Duration::from_secs(20);
/// A stream not marked for this long belongs to a server that stopped without closing it.
const STALE_AFTER: Duration = Duration::from_secs(60);
/// The channel on which PostgreSQL's servers tell each other the feed's last number.
pub const CHANNEL: &str = "doable_feed";
/// The advisory lock under which PostgreSQL's servers number the feed, one at a time.
const SEQUENCER_LOCK: i64 = 0x0064_6f61_626c_6501;

/// A row of the feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    /// Its number: later changes have larger ones.
    pub seq: i64,
    /// What happened: a history kind (`task_created`, ...), `notification_created`,
    /// `notification_read` or `credential_ended`.
    pub kind: String,
    /// The list it happened in.
    pub list_id: Option<Uuid>,
    /// Whom it is for, besides the list's members.
    pub user_id: Option<Uuid>,
    /// The task, member, notification or credential it is about.
    pub object_id: Option<Uuid>,
    /// More, by kind (a history event's detail).
    pub detail: Option<String>,
}

const COLUMNS: &str = "seq, kind, list_id, user_id, object_id, detail";

/// The numbers before the oldest change kept, and of the newest (0 and 0 for an empty feed).
pub async fn bounds(db: &Db) -> Result<(i64, i64), AppError> {
    Ok(with_pool!(db.read(), |pool| {
        // Each its own subquery: SQLite reads a lone min() or max() from the index, where the
        // two together scan the table.
        sqlx::query_as(
            "select coalesce((select min(seq) from changes) - 1, 0), coalesce((select max(seq) from changes), 0)",
        )
        .fetch_one(pool)
        .await
    })?)
}

/// At most `limit` changes after `after`, in order.
pub async fn after(db: &Db, after: i64, limit: i64) -> Result<Vec<Change>, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("select {COLUMNS} from changes where seq > $1 order by seq limit $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await
    })?)
}

/// At most `limit` changes after `after` and up to `until` that `user` may see now, in order:
/// those of their lists, and those for them of no list of theirs, each read through its own
/// index and at most `limit` of each.
pub async fn seen_by(db: &Db, user: Uuid, after: i64, until: i64, limit: i64) -> Result<Vec<Change>, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!(
            "select {COLUMNS} from (select {COLUMNS} from changes where seq > $1 and seq <= $2 \
             and list_id in (select list_id from list_members where user_id = $3) order by seq limit $4) mine \
             union all select {COLUMNS} from (select {COLUMNS} from changes where seq > $1 and seq <= $2 \
             and user_id = $3 and (list_id is null \
             or list_id not in (select list_id from list_members where user_id = $3)) order by seq limit $4) theirs \
             order by seq limit $4"
        ))
        .bind(after)
        .bind(until)
        .bind(user)
        .bind(limit)
        .fetch_all(pool)
        .await
    })?)
}

/// The members of these lists, as `(list, person)`.
pub async fn members(db: &Db, lists: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    if lists.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_pool!(db.read(), |pool| {
        let mut query = sqlx::QueryBuilder::new("select list_id, user_id from list_members where list_id in (");
        let mut each = query.separated(", ");
        for id in lists {
            each.push_bind(*id);
        }
        query.push(")");
        query.build_query_as().persistent(false).fetch_all(pool).await
    })?)
}

/// A list as its events show it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ListNow {
    /// The list's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Whether it is in the trash.
    pub deleted: bool,
}

/// These lists as they are now.
pub async fn lists(db: &Db, ids: &[Uuid]) -> Result<Vec<ListNow>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_pool!(db.read(), |pool| {
        let mut query =
            sqlx::QueryBuilder::new("select id, name, deleted_at is not null as deleted from lists where id in (");
        let mut each = query.separated(", ");
        for id in ids {
            each.push_bind(*id);
        }
        query.push(")");
        query.build_query_as().persistent(false).fetch_all(pool).await
    })?)
}

/// PostgreSQL: numbers the committed changes that have no number yet, after the largest
/// given, in the order they were written, and tells every server the last number (a NOTIFY
/// on [`CHANNEL`], sent when this commits). Servers do it one at a time (an advisory lock),
/// so a number, once visible, is never followed by a smaller one. Whether it numbered any.
pub async fn sequence(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)").bind(SEQUENCER_LOCK).execute(&mut *tx).await?;
    let last: Option<i64> = sqlx::query_scalar(
        "with base as (select coalesce(max(seq), 0) as b from changes), \
         pending as (select id, row_number() over (order by id) as n from changes where seq is null), \
         numbered as (update changes c set seq = base.b + pending.n from pending, base where c.id = pending.id \
         returning c.seq) select max(seq) from numbered",
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(last) = last {
        sqlx::query("select pg_notify($1, $2)").bind(CHANNEL).bind(last.to_string()).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(last.is_some())
}

/// Forgets the changes older than [`KEPT_DAYS`] (the newest stays, so numbers never start
/// over) and the streams of servers that stopped without closing them; how many rows.
pub async fn purge_expired(db: &Db) -> Result<u64, AppError> {
    let before = Timestamp::now() - Duration::from_secs(KEPT_DAYS * 24 * 3600);
    let changes = execute!(db, |conn| {
        sqlx::query("delete from changes where at < $1 and seq < (select max(seq) from changes)")
            .bind(before)
            .execute(conn)
    })?;
    let stale = Timestamp::now() - STALE_AFTER;
    let streams =
        execute!(db, |conn| { sqlx::query("delete from event_streams where seen_at < $1").bind(stale).execute(conn) })?;
    Ok(changes + streams)
}

/// Records a stream of `user`'s opened on `server`, unless they have [`super::STREAMS_MAX`]
/// open already (on every server); whether it was.
pub async fn open_stream(db: &Db, id: Uuid, user: Uuid, server: Uuid) -> Result<bool, AppError> {
    let now = Timestamp::now();
    let postgres = !db.is_sqlite();
    Ok(with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        if postgres {
            // Two servers opening a stream of the same person at once count one after the other.
            sqlx::query("select id from users where id = $1 for no key update").bind(user).execute(&mut *tx).await?;
        }
        let opened = sqlx::query(
            "insert into event_streams (id, user_id, server, seen_at) select $1, $2, $3, $4 \
             where (select count(*) from event_streams where user_id = $2 and seen_at >= $5) < $6",
        )
        .bind(id)
        .bind(user)
        .bind(server)
        .bind(now)
        .bind(now - STALE_AFTER)
        .bind(super::STREAMS_MAX)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok::<_, sqlx::Error>(opened == 1)
    })?)
}

/// Forgets a stream that ended.
pub async fn close_stream(db: &Db, id: Uuid) -> Result<(), AppError> {
    execute!(db, |conn| sqlx::query("delete from event_streams where id = $1").bind(id).execute(conn))?;
    Ok(())
}

/// Marks the streams open on `server` (`open`, their ids) as alive, and forgets its rows of
/// streams no longer open whose deletion failed (the writer was busy when they closed).
pub async fn mark_alive(db: &Db, server: Uuid, open: &[Uuid]) -> Result<(), AppError> {
    let now = Timestamp::now();
    for chunk in open.chunks(500) {
        with_writer!(db, |conn| {
            let mut query = sqlx::QueryBuilder::new("update event_streams set seen_at = ");
            query.push_bind(now).push(" where server = ").push_bind(server).push(" and id in (");
            let mut each = query.separated(", ");
            for id in chunk {
                each.push_bind(*id);
            }
            query.push(")");
            query.build().persistent(false).execute(conn).await.map(drop)
        })?;
    }
    execute!(db, |conn| {
        sqlx::query("delete from event_streams where server = $1 and seen_at < $2")
            .bind(server)
            .bind(now - ALIVE_EVERY * 2)
            .execute(conn)
    })?;
    Ok(())
}
