//! The SQL that writes a list's history. Every change calls it inside its own transaction,
//! so an event is written exactly when its change is, and never without it.

use uuid::Uuid;

use super::EventKind;
use crate::db::Timestamp;

/// An event about to be written.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// The list it happened in.
    pub list_id: Uuid,
    /// When.
    pub at: Timestamp,
    /// Who did it (`None` for the app itself, as when an account's lists are handed over).
    pub actor: Option<Uuid>,
    /// What.
    pub kind: EventKind,
    /// The task, with its title now.
    pub task: Option<(Uuid, &'a str)>,
    /// The member it happened to.
    pub member: Option<Uuid>,
    /// The email invited.
    pub email: Option<&'a str>,
    /// More, by kind (see [`super::Event::detail`]).
    pub detail: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    /// `actor` did `kind` in `list_id` at `at`.
    pub fn new(list_id: Uuid, at: Timestamp, actor: Option<Uuid>, kind: EventKind) -> Self {
        Self { list_id, at, actor, kind, task: None, member: None, email: None, detail: None }
    }

    /// ... to this task.
    pub fn task(self, id: Uuid, title: &'a str) -> Self {
        Self { task: Some((id, title)), ..self }
    }

    /// ... to this member (or to nobody).
    pub fn member(self, member: Option<Uuid>) -> Self {
        Self { member, ..self }
    }

    /// ... inviting this email.
    pub fn email(self, email: &'a str) -> Self {
        Self { email: Some(email), ..self }
    }

    /// ... with this detail.
    pub fn detail(self, detail: &'a str) -> Self {
        Self { detail: Some(detail), ..self }
    }
}

/// The statement [`record!`] runs.
pub const INSERT: &str = "insert into list_events (list_id, at, actor_id, kind, task_id, task_title, member_id, \
     email, detail) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Writes a [`NewEvent`] on `$conn` (a transaction, as `&mut *tx`): `record!(&mut *tx, event)`
/// is a `Result<_, sqlx::Error>` to `.await`. A macro, as the statement must be built for each
/// database's own connection type (inside [`crate::db::with_writer!`]).
#[macro_export]
macro_rules! record {
    ($conn:expr, $event:expr) => {{
        let event: $crate::history::record::NewEvent = $event;
        ::sqlx::query($crate::history::record::INSERT)
            .bind(event.list_id)
            .bind(event.at)
            .bind(event.actor)
            .bind(event.kind.as_str())
            .bind(event.task.map(|(id, _)| id))
            .bind(event.task.map(|(_, title)| title))
            .bind(event.member)
            .bind(event.email)
            .bind(event.detail)
            .execute($conn)
    }};
}
pub use record;

/// A statement that writes one `kind` event for each task `rows` picks, in bulk: `rows` is
/// a `from ... where ...` over a table with `id`, `list_id` and `title` columns, using the
/// placeholders before `$next`; the statement binds the time to `$next`, the actor to the
/// one after and the kind to the third.
pub fn for_each_task(rows: &str, next: usize) -> String {
    format!(
        "insert into list_events (list_id, at, actor_id, kind, task_id, task_title) \
         select list_id, ${next}, ${}, ${}, id, title {rows}",
        next + 1,
        next + 2
    )
}

/// Forgets the events older than [`super::KEPT_DAYS`]; how many.
pub async fn purge_expired(db: &crate::db::Db) -> Result<u64, crate::error::AppError> {
    let before = Timestamp::now() - std::time::Duration::from_secs(super::KEPT_DAYS * 24 * 3600);
    Ok(crate::db::execute!(db, |conn| {
        sqlx::query("delete from list_events where at < $1").bind(before).execute(conn)
    })?)
}
