//! The server functions of lists and sharing: `/api/lists/` and `/api/invitations/`. Each
//! starts with the session's user and hands their id to [`super::store`], whose statements
//! check membership and role themselves.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use super::{
    Assignees, InvitationId, Invitations, InviteInput, Invited, List, ListId, ListPage, MemberInput, Members, NewList,
    RemindersInput, RenameInput, SetRoleInput,
};
#[cfg(feature = "ssr")]
use super::{input::parse_uuid, limits, store};
use crate::{auth::Done, error::AppError, tasks::Deleted};
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_user,
    error::{
        ErrorBody,
        docs::{MemberWriteErrors, OwnReadErrors, OwnWriteErrors, SessionErrors, SessionWriteErrors},
    },
    state::state,
};

/// The lists the user belongs to: the Inbox first, then the others by name.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/lists/list", tag = "lists",
    responses((status = 200, description = "The user's lists.", body = ListPage), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "lists/list", input = GetUrl)]
pub async fn list_lists() -> Result<ListPage, AppError> {
    let user = require_user().await?;
    Ok(ListPage { lists: store::lists(&state()?.db, user.user.id).await? })
}

/// Makes a list, owned by the user.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/create", tag = "lists",
    request_body(content = NewList, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The new list.", body = List),
        SessionWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: the name is empty or too long; \
            or `limit_reached`: the user belongs to 200 lists."),
    ),
))]
#[server(prefix = "/api", endpoint = "lists/create")]
pub async fn create_list(#[server(flatten)] input: NewList) -> Result<List, AppError> {
    let user = require_user().await?;
    let name = input.parse()?;
    store::create(&state()?.db, user.user.id, &name).await
}

/// Renames a list (its owner only; not the Inbox).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/rename", tag = "lists",
    request_body(content = RenameInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The list as it is now.", body = List), MemberWriteErrors),
))]
#[server(prefix = "/api", endpoint = "lists/rename")]
pub async fn rename_list(#[server(flatten)] input: RenameInput) -> Result<List, AppError> {
    let user = require_user().await?;
    let (id, name) = input.parse()?;
    store::rename(&state()?.db, user.user.id, id, &name).await
}

/// Moves a list with its tasks to the trash (its owner only; not the Inbox), where its owner
/// may restore it for 30 days. Its members no longer see it meanwhile.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/delete", tag = "lists",
    request_body(content = ListId, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{\"deleted\": 1}`.", body = Deleted), MemberWriteErrors),
))]
#[server(prefix = "/api", endpoint = "lists/delete")]
pub async fn delete_list(#[server(flatten)] input: ListId) -> Result<Deleted, AppError> {
    let user = require_user().await?;
    let id = parse_uuid("id", &input.id)?;
    let deleted = store::delete(&state()?.db, user.user.id, id).await?;
    tracing::info!(list = %id, "list deleted");
    Ok(Deleted { deleted, job: None })
}

/// A list's members; for its owner, the pending invitations too.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/lists/members", tag = "lists",
    params(ListId),
    responses((status = 200, description = "The members, the owner first.", body = Members), OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "lists/members", input = GetUrl)]
pub async fn list_members(#[server(flatten)] input: ListId) -> Result<Members, AppError> {
    let user = require_user().await?;
    let id = parse_uuid("id", &input.id)?;
    store::members(&state()?.db, user.user.id, id).await
}

/// The people the user may assign tasks to: the members of every list where the user may
/// edit (in their Inbox, only the user), by list.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/lists/assignees", tag = "lists",
    responses((status = 200, description = "Members by list, then by name.", body = Assignees), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "lists/assignees", input = GetUrl)]
pub async fn list_assignees() -> Result<Assignees, AppError> {
    let user = require_user().await?;
    Ok(Assignees { assignees: store::assignees(&state()?.db, user.user.id).await? })
}

/// Invites someone by email, with a role (the list's owner only; not the Inbox). The answer
/// is the same whether or not the email has an account; the invitee sees the invitation once
/// logged in with that email (or signed up with it), and joins only by accepting it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/invite", tag = "lists",
    request_body(content = InviteInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The invitation is pending.", body = Invited),
        MemberWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: a bad field, the Inbox, the \
            owner's own email or a member's; or `limit_reached`: the list has 100 members and invitations."),
        (status = 429, body = ErrorBody,
            description = "`rate_limited`: the user sent 50 invitations today; see `Retry-After`."),
    ),
))]
#[server(prefix = "/api", endpoint = "lists/invite")]
pub async fn invite_member(#[server(flatten)] input: InviteInput) -> Result<Invited, AppError> {
    let user = require_user().await?;
    let (id, email, role) = input.parse()?;
    let state = state()?;
    state.limiter.check_invite(&state.db, user.user.id, limits::INVITATIONS_PER_DAY).await?;
    store::invite(&state.db, (user.user.id, &user.user.email), id, &email, role).await?;
    tracing::info!(list = %id, role = role.as_str(), "member invited");
    Ok(Invited { invited: email })
}

