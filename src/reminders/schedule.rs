//! The queue of reminders to send (`reminder_queue`): for each task with reminders, one row per
//! reminder and person reminded, at the moment it fires in that person's time zone.
//!
//! Whatever changes a task's schedule or its people rewrites the task's rows in the same
//! transaction ([`reschedule!`]): creating or editing it, completing, skipping or reopening it,
//! restoring it from the trash, a member choosing to hear a list's reminders, a person changing
//! their time zone. A row is checked against its task again when it is sent
//! (`notifications::store`), so one that a bulk change or a member's removal left behind is
//! dropped then, unsent.
//!
//! Who is reminded: the assignee of an assigned task; for a task nobody is assigned to, every
//! member of its list who chose to hear the list's reminders (a list's owner does from the
//! start, so a list of one's own reminds its owner).

use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::Reminder;
use crate::{db::Timestamp, zone::Zone};

/// The people a task reminds, with their zones, and what it needs for the moments: one row per
/// person (none for a completed task, or one without reminders). Binds the task's id to `$1`.
pub const PEOPLE: &str = "select t.due_date, t.due_minute, t.reminders, m.user_id, u.time_zone \
     from tasks t join list_members m on m.list_id = t.list_id join users u on u.id = m.user_id \
     where t.id = $1 and not t.completed and t.reminders is not null \
       and (t.assignee_id = m.user_id or (t.assignee_id is null and m.reminders))";
/// Forgets a task's rows still to come (`$1`, after `$2`): those already due are left to the
/// sweep, which checks them against the task as it is then.
pub const CLEAR: &str = "delete from reminder_queue where task_id = $1 and fire_at > $2";
/// Queues one row, or moves the one already there (another transaction queued the same task
/// meanwhile, or a due row of a date the task has left).
pub const INSERT: &str = "insert into reminder_queue (id, task_id, user_id, reminder, due_date, fire_at) \
     values ($1, $2, $3, $4, $5, $6) \
     on conflict (task_id, user_id, reminder) do update set due_date = excluded.due_date, fire_at = excluded.fire_at";
/// The open tasks with reminders of one list (`$1`), to queue again when its people change.
pub const OF_LIST: &str = "select id from tasks where list_id = $1 and reminders is not null and not completed";
/// The same, only those nobody is assigned to: whom a member's choice of the list's reminders
/// concerns.
pub const OF_LIST_UNASSIGNED: &str =
    "select id from tasks where list_id = $1 and reminders is not null and not completed and assignee_id is null";
/// The open tasks with reminders assigned to a person (`$1`), to queue again when they go.
pub const OF_ASSIGNEE: &str = "select id from tasks where assignee_id = $1 and reminders is not null and not completed";
/// A person's (`$1`) reminders still to come (after `$2`), with what their moments depend on,
/// to move them to a new time zone's clock ([`retime!`]).
pub const OF_PERSON: &str = "select q.id, q.reminder, q.due_date, q.fire_at, t.due_minute from reminder_queue q \
     join tasks t on t.id = q.task_id where q.user_id = $1 and q.fire_at > $2";
/// Moves one queued row (`$2`) to `$1`.
pub const RETIME: &str = "update reminder_queue set fire_at = $1 where id = $2";

/// A person a task reminds, read by [`PEOPLE`].
#[derive(Debug, sqlx::FromRow)]
pub struct Person {
    /// The task's due date.
    pub due_date: Option<Date>,
    /// The task's due time, in minutes after midnight.
    pub due_minute: Option<i16>,
    /// The task's reminders, as stored.
    pub reminders: Option<String>,
    /// Who.
    pub user_id: Uuid,
    /// Their time zone.
    pub time_zone: String,
}

/// A row of the queue, to be written by [`INSERT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Who is reminded.
    pub user_id: Uuid,
    /// The reminder, canonical.
    pub reminder: String,
    /// The due date it fires for; `None` for a reminder at a fixed time.
    pub due_date: Option<Date>,
    /// When it fires.
    pub fire_at: Timestamp,
}

