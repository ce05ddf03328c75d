//! SQL for lists, members and invitations.
//!
//! Every statement that reads or writes a list carries the caller's membership (and, for a
//! change, their role) in its own `where` clause, so that no one can act on a list between a
//! check and the act. When such a statement finds nothing to do, [`refusal`] asks afterwards
//! why, only to choose the error: 404 for a list the caller is not a member of (the same
//! answer as a list that does not exist), 403 for a member whose role does not allow it.

use sqlx::Connection;
use uuid::Uuid;

mod members;

pub use members::{assignees, invite, leave, members, remove_member, set_reminders, set_role};

use super::{Invitation, Inviter, List, ListRef, Role, limits};
use crate::{
    db::{Db, Timestamp, with_pool, with_writer, with_writer_alone},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, record},
    },
    reminders::schedule::{reschedule, reschedule_all},
};

/// SQL: the live lists (not in the trash) that the account in placeholder `user` (`"$2"`,
/// say) is a member of.
pub fn member_lists(user: &str) -> String {
    lists_with_role(user, "")
}

/// SQL: the live lists whose tasks the account in placeholder `user` may change.
pub fn editable_lists(user: &str) -> String {
    lists_with_role(user, " and m.role <> 'viewer'")
}

/// SQL: the live lists that the account in placeholder `user` owns.
fn owned_lists(user: &str) -> String {
    lists_with_role(user, " and m.role = 'owner'")
}

fn lists_with_role(user: &str, role: &str) -> String {
    format!(
        "(select m.list_id from list_members m join lists l on l.id = m.list_id \
         where m.user_id = {user}{role} and l.deleted_at is null)"
    )
}

/// SQL: every list that the account in placeholder `user` owns, those in the trash too (to
/// restore or purge them).
pub fn owned_lists_and_trashed(user: &str) -> String {
    format!("(select m.list_id from list_members m where m.user_id = {user} and m.role = 'owner')")
}

/// The error for a person named in `field` who is not a member of the list.
pub fn not_a_member(field: &str) -> AppError {
    AppError::field(field, "This person is not a member of the list.")
}

/// The caller's role in a live list, if they are a member.
pub async fn role_of(db: &Db, user_id: Uuid, list_id: Uuid) -> Result<Option<Role>, AppError> {
    let role: Option<String> = with_pool!(db.read(), |pool| {
        sqlx::query_scalar(
            "select m.role from list_members m join lists l on l.id = m.list_id \
             where m.list_id = $1 and m.user_id = $2 and l.deleted_at is null",
        )
        .bind(list_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Why a change to a list was refused: not a member (404), or a role without the right
/// (403); `otherwise` when the caller had the role `needed` (another condition failed).
pub async fn refusal(
    db: &Db,
    user_id: Uuid,
    list_id: Uuid,
    needed: fn(Role) -> bool,
    otherwise: impl FnOnce(Role) -> AppError,
) -> AppError {
    match role_of(db, user_id, list_id).await {
        Ok(None) => AppError::NotFound,
        Ok(Some(role)) if !needed(role) => AppError::Forbidden,
        Ok(Some(role)) => otherwise(role),
        Err(e) => e,
    }
}

fn is_owner(role: Role) -> bool {
    role == Role::Owner
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    name: String,
    role: String,
    inbox: bool,
    members: i64,
    open: i64,
    reminders: bool,
}

impl From<ListRow> for List {
    fn from(row: ListRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            inbox: row.inbox,
            shared: row.members > 1,
            members: row.members,
            open: row.open,
            reminders: row.reminders,
        }
    }
}

const LIST_SELECT: &str = "select l.id, l.name, m.role, l.inbox, m.reminders, \
     (select count(*) from list_members x where x.list_id = l.id) as members, \
     coalesce((select c.total - c.completed from list_counts c where c.list_id = l.id), 0) as open \
     from list_members m join lists l on l.id = m.list_id and l.deleted_at is null";

/// The lists the caller belongs to: the Inbox first, then by name (case-insensitively).
pub async fn lists(db: &Db, user_id: Uuid) -> Result<Vec<List>, AppError> {
    let rows: Vec<ListRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("{LIST_SELECT} where m.user_id = $1 limit $2"))
            .bind(user_id)
            .bind(limits::LISTS_MAX)
            .fetch_all(pool)
            .await
    })?;
    let mut lists: Vec<List> = rows.into_iter().map(List::from).collect();
    lists.sort_by_cached_key(|l| (!l.inbox, l.name.to_lowercase(), l.id));
    Ok(lists)
}

