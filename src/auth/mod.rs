//! Accounts and sessions: signup, login, logout, password change, revocation.
//!
//! The server functions here are the whole API under `/api/auth/`; the browser's pages
//! ([`ui`]) call the same functions. A session is a JWT in an HttpOnly cookie (or an
//! `Authorization: Bearer` header) that names a row in `sessions`: deleting the row revokes
//! the token at once, on every instance.

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::error::ErrorBody;
use crate::{
    dates::Moment,
    error::{AppError, FieldErrors},
};

pub mod ui;

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
mod store;

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
    /// When the account was created (RFC 3339, UTC).
    #[serde(with = "crate::dates::moment")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: Moment,
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

/// Creates an account and logs it in.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/signup", tag = "auth",
    request_body(content = SignupInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The new account, logged in.", body = User,
            headers(("set-cookie" = String, description = "The session cookie."))),
        crate::api_docs::PublicWriteErrors,
        (status = 409, description = "`email_taken`: the email already has an account.", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `fields` names each bad field.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many signups from this address; see `Retry-After`.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
    ),
    security(()),
))]
#[server(prefix = "/api", endpoint = "auth/signup")]
pub async fn signup(#[server(flatten)] input: SignupInput) -> Result<User, AppError> {
    use crate::server::{Request, state};
    let (email, name) = validate_signup(&input)?;
    let state = state()?;
    let request = Request::current()?;
    state.passwords.check_not_common(&input.password)?;
    state.limiter.check_signup(&state.db, &request.client_address(&state.config)).await?;
    let hash = state.passwords.hash(input.password).await?;
    let user = store::create_user(&state.db, &email, &name, &hash).await?;
    start_session(&state, &request, user.id).await?;
    request.set_cookie(&state.sessions.device_cookie(&email));
    tracing::info!(user = %user.id, "account created");
    Ok(user)
}

/// Logs in with email and password.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body(content = LoginInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The user, logged in.", body = User,
            headers(("set-cookie" = String, description = "The session cookie."))),
        crate::api_docs::PublicWriteErrors,
        (status = 401, description = "`invalid_credentials`: unknown email or wrong password (the same answer for both).", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the email or password is empty.", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: 10 failed logins for this account in 15 minutes from browsers that have not logged in to it before (a browser that has keeps its own count), or too many failed logins from this address; see `Retry-After`.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
    ),
    security(()),
))]
#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(#[server(flatten)] input: LoginInput) -> Result<User, AppError> {
    use crate::server::{Request, state};
    let mut fields = FieldErrors::new();
    if input.email.trim().is_empty() {
        fields.insert("email".into(), "Enter your email address.".into());
    }
    if input.password.is_empty() {
        fields.insert("password".into(), "Enter your password.".into());
    }
    if !fields.is_empty() {
        return Err(AppError::Validation(fields));
    }
    // No account has an invalid email or an over-long password: the answer is the same as
    // for a wrong password, and nothing is counted, hashed or written for it.
    let Ok(email) = normalize_email(&input.email) else { return Err(AppError::InvalidCredentials) };
    if input.password.chars().count() > limits::PASSWORD_MAX {
        return Err(AppError::InvalidCredentials);
    }
    let state = state()?;
    let request = Request::current()?;
    let device = state.sessions.known_device(request.headers(), &email);
    let client = request.client_address(&state.config);
    let attempt = state.limiter.begin_login(&state.db, &email, &client, device.as_deref()).await?;
    let user = store::find_user_by_email(&state.db, &email).await?;
    let password_for_rehash = input.password.clone();
    let password_ok = state.passwords.verify(input.password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| password_ok) else {
        return Err(AppError::InvalidCredentials);
    };
    if password::needs_rehash(&user.password_hash) {
        // Made with an older release's settings: the password is known now, so upgrade it.
        let hash = state.passwords.hash(password_for_rehash).await?;
        store::set_password(&state.db, user.user.id, &hash).await?;
    }
    state.limiter.login_succeeded(&state.db, attempt).await?;
    start_session(&state, &request, user.user.id).await?;
    request.set_cookie(&state.sessions.device_cookie(&email));
    Ok(user.user)
}

/// Starts a session for `user_id` and gives the browser its cookie. A session the request
/// already carried ends first: a login on a shared computer does not leave the previous
/// person's session alive behind the new one.
#[cfg(feature = "ssr")]
async fn start_session(
    state: &crate::server::AppState,
    request: &crate::server::Request,
    user_id: Uuid,
) -> Result<(), AppError> {
    if let Some(previous) = request.session_token(&state.sessions) {
        state.sessions.end(&state.db, previous).await?;
    }
    let token = state.sessions.start(&state.db, user_id).await?;
    request.set_cookie(&state.sessions.cookie(&token));
    Ok(())
}