/// When `reminder` fires for a task due on `due` at `due_time`, in `zone`. Offsets of whole
/// days or weeks are on the calendar (`1d` before 09:00 is 09:00 the day before, whatever
/// daylight saving does overnight), others in elapsed time (`30m` before 03:00 on the night
/// the clocks go forward is half an hour before it, at 01:30): RFC 5545's nominal and exact
/// durations.
pub fn fire_at(
    reminder: Reminder,
    due: Option<Date>,
    due_time: Option<time::Time>,
    zone: &Zone,
) -> Option<OffsetDateTime> {
    match reminder {
        Reminder::Before(minutes) if !minutes.is_multiple_of(24 * 60) => {
            let due = zone.moment_of(Reminder::Before(0).local_moment(due, due_time)?)?;
            due.checked_sub(Duration::minutes(i64::from(minutes)))
        }
        reminder => zone.moment_of(reminder.local_moment(due, due_time)?),
    }
}

/// The rows a task's people get: each reminder that has not fired yet (its moment after
/// `now`), at its moment in each person's zone.
pub fn plan(people: &[Person], now: OffsetDateTime) -> Vec<Planned> {
    let mut queued = Vec::new();
    for person in people {
        let zone = Zone::of_account(&person.time_zone);
        let due_time = person.due_minute.and_then(crate::dates::time_of_minute);
        for reminder in super::split(person.reminders.as_deref()) {
            let Some(at) = fire_at(reminder, person.due_date, due_time, &zone).filter(|at| *at > now) else { continue };
            queued.push(Planned {
                user_id: person.user_id,
                reminder: reminder.to_string(),
                due_date: if reminder.is_offset() { person.due_date } else { None },
                fire_at: Timestamp(at),
            });
        }
    }
    queued
}

