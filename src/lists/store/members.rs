//! SQL for a list's members: who they are, inviting, roles, removal and leaving (split from
//! [`super`] for length).

use sqlx::Connection;
use uuid::Uuid;

use super::{editable_lists, inbox_error, is_owner, member_lists, not_a_member, owned_lists, refusal, role_of};
use crate::{
    db::{Db, Timestamp, with_pool, with_writer, with_writer_alone},
    error::AppError,
    history::{
        EventKind,
        record::{NewEvent, record},
    },
    lists::{Assignee, Member, Members, Role, SentInvitation, limits},
    reminders::schedule::reschedule_all,
};

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
}

#[derive(sqlx::FromRow)]
struct SentRow {
    id: Uuid,
    email: String,
    role: String,
    created_at: Timestamp,
}

/// A list's members, the owner first, then by role, name and email; the pending invitations
/// for its owner.
pub async fn members(db: &Db, user_id: Uuid, list_id: Uuid) -> Result<Members, AppError> {
    let (members, sent): (Vec<MemberRow>, Vec<SentRow>) = with_pool!(db.read(), |pool| {
        let mut conn = pool.acquire().await?;
        let members = sqlx::query_as(&format!(
            "select u.id, u.email, u.name, m.role from list_members m join users u on u.id = m.user_id \
             where m.list_id = $1 and $1 in {}",
            member_lists("$2")
        ))
        .bind(list_id)
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
        let sent = sqlx::query_as(&format!(
            "select id, email, role, created_at from invitations where list_id = $1 and $1 in {} \
             order by created_at desc, id",
            owned_lists("$2")
        ))
        .bind(list_id)
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok::<_, AppError>((members, sent))
    })?;
    // A list always has its owner: no rows means the caller is not a member.
    if members.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut members: Vec<Member> = members
        .into_iter()
        .map(|m| Member { id: m.id, email: m.email, name: m.name, role: Role::parse(&m.role).unwrap_or(Role::Viewer) })
        .collect();
    members.sort_by_cached_key(|m| (m.role, m.name.to_lowercase(), m.email.clone()));
    let invitations = sent
        .into_iter()
        .map(|i| SentInvitation {
            id: i.id,
            email: i.email,
            role: Role::parse(&i.role).unwrap_or(Role::Viewer),
            created_at: i.created_at.0,
        })
        .collect();
    Ok(Members { members, invitations })
}

