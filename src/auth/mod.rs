//! Accounts and sessions: signup, login, logout, password change, revocation.
//!
//! A session is a JWT in an HttpOnly cookie (or an `Authorization: Bearer` header) that
//! names a row in `sessions`: deleting the row revokes the token at once, on every instance.
//!
//! - this module: the types the API speaks ([`User`], [`Done`]) and the field limits;
//! - [`input`]: the forms as they arrive, and their validation;
//! - [`api`]: the server functions, the whole API under `/api/auth/`;
//! - server only: [`password`] (argon2id), [`store`] (SQL), [`session`] (tokens, cookies,
//!   session rows), [`extract`] (the request's user);
//! - [`ui`]: `/login`, `/signup` and `/account`, which call the same server functions.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dates::Moment;

pub mod api;
#[cfg(feature = "ssr")]
pub mod extract;
pub mod input;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub(crate) mod store;
pub mod ui;

pub use api::{
    ChangePassword, CurrentUser, DeleteAccount, Login, Logout, LogoutAll, Me, Signup, UpdateProfile, change_password,
    current_user, delete_account, login, logout, logout_all, me, signup, update_profile,
};
pub use input::{
    ChangePasswordInput, DeleteAccountInput, LoginInput, ProfileInput, SignupInput, check_password_shape,
    normalize_email, normalize_name, validate_signup,
};

/// A person with an account, as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    /// The account's id.
    pub id: Uuid,
    /// The login email, trimmed and lower-cased.
    pub email: String,
    /// The name shown in the app.
    pub name: String,
    /// The account's time zone, an IANA name (`Europe/Berlin`): "today", "overdue" and the
    /// dates the pages show are its own.
    #[cfg_attr(feature = "ssr", schema(example = "Europe/Berlin"))]
    pub time_zone: String,
    /// When the account was created (RFC 3339, UTC).
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Moment,
}

/// Another person as the API names them beside something they did or were given (a task's
/// creator or assignee): their id and display name, never their email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Person {
    /// The account's id.
    pub id: Uuid,
    /// The name shown in the app.
    pub name: String,
}

impl Person {
    /// The person of a left join (`users` by an id column that may be null, or whose row may
    /// be gone): none without an id.
    pub fn from_join(id: Option<Uuid>, name: Option<String>) -> Option<Self> {
        Some(Self { id: id?, name: name.unwrap_or_default() })
    }
}

/// An empty JSON object, the answer of calls that only have an effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Done {}

/// Limits of the account fields, shared by the forms and the server.
pub mod limits {
    /// Longest email address (RFC 5321).
    pub const EMAIL_MAX: usize = 254;
    /// Longest display name, in characters.
    pub const NAME_MAX: usize = 100;
    /// Shortest password, in characters.
    pub const PASSWORD_MIN: usize = 8;
    /// Longest password, in characters.
    pub const PASSWORD_MAX: usize = 128;
}
