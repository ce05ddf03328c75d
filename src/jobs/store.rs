//! Starting, running and reading jobs.
//!
//! A job is a row of `jobs`. The request that asks for one inserts it (at most one unfinished
//! per person: the second is refused with 409 `job_running`) holding its lease, and runs the
//! first batch. When more is left, that batch hands the job over (its lease becomes empty),
//! and the request rings its server's runner. A runner ([`run`]) takes one job at a time: it
//! claims one whose lease is empty or lapsed, in one statement that no other instance can
//! also win, and runs its batches, each renewing the lease in the batch's transaction; a
//! batch whose lease was lost (it lapsed and another runner claimed the job) is rolled back.
//! Every [`SWEEP`] the runner also looks for jobs left by a stopped server.

use std::time::Duration;

use uuid::Uuid;

use super::{
    Job, JobKind, Runner,
    step::{Advanced, Step},
};
use crate::{
    db::{Db, Timestamp, execute, with_pool, with_writer},
    error::AppError,
    tasks::store as tasks,
    trash::store as trash,
};

/// How long a runner holds a job without a batch before another may take it over.
pub const LEASE: Duration = Duration::from_secs(15);
/// How often a runner looks for jobs that no runner holds.
pub const SWEEP: Duration = Duration::from_secs(5);
/// How long a finished job can still be read.
const KEPT: Duration = Duration::from_secs(24 * 3600);
/// Consecutive failed batches after which a runner lets a job go, rather than hold it while
/// the database is in trouble.
const TRIES: u32 = 5;
/// How long a job let go after failing waits before a runner tries it again.
const RETRY: Duration = Duration::from_secs(60);

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    list_id: Option<Uuid>,
    started_at: Timestamp,
    done: i64,
    total: i64,
    finished_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, user_id, kind, list_id, started_at, done, total, finished_at";

impl JobRow {
    fn kind(&self) -> Result<JobKind, AppError> {
        JobKind::parse(&self.kind).ok_or_else(|| {
            tracing::error!(kind = %self.kind, "a job of an unknown kind");
            AppError::Internal
        })
    }

    fn job(&self) -> Result<Job, AppError> {
        Ok(Job {
            id: self.id,
            kind: self.kind()?,
            list_id: self.list_id,
            done: self.done.unsigned_abs(),
            total: self.total.unsigned_abs().max(self.done.unsigned_abs()),
            finished: self.finished_at.is_some(),
        })
    }
}

/// What a bulk change did: everything (`job` is `None`) or its first batch, the rest left to
/// the job.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    /// How many rows the request's own batch changed.
    pub done: u64,
    /// The job doing the rest, if there is any.
    pub job: Option<Job>,
}

/// Runs one batch of `job` as `step`: how far it took the job, or `None` when the runner no
/// longer held the job.
async fn batch(
    db: &Db,
    user_id: Uuid,
    kind: JobKind,
    list_id: Option<Uuid>,
    step: &Step,
) -> Result<Option<Advanced>, AppError> {
    match kind {
        JobKind::CompleteAll => tasks::complete_all(db, user_id, list_id, true, step).await,
        JobKind::ReopenAll => tasks::complete_all(db, user_id, list_id, false, step).await,
        JobKind::ClearCompleted => tasks::clear_completed(db, user_id, list_id, step).await,
        JobKind::EmptyTrash => trash::empty(db, user_id, step).await,
    }
}

/// How many rows `kind` expects to change for `user_id` in `list_id`.
async fn expected(
    db: &Db,
    user_id: Uuid,
    kind: JobKind,
    list_id: Option<Uuid>,
    at: Timestamp,
) -> Result<u64, AppError> {
    match kind {
        JobKind::CompleteAll => tasks::bulk_count(db, user_id, list_id, false).await,
        JobKind::ReopenAll | JobKind::ClearCompleted => tasks::bulk_count(db, user_id, list_id, true).await,
        JobKind::EmptyTrash => trash::empty_count(db, user_id, at).await,
    }
}