/// Changes a member's role (the owner only); `owner` hands the list over, and the former
/// owner becomes an editor.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/set-role", tag = "lists",
    request_body(content = SetRoleInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The members as they are now.", body = Members), MemberWriteErrors),
))]
#[server(prefix = "/api", endpoint = "lists/set-role")]
pub async fn set_role(#[server(flatten)] input: SetRoleInput) -> Result<Members, AppError> {
    let user = require_user().await?;
    let (id, member, role) = input.parse()?;
    let db = &state()?.db;
    store::set_role(db, user.user.id, id, member, role).await?;
    store::members(db, user.user.id, id).await
}

/// Whether the user is reminded of the list's tasks that nobody is assigned to (any member;
/// a task's assignee is always reminded of it).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/reminders", tag = "lists",
    request_body(content = RemindersInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The list, with `reminders` as it is now.", body = List), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "lists/reminders")]
pub async fn set_list_reminders(#[server(flatten)] input: RemindersInput) -> Result<List, AppError> {
    let user = require_user().await?;
    let id = parse_uuid("id", &input.id)?;
    let enabled = match input.enabled.as_deref().map(str::trim).unwrap_or_default() {
        "true" | "on" => true,
        "" | "false" => false,
        _ => return Err(AppError::field("enabled", "Must be true or false.")),
    };
    let db = &state()?.db;
    store::set_reminders(db, user.user.id, id, enabled).await?;
    store::get(db, user.user.id, id).await?.ok_or(AppError::NotFound)
}

/// Removes a member (the owner only); their tasks in the list are unassigned, and they lose
/// access on their next request.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/remove-member", tag = "lists",
    request_body(content = MemberInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The members as they are now.", body = Members), MemberWriteErrors),
))]
#[server(prefix = "/api", endpoint = "lists/remove-member")]
pub async fn remove_member(#[server(flatten)] input: MemberInput) -> Result<Members, AppError> {
    let user = require_user().await?;
    let (id, member) = input.parse()?;
    let db = &state()?.db;
    store::remove_member(db, user.user.id, id, member).await?;
    tracing::info!(list = %id, member = %member, "member removed");
    store::members(db, user.user.id, id).await
}

/// Leaves a list (an owner hands it over first); the user's tasks there are unassigned.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/lists/leave", tag = "lists",
    request_body(content = ListId, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{}`: the user is no longer a member.", body = Done), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "lists/leave")]
pub async fn leave_list(#[server(flatten)] input: ListId) -> Result<Done, AppError> {
    let user = require_user().await?;
    let id = parse_uuid("id", &input.id)?;
    store::leave(&state()?.db, user.user.id, id).await?;
    tracing::info!(list = %id, "member left");
    Ok(Done {})
}

/// The invitations waiting for the user's answer.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/invitations/list", tag = "lists",
    responses((status = 200, description = "Pending invitations, newest first.", body = Invitations), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "invitations/list", input = GetUrl)]
pub async fn list_invitations() -> Result<Invitations, AppError> {
    let user = require_user().await?;
    Ok(Invitations { invitations: store::pending(&state()?.db, &user.user.email).await? })
}

/// Accepts an invitation: the user joins the list with the role offered.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/invitations/accept", tag = "lists",
    request_body(content = InvitationId, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The list joined.", body = List),
        OwnWriteErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: a malformed `id`; or \
            `limit_reached`: the user belongs to 200 lists."),
    ),
))]
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(#[server(flatten)] input: InvitationId) -> Result<List, AppError> {
    let user = require_user().await?;
    let id = parse_uuid("id", &input.id)?;
    store::accept(&state()?.db, user.user.id, &user.user.email, id).await
}

/// Declines an invitation.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/invitations/decline", tag = "lists",
    request_body(content = InvitationId, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "`{}`: the invitation is gone.", body = Done), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "invitations/decline")]
pub async fn decline_invitation(#[server(flatten)] input: InvitationId) -> Result<Done, AppError> {
    let user = require_user().await?;
    let id = parse_uuid("id", &input.id)?;
    store::decline(&state()?.db, &user.user.email, id).await?;
    Ok(Done {})
}
