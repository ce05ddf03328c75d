//! The work that runs beside the server, stopped before the database closes.

use std::time::Duration;

use crate::{config::Backups, db::Pool, state::AppState};

/// How long the password hashers keep their memory (7 MiB each) after their last hash.
const HASHER_MEMORY_IDLE: Duration = Duration::from_secs(10);

/// The work that runs beside the server: SQLite's checkpoints, the scheduled snapshots, the
/// runner of bulk changes ([`crate::jobs::store::run`]), the reminders and their emails
/// ([`crate::notifications::sweep`]), giving back the password hashers' memory after a quiet
/// spell, and an hourly clean-up of expired sessions, rate-limit windows, what has been in the
/// trash for 30 days, history older than a year, finished jobs a day old and notifications 90
/// days old. Stop it ([`Housekeeping::stop`]) before closing the database.
pub fn spawn_housekeeping(state: AppState) -> Housekeeping {
    // Before anything here records a figure (`app` installs it too; the first one counts).
    super::metrics::Metrics::install(&state);
    let mut tasks = Vec::new();
    tasks.extend(state.db.spawn_checkpoints());
    tasks.push(tokio::spawn(crate::jobs::store::run(state.db.clone(), state.jobs.clone())));
    if let (Some(backups), Pool::Sqlite(pool)) = (state.config.backups.clone(), state.db.read().clone()) {
        tasks.push(tokio::spawn(take_snapshots(pool, backups)));
    }
    let mail = std::sync::Arc::new(tokio::sync::Notify::new());
    let email = state.config.smtp.as_ref().and_then(|smtp| {
        crate::notifications::mail::Mailer::new(smtp, state.config.public_origin.clone())
            .map_err(|error| tracing::error!(%error, "reminder emails are off"))
            .ok()
    });
    tasks.push(tokio::spawn(crate::notifications::sweep::reminders(state.db.clone(), email.is_some(), mail.clone())));
    if let Some(mailer) = email {
        tasks.push(tokio::spawn(crate::notifications::sweep::emails(
            state.db.clone(),
            std::sync::Arc::new(mailer),
            mail,
        )));
    }
    let passwords = state.passwords.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(HASHER_MEMORY_IDLE);
        loop {
            tick.tick().await;
            passwords.release_idle_memory(HASHER_MEMORY_IDLE);
        }
    }));
    tasks.push(tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let sessions = crate::auth::session::forget_expired(&state.db).await;
            let limits = state.limiter.forget_expired(&state.db).await;
            let trash = crate::trash::store::purge_expired(&state.db).await;
            let history = crate::history::record::purge_expired(&state.db).await;
            let jobs = crate::jobs::store::purge_finished(&state.db).await;
            let notifications = crate::notifications::store::purge_expired(&state.db).await;
            let changes = crate::live::feed::purge_expired(&state.db).await;
            match (sessions, limits, trash, history, jobs, notifications, changes) {
                (Ok(sessions), Ok(limits), Ok(trash), Ok(history), Ok(jobs), Ok(notifications), Ok(changes)) => {
                    tracing::debug!(
                        sessions,
                        limits,
                        trash,
                        history,
                        jobs,
                        notifications,
                        changes,
                        "expired rows removed"
                    )
                }
                _ => tracing::warn!("housekeeping failed; will retry in an hour"),
            }
        }
    }));
    Housekeeping(tasks)
}

/// Takes a snapshot every `backups.every` (the first when that long has passed since the
/// newest in the directory, so that restarts neither skip nor add any). A failure is logged
/// and counted, and the next one is tried at the next time: never fatal.
async fn take_snapshots(pool: sqlx::SqlitePool, backups: Backups) {
    crate::db::backup::remove_interrupted(&backups.dir);
    for result in ["made", "failed"] {
        metrics::counter!("doable_snapshots_total", "result" => result).absolute(0);
    }
    let since = crate::db::backup::since_newest(&backups.dir);
    let first = backups.every.saturating_sub(since.unwrap_or(backups.every));
    tokio::time::sleep(first).await;
    let mut tick = tokio::time::interval(backups.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let taken = match pool.acquire().await {
            Ok(mut conn) => crate::db::backup::scheduled(&mut conn, &backups.dir, backups.keep).await,
            Err(e) => Err(format!("no database connection: {e}")),
        };
        match taken {
            Ok(snapshot) => {
                metrics::counter!("doable_snapshots_total", "result" => "made").increment(1);
                tracing::info!(file = %snapshot.path.display(), bytes = snapshot.bytes, "snapshot taken");
            }
            Err(e) => {
                metrics::counter!("doable_snapshots_total", "result" => "failed").increment(1);
                tracing::error!(error = %e, "scheduled snapshot failed; the next is tried on schedule");
            }
        }
    }
}

/// The background tasks [`spawn_housekeeping`] started.
pub struct Housekeeping(Vec<tokio::task::JoinHandle<()>>);

impl Housekeeping {
    /// Stops every task and waits until each has: none is left using the database when it
    /// closes (a checkpoint would otherwise fail on the closed pool at shutdown).
    pub async fn stop(self) {
        for task in &self.0 {
            task.abort();
        }
        for task in self.0 {
            let _ = task.await;
        }
    }
}
