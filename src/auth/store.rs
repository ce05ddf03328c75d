//! SQL for accounts and sessions.

use sqlx::Connection;
use uuid::Uuid;

use super::User;
use crate::{
    db::{Db, ResultExt, Timestamp, execute, with_pool, with_writer, with_writer_alone},
    error::AppError,
    reminders::schedule::retime,
};

/// A user row with its password hash. Deliberately not `Serialize`: the hash never leaves
/// the server.
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
    /// The host has disabled the account (`doable user disable`).
    pub disabled: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    time_zone: String,
    created_at: Timestamp,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self { id: row.id, email: row.email, name: row.name, time_zone: row.time_zone, created_at: row.created_at.0 }
    }
}

#[derive(sqlx::FromRow)]
struct UserWithHashRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
    disabled_at: Option<Timestamp>,
}

/// A new account's fields.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub time_zone: &'a str,
    pub password_hash: &'a str,
}

pub async fn create_user(db: &Db, account: NewAccount<'_>) -> Result<User, AppError> {
    let now = Timestamp::now();
    let id = Uuid::now_v7();
    execute!(db, |conn| {
        sqlx::query(
            "insert into users (id, email, name, time_zone, password_hash, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id)
        .bind(account.email)
        .bind(account.name)
        .bind(account.time_zone)
        .bind(account.password_hash)
        .bind(now)
        .execute(conn)
    })
    .on_constraint("users_email_key", |_| AppError::EmailTaken)?;
    let NewAccount { email, name, time_zone, .. } = account;
    Ok(User { id, email: email.to_owned(), name: name.to_owned(), time_zone: time_zone.to_owned(), created_at: now.0 })
}

/// Changes an account's name and time zone; the account as it is now. The reminders queued
/// for them move to the new zone's clock in the same transaction.
pub async fn update_profile(db: &Db, user_id: Uuid, name: &str, time_zone: &str) -> Result<Option<User>, AppError> {
    let zone = crate::zone::Zone::of_account(time_zone);
    // Alone: the account's reminders may be many rows, and a group's other writes would wait.
    let row: Option<UserRow> = with_writer_alone!(db, |conn| {
        let mut tx = conn.begin().await?;
        let row: Option<UserRow> = sqlx::query_as(
            "update users set name = $1, time_zone = $2, updated_at = $3 where id = $4 \
             returning id, email, name, time_zone, created_at",
        )
        .bind(name)
        .bind(time_zone)
        .bind(Timestamp::now())
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        // Reminders of a zone unchanged are where they were (retiming finds each in place).
        retime!(tx, user_id, &zone).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(row)
    })?;
    Ok(row.map(User::from))
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<StoredUser>, AppError> {
    let row: Option<UserWithHashRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select id, email, name, time_zone, created_at, password_hash, disabled_at from users where email = $1",
        )
        .bind(email)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.map(|row| StoredUser {
        user: row.user.into(),
        password_hash: row.password_hash,
        disabled: row.disabled_at.is_some(),
    }))
}

pub async fn set_password(db: &Db, user_id: Uuid, password_hash: &str) -> Result<(), AppError> {
    execute!(db, |conn| {
        sqlx::query("update users set password_hash = $1, updated_at = $2 where id = $3")
            .bind(password_hash)
            .bind(Timestamp::now())
            .bind(user_id)
            .execute(conn)
    })?;
    Ok(())
}

