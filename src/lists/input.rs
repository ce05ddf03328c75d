//! The list and sharing forms as they arrive, and their validation. As with tasks, every
//! field arrives as a string and a bad one is a 422 naming it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Role, limits};
use crate::{
    auth::normalize_email,
    error::{AppError, FieldErrors},
};

/// A list named by its id (`GET /api/lists/members`, `POST /api/lists/delete`, `leave`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ListId {
    /// The list's id.
    pub id: String,
}

/// The form of `POST /api/lists/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewList {
    /// 1 to 100 characters after trimming.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100, example = "Groceries"))]
    pub name: String,
}

/// The form of `POST /api/lists/rename`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RenameInput {
    /// The list's id.
    pub id: String,
    /// The new name, 1 to 100 characters after trimming.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
}

/// The form of `POST /api/lists/invite`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InviteInput {
    /// The list's id.
    pub id: String,
    /// Whom to invite.
    #[cfg_attr(feature = "ssr", schema(max_length = 254, example = "sam@example.com"))]
    pub email: String,
    /// `editor` or `viewer`.
    #[cfg_attr(feature = "ssr", schema(pattern = "^(editor|viewer)$"))]
    pub role: String,
}

/// The form of `POST /api/lists/set-role`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetRoleInput {
    /// The list's id.
    pub id: String,
    /// The member's account id.
    pub user_id: String,
    /// `editor`, `viewer`, or `owner` to hand the list over (the owner becomes an editor).
    #[cfg_attr(feature = "ssr", schema(pattern = "^(owner|editor|viewer)$"))]
    pub role: String,
}

/// The form of `POST /api/lists/reminders`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RemindersInput {
    /// The list's id.
    pub id: String,
    /// `true` to be reminded of the list's tasks that nobody is assigned to, `false` (or
    /// absent, as an unticked checkbox sends it) not to.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(|true|false|on)$"))]
    pub enabled: Option<String>,
}

/// The form of `POST /api/lists/remove-member`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberInput {
    /// The list's id.
    pub id: String,
    /// The member's account id.
    pub user_id: String,
}

/// An invitation named by its id (`POST /api/invitations/accept`, `/decline`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationId {
    /// The invitation's id.
    pub id: String,
}

/// An id in field `field`; a malformed one is a 422 on that field.
pub fn parse_uuid(field: &str, raw: &str) -> Result<Uuid, AppError> {
    Uuid::try_parse(raw.trim()).map_err(|_| AppError::field(field, "Not a valid id."))
}

/// A trimmed list name of 1 to 100 characters, without control characters.
pub fn normalize_list_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("A list needs a name.".into());
    }
    if name.chars().count() > limits::NAME_MAX {
        return Err(format!("Use at most {} characters.", limits::NAME_MAX));
    }
    if name.chars().any(char::is_control) {
        return Err("Control characters are not allowed.".into());
    }
    Ok(name.to_owned())
}

fn name_field(raw: &str) -> Result<String, AppError> {
    normalize_list_name(raw).map_err(|e| AppError::field("name", e))
}

impl NewList {
    /// The valid name.
    pub fn parse(&self) -> Result<String, AppError> {
        name_field(&self.name)
    }
}

impl RenameInput {
    /// The list's id and its valid new name.
    pub fn parse(&self) -> Result<(Uuid, String), AppError> {
        let id = parse_uuid("id", &self.id);
        let name = name_field(&self.name);
        match (id, name) {
            (Ok(id), Ok(name)) => Ok((id, name)),
            (id, name) => Err(merge([id.err(), name.err()])),
        }
    }
}

impl InviteInput {
    /// The list's id, the normalized email and the role (editor or viewer).
    pub fn parse(&self) -> Result<(Uuid, String, Role), AppError> {
        let id = parse_uuid("id", &self.id);
        let email = normalize_email(&self.email).map_err(|e| AppError::field("email", e));
        let role = match Role::parse(&self.role) {
            Some(role @ (Role::Editor | Role::Viewer)) => Ok(role),
            _ => Err(AppError::field("role", "Must be one of: editor, viewer.")),
        };
        match (id, email, role) {
            (Ok(id), Ok(email), Ok(role)) => Ok((id, email, role)),
            (id, email, role) => Err(merge([id.err(), email.err(), role.err()])),
        }
    }
}

impl SetRoleInput {
    /// The list's id, the member's id and the new role.
    pub fn parse(&self) -> Result<(Uuid, Uuid, Role), AppError> {
        let id = parse_uuid("id", &self.id);
        let user_id = parse_uuid("user_id", &self.user_id);
        let role =
            Role::parse(&self.role).ok_or_else(|| AppError::field("role", "Must be one of: owner, editor, viewer."));
        match (id, user_id, role) {
            (Ok(id), Ok(user_id), Ok(role)) => Ok((id, user_id, role)),
            (id, user_id, role) => Err(merge([id.err(), user_id.err(), role.err()])),
        }
    }
}

impl MemberInput {
    /// The list's id and the member's id.
    pub fn parse(&self) -> Result<(Uuid, Uuid), AppError> {
        match (parse_uuid("id", &self.id), parse_uuid("user_id", &self.user_id)) {
            (Ok(id), Ok(user_id)) => Ok((id, user_id)),
            (id, user_id) => Err(merge([id.err(), user_id.err()])),
        }
    }
}

/// One validation error with the fields of each of `errors`.
fn merge<const N: usize>(errors: [Option<AppError>; N]) -> AppError {
    let mut fields = FieldErrors::new();
    for error in errors.into_iter().flatten() {
        if let AppError::Validation(more) = error {
            fields.extend(more);
        }
    }
    AppError::Validation(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_list_name("  Groceries \t").as_deref(), Ok("Groceries"));
        assert!(normalize_list_name("   ").is_err());
        assert!(normalize_list_name(&"x".repeat(101)).is_err());
        assert!(normalize_list_name(&"é".repeat(100)).is_ok());
        assert!(normalize_list_name("a\u{7}b").is_err());
    }

    #[test]
    fn an_invitation_reports_every_bad_field() {
        let input = InviteInput { id: "nope".into(), email: "not an email".into(), role: "owner".into() };
        let AppError::Validation(fields) = input.parse().unwrap_err() else { panic!("not a validation error") };
        assert_eq!(fields.keys().map(String::as_str).collect::<Vec<_>>(), ["email", "id", "role"]);
    }
}