/// One list of the caller's.
pub async fn get(db: &Db, user_id: Uuid, list_id: Uuid) -> Result<Option<List>, AppError> {
    let row: Option<ListRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!("{LIST_SELECT} where m.user_id = $1 and l.id = $2"))
            .bind(user_id)
            .bind(list_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.map(List::from))
}

/// Makes a list owned by the caller, unless they belong to [`limits::LISTS_MAX`] lists.
pub async fn create(db: &Db, user_id: Uuid, name: &str) -> Result<List, AppError> {
    let id = Uuid::now_v7();
    let now = Timestamp::now();
    let created = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let inserted = sqlx::query(
            "insert into lists (id, name, inbox, created_at, updated_at) select $1, $2, $3, $4, $4 \
             where (select count(*) from list_members where user_id = $5) < $6",
        )
        .bind(id)
        .bind(name)
        .bind(false)
        .bind(now)
        .bind(user_id)
        .bind(limits::LISTS_MAX)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            sqlx::query("insert into list_members (list_id, user_id, role, joined_at) values ($1, $2, $3, $4)")
                .bind(id)
                .bind(user_id)
                .bind(Role::Owner.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            record!(&mut *tx, NewEvent::new(id, now, Some(user_id), EventKind::ListCreated).detail(name)).await?;
        }
        tx.commit().await?;
        Ok::<_, AppError>(inserted == 1)
    })?;
    if !created {
        return Err(lists_limit());
    }
    Ok(List {
        id,
        name: name.to_owned(),
        role: Role::Owner,
        inbox: false,
        shared: false,
        members: 1,
        open: 0,
        reminders: true,
    })
}

fn lists_limit() -> AppError {
    AppError::LimitReached(format!(
        "You belong to {} lists, the most allowed. Leave or delete one first.",
        limits::LISTS_MAX
    ))
}

fn inbox_error(field: &str, what: &str) -> AppError {
    AppError::field(field, format!("Your Inbox cannot be {what}."))
}

/// Renames a list the caller owns (not the Inbox).
pub async fn rename(db: &Db, user_id: Uuid, list_id: Uuid, name: &str) -> Result<List, AppError> {
    let update = format!(
        "update lists set name = $1, updated_at = $2 where id = $3 and inbox = $4 and id in {}",
        owned_lists("$5")
    );
    let now = Timestamp::now();
    let changed = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let old: Option<String> =
            sqlx::query_scalar("select name from lists where id = $1").bind(list_id).fetch_optional(&mut *tx).await?;
        let changed = sqlx::query(&update).bind(name).bind(now).bind(list_id).bind(false).bind(user_id);
        let changed = changed.execute(&mut *tx).await?.rows_affected();
        // Saved with the name it had: no event.
        if changed == 1 && old.as_deref() != Some(name) {
            let renamed = NewEvent::new(list_id, now, Some(user_id), EventKind::ListRenamed).detail(name);
            record!(&mut *tx, renamed).await?;
        }
        if changed == 1 {
            tx.commit().await?;
        }
        Ok::<_, AppError>(changed)
    })?;
    if changed == 0 {
        return Err(refusal(db, user_id, list_id, is_owner, |_| inbox_error("id", "renamed")).await);
    }
    get(db, user_id, list_id).await?.ok_or(AppError::NotFound)
}

