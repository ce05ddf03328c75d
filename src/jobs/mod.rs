//! Bulk changes that run in the background: completing or reopening every task, clearing the
//! completed ones, emptying the trash.
//!
//! A request for one does the first batch itself. When that was all (the common case), it
//! answers as any change does; when more is left, it answers `202 Accepted` with the job,
//! and a runner does the rest, one batch per transaction, the batch and the job's progress
//! committed together. Whichever server instance is running holds a job by a lease it
//! renews with each batch; a job whose lease lapsed (its server stopped) is taken up by the
//! next runner that looks, on any instance, so none is left half done.
//!
//! - this module: the types the API speaks ([`Job`], [`JobKind`]) and the server's handle on
//!   its runner ([`Runner`]);
//! - [`step`]: one batch's bookkeeping, written in the batch's own transaction;
//! - [`store`]: starting, running and reading jobs;
//! - [`api`]: `GET /api/jobs/current` and `GET /api/jobs/get`;
//! - [`ui`]: the progress bar the pages show while one runs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod api;
#[cfg(feature = "ssr")]
pub mod step;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{CurrentJob, GetJob, JobId, current_job, get_job};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Completes every open task of its scope.
    CompleteAll,
    /// Reopens every completed task of its scope.
    ReopenAll,
    /// Moves the completed tasks of its scope to the trash.
    ClearCompleted,
    /// Deletes for good what the person may purge from the trash.
    EmptyTrash,
}

impl JobKind {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CompleteAll => "complete_all",
            Self::ReopenAll => "reopen_all",
            Self::ClearCompleted => "clear_completed",
            Self::EmptyTrash => "empty_trash",
        }
    }

    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::CompleteAll, Self::ReopenAll, Self::ClearCompleted, Self::EmptyTrash]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// What the progress bar says it is doing.
    pub fn doing(self) -> &'static str {
        match self {
            Self::CompleteAll => "Completing tasks",
            Self::ReopenAll => "Reopening tasks",
            Self::ClearCompleted => "Clearing completed tasks",
            Self::EmptyTrash => "Emptying the trash",
        }
    }
}

/// A bulk change and how far it has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Job {
    /// The job's id (for `GET /api/jobs/get`).
    pub id: Uuid,
    /// What it does.
    pub kind: JobKind,
    /// The list it applies to; `null` for all of the person's lists (and the trash).
    pub list_id: Option<Uuid>,
    /// How many rows it has changed so far.
    pub done: u64,
    /// How many it expects to change in all, counted when it started (tasks changed since
    /// by someone else are left alone, so `done` may end below it).
    pub total: u64,
    /// Whether it is over: every batch is committed.
    pub finished: bool,
}

/// A server's handle on its job runner: its identity as a lease holder, the batch size, and
/// the bell that wakes it when a request leaves work behind.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct Runner {
    /// Who holds a lease: one id per server process.
    pub owner: Uuid,
    /// Rows per batch (`DOABLE_BULK_BATCH`).
    pub batch: i64,
    /// Rung when a request leaves a job to the runner.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
}

#[cfg(feature = "ssr")]
impl Runner {
    /// A runner for this process, changing `batch` rows per transaction.
    pub fn new(batch: i64) -> Self {
        Self { owner: Uuid::new_v4(), batch, wake: std::sync::Arc::default() }
    }
}
