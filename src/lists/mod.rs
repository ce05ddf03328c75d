//! Lists: each person's Inbox and the lists they made or were let into, each shared with its
//! members by role.
//!
//! - this module: the types the API speaks ([`List`], [`Role`], [`Members`], ...) and the
//!   limits shared by the forms and the server;
//! - [`input`]: the forms as they arrive, and their validation;
//! - [`store`]: the SQL, where every statement checks the caller's membership and role in the
//!   statement that reads or writes;
//! - [`api`]: the server functions under `/api/lists/` and `/api/invitations/`;
//! - [`ui`]: the sidebar of the task page and the invitations waiting for an answer.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dates::Moment;

pub mod api;
pub mod input;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{
    AcceptInvitation, CreateList, DeclineInvitation, DeleteList, InviteMember, LeaveList, ListAssignees,
    ListInvitations, ListLists, ListMembers, RemoveMember, RenameList, SetListReminders, SetRole, accept_invitation,
    create_list, decline_invitation, delete_list, invite_member, leave_list, list_assignees, list_invitations,
    list_lists, list_members, remove_member, rename_list, set_list_reminders, set_role,
};
pub use input::{InvitationId, InviteInput, ListId, MemberInput, NewList, RemindersInput, RenameInput, SetRoleInput};

/// Limits of lists and sharing, shared by the forms and the server.
pub mod limits {
    /// Longest list name, in characters.
    pub const NAME_MAX: usize = 100;
    /// Most lists one account may belong to (its Inbox and shared ones included).
    pub const LISTS_MAX: i64 = 200;
    /// Most members of one list, pending invitations included.
    pub const MEMBERS_MAX: i64 = 100;
    /// Most invitations one account may send in a day.
    pub const INVITATIONS_PER_DAY: i64 = 50;
}

/// What a member may do in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything: rename, delete, share, change roles, hand the list over. One per list.
    Owner,
    /// Create, edit, complete, delete, assign and move tasks.
    Editor,
    /// Read only.
    Viewer,
}

impl Role {
    /// Every role, the most powerful first.
    pub const ALL: [Role; 3] = [Role::Owner, Role::Editor, Role::Viewer];

    /// The API's (and the database's) name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Editor => "editor",
            Self::Viewer => "viewer",
        }
    }

    /// A role from its name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether this role may change the list's tasks.
    pub fn can_edit(self) -> bool {
        matches!(self, Self::Owner | Self::Editor)
    }
}

/// A list as its member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct List {
    /// The list's id (a person's Inbox has the person's own id).
    pub id: Uuid,
    /// 1 to 100 characters.
    pub name: String,
    /// The caller's role in it.
    pub role: Role,
    /// Whether this is the caller's Inbox (never shared, renamed or deleted).
    pub inbox: bool,
    /// Whether anyone besides the owner is a member.
    pub shared: bool,
    /// How many people are members, the owner included.
    pub members: i64,
    /// How many of its tasks are open.
    pub open: i64,
    /// Whether the caller is reminded of its tasks that nobody is assigned to (an assignee is
    /// always reminded of their tasks). On for a list's owner from the start; members choose
    /// (`POST /api/lists/reminders`).
    #[serde(default)]
    pub reminders: bool,
}

/// The lists a person belongs to: the Inbox first, then the others by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ListPage {
    /// The lists.
    pub lists: Vec<List>,
}

/// A member of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Member {
    /// The member's account id.
    pub id: Uuid,
    /// Their email (members of a list see each other's).
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
}

/// An invitation as the list's owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SentInvitation {
    /// The invitation's id.
    pub id: Uuid,
    /// The email invited.
    pub email: String,
    /// The role offered.
    pub role: Role,
    /// When it was sent.
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Moment,
}

/// A list's members, the owner first; and, for its owner only, the pending invitations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Members {
    /// The members.
    pub members: Vec<Member>,
    /// Pending invitations, newest first (empty for everyone but the owner).
    pub invitations: Vec<SentInvitation>,
}

/// The answer of an invitation: the same whether or not the email has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invited {
    /// The email invited (trimmed and lower-cased).
    pub invited: String,
}

/// A list named beside something else: its id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ListRef {
    /// The list's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// Who sent an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Inviter {
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: String,
}

/// An invitation as the invitee sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invitation {
    /// The invitation's id.
    pub id: Uuid,
    /// The list it lets the invitee into.
    pub list: ListRef,
    /// The role offered.
    pub role: Role,
    /// Who invited them.
    pub invited_by: Inviter,
}

/// The invitations waiting for the caller's answer, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invitations {
    /// The invitations.
    pub invitations: Vec<Invitation>,
}

/// Someone a task of a list may be assigned to: a member of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignee {
    /// The list.
    pub list_id: Uuid,
    /// The member's account id.
    pub id: Uuid,
    /// Their name.
    pub name: String,
}

/// The people the caller may assign tasks to: the members of every list where they may edit,
/// by list, then by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Assignees {
    /// One entry for each member of each such list.
    pub assignees: Vec<Assignee>,
}