/// Starts a bulk change for `user_id` (of one list, or of all where they may edit): runs its
/// first batch now and, if more is left, hands the rest to the runners and rings this
/// server's. A list the caller may not edit is refused; so is a second job while one of
/// theirs is unfinished (409 `job_running`). Only a job that goes on after the answer is
/// kept (until a day after it finished).
pub async fn start(
    db: &Db,
    runner: &Runner,
    user_id: Uuid,
    kind: JobKind,
    list_id: Option<Uuid>,
) -> Result<Started, AppError> {
    let started = Timestamp::now();
    let total = expected(db, user_id, kind, list_id, started).await?;
    let id = Uuid::new_v4();
    let insert = format!(
        "insert into jobs (id, user_id, kind, list_id, started_at, total, lease_owner, lease_until) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) {}",
        if db.is_sqlite() {
            "on conflict do nothing"
        } else {
            "on conflict (user_id) where finished_at is null do nothing"
        }
    );
    let inserted = execute!(db, |conn| {
        sqlx::query(&insert)
            .bind(id)
            .bind(user_id)
            .bind(kind.as_str())
            .bind(list_id)
            .bind(started)
            .bind(i64::try_from(total).unwrap_or(i64::MAX))
            .bind(runner.owner)
            .bind(started + LEASE)
            .execute(conn)
    })?;
    if inserted == 0 {
        return Err(AppError::JobRunning);
    }
    let step =
        Step { job: id, owner: runner.owner, started, limit: runner.batch, now: Timestamp::now(), lease_until: None };
    let first = match batch(db, user_id, kind, list_id, &step).await {
        Ok(Some(first)) => first,
        // Another runner took the job over (this request outlived its lease): it goes on there.
        Ok(None) => return Ok(Started { done: 0, job: get(db, user_id, id).await? }),
        Err(error) => {
            // The batch was rolled back: the request changed nothing, and leaves no job (were
            // that to fail too, the job would run when its lease lapses).
            if let Err(forgotten) = forget(db, id).await {
                tracing::warn!(error = %forgotten, job = %id, "a failed bulk change's job stays, to run later");
            }
            return Err(error);
        }
    };
    let done = first.done;
    if !first.last {
        runner.wake.notify_one();
        let job = Job { id, kind, list_id, done, total: total.max(done), finished: false };
        return Ok(Started { done, job: Some(job) });
    }
    // Done in one batch: nothing to follow, so nothing is kept (a client calling in a loop
    // leaves no rows behind).
    forget(db, id).await?;
    if done == 0
        && let Some(list_id) = list_id
        && let Some(refused) = tasks::bulk_refusal(db, user_id, list_id).await
    {
        return Err(refused);
    }
    Ok(Started { done, job: None })
}

/// Lets go of a job this runner holds, for any runner to take up after [`RETRY`] (its batches
/// failed: trying again at once would most likely fail the same way, and hold up the jobs
/// behind it).
async fn release(db: &Db, id: Uuid, owner: Uuid) {
    let released = execute!(db, |conn| {
        sqlx::query("update jobs set lease_until = $3 where id = $1 and lease_owner = $2")
            .bind(id)
            .bind(owner)
            .bind(Timestamp::now() + RETRY)
            .execute(conn)
    });
    if let Err(error) = released {
        tracing::warn!(%error, "could not let a job go; it is taken up when its lease lapses");
    }
}

/// Forgets a job that its request finished (or that was refused).
async fn forget(db: &Db, id: Uuid) -> Result<(), AppError> {
    execute!(db, |conn| sqlx::query("delete from jobs where id = $1").bind(id).execute(conn))?;
    Ok(())
}

/// The caller's job `id`, if it is theirs.
pub async fn get(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<Job>, AppError> {
    let row: Option<JobRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("select {COLUMNS} from jobs where id = $1 and user_id = $2"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })?;
    row.as_ref().map(JobRow::job).transpose()
}