/// Moves a list the caller owns (not the Inbox) to the trash, with its tasks; its pending
/// invitations are withdrawn.
pub async fn delete(db: &Db, user_id: Uuid, list_id: Uuid) -> Result<u64, AppError> {
    let trash = format!(
        "update lists set deleted_at = $1, deleted_by = $2 where id = $3 and inbox = $4 and id in {}",
        owned_lists("$2")
    );
    let now = Timestamp::now();
    let deleted = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let deleted = sqlx::query(&trash)
            .bind(now)
            .bind(user_id)
            .bind(list_id)
            .bind(false)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 1 {
            sqlx::query("delete from invitations where list_id = $1").bind(list_id).execute(&mut *tx).await?;
            record!(&mut *tx, NewEvent::new(list_id, now, Some(user_id), EventKind::ListDeleted)).await?;
        }
        tx.commit().await?;
        Ok::<_, AppError>(deleted)
    })?;
    if deleted == 0 {
        return Err(refusal(db, user_id, list_id, is_owner, |_| inbox_error("id", "deleted")).await);
    }
    Ok(deleted)
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    list_id: Uuid,
    list_name: String,
    role: String,
    inviter_name: String,
    inviter_email: String,
}

/// The invitations waiting for the caller (by their email), newest first.
pub async fn pending(db: &Db, email: &str) -> Result<Vec<Invitation>, AppError> {
    let rows: Vec<InvitationRow> = with_pool!(db.read(), |pool| {
        sqlx::query_as(
            "select i.id, i.list_id, l.name as list_name, i.role, u.name as inviter_name, u.email as inviter_email \
             from invitations i join lists l on l.id = i.list_id and l.deleted_at is null \
             join users u on u.id = i.invited_by where i.email = $1 order by i.created_at desc, i.id limit $2",
        )
        .bind(email)
        .bind(limits::LISTS_MAX)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|r| Invitation {
            id: r.id,
            list: ListRef { id: r.list_id, name: r.list_name },
            role: Role::parse(&r.role).unwrap_or(Role::Viewer),
            invited_by: Inviter { name: r.inviter_name, email: r.inviter_email },
        })
        .collect())
}

/// Accepts an invitation addressed to the caller's email: they join the list with the role
/// offered (or keep the role they have, should they be a member already).
pub async fn accept(db: &Db, user_id: Uuid, email: &str, invitation: Uuid) -> Result<List, AppError> {
    let now = Timestamp::now();
    let joined: Option<Result<Uuid, AppError>> = with_writer!(db, |conn| async move {
        let mut tx = conn.begin().await?;
        let taken: Option<(Uuid, String)> =
            sqlx::query_as("delete from invitations where id = $1 and email = $2 returning list_id, role")
                .bind(invitation)
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((list_id, role)) = taken else { return Ok::<_, AppError>(None) };
        let inserted = sqlx::query(
            "insert into list_members (list_id, user_id, role, joined_at, reminders) select $1, $2, $3, $4, $6 \
             where (select count(*) from list_members where user_id = $2) < $5 \
             on conflict (list_id, user_id) do nothing",
        )
        .bind(list_id)
        .bind(user_id)
        .bind(&role)
        .bind(now)
        .bind(limits::LISTS_MAX)
        // Who joins hears the list's reminders once they choose to (`lists::set_reminders`).
        .bind(false)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let member: bool =
            sqlx::query_scalar("select exists (select 1 from list_members where list_id = $1 and user_id = $2)")
                .bind(list_id)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        if !member {
            return Ok(Some(Err(lists_limit())));
        }
        if inserted == 1 {
            record!(&mut *tx, NewEvent::new(list_id, now, Some(user_id), EventKind::MemberJoined).detail(&role))
                .await?;
        }
        tx.commit().await?;
        if inserted == 1 {
            tracing::info!(list = %list_id, member = %user_id, "invitation accepted");
        }
        Ok(Some(Ok(list_id)))
    }
    .await)?;
    let list_id = joined.ok_or(AppError::NotFound)??;
    get(db, user_id, list_id).await?.ok_or(AppError::NotFound)
}

