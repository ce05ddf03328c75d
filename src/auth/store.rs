//! SQL for accounts and sessions.

use uuid::Uuid;

use super::User;
use crate::{
    db::{Db, ResultExt, Timestamp, execute, with_pool},
    error::AppError,
};

/// A user row with its password hash. Deliberately not `Serialize`: the hash never leaves
/// the server.
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    created_at: Timestamp,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self { id: row.id, email: row.email, name: row.name, created_at: row.created_at.0 }
    }
}

#[derive(sqlx::FromRow)]
struct UserWithHashRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

pub async fn create_user(db: &Db, email: &str, name: &str, password_hash: &str) -> Result<User, AppError> {
    let now = Timestamp::now();
    let id = Uuid::now_v7();
    execute!(db, |conn| {
        sqlx::query(
            "insert into users (id, email, name, password_hash, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .execute(conn)
    })
    .on_constraint("users_email_key", |_| AppError::EmailTaken)?;
    Ok(User { id, email: email.to_owned(), name: name.to_owned(), created_at: now.0 })
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<StoredUser>, AppError> {
    let row: Option<UserWithHashRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as("select id, email, name, created_at, password_hash from users where email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.map(|row| StoredUser { user: row.user.into(), password_hash: row.password_hash }))
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

pub async fn create_session(
    db: &Db,
    id: Uuid,
    user_id: Uuid,
    now: Timestamp,
    expires: Timestamp,
) -> Result<(), AppError> {
    execute!(db, |conn| {
        sqlx::query("insert into sessions (id, user_id, created_at, expires_at) values ($1, $2, $3, $4)")
            .bind(id)
            .bind(user_id)
            .bind(now)
            .bind(expires)
            .execute(conn)
    })?;
    Ok(())
}

/// The user of a live session: it exists, belongs to `user_id`, and has not expired.
pub async fn session_user(db: &Db, session_id: Uuid, user_id: Uuid, now: Timestamp) -> Result<Option<User>, AppError> {
    // Looked up by the session's key alone (a condition on `s.user_id` lets SQLite's planner
    // pick the per-user index and scan all of a user's sessions); the owner is checked here.
    let row: Option<UserRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select u.id, u.email, u.name, u.created_at from sessions s join users u on u.id = s.user_id \
             where s.id = $1 and s.expires_at > $2",
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
