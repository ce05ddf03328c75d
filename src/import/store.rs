//! Applies a [`Plan`] in one transaction: all of it, or (for a dry run, or a file with any
//! error) none of it, with the counts of what it would create either way.
//!
//! In the same transaction, for the person importing:
//! - each list of the file is one of their lists of that name where they may edit (their
//!   Inbox for the Inbox), or a new one they own;
//! - a row whose import key they have imported before, while its task is still here (in a
//!   list or the trash), or whose file id is a task they can see (their own export), is
//!   skipped;
//! - the caps are those of the app: lists per person, tasks per creator;
//! - the tasks are written many rows to a statement (the counting and tag triggers run for
//!   each row, as for one made in the app), the import keys beside them, and the reminders
//!   of open tasks are queued.
//!
//! Imported tasks add no event each to the lists' history (a list made by the import adds
//! its "created" one): 100,000 rows would bury everything else there.

use std::collections::{HashMap, HashSet};

use sqlx::Connection;
use uuid::Uuid;

use super::{
    Created, LastImport, Problem, Report,
    plan::{Key, Plan, Row},
};
use crate::{
    db::{Db, ResultExt as _, Timestamp, with_pool, with_writer, with_writer_alone},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, record},
    },
    lists::limits::LISTS_MAX,
    reminders::schedule::{Person, Planned, plan as plan_reminders},
};

/// Who hears the reminders of each task (`t`) of a batch, as `reminders::schedule::PEOPLE`
/// says for one.
const PEOPLE_OF_TASKS: &str = "select t.id as task_id, t.due_date, t.due_minute, t.reminders, m.user_id, u.time_zone \
     from tasks t join list_members m on m.list_id = t.list_id join users u on u.id = m.user_id \
     where not t.completed and t.reminders is not null \
       and (t.assignee_id = m.user_id or (t.assignee_id is null and m.reminders))";

/// A row of [`PEOPLE_OF_TASKS`].
#[derive(sqlx::FromRow)]
struct TaskPerson {
    task_id: Uuid,
    #[sqlx(flatten)]
    person: Person,
}

/// Rows to a statement: 23 values each, well within both databases' limits on bound values.
/// The reads of a batch are not kept prepared (`persistent(false)`): PostgreSQL plans a
/// statement it has run five times for any values, and its plan for 500 keys in a list of
/// parameters then read the whole table (an import of 10,000 known rows took 3.1 s instead
/// of 0.14 s).
const BATCH: usize = 500;

/// What applying a plan did, or would do.
#[derive(Debug, Default)]
pub struct Outcome {
    pub created: Created,
    pub skipped: u64,
    /// What the database refused (a cap reached); the import then changed nothing.
    pub errors: Vec<Problem>,
    /// Whether it was committed.
    pub committed: bool,
}

/// One of the person's lists where they may edit.
#[derive(sqlx::FromRow)]
struct Mine {
    id: Uuid,
    name: String,
    inbox: bool,
    trashed: bool,
}

/// What the database holds that the plan meets.
struct Found {
    /// The person's lists where they may edit (those in the trash only if theirs).
    mine: Vec<Mine>,
    /// How many lists they belong to, and how many tasks they have made.
    memberships: i64,
    tasks_made: i64,
    /// Keys imported before whose task is still here.
    known: HashSet<Vec<u8>>,
    /// Ids of the file that are tasks the person can see.
    present: HashSet<Uuid>,
}

