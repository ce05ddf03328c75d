//! API tokens: credentials a person makes for their scripts, each `read` or `write`.
//!
//! A token is `dbl_` and 32 random bytes in base64url, shown once when it is made; the
//! server keeps only its SHA-256. `Authorization: Bearer dbl_...` authenticates a request as
//! its person ([`crate::auth::extract`]): a `read` token may only read (`GET`), and no token
//! may manage tokens or sessions, change the password or delete the account.
//!
//! - this module: the types the API speaks ([`ApiToken`], [`NewToken`], [`Scope`]);
//! - [`input`]: the forms of the API, and their checks;
//! - [`store`]: the SQL, the lookup of a request's token included;
//! - [`api`]: `POST /api/tokens/create`, `GET /api/tokens/list`, `POST /api/tokens/revoke`;
//! - [`ui`]: the tokens on `/account`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dates::Moment;

pub mod api;
pub mod input;
#[cfg(feature = "ssr")]
pub mod store;
pub mod ui;

pub use api::{CreateToken, ListTokens, RevokeToken, create_token, list_tokens, revoke_token};
pub use input::{CreateTokenInput, RevokeTokenInput};

/// What every token starts with: a script (or a secret scanner) can tell it from a session.
pub const PREFIX: &str = "dbl_";
/// The length of a token: the prefix and 32 bytes in base64url without padding.
pub const LENGTH: usize = PREFIX.len() + 43;
/// Longest token name, in characters.
pub const NAME_MAX: usize = 100;
/// Most tokens an account may have, expired ones included until they are revoked (so the
/// count stays bounded).
pub const PER_ACCOUNT: i64 = 50;
/// Longest lifetime a token may be given, in days (about ten years).
pub const EXPIRES_MAX_DAYS: i64 = 3650;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Only reads (`GET`).
    Read,
    /// Reads and changes, but never the account's credentials.
    Write,
}

impl Scope {
    /// The scope as the API and the database write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// The scope of `read` or `write`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
}

/// A token as its person sees it later: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// Its id, for revoking it.
    pub id: Uuid,
    /// What its person called it (`backup script`).
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// When it was made (RFC 3339, UTC).
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Moment,
    /// When it was last used, to the minute; `null` if never.
    #[serde(with = "crate::dates::moment::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub last_used_at: Option<Moment>,
    /// When it stops working; `null` for never (until revoked).
    #[serde(with = "crate::dates::moment::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<Moment>,
    /// Whether it has expired (it no longer works, and counts until revoked).
    pub expired: bool,
}

/// The answer of making a token: the token, this once, and what the list will show of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewToken {
    /// The token (`dbl_...`): send it as `Authorization: Bearer <token>`. It is not shown again.
    pub token: String,
    /// The token as the list shows it.
    #[serde(flatten)]
    pub about: ApiToken,
}

/// Whether `text` has the shape of a token (the prefix and 43 base64url characters).
pub fn looks_like_token(text: &str) -> bool {
    text.len() == LENGTH
        && text.starts_with(PREFIX)
        && text[PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