/// Rewrites the queue of one task on `$tx` (a transaction): `reschedule!(tx, task_id)` is a
/// future of `Result<(), sqlx::Error>`. A macro, as the statements are built for each
/// database's own connection type (inside [`crate::db::with_writer!`]).
#[macro_export]
macro_rules! reschedule {
    ($tx:ident, $task_id:expr) => {
        async {
            let task_id: ::uuid::Uuid = $task_id;
            let now = $crate::db::Timestamp::now();
            ::sqlx::query($crate::reminders::schedule::CLEAR).bind(task_id).bind(now).execute(&mut *$tx).await?;
            let people: Vec<$crate::reminders::schedule::Person> =
                ::sqlx::query_as($crate::reminders::schedule::PEOPLE).bind(task_id).fetch_all(&mut *$tx).await?;
            for row in $crate::reminders::schedule::plan(&people, now.0) {
                ::sqlx::query($crate::reminders::schedule::INSERT)
                    .bind(::uuid::Uuid::now_v7())
                    .bind(task_id)
                    .bind(row.user_id)
                    .bind(row.reminder)
                    .bind(row.due_date)
                    .bind(row.fire_at)
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok::<(), ::sqlx::Error>(())
        }
    };
}
pub use reschedule;

/// Rewrites the queue of every task `$select` names (a statement of one `id` column binding
/// `$arg` to `$1`, such as [`OF_LIST`]) on `$tx`.
#[macro_export]
macro_rules! reschedule_all {
    ($tx:ident, $select:expr, $arg:expr) => {
        async {
            let ids: Vec<::uuid::Uuid> = ::sqlx::query_scalar($select).bind($arg).fetch_all(&mut *$tx).await?;
            for id in ids {
                $crate::reschedule!($tx, id).await?;
            }
            Ok::<(), ::sqlx::Error>(())
        }
    };
}
pub use reschedule_all;

/// A row of [`OF_PERSON`].
#[derive(Debug, sqlx::FromRow)]
pub struct Queued {
    /// The row.
    pub id: Uuid,
    /// Its reminder, canonical.
    pub reminder: String,
    /// The due date it was queued for.
    pub due_date: Option<Date>,
    /// When it fires now.
    pub fire_at: Timestamp,
    /// The task's due time.
    pub due_minute: Option<i16>,
}

/// When a queued row fires in `zone` (`None`: it cannot, and is left to the sweep to drop).
pub fn fire_again(row: &Queued, zone: &Zone) -> Option<Timestamp> {
    let reminder = Reminder::parse(&row.reminder).ok()?;
    fire_at(reminder, row.due_date, row.due_minute.and_then(crate::dates::time_of_minute), zone).map(Timestamp)
}

/// Moves a person's (`$user`) reminders still to come to the clock of their new time zone
/// (`$zone`, a [`Zone`]) on `$tx`: only those still queued, so none already sent in the old
/// zone is sent again. A macro for the same reason as [`reschedule!`].
#[macro_export]
macro_rules! retime {
    ($tx:ident, $user:expr, $zone:expr) => {
        async {
            let queued: Vec<$crate::reminders::schedule::Queued> =
                ::sqlx::query_as($crate::reminders::schedule::OF_PERSON)
                    .bind($user)
                    .bind($crate::db::Timestamp::now())
                    .fetch_all(&mut *$tx)
                    .await?;
            for row in &queued {
                if let Some(at) = $crate::reminders::schedule::fire_again(row, $zone).filter(|at| *at != row.fire_at) {
                    ::sqlx::query($crate::reminders::schedule::RETIME).bind(at).bind(row.id).execute(&mut *$tx).await?;
                }
            }
            Ok::<(), ::sqlx::Error>(())
        }
    };
}
pub use retime;

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn person(zone: &str, due: Option<Date>, minute: Option<i16>, reminders: &str) -> Person {
        Person {
            due_date: due,
            due_minute: minute,
            reminders: Some(reminders.to_owned()),
            user_id: Uuid::nil(),
            time_zone: zone.to_owned(),
        }
    }

    #[test]
    fn each_person_is_reminded_on_their_own_clock() {
        let due = Some(date!(2027 - 01 - 10));
        let now = datetime!(2027-01-01 00:00 UTC);
        let berlin = plan(&[person("Europe/Berlin", due, Some(9 * 60), "15m")], now);
        assert_eq!(berlin[0].fire_at, Timestamp(datetime!(2027-01-10 07:45 UTC)));
        assert_eq!(berlin[0].due_date, due);
        let la = plan(&[person("America/Los_Angeles", due, None, "1d")], now);
        assert_eq!(la[0].fire_at, Timestamp(datetime!(2027-01-09 17:00 UTC)), "09:00 the day before");
    }

    #[test]
    fn reminders_already_past_are_not_queued() {
        let due = Some(date!(2027 - 01 - 10));
        let now = datetime!(2027-01-10 09:05 UTC);
        let rows = plan(&[person("UTC", due, Some(10 * 60), "1h,15m,0m,2027-01-10T08:00,2027-01-11T08:00")], now);
        let kept: Vec<_> = rows.iter().map(|r| r.reminder.as_str()).collect();
        assert_eq!(kept, ["15m", "0m", "2027-01-11T08:00"]);
        assert_eq!(rows[2].due_date, None, "a fixed time is for no date");
    }

    #[test]
    fn daylight_saving_keeps_days_on_the_calendar_and_minutes_in_elapsed_time() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // Clocks go from 02:00 to 03:00 on 2027-03-28.
        let (due, three) = (Some(date!(2027 - 03 - 28)), Some(time::macros::time!(03:00)));
        assert_eq!(fire_at(Reminder::Before(30), due, three, &berlin), Some(datetime!(2027-03-28 00:30 UTC)));
        assert_eq!(fire_at(Reminder::Before(0), due, three, &berlin), Some(datetime!(2027-03-28 01:00 UTC)));
        assert_eq!(fire_at(Reminder::Before(24 * 60), due, three, &berlin), Some(datetime!(2027-03-27 02:00 UTC)));
        assert_eq!(fire_at(Reminder::Before(5), None, None, &berlin), None);
    }
}
