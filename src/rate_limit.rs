//! Fixed-window rate limits kept in the database, so that every instance behind a load
//! balancer counts against the same budget.
//!
//! Each limited thing has a key and a row with the start of its window and the number of
//! hits in it. A key is a kind and a fixed-size hash of what is counted
//! (`login-account:<32 hex>`), never the raw email or address: a client cannot make a row, or
//! a log line, as large as it likes. A hit is counted *before* the work it guards, in one
//! atomic upsert, so concurrent attempts cannot slip past the limit; once a window is over
//! its limit, further hits change nothing (no write, however fast they come), and only the
//! hit that locked it is logged.
//!
//! Logins follow OWASP's guidance on online guessing:
//! - failed logins count per account, for clients the account has not logged in from;
//! - a device that has logged in to the account before (it carries a signed device cookie,
//!   [`crate::auth::session::Sessions::device_cookie`]) counts its own failures instead, so
//!   failures from elsewhere do not lock the owner out;
//! - failed logins also count per client address, whichever accounts they name, so one client
//!   cannot try a few passwords on every account.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{
    db::{Db, Timestamp, execute, with_pool, with_writer},
    error::AppError,
};

/// Failed logins allowed per account (from devices it has not logged in from), and per
/// known device, per window.
pub const LOGIN_ATTEMPTS: i64 = 10;
/// The login window.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The signup window.
pub const SIGNUP_WINDOW: Duration = Duration::from_secs(3600);
/// The window of invitations sent by one account.
pub const INVITE_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// What a counter counts; its name starts the row's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Failed logins to one account from devices it does not know.
    Account,
    /// Failed logins from one known device.
    Device,
    /// Failed logins from one client address.
    Address,
    /// Wrong passwords given by a logged-in user to confirm a change.
    Confirm,
    /// Signups from one client address.
    Signup,
    /// Invitations sent by one account.
    Invite,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Account => "login-account",
            Self::Device => "login-device",
            Self::Address => "login-address",
            Self::Confirm => "confirm",
            Self::Signup => "signup",
            Self::Invite => "invite",
        }
    }
}

/// A counter's row key: its kind and the first 128 bits of the SHA-256 of what it counts.
fn key(kind: Kind, counted: &str) -> String {
    let digest = Sha256::digest(counted.as_bytes());
    format!("{}:{}", kind.name(), crate::hex::encode(&digest[..16]))
}

/// The counters one login attempt was charged to, to be given back if it succeeds.
#[derive(Debug)]
pub struct LoginAttempt {
    keys: Vec<(Kind, String)>,
}

/// The app's rate limits.
#[derive(Clone, Debug)]
pub struct Limiter {
    signups_per_window: i64,
    login_failures_per_address: i64,
}

impl Limiter {
    /// Limits with the configured number of signups per client address per hour and failed
    /// logins per client address per login window.
    pub fn new(signups_per_hour: u32, login_failures_per_address: u32) -> Self {
        Self {
            signups_per_window: i64::from(signups_per_hour),
            login_failures_per_address: i64::from(login_failures_per_address),
        }
    }

    /// Counts a login attempt before the password is checked, and refuses it when a counter
    /// it is charged to is over its limit. `known_device` says the client carries a valid
    /// device cookie for this account (with the cookie's id): then only that device's
    /// failures count, and neither the account's nor the address's.
    pub async fn begin_login(
        &self,
        db: &Db,
        email: &str,
        client: &str,
        known_device: Option<&str>,
    ) -> Result<LoginAttempt, AppError> {
        let charged = match known_device {
            Some(device) => vec![(Kind::Device, key(Kind::Device, device), LOGIN_ATTEMPTS)],
            // The address first: once it is locked, attempts naming ever new emails are refused
            // before any account counter is made for them.
            None => vec![
                (Kind::Address, key(Kind::Address, client), self.login_failures_per_address),
                (Kind::Account, key(Kind::Account, email), LOGIN_ATTEMPTS),
            ],
        };
        let mut keys = Vec::with_capacity(charged.len());
        for (kind, key, limit) in charged {
            match hit(db, &key, LOGIN_WINDOW, limit).await? {
                Ok(()) => keys.push((kind, key)),
                Err(refused) => {
                    if refused.first {
                        tracing::warn!(counter = kind.name(), "login locked: too many failed attempts");
                    }
                    // The counters charged before this one were charged for an attempt that
                    // will not happen: give that back. (Later ones are not charged at all.)
                    forgive(db, &LoginAttempt { keys }).await?;
                    return Err(AppError::TooManyAttempts { retry_after: refused.retry_after });
                }
            }
        }
        Ok(LoginAttempt { keys })
    }

    /// A successful login was no failure: the account's (or the device's) failures are
    /// forgotten, and the address is given back the one hit this attempt cost (not all of
    /// them, or anyone could clear an address's failures by logging in to their own account).
    pub async fn login_succeeded(&self, db: &Db, attempt: LoginAttempt) -> Result<(), AppError> {
        for (kind, key) in &attempt.keys {
            if matches!(kind, Kind::Account | Kind::Device) {
                forget(db, key).await?;
            }
        }
        let addresses = attempt.keys.into_iter().filter(|(kind, _)| *kind == Kind::Address).collect();
        forgive(db, &LoginAttempt { keys: addresses }).await
    }

    /// Counts a password confirmation of a logged-in user (changing the password, deleting
    /// the account): its own per-account counter, which failed logins from elsewhere cannot
    /// fill. A right password forgets the failures ([`Limiter::confirmed`]).
    pub async fn begin_confirm(&self, db: &Db, user_id: uuid::Uuid) -> Result<(), AppError> {
        let key = key(Kind::Confirm, &user_id.to_string());
        hit(db, &key, LOGIN_WINDOW, LOGIN_ATTEMPTS).await?.map_err(|refused| {
            if refused.first {
                tracing::warn!(user = %user_id, "password confirmation locked: too many failed attempts");
            }
            AppError::TooManyAttempts { retry_after: refused.retry_after }
        })
    }