/// Declines an invitation addressed to the caller's email.
pub async fn decline(db: &Db, email: &str, invitation: Uuid) -> Result<(), AppError> {
    let deleted = crate::db::execute!(db, |conn| {
        sqlx::query("delete from invitations where id = $1 and email = $2").bind(invitation).bind(email).execute(conn)
    })?;
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Deletes an account. Each list it owns that others use is handed to its longest-standing
/// editor (or, without one, viewer) first; the lists nobody else uses go with the account,
/// their tasks with them. Tasks it created or was assigned elsewhere stay, without it.
pub async fn delete_account(db: &Db, user_id: Uuid, email: &str) -> Result<(), AppError> {
    let now = Timestamp::now();
    // Every list the account leaves says so in its history (the account itself is gone from
    // its events: they name nobody).
    let left = format!(
        "insert into list_events (list_id, at, kind) select list_id, $1, '{}' from list_members where user_id = $2",
        EventKind::MemberLeft.as_str()
    );
    // Its tasks and history may be many rows: alone, not in a group others wait on.
    with_writer_alone!(db, |conn| {
        let mut tx = conn.begin().await?;
        sqlx::query(&left).bind(now).bind(user_id).execute(&mut *tx).await?;
        // Its tasks elsewhere are unassigned with it: their lists' members hear of them instead.
        let assigned: Vec<Uuid> =
            sqlx::query_scalar(crate::reminders::schedule::OF_ASSIGNEE).bind(user_id).fetch_all(&mut *tx).await?;
        let owned: Vec<Uuid> = sqlx::query_scalar("select list_id from list_members where user_id = $1 and role = $2")
            .bind(user_id)
            .bind(Role::Owner.as_str())
            .fetch_all(&mut *tx)
            .await?;
        for list_id in &owned {
            sqlx::query("delete from list_members where list_id = $1 and user_id = $2")
                .bind(list_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            // Picked and promoted in one statement: an heir who leaves meanwhile is not chosen.
            let heir: Option<Uuid> = sqlx::query_scalar(
                "update list_members set role = $1, reminders = true where list_id = $2 and user_id = \
                 (select x.user_id from list_members x where x.list_id = $2 \
                  order by case when x.role = $3 then 0 else 1 end, x.joined_at, x.user_id limit 1) \
                 returning user_id",
            )
            .bind(Role::Owner.as_str())
            .bind(list_id)
            .bind(Role::Editor.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match heir {
                Some(heir) => {
                    // The list's pending invitations go on, now sent by its new owner.
                    sqlx::query("update invitations set invited_by = $1 where list_id = $2")
                        .bind(heir)
                        .bind(list_id)
                        .execute(&mut *tx)
                        .await?;
                    reschedule_all!(tx, crate::reminders::schedule::OF_LIST_UNASSIGNED, *list_id).await?;
                    let handed = NewEvent::new(*list_id, now, None, EventKind::RoleChanged);
                    record!(&mut *tx, handed.member(Some(heir)).detail(Role::Owner.as_str())).await?;
                    tracing::info!(list = %list_id, owner = %heir, "list handed over with a deleted account");
                }
                None => {
                    sqlx::query("delete from lists where id = $1").bind(list_id).execute(&mut *tx).await?;
                }
            }
        }
        sqlx::query("delete from invitations where email = $1").bind(email).execute(&mut *tx).await?;
        sqlx::query("delete from users where id = $1").bind(user_id).execute(&mut *tx).await?;
        for task in assigned {
            reschedule!(tx, task).await?;
        }
        tx.commit().await?;
        Ok::<_, AppError>(())
    })
}
