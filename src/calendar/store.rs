//! SQL for the calendar feed: the secret of an account's address, and the tasks its feed
//! shows, read through the person's lists in the statement that reads them.

use time::Date;
use uuid::Uuid;

use super::EVENTS_MAX;
use crate::{
    db::{Db, Timestamp, with_pool, with_writer},
    error::AppError,
    lists::store::member_lists,
};

/// The secret of an account's feed, while it is on.
pub async fn secret(db: &Db, user_id: Uuid) -> Result<Option<String>, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_scalar("select calendar_secret from users where id = $1").bind(user_id).fetch_optional(pool).await
    })?
    .flatten())
}

/// Turns the feed on with `fresh` as its secret, unless it is on already (`keep`: the
/// address stays the same) or, without `keep`, in any case (a new address: the old one stops);
/// the secret in force.
pub async fn set_secret(db: &Db, user_id: Uuid, fresh: &str, keep: bool) -> Result<Option<String>, AppError> {
    let sql = if keep {
        "update users set calendar_secret = coalesce(calendar_secret, $2) where id = $1 returning calendar_secret"
    } else {
        "update users set calendar_secret = $2 where id = $1 returning calendar_secret"
    };
    Ok(with_writer!(db, |conn| {
        sqlx::query_scalar::<_, Option<String>>(sql).bind(user_id).bind(fresh).fetch_optional(conn).await
    })?
    .flatten())
}

/// Turns the feed off: its address stops at once.
pub async fn clear_secret(db: &Db, user_id: Uuid) -> Result<(), AppError> {
    crate::db::execute!(db, |conn| {
        sqlx::query("update users set calendar_secret = null where id = $1").bind(user_id).execute(conn)
    })?;
    Ok(())
}

/// The account of a feed: its id and time zone, if the secret is one in force and the
/// account is not disabled.
pub async fn owner(db: &Db, secret: &str) -> Result<Option<(Uuid, String)>, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select id, time_zone from users where calendar_secret = $1 and calendar_secret is not null \
             and disabled_at is null",
        )
        .bind(secret)
        .fetch_optional(pool)
        .await
    })?)
}

/// A task as the feed shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedTask {
    pub id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    pub description: String,
    pub due_date: Date,
    pub due_minute: Option<i16>,
    pub repeat: Option<String>,
    pub repeat_from: i16,
    pub repeat_start: Option<Date>,
    pub reminders: Option<String>,
    pub tags: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The open tasks with a due date in the lists the person is a member of: the
/// [`EVENTS_MAX`] latest-due, by due date and id, from 1900 on (a calendar has nothing to
/// draw before, and its readers refuse years before 1). A task's reminders are given only
/// when the app reminds this person of it: assigned to them, or to nobody in a list whose
/// reminders they hear.
pub async fn tasks(db: &Db, user_id: Uuid) -> Result<Vec<FeedTask>, AppError> {
    let lists = member_lists("$1");
    let earliest = Date::from_calendar_date(FIRST_YEAR, time::Month::January, 1).unwrap_or(Date::MIN);
    let mut tasks: Vec<FeedTask> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!(
            "select t.id, t.list_id, t.title, t.description, t.due_date, t.due_minute, t.repeat, t.repeat_from, \
             t.repeat_start, case when t.assignee_id = $1 or (t.assignee_id is null and m.reminders) \
             then t.reminders end as reminders, t.tags, t.created_at, t.updated_at \
             from tasks t join list_members m on m.list_id = t.list_id and m.user_id = $1 \
             where t.list_id in {lists} and t.completed = $3 and t.due_date >= $4 \
             order by t.due_date desc, t.id desc limit $2"
        ))
        .bind(user_id)
        .bind(EVENTS_MAX)
        // An equality (not `not t.completed`), so that each list's open range of its due-date
        // index is read.
        .bind(false)
        .bind(earliest)
        .fetch_all(pool)
        .await
    })?;
    tasks.reverse();
    Ok(tasks)
}

/// The first year a feed shows.
pub const FIRST_YEAR: i32 = 1900;
