//! One batch of a job: what the feature's SQL needs to pick it (the cutoff and the size) and
//! the bookkeeping it writes in its own transaction ([`advance!`]): a batch is committed with
//! its progress, and only while its runner still holds the job.

use uuid::Uuid;

use crate::db::Timestamp;

/// One batch of a job.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The job.
    pub job: Uuid,
    /// Who runs it: the lease holder the batch must still be.
    pub owner: Uuid,
    /// When the job was asked for: rows changed since are left alone.
    pub started: Timestamp,
    /// The most rows this batch changes; fewer means the job is done.
    pub limit: i64,
    /// Now: what the batch writes as its time.
    pub now: Timestamp,
    /// The lease this batch renews: until when, or `None` to hand the job to any runner (a
    /// request's own first batch, when more is left).
    pub lease_until: Option<Timestamp>,
}

impl Step {
    /// Whether a batch that picked `picked` rows was the last. Picked, not changed: on
    /// PostgreSQL a picked row that another transaction changed meanwhile is skipped, and
    /// the rows after it are still to do.
    pub fn is_last(&self, picked: u64) -> bool {
        picked < self.limit.unsigned_abs()
    }

    /// What a committed batch that picked `picked` rows, `done` of them progress, tells.
    pub fn advanced(&self, picked: u64, done: u64) -> Advanced {
        Advanced { done, last: self.is_last(picked) }
    }
}

/// A committed batch: how far it took its job, and whether it was the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advanced {
    /// Rows that count towards the job's total.
    pub done: u64,
    /// Whether nothing is left (the batch changed fewer rows than it could).
    pub last: bool,
}

/// The statement [`advance!`] runs.
pub const ADVANCE: &str = "update jobs set done = done + $1, finished_at = $2, lease_until = $3 \
     where id = $4 and lease_owner = $5 and finished_at is null";

/// Records a batch that picked `$picked` rows (of which `$progress` count towards the job's total) in
/// the batch's transaction `$conn`: a `Result<QueryResult, sqlx::Error>` to `.await`, which
/// changed no row when the runner no longer holds the job (the caller then rolls the batch
/// back). A macro, as the statement must be built for each database's own connection type.
#[macro_export]
macro_rules! advance {
    ($conn:expr, $step:expr, $picked:expr, $progress:expr) => {{
        let step: &$crate::jobs::step::Step = $step;
        let last = step.is_last($picked);
        ::sqlx::query($crate::jobs::step::ADVANCE)
            .bind(i64::try_from($progress).unwrap_or(i64::MAX))
            .bind(last.then_some(step.now))
            .bind(if last { None } else { step.lease_until })
            .bind(step.job)
            .bind(step.owner)
            .execute($conn)
    }};
}
pub use advance;