/// Creates a session of an account that is not disabled and, with `password_hash`, still has
/// that hash; whether it did.
pub async fn create_session(
    db: &Db,
    id: Uuid,
    user_id: Uuid,
    now: Timestamp,
    expires: Timestamp,
    password_hash: Option<&str>,
) -> Result<bool, AppError> {
    let created = execute!(db, |conn| {
        sqlx::query(
            "insert into sessions (id, user_id, created_at, expires_at) select $1, $2, $3, $4 \
             where exists (select 1 from users where id = $2 and disabled_at is null \
             and ($5 is null or password_hash = $5))",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .bind(expires)
        .bind(password_hash)
        .execute(conn)
    })?;
    Ok(created == 1)
}

/// Replaces a password hash made with older settings, unless the hash changed meanwhile;
/// whether it did.
pub async fn rehash_password(db: &Db, user_id: Uuid, old: &str, new: &str) -> Result<bool, AppError> {
    let changed = execute!(db, |conn| {
        sqlx::query("update users set password_hash = $1 where id = $2 and password_hash = $3")
            .bind(new)
            .bind(user_id)
            .bind(old)
            .execute(conn)
    })?;
    Ok(changed == 1)
}

/// The user of a live session: it exists, belongs to `user_id`, has not expired, and its
/// account is not disabled.
pub async fn session_user(db: &Db, session_id: Uuid, user_id: Uuid, now: Timestamp) -> Result<Option<User>, AppError> {
    // Looked up by the session's key alone (a condition on `s.user_id` lets SQLite's planner
    // pick the per-user index and scan all of a user's sessions); the owner is checked here.
    let row: Option<UserRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select u.id, u.email, u.name, u.time_zone, u.created_at from sessions s join users u on u.id = s.user_id \
             where s.id = $1 and s.expires_at > $2 and u.disabled_at is null",
        )
        .bind(session_id)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.map(User::from).filter(|user| user.id == user_id))
}

pub async fn delete_session(db: &Db, session_id: Uuid, user_id: Uuid) -> Result<(), AppError> {
    execute!(db, |conn| {
        sqlx::query("delete from sessions where id = $1 and user_id = $2").bind(session_id).bind(user_id).execute(conn)
    })?;
    Ok(())
}

pub async fn delete_user_sessions(db: &Db, user_id: Uuid) -> Result<(), AppError> {
    execute!(db, |conn| sqlx::query("delete from sessions where user_id = $1").bind(user_id).execute(conn))?;
    Ok(())
}

/// Removes sessions that have expired; returns how many.
pub async fn delete_expired_sessions(db: &Db, now: Timestamp) -> Result<u64, AppError> {
    Ok(execute!(db, |conn| sqlx::query("delete from sessions where expires_at <= $1").bind(now).execute(conn))?)
}

/// An account as the host's `doable user list` shows it.
#[derive(sqlx::FromRow)]
pub struct AccountRow {
    pub email: String,
    pub name: String,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
    /// Sessions that have not expired.
    pub sessions: i64,
}

/// Every account, by email.
pub async fn list_accounts(db: &Db) -> Result<Vec<AccountRow>, AppError> {
    Ok(with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select u.email, u.name, u.created_at, u.disabled_at, \
             (select count(*) from sessions s where s.user_id = u.id and s.expires_at > $1) as sessions \
             from users u order by u.email",
        )
        .bind(Timestamp::now())
        .fetch_all(pool)
        .await
    })?)
}

/// Gives the account `email` a new password hash and ends its sessions, in one transaction;
/// `None` when there is no such account.
pub async fn replace_password(db: &Db, email: &str, password_hash: &str) -> Result<Option<Uuid>, AppError> {
    Ok(with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let id: Option<Uuid> =
            sqlx::query_scalar("update users set password_hash = $1, updated_at = $2 where email = $3 returning id")
                .bind(password_hash)
                .bind(Timestamp::now())
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = id {
            sqlx::query("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await.map(|()| id)
    })?)
}

/// Disables the account `email` and ends its sessions (in one transaction), or enables it;
/// `None` when there is no such account. Disabling a disabled account keeps its first date.
pub async fn set_disabled(db: &Db, email: &str, disabled: bool) -> Result<Option<Uuid>, AppError> {
    let now = Timestamp::now();
    Ok(with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "update users set disabled_at = case when $1 then coalesce(disabled_at, $2) end, updated_at = $2 \
             where email = $3 returning id",
        )
        .bind(disabled)
        .bind(now)
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        if let (Some(id), true) = (id, disabled) {
            sqlx::query("delete from sessions where user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await.map(|()| id)
    })?)
}
