//! Fixed-window rate limits kept in the database, so that every instance behind a load
//! balancer counts against the same budget.
//!
//! Each limited thing has a key (`login:<email>`, `signup:<address>`) and a row with the
//! start of its window and the number of hits in it. A hit is counted *before* the work it
//! guards, in one atomic upsert, so concurrent attempts cannot slip past the limit.

use std::time::Duration;

use crate::{
    db::{Db, Timestamp, with_writer},
    error::AppError,
};

/// Failed logins allowed per account per window.
pub const LOGIN_ATTEMPTS: i64 = 10;
/// The login window.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The signup window.
pub const SIGNUP_WINDOW: Duration = Duration::from_secs(3600);

/// The app's rate limits.
#[derive(Clone, Debug)]
pub struct Limiter {
    signups_per_window: i64,
}

impl Limiter {
    /// Limits with the configured number of signups per client address per hour.
    pub fn new(signups_per_hour: u32) -> Self {
        Self { signups_per_window: i64::from(signups_per_hour) }
    }

    /// Counts a login (or password confirmation) attempt for an account; refuses it when the
    /// account already had [`LOGIN_ATTEMPTS`] unsuccessful ones in the window.
    pub async fn count_login_attempt(&self, db: &Db, email: &str) -> Result<(), AppError> {
        let (hits, retry_after) = hit(db, &format!("login:{email}"), LOGIN_WINDOW).await?;
        if hits > LOGIN_ATTEMPTS {
            tracing::warn!(email, "login refused: too many failed attempts");
            return Err(AppError::TooManyAttempts { retry_after });
        }
        Ok(())
    }

    /// A successful login forgets the account's failed attempts.
    pub async fn reset_login_attempts(&self, db: &Db, email: &str) -> Result<(), AppError> {
        with_writer!(db, pool => {
            sqlx::query("delete from rate_limits where key = $1").bind(format!("login:{email}")).execute(pool).await.map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Counts a signup from a client address; refuses it past the hourly limit.
    pub async fn check_signup(&self, db: &Db, client: &str) -> Result<(), AppError> {
        let (hits, retry_after) = hit(db, &format!("signup:{client}"), SIGNUP_WINDOW).await?;
        if hits > self.signups_per_window {
            tracing::warn!(client, "signup refused: rate limit");
            return Err(AppError::RateLimited { retry_after });
        }
        Ok(())
    }

    /// Removes windows that have ended; returns how many.
    pub async fn forget_expired(&self, db: &Db) -> Result<u64, AppError> {
        let horizon = Timestamp::now() - LOGIN_WINDOW.max(SIGNUP_WINDOW);
        let deleted = with_writer!(db, pool => {
            sqlx::query("delete from rate_limits where window_start <= $1").bind(horizon).execute(pool).await.map(|done| done.rows_affected())
        })?;
        Ok(deleted)
    }
}

/// Counts one hit on `key`, opening a new window when the last one has ended. Returns the
/// hits in the current window and the seconds until it ends.
async fn hit(db: &Db, key: &str, window: Duration) -> Result<(i64, u64), AppError> {
    let now = Timestamp::now();
    let expired_before = now - window;
    let (hits, window_start): (i64, Timestamp) = with_writer!(db, pool => {
        sqlx::query_as(
            "insert into rate_limits (key, hits, window_start) values ($1, 1, $2) \
             on conflict (key) do update set \
               hits = case when rate_limits.window_start <= $3 then 1 else rate_limits.hits + 1 end, \
               window_start = case when rate_limits.window_start <= $3 then $2 else rate_limits.window_start end \
             returning hits, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(expired_before)
        .fetch_one(pool)
        .await
    })?;
    let ends = window_start + window;
    let retry_after = (ends.0 - now.0).whole_seconds().max(1).unsigned_abs();
    Ok((hits, retry_after))
}