/// Reads [`Found`] for `$plan` on `$tx`, a transaction. On PostgreSQL with `$lock`, it locks
/// the person's task count (another import of theirs, on any server, waits for this one)
/// and the memberships and lists it matches (a removal, a change of role or a list put in the
/// trash waits too), so that what it found still holds when the rows are written.
macro_rules! find {
    ($tx:ident, $user:expr, $plan:expr, $lock:expr) => {
        async {
            let (user, plan): (Uuid, &Plan) = ($user, $plan);
            let (for_update, for_share) = if $lock { (" for update", " for share") } else { ("", "") };
            let tasks_made: Option<i64> =
                sqlx::query_scalar(&format!("select total from creator_counts where user_id = $1{for_update}"))
                    .bind(user)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let mine: Vec<Mine> = sqlx::query_as(&format!(
                "select l.id, l.name, l.inbox, l.deleted_at is not null as trashed from lists l \
                 join list_members m on m.list_id = l.id where m.user_id = $1 and m.role <> 'viewer' \
                 and (l.deleted_at is null or m.role = 'owner') order by l.created_at, l.id{for_share}"
            ))
            .bind(user)
            .fetch_all(&mut *$tx)
            .await?;
            let memberships: i64 = sqlx::query_scalar("select count(*) from list_members where user_id = $1")
                .bind(user)
                .fetch_one(&mut *$tx)
                .await?;
            let mut known: HashSet<Vec<u8>> = HashSet::new();
            let keys: Vec<&Key> = plan.rows.iter().map(|r| &r.key).collect();
            for chunk in keys.chunks(BATCH) {
                let mut query = sqlx::QueryBuilder::new("select k.key from import_keys k where k.user_id = ");
                query.push_bind(user).push(" and k.key in (");
                let mut list = query.separated(", ");
                for key in chunk {
                    list.push_bind(key.to_vec());
                }
                query.push(
                    ") and (exists (select 1 from tasks t where t.id = k.task_id) \
                     or exists (select 1 from trashed_tasks r where r.id = k.task_id))",
                );
                let found: Vec<Vec<u8>> = query.build_query_scalar().persistent(false).fetch_all(&mut *$tx).await?;
                known.extend(found);
            }
            let mut present: HashSet<Uuid> = HashSet::new();
            let sources: Vec<Uuid> = plan.rows.iter().filter_map(|r| r.extras.source_id).collect();
            for chunk in sources.chunks(BATCH) {
                let mut query = sqlx::QueryBuilder::new("");
                for (at, table) in ["tasks", "trashed_tasks"].iter().enumerate() {
                    if at > 0 {
                        query.push(" union all ");
                    }
                    query.push(format!(
                        "select id from {table} where list_id in (select list_id from list_members where user_id = "
                    ));
                    query.push_bind(user).push(") and id in (");
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    query.push(")");
                }
                let found: Vec<Uuid> = query.build_query_scalar().persistent(false).fetch_all(&mut *$tx).await?;
                present.extend(found);
            }
            Ok::<_, sqlx::Error>(Found { mine, memberships, tasks_made: tasks_made.unwrap_or(0), known, present })
        }
    };
}

/// What to do: the rows to write, the lists (an existing one's id, or to make), the counts
/// and the caps' refusals.
struct Decision<'a> {
    new: Vec<&'a Row>,
    /// For each list of the plan: the person's list it is, or `None` to make it (or, for a
    /// list no new row goes to, to leave it).
    lists: Vec<Option<Uuid>>,
    make: Vec<bool>,
    outcome: Outcome,
}

