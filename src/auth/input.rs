//! The account forms as they arrive, and their validation.

use serde::{Deserialize, Serialize};

use super::limits;
use crate::error::{AppError, FieldErrors};

/// Signup form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignupInput {
    /// A valid email address, at most 254 characters; trimmed and lower-cased.
    #[cfg_attr(feature = "ssr", schema(max_length = 254, example = "ada@example.com"))]
    pub email: String,
    /// 8 to 128 characters, any characters but control characters; not one of the 10,000
    /// most common passwords. Never trimmed.
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 128, example = "correct horse battery"))]
    pub password: String,
    /// 1 to 100 characters after trimming.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100, example = "Ada"))]
    pub name: String,
    /// The account's time zone, an IANA name; `UTC` when absent, empty or not a zone this
    /// server knows (the signup page sends the browser's, which the person cannot correct).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(max_length = 64, example = "Europe/Berlin"))]
    pub time_zone: Option<String>,
}

/// Profile form: each field present is changed, the others stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProfileInput {
    /// 1 to 100 characters after trimming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100, example = "Ada"))]
    pub name: Option<String>,
    /// An IANA time zone name (any letter case); 422 for one that is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(max_length = 64, example = "America/Los_Angeles"))]
    pub time_zone: Option<String>,
}

/// Login form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginInput {
    /// The account's email (case and surrounding spaces do not matter).
    #[cfg_attr(feature = "ssr", schema(min_length = 1, example = "ada@example.com"))]
    pub email: String,
    /// The account's password.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, example = "correct horse battery"))]
    pub password: String,
}

/// Password change form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangePasswordInput {
    /// The password in use now.
    #[cfg_attr(feature = "ssr", schema(min_length = 1))]
    pub current_password: String,
    /// The new password, under the same rules as at signup.
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 128))]
    pub new_password: String,
}

/// Account deletion form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeleteAccountInput {
    /// The account's password, to confirm.
    #[cfg_attr(feature = "ssr", schema(min_length = 1))]
    pub password: String,
}

/// Trims and lower-cases an email address and checks that it is one.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter your email address.".into());
    }
    if email.chars().count() > limits::EMAIL_MAX {
        return Err(format!("An email address has at most {} characters.", limits::EMAIL_MAX));
    }
    if !is_email(&email) {
        return Err("Enter a valid email address, like name@example.com.".into());
    }
    Ok(email)
}

/// A plain `local@domain.tld` address: what people type, without RFC 5322's exotic forms
/// (quoted local parts, comments, IP literals) that no mail flow of ours needs.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// Trims a display name and checks its length.
pub fn normalize_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("Enter your name.".into());
    }
    if name.chars().count() > limits::NAME_MAX {
        return Err(format!("A name has at most {} characters.", limits::NAME_MAX));
    }
    if name.chars().any(char::is_control) {
        return Err("A name cannot contain control characters.".into());
    }
    Ok(name.to_owned())
}

/// The length and character rules of a new password (the server also refuses common ones).
pub fn check_password_shape(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < limits::PASSWORD_MIN {
        return Err(format!("Use at least {} characters.", limits::PASSWORD_MIN));
    }
    if length > limits::PASSWORD_MAX {
        return Err(format!("Use at most {} characters.", limits::PASSWORD_MAX));
    }
    if password.chars().any(char::is_control) {
        return Err("A password cannot contain control characters.".into());
    }
    Ok(())
}

/// Checks a signup form, returning the normalized email and name.
pub fn validate_signup(input: &SignupInput) -> Result<(String, String), AppError> {
    let mut fields = FieldErrors::new();
    let email = normalize_email(&input.email).map_err(|e| fields.insert("email".into(), e)).ok();
    let name = normalize_name(&input.name).map_err(|e| fields.insert("name".into(), e)).ok();
    if let Err(e) = check_password_shape(&input.password) {
        fields.insert("password".into(), e);
    }
    match (email, name) {
        (Some(email), Some(name)) if fields.is_empty() => Ok((email, name)),
        _ => Err(AppError::Validation(fields)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada@-example.com",
            "ada\0@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn email_length_limit_is_254() {
        let labels = |n: usize| vec!["a".repeat(60); n].join(".");
        let fits = format!("ada@{}.example.com", labels(3));
        assert!(fits.len() <= 254);
        assert!(normalize_email(&fits).is_ok());
        let too_long = format!("ada@{}.example.com", labels(4));
        assert!(too_long.len() > 254);
        assert!(normalize_email(&too_long).is_err());
    }

    #[test]
    fn names_are_trimmed_and_limited_to_100_characters() {
        assert_eq!(normalize_name("  Ada ").unwrap(), "Ada");
        assert!(normalize_name("   ").is_err());
        assert!(normalize_name(&"é".repeat(100)).is_ok());
        assert!(normalize_name(&"é".repeat(101)).is_err());
        assert!(normalize_name("Ada\u{7}").is_err());
    }

    #[test]
    fn passwords_count_characters_not_bytes_and_keep_spaces() {
        assert!(check_password_shape("1234567").is_err());
        assert!(check_password_shape("        ").is_ok());
        assert!(check_password_shape(&"日".repeat(8)).is_ok());
        assert!(check_password_shape(&"日".repeat(128)).is_ok());
        assert!(check_password_shape(&"日".repeat(129)).is_err());
        assert!(check_password_shape("password\0x").is_err());
    }

    #[test]
    fn a_signup_reports_every_bad_field_at_once() {
        let input = SignupInput { email: "nope".into(), password: "short".into(), name: " ".into(), time_zone: None };
        let AppError::Validation(fields) = validate_signup(&input).unwrap_err() else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["email", "name", "password"]);
    }
}
