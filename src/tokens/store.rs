//! SQL for API tokens: making, listing and revoking a person's own, and finding the person
//! of a request's token.

use std::time::Duration;

use uuid::Uuid;

use super::{ApiToken, PER_ACCOUNT, Scope, input::TokenRequest};
use crate::{
    auth::User,
    db::{Db, Timestamp, execute, with_pool},
    error::AppError,
};

/// `last_used_at` is written at most this often per token: a script's every request reads
/// its token, and a write for each would queue behind SQLite's one writer.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    scope: String,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, name, scope, created_at, last_used_at, expires_at";

impl From<Row> for ApiToken {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            name: row.name,
            // The column's check allows only the two.
            scope: Scope::parse(&row.scope).unwrap_or(Scope::Read),
            created_at: row.created_at.0,
            last_used_at: row.last_used_at.map(|t| t.0),
            expired: row.expires_at.is_some_and(|at| at <= Timestamp::now()),
            expires_at: row.expires_at.map(|t| t.0),
        }
    }
}

/// Makes a token with this SHA-256, unless the account has [`PER_ACCOUNT`] tokens already
/// (expired ones included, until deleted: the count stays bounded), checked in the statement
/// that inserts it; `None` then.
pub async fn create(db: &Db, user_id: Uuid, request: &TokenRequest, hash: &[u8]) -> Result<Option<ApiToken>, AppError> {
    let now = Timestamp::now();
    let expires_at = request.expires_in_days.map(|days| now + Duration::from_secs(days.unsigned_abs() * 86_400));
    let row: Option<Row> = crate::db::with_writer!(db, |conn| {
        sqlx::query_as(&format!(
            "insert into api_tokens (id, user_id, name, scope, hash, created_at, expires_at) \
             select $1, $2, $3, $4, $5, $6, $7 \
             where (select count(*) from api_tokens where user_id = $2) < $8 \
             returning {COLUMNS}"
        ))
        .bind(Uuid::now_v7())
        .bind(user_id)
        .bind(&request.name)
        .bind(request.scope.as_str())
        .bind(hash)
        .bind(now)
        .bind(expires_at)
        .bind(PER_ACCOUNT)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row.map(ApiToken::from))
}

/// A person's tokens, newest first.
pub async fn list(db: &Db, user_id: Uuid) -> Result<Vec<ApiToken>, AppError> {
    let rows: Vec<Row> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!(
            "select {COLUMNS} from api_tokens where user_id = $1 order by created_at desc, id desc limit $2"
        ))
        .bind(user_id)
        .bind(PER_ACCOUNT)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().map(ApiToken::from).collect())
}

/// Deletes one of a person's tokens; whether there was one (another person's is not theirs).
pub async fn revoke(db: &Db, user_id: Uuid, id: Uuid) -> Result<bool, AppError> {
    let deleted = execute!(db, |conn| {
        sqlx::query("delete from api_tokens where id = $1 and user_id = $2").bind(id).bind(user_id).execute(conn)
    })?;
    Ok(deleted == 1)
}

/// The person of a token, by its SHA-256.
pub struct TokenUser {
    /// The person.
    pub user: User,
    /// The token's id.
    pub id: Uuid,
    /// What it may do.
    pub scope: Scope,
    /// When it was last recorded as used.
    pub last_used_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    token_id: Uuid,
    scope: String,
    last_used_at: Option<Timestamp>,
    id: Uuid,
    email: String,
    name: String,
    time_zone: String,
    created_at: Timestamp,
}

/// The person of a live token: it exists, has not expired, and its account is not disabled.
pub async fn token_user(db: &Db, hash: &[u8], now: Timestamp) -> Result<Option<TokenUser>, AppError> {
    let row: Option<UserRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select t.id as token_id, t.scope, t.last_used_at, u.id, u.email, u.name, u.time_zone, u.created_at \
             from api_tokens t join users u on u.id = t.user_id \
             where t.hash = $1 and (t.expires_at is null or t.expires_at > $2) and u.disabled_at is null",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.map(|row| TokenUser {
        user: User {
            id: row.id,
            email: row.email,
            name: row.name,
            time_zone: row.time_zone,
            created_at: row.created_at.0,
        },
        id: row.token_id,
        scope: Scope::parse(&row.scope).unwrap_or(Scope::Read),
        last_used_at: row.last_used_at,
    }))
}

/// Records that a token was used now, unless another request (on any server) recorded it
/// within [`TOUCH_EVERY`].
pub async fn touch(db: &Db, id: Uuid, now: Timestamp) -> Result<(), AppError> {
    execute!(db, |conn| {
        sqlx::query(
            "update api_tokens set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at <= $3)",
        )
        .bind(id)
        .bind(now)
        .bind(now - TOUCH_EVERY)
        .execute(conn)
    })?;
    Ok(())
}
