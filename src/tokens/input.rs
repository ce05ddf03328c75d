//! The forms of the tokens API, as they arrive, and their checks.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EXPIRES_MAX_DAYS, NAME_MAX, Scope};
use crate::error::{AppError, FieldErrors};

/// The form of `POST /api/tokens/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreateTokenInput {
    /// What the token is for (`backup script`), 1 to 100 characters.
    #[cfg_attr(feature = "ssr", schema(nullable = false, example = "backup script"))]
    pub name: Option<String>,
    /// `read` (only `GET`) or `write`.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^(read|write)$"))]
    pub scope: Option<String>,
    /// Days until it stops working, 1 to 3650; empty or absent for never.
    #[cfg_attr(feature = "ssr", schema(nullable = false, pattern = "^[0-9]{0,4}$"))]
    pub expires_in_days: Option<String>,
    /// The account's password: making a credential is confirmed like changing the password,
    /// so that a stolen session cannot make one that outlives it.
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Password))]
    pub password: Option<String>,
}

/// A valid [`CreateTokenInput`] (the password still to be checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Its name, trimmed.
    pub name: String,
    /// Its scope.
    pub scope: Scope,
    /// Its lifetime in days, if it has one.
    pub expires_in_days: Option<i64>,
    /// The password given to confirm it.
    pub password: String,
}

impl CreateTokenInput {
    /// Checks the form: every bad field is named.
    pub fn parse(&self) -> Result<TokenRequest, AppError> {
        let mut errors = FieldErrors::new();
        let name = self.name.as_deref().unwrap_or_default().trim();
        if name.is_empty() {
            errors.insert("name".into(), "Name the token, so that you know it later.".into());
        } else if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
            errors.insert("name".into(), format!("Use at most {NAME_MAX} characters, on one line."));
        }
        let scope = Scope::parse(self.scope.as_deref().unwrap_or_default().trim());
        if scope.is_none() {
            errors.insert("scope".into(), "Choose read or write.".into());
        }
        let expires_in_days = match self.expires_in_days.as_deref().map(str::trim).unwrap_or_default() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(days) if (1..=EXPIRES_MAX_DAYS).contains(&days) => Some(days),
                _ => {
                    errors.insert(
                        "expires_in_days".into(),
                        format!("Give a number of days from 1 to {EXPIRES_MAX_DAYS}, or leave it empty for never."),
                    );
                    None
                }
            },
        };
        let password = self.password.clone().unwrap_or_default();
        if password.is_empty() {
            errors.insert("password".into(), "Enter your password to confirm.".into());
        }
        match scope {
            Some(scope) if errors.is_empty() => {
                Ok(TokenRequest { name: name.to_owned(), scope, expires_in_days, password })
            }
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// The form of `POST /api/tokens/revoke`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RevokeTokenInput {
    /// The token's id (from `GET /api/tokens/list`).
    #[cfg_attr(feature = "ssr", schema(nullable = false, format = Uuid))]
    pub id: Option<String>,
}

impl RevokeTokenInput {
    /// The token's id.
    pub fn parse(&self) -> Result<Uuid, AppError> {
        let raw = self.id.as_deref().unwrap_or_default().trim();
        Uuid::parse_str(raw).map_err(|_| AppError::field("id", "Must be a token's id."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, scope: &str, days: &str) -> CreateTokenInput {
        CreateTokenInput {
            name: Some(name.into()),
            scope: Some(scope.into()),
            expires_in_days: Some(days.into()),
            password: Some("secret".into()),
        }
    }

    #[test]
    fn a_good_form_is_read_trimmed() {
        let request = input("  backup  ", "read", " 30 ").parse().unwrap();
        assert_eq!(
            request,
            TokenRequest {
                name: "backup".into(),
                scope: Scope::Read,
                expires_in_days: Some(30),
                password: "secret".into()
            }
        );
        assert_eq!(input("x", "write", "").parse().unwrap().expires_in_days, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let Err(AppError::Validation(fields)) = input(" ", "admin", "0").parse() else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["expires_in_days", "name", "scope"]);
        for days in ["3651", "-1", "1.5", "ten", "99999999999999999999"] {
            assert!(input("x", "read", days).parse().unwrap_err().field_message("expires_in_days").is_some(), "{days}");
        }
        assert!(input(&"n".repeat(101), "read", "").parse().is_err());
        assert!(input("two\nlines", "read", "").parse().is_err());
        assert!(input(&"é".repeat(100), "read", "").parse().is_ok());
        let Err(AppError::Validation(fields)) = CreateTokenInput::default().parse() else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["name", "password", "scope"]);
    }
}