/// The caller's unfinished job, if any.
pub async fn current(db: &Db, user_id: Uuid) -> Result<Option<Job>, AppError> {
    let row: Option<JobRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("select {COLUMNS} from jobs where user_id = $1 and finished_at is null"))
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })?;
    row.as_ref().map(JobRow::job).transpose()
}

/// Claims the oldest job no runner holds (its lease empty or lapsed) for `owner`, in one
/// statement: of two instances asking at once, one gets it. It looks first with a read, so
/// that a sweep that finds nothing (nearly every one) takes no write lock (SQLite's one
/// writer, above all).
async fn claim(db: &Db, owner: Uuid) -> Result<Option<JobRow>, AppError> {
    let now = Timestamp::now();
    let free = "finished_at is null and (lease_until is null or lease_until < $3)";
    let waiting: Option<Uuid> = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(&format!("select id from jobs where {} limit 1", free.replace("$3", "$1")))
            .bind(now)
            .fetch_optional(pool)
            .await
    })?;
    if waiting.is_none() {
        return Ok(None);
    }
    let lock = if db.is_sqlite() { "" } else { "for update skip locked" };
    let sql = format!(
        "update jobs set lease_owner = $1, lease_until = $2 \
         where id = (select id from jobs where {free} order by started_at limit 1 {lock}) and {free} \
         returning {COLUMNS}"
    );
    let row = with_writer!(db, |conn| {
        sqlx::query_as(&sql).bind(owner).bind(now + LEASE).bind(now).fetch_optional(conn).await
    })?;
    Ok(row)
}

/// Runs the batches of a claimed job until it is done, its lease is lost, or its batches keep
/// failing (then it is let go, for a later try).
async fn finish(db: &Db, runner: &Runner, job: &JobRow) -> Result<(), AppError> {
    let kind = job.kind()?;
    let mut failures = 0;
    loop {
        let now = Timestamp::now();
        let step = Step {
            job: job.id,
            owner: runner.owner,
            started: job.started_at,
            limit: runner.batch,
            now,
            lease_until: Some(now + LEASE),
        };
        match batch(db, job.user_id, kind, job.list_id, &step).await {
            Ok(Some(Advanced { last: true, .. })) => return Ok(()),
            Ok(Some(_)) => failures = 0,
            Ok(None) => return Ok(()),
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, job = %job.id, failures, "a batch of a job failed");
                if failures >= TRIES {
                    return Err(error);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// A server's job runner: takes up every job no runner holds, one at a time, when rung and
/// every [`SWEEP`]. On SQLite the writer's page cache is widened while it has jobs to run
/// ([`crate::db::SqliteWriter::bulk_cache`]) and narrowed when they are done.
pub async fn run(db: Db, runner: Runner) {
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = sweep.tick() => {}
            () = runner.wake.notified() => {}
        }
        let mut wide = false;
        loop {
            match claim(&db, runner.owner).await {
                Ok(Some(job)) => {
                    if !wide {
                        wide = true;
                        bulk_cache(&db, true).await;
                    }
                    if let Err(error) = finish(&db, &runner, &job).await {
                        tracing::warn!(%error, job = %job.id, "a job was let go; it is tried again in a minute");
                        release(&db, job.id, runner.owner).await;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "could not look for jobs");
                    break;
                }
            }
        }
        if wide {
            bulk_cache(&db, false).await;
        }
    }
}

/// Widens (or narrows) SQLite's writer cache for bulk changes. A failure costs only time or
/// memory, so it is logged.
async fn bulk_cache(db: &Db, wide: bool) {
    if let crate::db::Writer::Sqlite(writer) = db.writer()
        && let Err(error) = writer.bulk_cache(wide).await
    {
        tracing::warn!(%error, wide, "could not resize the SQLite writer's page cache");
    }
}

/// Forgets the jobs that finished more than a day ago; how many.
pub async fn purge_finished(db: &Db) -> Result<u64, AppError> {
    let before = Timestamp::now() - KEPT;
    Ok(execute!(db, |conn| { sqlx::query("delete from jobs where finished_at < $1").bind(before).execute(conn) })?)
}
