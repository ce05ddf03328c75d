//! The work that runs beside the server, stopped before the database closes.

use std::time::Duration;

use crate::state::AppState;

/// How long the password hashers keep their memory (7 MiB each) after their last hash.
const HASHER_MEMORY_IDLE: Duration = Duration::from_secs(10);

/// The work that runs beside the server: SQLite's checkpoints, the runner of bulk changes
/// ([`crate::jobs::store::run`]), giving back the password
/// hashers' memory after a quiet spell, and an hourly clean-up of expired sessions,
/// rate-limit windows, what has been in the trash for 30 days and
/// history older than a year, finished jobs a day old. Stop it
/// ([`Housekeeping::stop`]) before closing the database.
pub fn spawn_housekeeping(state: AppState) -> Housekeeping {
    let mut tasks = Vec::new();
    tasks.extend(state.db.spawn_checkpoints());
    tasks.push(tokio::spawn(crate::jobs::store::run(state.db.clone(), state.jobs.clone())));
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
            match (sessions, limits, trash, history, jobs) {
                (Ok(sessions), Ok(limits), Ok(trash), Ok(history), Ok(jobs)) => {
                    tracing::debug!(sessions, limits, trash, history, jobs, "expired rows removed")
                }
                _ => tracing::warn!("housekeeping failed; will retry in an hour"),
            }
        }
    }));
    Housekeeping(tasks)
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