fn decide<'a>(plan: &'a Plan, found: &Found, user: Uuid, max_tasks: i64) -> Decision<'a> {
    let mut by_name: HashMap<(String, bool), Uuid> = HashMap::new();
    for list in found.mine.iter().filter(|l| !l.inbox) {
        by_name.entry((list.name.to_lowercase(), list.trashed)).or_insert(list.id);
    }
    let inbox = found.mine.iter().find(|l| l.inbox && l.id == user).map(|l| l.id);
    let lists: Vec<Option<Uuid>> =
        plan.lists
            .iter()
            .map(|planned| {
                if planned.inbox {
                    inbox
                } else {
                    by_name.get(&(planned.name.to_lowercase(), planned.trashed)).copied()
                }
            })
            .collect();
    let new: Vec<&Row> = plan
        .rows
        .iter()
        .filter(|r| {
            !found.known.contains(r.key.as_slice()) && !r.extras.source_id.is_some_and(|id| found.present.contains(&id))
        })
        .collect();
    // A list is made for a row it gets, or, listed by the file, when the file has no row of it
    // (an empty list of an export); not for rows that are all here already.
    let (mut gets, mut has) = (vec![false; plan.lists.len()], vec![false; plan.lists.len()]);
    for row in &plan.rows {
        has[row.list] = true;
    }
    for row in &new {
        gets[row.list] = true;
    }
    let make: Vec<bool> = (0..plan.lists.len())
        .map(|at| lists[at].is_none() && (gets[at] || (plan.lists[at].explicit && !has[at])))
        .collect();
    let mut outcome = Outcome {
        created: Created { lists: make.iter().filter(|m| **m).count() as u64, tasks: new.len() as u64 },
        skipped: (plan.rows.len() - new.len()) as u64,
        ..Outcome::default()
    };
    let cap = |message: String| Problem { row: None, field: None, message };
    if found.memberships + outcome.created.lists as i64 > LISTS_MAX {
        outcome.errors.push(cap(format!(
            "The file makes {} new lists; you belong to {}, and the most is {LISTS_MAX}.",
            outcome.created.lists, found.memberships
        )));
    }
    if found.tasks_made + outcome.created.tasks as i64 > max_tasks {
        outcome.errors.push(cap(format!(
            "The file makes {} new tasks; you have made {}, and the most is {max_tasks}.",
            outcome.created.tasks, found.tasks_made
        )));
    }
    Decision { new, lists, make, outcome }
}