/// Ends this session: the token stops working everywhere, even a copy of it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 200, description = "Logged out (also without a session); the cookie is cleared.", body = Done),
        crate::api_docs::PublicWriteErrors,
    ),
    security((), ("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn logout() -> Result<Done, AppError> {
    use crate::server::{Request, state};
    let state = state()?;
    let request = Request::current()?;
    if let Some(token) = request.session_token(&state.sessions) {
        state.sessions.end(&state.db, token).await?;
    }
    request.set_cookie(&state.sessions.clear_cookie());
    Ok(Done {})
}

/// The logged-in user.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, description = "The logged-in user.", body = User), crate::api_docs::SessionErrors),
    security(("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/me", input = GetUrl)]
pub async fn me() -> Result<User, AppError> {
    Ok(crate::server::require_user().await?.user)
}

/// The logged-in user, or `None` for a visitor (the pages use this to choose what to show).
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, description = "The logged-in user, or `null`.", body = Option<User>), crate::api_docs::PublicErrors),
    security((), ("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/session", input = GetUrl)]
pub async fn current_user() -> Result<Option<User>, AppError> {
    match crate::server::require_user().await {
        Ok(auth) => Ok(Some(auth.user)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Changes the password; every other session of the account ends.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/change-password", tag = "auth",
    request_body(content = ChangePasswordInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The user; every other session has ended and a fresh cookie is set.", body = User,
            headers(("set-cookie" = String, description = "The new session cookie."))),
        crate::api_docs::SessionWriteErrors,
        (status = 403, description = "`invalid_credentials`: the current password is wrong; or `csrf_rejected`.", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the new password breaks a rule.", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many wrong passwords; see `Retry-After`.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
    ),
    security(("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/change-password")]
pub async fn change_password(#[server(flatten)] input: ChangePasswordInput) -> Result<User, AppError> {
    use crate::server::{Request, require_user, state};
    let auth = require_user().await?;
    let state = state()?;
    let request = Request::current()?;
    if input.current_password.is_empty() {
        return Err(AppError::field("current_password", "Enter your current password."));
    }
    check_password_shape(&input.new_password).map_err(|e| AppError::field("new_password", e))?;
    state
        .passwords
        .check_not_common(&input.new_password)
        .map_err(|_| AppError::field("new_password", password::TOO_COMMON))?;
    confirm_password(&state, &auth.user, input.current_password).await?;
    let hash = state.passwords.hash(input.new_password).await?;
    store::set_password(&state.db, auth.user.id, &hash).await?;
    // A stolen session must not outlive the password change: end them all, then start ours.
    state.sessions.end_all(&state.db, auth.user.id).await?;
    let token = state.sessions.start(&state.db, auth.user.id).await?;
    request.set_cookie(&state.sessions.cookie(&token));
    tracing::info!(user = %auth.user.id, "password changed");
    Ok(auth.user)
}

/// Ends every session of the account, this one included.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/logout-all", tag = "auth",
    responses(
        (status = 200, description = "Every session of the account has ended; the cookie is cleared.", body = Done),
        crate::api_docs::SessionWriteErrors,
    ),
    security(("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/logout-all")]
pub async fn logout_all() -> Result<Done, AppError> {
    use crate::server::{Request, require_user, state};
    let auth = require_user().await?;
    let state = state()?;
    state.sessions.end_all(&state.db, auth.user.id).await?;
    Request::current()?.set_cookie(&state.sessions.clear_cookie());
    Ok(Done {})
}

/// Deletes the account with its sessions and all its tasks.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/delete-account", tag = "auth",
    request_body(content = DeleteAccountInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The account, its sessions and its tasks are gone; the cookie is cleared.", body = Done),
        crate::api_docs::SessionWriteErrors,
        (status = 403, description = "`invalid_credentials`: the password is wrong; or `csrf_rejected`.", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the password is empty.", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many wrong passwords; see `Retry-After`.", body = ErrorBody,
            headers(("retry-after" = u64, description = "Seconds to wait."))),
    ),
    security(("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/delete-account")]
pub async fn delete_account(#[server(flatten)] input: DeleteAccountInput) -> Result<Done, AppError> {
    use crate::server::{Request, require_user, state};
    let auth = require_user().await?;
    let state = state()?;
    if input.password.is_empty() {
        return Err(AppError::field("password", "Enter your password to confirm."));
    }
    confirm_password(&state, &auth.user, input.password).await?;
    store::delete_user(&state.db, auth.user.id).await?;
    Request::current()?.set_cookie(&state.sessions.clear_cookie());
    tracing::info!(user = %auth.user.id, "account deleted");
    Ok(Done {})
}

/// Checks a logged-in user's password before a sensitive change. Wrong passwords count
/// towards a limit of the user's own, which failed logins from elsewhere cannot fill (they
/// would otherwise lock the owner out of changing a password someone is guessing).
#[cfg(feature = "ssr")]
async fn confirm_password(state: &crate::server::AppState, user: &User, password: String) -> Result<(), AppError> {
    state.limiter.begin_confirm(&state.db, user.id).await?;
    let found = store::find_user_by_email(&state.db, &user.email).await?;
    let ok = state.passwords.verify(password, found.map(|u| u.password_hash)).await?;
    if !ok {
        return Err(AppError::WrongPassword);
    }
    state.limiter.confirmed(&state.db, user.id).await
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
        let input = SignupInput { email: "nope".into(), password: "short".into(), name: " ".into() };
        let AppError::Validation(fields) = validate_signup(&input).unwrap_err() else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["email", "name", "password"]);
    }
}
