//! SQL for notifications: reading and marking a person's own, and sending the reminders that
//! have come due.
//!
//! Sending is one transaction per batch: the due rows of `reminder_queue` are deleted (on
//! PostgreSQL with `for update skip locked`, so that two servers sweeping at once take
//! different rows) and each becomes a notification in the same transaction, with the task
//! checked again in the statement that writes it: still open, still due on the date the row
//! was queued for, still carrying that reminder, in a live list the person is still a member
//! of, and theirs to hear (assigned to them, or to nobody in a list whose reminders they
//! chose to hear). A row that fails the check is dropped unsent. A server that stops
//! mid-batch commits nothing of it; the next sweep, here or on another server, sends it.

use sqlx::Connection;
use time::Date;
use uuid::Uuid;

use super::{MarkedRead, Notification, Notifications, UNREAD_COUNTED, input::Page};
use crate::{
    db::{Db, Timestamp, execute, with_pool, with_writer},
    error::AppError,
    lists::store::member_lists,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    task_id: Option<Uuid>,
    list_id: Option<Uuid>,
    title: String,
    reminder: String,
    due_date: Option<Date>,
    due_minute: Option<i16>,
    fire_at: Timestamp,
    late: bool,
    created_at: Timestamp,
    read_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, task_id, list_id, title, reminder, due_date, due_minute, fire_at, late, created_at, read_at";

impl From<Row> for Notification {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            kind: "reminder".to_owned(),
            task_id: row.task_id,
            list_id: row.list_id,
            title: row.title,
            reminder_text: crate::reminders::describe_text(&row.reminder),
            reminder: row.reminder,
            due_date: row.due_date,
            due_time: row.due_minute.and_then(crate::dates::time_of_minute),
            remind_at: row.fire_at.0,
            late: row.late,
            created_at: row.created_at.0,
            read: row.read_at.is_some(),
        }
    }
}

/// How many of a person's notifications are unread, up to [`UNREAD_COUNTED`] (an index read
/// of at most that many entries).
pub async fn unread(db: &Db, user_id: Uuid) -> Result<i64, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_scalar(
            "select count(*) from (select 1 from notifications where user_id = $1 and read_at is null limit $2) u",
        )
        .bind(user_id)
        .bind(UNREAD_COUNTED)
        .fetch_one(pool)
        .await
    })?)
}

/// A page of a person's notifications, newest first.
pub async fn page(db: &Db, user_id: Uuid, page: Page) -> Result<Notifications, AppError> {
    let select = format!(
        "select {COLUMNS} from notifications where user_id = $1 and ($2 or read_at is null) \
         and ($3 is null or id < $3) order by id desc limit $4"
    );
    let mut rows: Vec<Row> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&select)
            .bind(user_id)
            .bind(!page.unread)
            .bind(page.before)
            .bind(page.limit + 1)
            .fetch_all(pool)
            .await
    })?;
    let more = rows.len() > usize::try_from(page.limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(page.limit).unwrap_or(0));
    let next_before = if more { rows.last().map(|row| row.id) } else { None };
    Ok(Notifications {
        notifications: rows.into_iter().map(Notification::from).collect(),
        unread: unread(db, user_id).await?,
        next_before,
    })
}

/// Marks one of a person's notifications (`Some(id)`) or all of them read. One that is not
/// theirs is not found; one already read stays as it was (0 marked).
pub async fn mark_read(db: &Db, user_id: Uuid, which: Option<Uuid>) -> Result<MarkedRead, AppError> {
    let now = Timestamp::now();
    let read = execute!(db, |conn| {
        sqlx::query(
            "update notifications set read_at = $1 where user_id = $2 and read_at is null and ($3 is null or id = $3)",
        )
        .bind(now)
        .bind(user_id)
        .bind(which)
        .execute(conn)
    })?;
    if let (0, Some(id)) = (read, which) {
        let theirs: bool = with_pool!(db.read(), |pool| {
            sqlx::query_scalar("select exists (select 1 from notifications where id = $1 and user_id = $2)")
                .bind(id)
                .bind(user_id)
                .fetch_one(pool)
                .await
        })?;
        if !theirs {
            return Err(AppError::NotFound);
        }
    }
    Ok(MarkedRead { read, unread: unread(db, user_id).await? })
}

/// A queued reminder taken for sending.
#[derive(sqlx::FromRow)]
struct Claimed {
    task_id: Uuid,
    user_id: Uuid,
    reminder: String,
    due_date: Option<Date>,
    fire_at: Timestamp,
}

/// What one sending batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Rows taken from the queue.
    pub claimed: usize,
    /// Notifications written.
    pub sent: usize,
}

/// Whether any reminder is due at `now` (a read, so that an idle SQLite server's sweeps never
/// take the writer).
pub async fn any_due(db: &Db, now: Timestamp) -> Result<bool, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_scalar("select exists (select 1 from reminder_queue where fire_at <= $1)")
            .bind(now)
            .fetch_one(pool)
            .await
    })?)
}