/// Applies `plan` for `user` when `commit` (and it has no error); counts only otherwise, on
/// the read pool (a dry run does not hold SQLite's writer).
pub async fn apply(db: &Db, user: Uuid, plan: &Plan, commit: bool, max_tasks: i64) -> Result<Outcome, AppError> {
    if !commit || plan.error_count > 0 {
        let found = with_pool!(db.read(), |pool| {
            let mut tx = pool.begin().await?;
            let found = find!(tx, user, plan, false).await?;
            tx.rollback().await?;
            Ok::<_, sqlx::Error>(found)
        })?;
        return Ok(decide(plan, &found, user, max_tasks).outcome);
    }
    let postgres = !db.is_sqlite();
    let now = Timestamp::now();
    // Up to 100,000 rows in one transaction: alone, not in a group others wait on.
    with_writer_alone!(db, |conn| {
        let mut tx = conn.begin().await?;
        // Keys whose task is gone (purged) no longer hold their rows back; the person's table
        // of keys holds no more than their tasks and this import's.
        sqlx::query(
            "delete from import_keys where user_id = $1 \
             and not exists (select 1 from tasks t where t.id = import_keys.task_id) \
             and not exists (select 1 from trashed_tasks r where r.id = import_keys.task_id)",
        )
        .bind(user)
        .execute(&mut *tx)
        .await?;
        let found = find!(tx, user, plan, postgres).await?;
        let Decision { new, lists, make, mut outcome } = decide(plan, &found, user, max_tasks);
        if !outcome.errors.is_empty() {
            tx.rollback().await?;
            return Ok::<_, AppError>(outcome);
        }
        // The lists to make.
        let mut list_ids: Vec<Uuid> = Vec::with_capacity(plan.lists.len());
        for ((planned, existing), make) in plan.lists.iter().zip(&lists).zip(&make) {
            let id = match existing {
                Some(id) => *id,
                None if !make => Uuid::nil(),
                None => {
                    let id = Uuid::now_v7();
                    let trashed = planned.trashed.then_some(now);
                    sqlx::query(
                        "insert into lists (id, name, inbox, created_at, updated_at, deleted_at, deleted_by) \
                         values ($1, $2, $3, $4, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(&planned.name)
                    .bind(false)
                    .bind(now)
                    .bind(trashed)
                    .bind(trashed.map(|_| user))
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "insert into list_members (list_id, user_id, role, joined_at, reminders) \
                         values ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(user)
                    .bind(crate::lists::Role::Owner.as_str())
                    .bind(now)
                    .bind(planned.reminders)
                    .execute(&mut *tx)
                    .await?;
                    record!(&mut *tx, NewEvent::new(id, now, Some(user), EventKind::ListCreated).detail(&planned.name))
                        .await?;
                    id
                }
            };
            list_ids.push(id);
        }
        // The tasks, each with a new id; a completed date of a recurring task names the new
        // id of its task, when the file has it.
        let ids: Vec<Uuid> = new.iter().map(|_| Uuid::now_v7()).collect();
        let by_source: HashMap<Uuid, Uuid> =
            new.iter().zip(&ids).filter_map(|(row, id)| row.extras.source_id.map(|source| (source, *id))).collect();
        let written: Vec<Written> = new
            .iter()
            .zip(&ids)
            .map(|(row, id)| Written::of(row, *id, list_ids[row.list], user, now, &by_source))
            .collect();
        for trash in [false, true] {
            let rows: Vec<&Written> = written.iter().filter(|w| w.trashed_at.is_some() == trash).collect();
            for chunk in rows.chunks(BATCH) {
                let table = if trash { "trashed_tasks" } else { "tasks" };
                let mut insert = sqlx::QueryBuilder::new(format!(
                    "insert into {table} (id, list_id, created_by, assignee_id, title, description, completed, \
                     priority, due_date, due_minute, tags, search, title_key, created_at, updated_at, completed_at, \
                     repeat, repeat_from, repeat_start, series_id, reminders{}) ",
                    if trash { ", deleted_at, deleted_by" } else { "" }
                ));
                insert.push_values(chunk, |mut values, w| {
                    values
                        .push_bind(w.id)
                        .push_bind(w.list_id)
                        .push_bind(user)
                        .push_bind(w.assignee)
                        .push_bind(&w.row.draft.title)
                        .push_bind(&w.row.draft.description)
                        .push_bind(w.row.extras.completed)
                        .push_bind(w.row.draft.priority.rank())
                        .push_bind(w.row.draft.due_date)
                        .push_bind(w.row.draft.due_time.map(crate::dates::minute_of_day))
                        .push_bind(w.row.draft.tags.join(","))
                        .push_bind(crate::tasks::store::search_text(&w.row.draft.title, &w.row.draft.description))
                        .push_bind(w.row.draft.title.to_lowercase())
                        .push_bind(w.created_at)
                        .push_bind(w.updated_at)
                        .push_bind(w.completed_at)
                        .push_bind(&w.row.draft.repeat)
                        .push_bind(w.row.draft.repeat_from.rank())
                        .push_bind(w.repeat_start)
                        .push_bind(w.series)
                        .push_bind(crate::reminders::join(&w.row.draft.reminders));
                    if let Some(at) = w.trashed_at {
                        values.push_bind(at).push_bind(user);
                    }
                });
                insert.build().execute(&mut *tx).await?;
            }
        }
        for chunk in written.chunks(BATCH) {
            let mut insert = sqlx::QueryBuilder::new("insert into import_keys (user_id, key, task_id) ");
            insert.push_values(chunk, |mut values, w| {
                values.push_bind(user).push_bind(w.row.key.to_vec()).push_bind(w.id);
            });
            // Another import of the same rows committed first (on PostgreSQL, from another
            // server): this one writes nothing, and the person may import again.
            insert.build().execute(&mut *tx).await.on_constraint("import_keys_pkey", |_| AppError::JobRunning)?;
        }
        // The reminders of the open tasks, a batch at a time: who hears each (the person, and
        // the members of a shared list who chose its reminders) and when, in their zones.
        let reminded: Vec<Uuid> = written
            .iter()
            .filter(|w| w.trashed_at.is_none() && !plan.lists[w.row.list].trashed)
            .filter(|w| !w.row.extras.completed && !w.row.draft.reminders.is_empty())
            .map(|w| w.id)
            .collect();
        for chunk in reminded.chunks(BATCH) {
            let mut query = sqlx::QueryBuilder::new(format!("{PEOPLE_OF_TASKS} and t.id in ("));
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            query.push(") order by t.id");
            let people: Vec<TaskPerson> = query.build_query_as().persistent(false).fetch_all(&mut *tx).await?;
            let mut queued: Vec<(Uuid, Planned)> = Vec::new();
            let mut people = people.into_iter().peekable();
            while let Some(first) = people.next() {
                let task_id = first.task_id;
                let mut group = vec![first.person];
                while let Some(next) = people.next_if(|p| p.task_id == task_id) {
                    group.push(next.person);
                }
                queued.extend(plan_reminders(&group, now.0).into_iter().map(|row| (task_id, row)));
            }
            for rows in queued.chunks(BATCH) {
                let mut insert = sqlx::QueryBuilder::new(
                    "insert into reminder_queue (id, task_id, user_id, reminder, due_date, fire_at) ",
                );
                insert.push_values(rows, |mut values, (task_id, row)| {
                    values
                        .push_bind(Uuid::now_v7())
                        .push_bind(*task_id)
                        .push_bind(row.user_id)
                        .push_bind(&row.reminder)
                        .push_bind(row.due_date)
                        .push_bind(row.fire_at);
                });
                insert.build().execute(&mut *tx).await?;
            }
        }
        // One change per list for the live feed (its members' boards reload the list), rather
        // than one per task: 100,000 rows would otherwise be 100,000 events.
        let mut per_list: HashMap<Uuid, usize> = HashMap::new();
        for w in &written {
            *per_list.entry(w.list_id).or_default() += 1;
        }
        for (list_id, count) in per_list {
            sqlx::query(
                "insert into changes (at, kind, list_id, user_id, detail) values ($1, 'tasks_imported', $2, $3, $4)",
            )
            .bind(now)
            .bind(list_id)
            .bind(user)
            .bind(count.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        outcome.committed = true;
        Ok(outcome)
    })
}

/// A task as written.
struct Written<'a> {
    row: &'a Row,
    id: Uuid,
    list_id: Uuid,
    assignee: Option<Uuid>,
    created_at: Timestamp,
    updated_at: Timestamp,
    completed_at: Option<Timestamp>,
    trashed_at: Option<Timestamp>,
    repeat_start: Option<time::Date>,
    series: Option<Uuid>,
}

impl<'a> Written<'a> {
    fn of(row: &'a Row, id: Uuid, list_id: Uuid, user: Uuid, now: Timestamp, by_source: &HashMap<Uuid, Uuid>) -> Self {
        // A moment from the file, never after now (the trash's clock and "recently done"
        // count from these).
        let at = |moment: Option<time::OffsetDateTime>| moment.map(|m| Timestamp(m.min(now.0)));
        let created_at = at(row.extras.created_at).unwrap_or(now);
        Self {
            row,
            id,
            list_id,
            assignee: row.extras.assign_me.then_some(user),
            created_at,
            updated_at: at(row.extras.updated_at).unwrap_or(now),
            completed_at: row.extras.completed.then(|| at(row.extras.completed_at).unwrap_or(now)),
            trashed_at: row.extras.trashed_at.map(|t| Timestamp(t.min(now.0))),
            repeat_start: row.draft.repeat.as_ref().and(row.extras.repeat_start.or(row.draft.due_date)),
            series: row.extras.occurrence_of.and_then(|source| by_source.get(&source).copied()),
        }
    }
}

/// Keeps the report as the person's last.
pub async fn keep(db: &Db, user: Uuid, report: &Report) -> Result<(), AppError> {
    let text = serde_json::to_string(report).map_err(|_| AppError::Internal)?;
    let now = Timestamp::now();
    with_writer!(db, |conn| {
        sqlx::query(
            "insert into import_reports (user_id, report, created_at) values ($1, $2, $3) \
             on conflict (user_id) do update set report = excluded.report, created_at = excluded.created_at",
        )
        .bind(user)
        .bind(&text)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The person's last import.
pub async fn last(db: &Db, user: Uuid) -> Result<Option<LastImport>, AppError> {
    let row: Option<(String, Timestamp)> = with_pool!(db.read(), |pool| {
        sqlx::query_as("select report, created_at from import_reports where user_id = $1")
            .bind(user)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.and_then(|(text, at)| {
        let report = serde_json::from_str(&text).ok()?;
        Some(LastImport { at: at.0, report })
    }))
}