/// The members of every live list where the caller may edit, by list, then by name: whom
/// the caller may assign its tasks to. At most [`limits::LISTS_MAX`] lists of at most
/// [`limits::MEMBERS_MAX`] members each.
pub async fn assignees(db: &Db, user_id: Uuid) -> Result<Vec<Assignee>, AppError> {
    let rows: Vec<(Uuid, Uuid, String)> = with_pool!(db.read(), |pool| {
        sqlx::query_as(&format!(
            "select m.list_id, u.id, u.name from list_members m join users u on u.id = m.user_id \
             where m.list_id in {} order by m.list_id, u.name, u.id",
            editable_lists("$1")
        ))
        .bind(user_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().map(|(list_id, id, name)| Assignee { list_id, id, name }).collect())
}

/// Invites an email to a list the caller owns (not the Inbox), with a role; inviting an
/// email again replaces the pending invitation. Nothing here depends on whether the email
/// has an account, so neither does the answer.
pub async fn invite(
    db: &Db,
    (user_id, own_email): (Uuid, &str),
    list_id: Uuid,
    email: &str,
    role: Role,
) -> Result<(), AppError> {
    let insert = format!(
        "insert into invitations (id, list_id, email, role, invited_by, created_at) \
             select $1, $2, $3, $4, $5, $6 \
             where $2 in {owned} \
               and not exists (select 1 from lists where id = $2 and inbox = $7) \
               and not exists (select 1 from list_members m join users u on u.id = m.user_id \
                               where m.list_id = $2 and u.email = $3) \
               and (select count(*) from list_members where list_id = $2) \
                 + (select count(*) from invitations where list_id = $2 and email <> $3) < $8 \
             on conflict (list_id, email) do update set role = excluded.role, invited_by = excluded.invited_by, \
               created_at = excluded.created_at",
        owned = owned_lists("$5")
    );
    let now = Timestamp::now();
    let event = NewEvent::new(list_id, now, Some(user_id), EventKind::MemberInvited).email(email).detail(role.as_str());
    let invited = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let invited = sqlx::query(&insert)
            .bind(Uuid::now_v7())
            .bind(list_id)
            .bind(email)
            .bind(role.as_str())
            .bind(user_id)
            .bind(now)
            .bind(true)
            .bind(limits::MEMBERS_MAX)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if invited == 1 {
            record!(&mut *tx, event).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(invited)
    })?;
    if invited == 1 {
        return Ok(());
    }
    let why = refusal(db, user_id, list_id, is_owner, |_| AppError::Internal).await;
    if why != AppError::Internal {
        return Err(why);
    }
    // The caller owns the list: it is their Inbox, the email is a member's, or it is full.
    let (inbox, member_email): (bool, Option<String>) = with_pool!(db.read(), |pool| {
        let mut conn = pool.acquire().await?;
        let inbox = sqlx::query_scalar("select inbox from lists where id = $1").bind(list_id).fetch_one(&mut *conn);
        let inbox = inbox.await?;
        let member = sqlx::query_scalar(
            "select u.email from list_members m join users u on u.id = m.user_id where m.list_id = $1 and u.email = $2",
        )
        .bind(list_id)
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
        Ok::<_, AppError>((inbox, member))
    })?;
    Err(if inbox {
        AppError::field("id", "Your Inbox cannot be shared. Make a list to share.")
    } else if member_email.as_deref() == Some(own_email) {
        AppError::field("email", "You cannot invite yourself.")
    } else if member_email.is_some() {
        AppError::field("email", "This person is already a member of the list.")
    } else {
        AppError::LimitReached(format!("A list has at most {} members and invitations.", limits::MEMBERS_MAX))
    })
}

/// Changes a member's role in a list the caller owns. Making someone the owner hands the
/// list over: the caller becomes an editor, in the same transaction.
pub async fn set_role(db: &Db, user_id: Uuid, list_id: Uuid, member: Uuid, role: Role) -> Result<(), AppError> {
    if member == user_id {
        return Err(match refusal(db, user_id, list_id, is_owner, |_| AppError::Internal).await {
            AppError::Internal => AppError::field("user_id", "Hand the list over to another member instead."),
            other => other,
        });
    }
    let now = Timestamp::now();
    let done = with_writer!(db, |conn| async move {
        let mut tx = conn.begin().await?;
        let old: Option<String> =
            sqlx::query_scalar("select role from list_members where list_id = $1 and user_id = $2")
                .bind(list_id)
                .bind(member)
                .fetch_optional(&mut *tx)
                .await?;
        if role == Role::Owner {
            // Demote first: a list has one owner (the `list_members_one_owner` index).
            let demoted = sqlx::query(
                "update list_members set role = $1 where list_id = $2 and user_id = $3 and role = $4 \
                 and exists (select 1 from list_members where list_id = $2 and user_id = $5) \
                 and exists (select 1 from lists where id = $2 and deleted_at is null)",
            )
            .bind(Role::Editor.as_str())
            .bind(list_id)
            .bind(user_id)
            .bind(Role::Owner.as_str())
            .bind(member)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if demoted == 0 {
                return Ok::<_, AppError>(false);
            }
        }
        let changed = sqlx::query(&format!(
            "update list_members set role = $1, reminders = (reminders or $5) \
             where list_id = $2 and user_id = $3 and role <> $4 and ($5 or $2 in {})",
            owned_lists("$6")
        ))
        .bind(role.as_str())
        .bind(list_id)
        .bind(member)
        .bind(Role::Owner.as_str())
        // Once demoted, the caller no longer owns the list.
        .bind(role == Role::Owner)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Saved with the role they had: no event.
        if changed == 1 && old.as_deref() != Some(role.as_str()) {
            let changed = NewEvent::new(list_id, now, Some(user_id), EventKind::RoleChanged);
            record!(&mut *tx, changed.member(Some(member)).detail(role.as_str())).await?;
            if role == Role::Owner {
                let demoted = changed.member(Some(user_id)).detail(Role::Editor.as_str());
                record!(&mut *tx, demoted).await?;
            }
        }
        if changed == 1 {
            if role == Role::Owner {
                // The new owner hears the list's unassigned tasks (as its owner always does).
                reschedule_all!(tx, crate::reminders::schedule::OF_LIST_UNASSIGNED, list_id).await?;
            }
            tx.commit().await?;
        }
        Ok(changed == 1)
    }
    .await)?;
    if done {
        tracing::info!(list = %list_id, member = %member, role = role.as_str(), "role changed");
        return Ok(());
    }
    Err(refusal(db, user_id, list_id, is_owner, |_| not_a_member("user_id")).await)
}

/// Unassigns a former member's tasks in a list (`$1`, the member `$2`), and those in the trash.
const UNASSIGN: [&str; 2] = [
    "update tasks set assignee_id = null where list_id = $1 and assignee_id = $2",
    "update trashed_tasks set assignee_id = null where list_id = $1 and assignee_id = $2",
];

/// Ends a membership (never the owner's) in one statement whose `where` adds `allowed`, a
/// condition on the caller (`$4`), unassigns the former member's tasks in the list, live
/// and trashed, and queues the list's reminders again; whether it did.
async fn end_membership(db: &Db, caller: Uuid, list_id: Uuid, member: Uuid, allowed: &str) -> Result<bool, AppError> {
    let delete = format!("delete from list_members where list_id = $1 and user_id = $2 and role <> $3 and {allowed}");
    // Alone: the list's tasks and reminders may be many rows, and a group's other writes would wait.
    with_writer_alone!(db, |conn| {
        let mut tx = conn.begin().await?;
        let query = sqlx::query(&delete).bind(list_id).bind(member).bind(Role::Owner.as_str()).bind(caller);
        let ended = query.execute(&mut *tx).await?.rows_affected() == 1;
        if ended {
            for unassign in UNASSIGN {
                sqlx::query(unassign).bind(list_id).bind(member).execute(&mut *tx).await?;
            }
            // Their reminders of the list go; its owner and opted-in members hear of the tasks
            // that were theirs.
            reschedule_all!(tx, crate::reminders::schedule::OF_LIST, list_id).await?;
            let event = if caller == member {
                NewEvent::new(list_id, Timestamp::now(), Some(member), EventKind::MemberLeft)
            } else {
                NewEvent::new(list_id, Timestamp::now(), Some(caller), EventKind::MemberRemoved).member(Some(member))
            };
            record!(&mut *tx, event).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(ended)
    })
}

/// Removes a member (not the owner) from a list the caller owns; their tasks there are
/// unassigned. They lose access at once: every query checks membership.
pub async fn remove_member(db: &Db, user_id: Uuid, list_id: Uuid, member: Uuid) -> Result<(), AppError> {
    if end_membership(db, user_id, list_id, member, &format!("$1 in {}", owned_lists("$4"))).await? {
        return Ok(());
    }
    Err(refusal(db, user_id, list_id, is_owner, |_| {
        if member == user_id {
            AppError::field("user_id", "The owner cannot be removed. Hand the list over first.")
        } else {
            not_a_member("user_id")
        }
    })
    .await)
}

/// Leaves a live list the caller is an editor or viewer of; their tasks there are unassigned.
pub async fn leave(db: &Db, user_id: Uuid, list_id: Uuid) -> Result<(), AppError> {
    if end_membership(db, user_id, list_id, user_id, &format!("$1 in {}", member_lists("$4"))).await? {
        return Ok(());
    }
    Err(match role_of(db, user_id, list_id).await? {
        None => AppError::NotFound,
        Some(_) if list_id == user_id => inbox_error("id", "left"),
        Some(_) => AppError::field("id", "You own this list: hand it over to another member before you leave."),
    })
}

/// Whether the caller is reminded of a live list's tasks that nobody is assigned to; their
/// queued reminders of its tasks follow in the same transaction. Not a member: not found.
pub async fn set_reminders(db: &Db, user_id: Uuid, list_id: Uuid, enabled: bool) -> Result<(), AppError> {
    // Only a change does any work: a client choosing the same again in a loop costs a lookup.
    let update = format!(
        "update list_members set reminders = $3 where list_id = $1 and user_id = $2 and reminders <> $3 \
         and list_id in {}",
        member_lists("$2")
    );
    let changed = with_writer!(db, |conn| {
        let mut tx = conn.begin().await?;
        let changed =
            sqlx::query(&update).bind(list_id).bind(user_id).bind(enabled).execute(&mut *tx).await?.rows_affected();
        if changed == 1 {
            reschedule_all!(tx, crate::reminders::schedule::OF_LIST_UNASSIGNED, list_id).await?;
            tx.commit().await?;
        }
        Ok::<_, AppError>(changed)
    })?;
    if changed == 0 && role_of(db, user_id, list_id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(())
}