/// Sends up to `limit` reminders due at `now` as notifications (to be emailed too, with
/// `email`), in one transaction; those due more than `late_after` before `now` are marked
/// late.
pub async fn send_due(
    db: &Db,
    now: Timestamp,
    limit: i64,
    late_after: std::time::Duration,
    email: bool,
) -> Result<Sent, AppError> {
    let skip_locked = if db.is_sqlite() { "" } else { " for update skip locked" };
    let take = format!(
        "delete from reminder_queue where id in \
         (select id from reminder_queue where fire_at <= $1 order by fire_at limit $2{skip_locked}) \
         returning task_id, user_id, reminder, due_date, fire_at"
    );
    let notify = format!(
        "insert into notifications (id, user_id, task_id, list_id, title, reminder, due_date, due_minute, fire_at, \
         late, created_at, email) \
         select $1, $2, t.id, t.list_id, t.title, $3, t.due_date, t.due_minute, $4, $5, $6, $7 from tasks t \
         where t.id = $8 and not t.completed \
           and (',' || t.reminders || ',') like ('%,' || $3 || ',%') \
           and ($9 is null or t.due_date = $9) \
           and t.list_id in {lists} \
           and (t.assignee_id = $2 or (t.assignee_id is null and exists \
             (select 1 from list_members m where m.list_id = t.list_id and m.user_id = $2 and m.reminders)))",
        lists = member_lists("$2")
    );
    let late_before = now - late_after;
    with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let claimed: Vec<Claimed> = sqlx::query_as(&take).bind(now).bind(limit).fetch_all(&mut *tx).await?;
        let mut sent = 0;
        for row in &claimed {
            let written = sqlx::query(&notify)
                .bind(Uuid::now_v7())
                .bind(row.user_id)
                .bind(&row.reminder)
                .bind(row.fire_at)
                .bind(row.fire_at < late_before)
                .bind(now)
                .bind(i16::from(email))
                .bind(row.task_id)
                .bind(row.due_date)
                .execute(&mut *tx)
                .await?;
            sent += usize::try_from(written.rows_affected()).unwrap_or(0);
        }
        tx.commit().await?;
        Ok::<_, AppError>(Sent { claimed: claimed.len(), sent })
    })
}

/// A notification taken for emailing, with its person's address.
#[derive(Debug, sqlx::FromRow)]
pub struct ToEmail {
    /// The notification.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its reminder, canonical.
    pub reminder: String,
    /// The task's due date then.
    pub due_date: Option<Date>,
    /// The task's due time then.
    pub due_minute: Option<i16>,
    /// The task's list.
    pub list_id: Option<Uuid>,
    /// How many times it has been tried, this one included.
    pub email_tries: i16,
    /// The person's email address.
    pub email: String,
    /// The person's name.
    pub name: String,
}

/// Takes up to `limit` notifications waiting to be emailed, each held by a lease until `until`
/// (a server that stops while sending leaves them to be taken again when it lapses: an email
/// may then go twice, never not at all).
pub async fn take_emails(db: &Db, now: Timestamp, until: Timestamp, limit: i64) -> Result<Vec<ToEmail>, AppError> {
    let skip_locked = if db.is_sqlite() { "" } else { " for update skip locked" };
    let take = format!(
        "update notifications set email_lease = $1, email_tries = email_tries + 1 where id in \
         (select id from notifications where email = 1 and (email_lease is null or email_lease <= $2) \
          order by email_lease is not null, email_lease limit $3{skip_locked}) \
         returning id, title, reminder, due_date, due_minute, list_id, email_tries, \
         (select email from users where users.id = notifications.user_id) as email, \
         (select name from users where users.id = notifications.user_id) as name"
    );
    if db.is_sqlite() {
        // As for reminders: a read first, so that idle sweeps leave the writer alone.
        let waiting: bool = with_pool!(db.read(), |pool| {
            sqlx::query_scalar(
                "select exists (select 1 from notifications \
                 where email = 1 and (email_lease is null or email_lease <= $1))",
            )
            .bind(now)
            .fetch_one(pool)
            .await
        })?;
        if !waiting {
            return Ok(Vec::new());
        }
    }
    Ok(with_writer!(db, |conn| sqlx::query_as(&take).bind(until).bind(now).bind(limit).fetch_all(conn).await)?)
}

/// Records what became of an email taken with the lease `until`: sent (`2`), given up (`3`),
/// or to be tried again at `retry` (`1`). Nothing, if another server has taken it since.
pub async fn emailed(
    db: &Db,
    id: Uuid,
    until: Timestamp,
    state: i16,
    retry: Option<Timestamp>,
) -> Result<(), AppError> {
    execute!(db, |conn| {
        sqlx::query("update notifications set email = $1, email_lease = $2 where id = $3 and email_lease = $4")
            .bind(state)
            .bind(retry)
            .bind(id)
            .bind(until)
            .execute(conn)
    })?;
    Ok(())
}

/// Forgets notifications older than [`super::KEPT_DAYS`]; returns how many.
pub async fn purge_expired(db: &Db) -> Result<u64, AppError> {
    let before = Timestamp::now() - std::time::Duration::from_secs(super::KEPT_DAYS.unsigned_abs() * 24 * 3600);
    Ok(execute!(db, |conn| sqlx::query("delete from notifications where created_at < $1").bind(before).execute(conn))?)
}
