//! SQL that reads a list's history, for its members only (in the statement itself).

use uuid::Uuid;

use super::{Event, EventKind, History, TaskRef, input::HistoryPage};
use crate::{
    auth::Person,
    db::{Db, Timestamp, with_pool},
    error::AppError,
    lists::store::{member_lists, role_of},
};

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: Timestamp,
    kind: String,
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    task_id: Option<Uuid>,
    task_title: Option<String>,
    member_id: Option<Uuid>,
    member_name: Option<String>,
    email: Option<String>,
    detail: Option<String>,
}

/// A page of a list the caller is a member of, newest first. The invited emails are shown
/// to the list's owner only, as its pending invitations are.
pub async fn page(db: &Db, user_id: Uuid, page: HistoryPage) -> Result<History, AppError> {
    let select = format!(
        "select e.id, e.at, e.kind, e.actor_id, a.name as actor_name, e.task_id, e.task_title, e.member_id, \
         m.name as member_name, \
         case when exists (select 1 from list_members o where o.list_id = e.list_id and o.user_id = $2 \
           and o.role = 'owner') then e.email end as email, e.detail \
         from list_events e left join users a on a.id = e.actor_id left join users m on m.id = e.member_id \
         where e.list_id = $1 and $1 in {member} and ($3 is null or e.id < $3) order by e.id desc limit $4",
        member = member_lists("$2")
    );
    // One more than asked: whether there is an older page.
    let mut rows: Vec<EventRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&select)
            .bind(page.list_id)
            .bind(user_id)
            .bind(page.before)
            .bind(page.limit + 1)
            .fetch_all(pool)
            .await
    })?;
    if rows.is_empty() && role_of(db, user_id, page.list_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_before = if more { rows.last().map(|r| r.id) } else { None };
    let events = rows
        .into_iter()
        .filter_map(|r| {
            Some(Event {
                id: r.id,
                at: r.at.0,
                // A kind this release does not know (written by a newer one) is skipped.
                kind: EventKind::parse(&r.kind)?,
                actor: Person::from_join(r.actor_id, r.actor_name),
                task: r.task_id.map(|id| TaskRef { id, title: r.task_title.unwrap_or_default() }),
                member: Person::from_join(r.member_id, r.member_name),
                email: r.email,
                detail: r.detail,
            })
        })
        .collect();
    Ok(History { events, next_before })
}