    /// A right password at a confirmation forgets the user's failed confirmations.
    pub async fn confirmed(&self, db: &Db, user_id: uuid::Uuid) -> Result<(), AppError> {
        forget(db, &key(Kind::Confirm, &user_id.to_string())).await
    }

    /// Counts a signup from a client address; refuses it past the hourly limit.
    pub async fn check_signup(&self, db: &Db, client: &str) -> Result<(), AppError> {
        hit(db, &key(Kind::Signup, client), SIGNUP_WINDOW, self.signups_per_window).await?.map_err(|refused| {
            if refused.first {
                tracing::warn!("signups limited: the client's address reached its hourly limit");
            }
            AppError::RateLimited { retry_after: refused.retry_after }
        })
    }

    /// Counts an invitation sent by an account; refuses it past `per_day` in a day.
    pub async fn check_invite(&self, db: &Db, user_id: uuid::Uuid, per_day: i64) -> Result<(), AppError> {
        hit(db, &key(Kind::Invite, &user_id.to_string()), INVITE_WINDOW, per_day).await?.map_err(|refused| {
            if refused.first {
                tracing::warn!(user = %user_id, "invitations limited: the account reached its daily limit");
            }
            AppError::RateLimited { retry_after: refused.retry_after }
        })
    }

    /// Removes windows that have ended; returns how many.
    pub async fn forget_expired(&self, db: &Db) -> Result<u64, AppError> {
        let now = Timestamp::now();
        let short = now - LOGIN_WINDOW.max(SIGNUP_WINDOW);
        let invites = format!("{}:%", Kind::Invite.name());
        Ok(execute!(db, |conn| {
            sqlx::query("delete from rate_limits where window_start <= $1 or (window_start <= $2 and key not like $3)")
                .bind(now - INVITE_WINDOW)
                .bind(short)
                .bind(&invites)
                .execute(conn)
        })?)
    }
}

/// Forgets a counter's window altogether.
async fn forget(db: &Db, key: &str) -> Result<(), AppError> {
    execute!(db, |conn| sqlx::query("delete from rate_limits where key = $1").bind(key).execute(conn))?;
    Ok(())
}

/// Takes back one hit of each counter of `attempt`.
async fn forgive(db: &Db, attempt: &LoginAttempt) -> Result<(), AppError> {
    for (_, key) in &attempt.keys {
        execute!(db, |conn| {
            sqlx::query("update rate_limits set hits = hits - 1 where key = $1 and hits > 0").bind(key).execute(conn)
        })?;
    }
    Ok(())
}

/// A refused hit: the seconds until its window ends, and whether this hit is the one that
/// went over the limit (the first refusal of the window, worth a warning in the log).
#[derive(Clone, Copy, Debug)]
struct Refused {
    retry_after: u64,
    first: bool,
}

/// Counts one hit on `key`, opening a new window when the last one has ended; refuses it
/// once the window has had `limit` hits. A window over its limit costs no write at all: it
/// is seen with a read first (a client hammering a locked counter touches only the readers),
/// and the upsert's `where` leaves it alone should a concurrent hit lock it meanwhile.
async fn hit(db: &Db, key: &str, window: Duration, limit: i64) -> Result<Result<(), Refused>, AppError> {
    let now = Timestamp::now();
    let expired_before = now - window;
    let current: Option<(i64, Timestamp)> = with_pool!(db.read(), |pool| {
        sqlx::query_as("select hits, window_start from rate_limits where key = $1").bind(key).fetch_optional(pool).await
    })?;
    if let Some((hits, start)) = current
        && hits > limit
        && start.0 > expired_before.0
    {
        return Ok(Err(Refused { retry_after: seconds_until(start + window, now), first: false }));
    }
    let counted: Option<(i64, Timestamp)> = with_writer!(db, |conn| {
        sqlx::query_as(
            "insert into rate_limits (key, hits, window_start) values ($1, 1, $2) \
             on conflict (key) do update set \
               hits = case when rate_limits.window_start <= $3 then 1 else rate_limits.hits + 1 end, \
               window_start = case when rate_limits.window_start <= $3 then $2 else rate_limits.window_start end \
             where rate_limits.window_start <= $3 or rate_limits.hits <= $4 \
             returning hits, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(expired_before)
        .bind(limit)
        .fetch_optional(conn)
        .await
    })?;
    Ok(match counted {
        Some((hits, _)) if hits <= limit => Ok(()),
        Some((_, start)) => Err(Refused { retry_after: seconds_until(start + window, now), first: true }),
        // Locked by a concurrent hit since the read.
        None => Err(Refused { retry_after: window.as_secs().max(1), first: false }),
    })
}

fn seconds_until(end: Timestamp, now: Timestamp) -> u64 {
    (end.0 - now.0).whole_seconds().max(1).unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_fixed_size_whatever_they_count() {
        let short = key(Kind::Account, "a@b.co");
        let long = key(Kind::Account, &"x".repeat(60_000));
        assert_eq!(short.len(), long.len());
        assert_eq!(short.len(), "login-account:".len() + 32);
        assert!(!long.contains('x'));
        assert_ne!(key(Kind::Account, "a@b.co"), key(Kind::Address, "a@b.co"), "kinds do not share counters");
        assert_eq!(key(Kind::Signup, "127.0.0.1"), key(Kind::Signup, "127.0.0.1"));
    }
}
