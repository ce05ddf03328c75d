//! The server functions of accounts and sessions: the whole API under `/api/auth/`.

use leptos::{prelude::*, server_fn::codec::GetUrl};
#[cfg(feature = "ssr")]
use uuid::Uuid;

use super::{ChangePasswordInput, DeleteAccountInput, Done, LoginInput, ProfileInput, SignupInput, User};
#[cfg(feature = "ssr")]
use super::{check_password_shape, limits, validate_signup};
#[cfg(feature = "ssr")]
use super::{
    extract::{optional_user, require_session, require_user},
    input::{normalize_email, normalize_name},
    password, store,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    error::{
        ErrorBody, FieldErrors,
        docs::{
            ConfirmedWriteErrors, CredentialWriteErrors, LoginErrors, PublicErrors, PublicWriteErrors, SessionErrors,
            SessionWriteErrors,
        },
    },
    state::{AppState, Request, state},
};

/// Creates an account and logs it in, in the time zone given (UTC when it is absent or not
/// one this server knows).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/signup", tag = "auth",
    request_body(content = SignupInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The new account, logged in.", body = User,
            headers(("set-cookie" = String, description = "The session cookie."))),
        PublicWriteErrors,
        (status = 409, description = "`email_taken`: the email already has an account.", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `fields` names each bad field.", body = ErrorBody),
        (status = 429, body = ErrorBody,
            description = "`rate_limited`: too many signups from this address; see `Retry-After`.",
            headers(("retry-after" = u64, description = "Seconds to wait."))),
    ),
    security(()),
))]
#[server(prefix = "/api", endpoint = "auth/signup")]
pub async fn signup(#[server(flatten)] input: SignupInput) -> Result<User, AppError> {
    let (email, name) = validate_signup(&input)?;
    // The signup page sends the browser's zone in a field the person cannot see: one this
    // server does not know (a browser's newer database, `Etc/Unknown`) starts the account in
    // UTC rather than refusing it; /account then offers the choice.
    let zone = crate::zone::Zone::of_account(input.time_zone.as_deref().unwrap_or_default());
    let state = state()?;
    let request = Request::current()?;
    state.passwords.check_not_common(&input.password)?;
    state.limiter.check_signup(&state.db, &request.client_address(&state.config)).await?;
    let hash = state.passwords.hash(input.password).await?;
    let account = store::NewAccount { email: &email, name: &name, time_zone: zone.name(), password_hash: &hash };
    let user = store::create_user(&state.db, account).await?;
    start_session(&state, &request, user.id, None).await?;
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
        LoginErrors,
        (status = 401, body = ErrorBody,
            description = "`invalid_credentials`: unknown email or wrong password (the same answer for both)."),
        (status = 422, description = "`validation_failed`: the email or password is empty.", body = ErrorBody),
        (status = 429, body = ErrorBody,
            description = "`too_many_attempts`: 10 failed logins for this account in 15 minutes from browsers \
                that have not logged in to it before (a browser that has keeps its own count), or too many failed \
                logins from this address; see `Retry-After`.",
            headers(("retry-after" = u64, description = "Seconds to wait."))),
    ),
    security(()),
))]
#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(#[server(flatten)] input: LoginInput) -> Result<User, AppError> {
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
    // Said only to someone who knows the password: nobody learns from it that an account exists.
    if user.disabled {
        return Err(AppError::AccountDisabled);
    }
    let mut verified = user.password_hash.clone();
    if password::needs_rehash(&user.password_hash) {
        // Made with an older release's settings: the password is known now, so upgrade it
        // (unless the password changed meanwhile: then the login fails below).
        let hash = state.passwords.hash(password_for_rehash).await?;
        if store::rehash_password(&state.db, user.user.id, &user.password_hash, &hash).await? {
            verified = hash;
        }
    }
    state.limiter.login_succeeded(&state.db, attempt).await?;
    start_session(&state, &request, user.user.id, Some(&verified)).await?;
    request.set_cookie(&state.sessions.device_cookie(&email));
    Ok(user.user)
}

/// Starts a session for `user_id` and gives the browser its cookie. A session the request
/// already carried ends first: a login on a shared computer does not leave the previous
/// person's session alive behind the new one.
#[cfg(feature = "ssr")]
async fn start_session(
    state: &AppState,
    request: &Request,
    user_id: Uuid,
    verified_hash: Option<&str>,
) -> Result<(), AppError> {
    if let Some(previous) = request.session_token(&state.sessions) {
        state.sessions.end(&state.db, previous).await?;
    }
    let token = state.sessions.start(&state.db, user_id, verified_hash).await?;
    request.set_cookie(&state.sessions.cookie(&token));
    // A token another account made on this browser and has not seen yet is not left behind.
    request.set_cookie(&state.sessions.new_token_cookie(None));
    Ok(())
}

/// Ends this session: the token stops working everywhere, even a copy of it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 200, description = "Logged out (also without a session); the cookie is cleared.", body = Done),
        PublicWriteErrors,
    ),
    security((), ("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn logout() -> Result<Done, AppError> {
    let state = state()?;
    let request = Request::current()?;
    if let Some(token) = request.session_token(&state.sessions) {
        if token.starts_with(crate::tokens::PREFIX) {
            // An API token is revoked on `/account`, not logged out.
            return Err(AppError::InsufficientScope);
        }
        state.sessions.end(&state.db, token).await?;
    }
    request.set_cookie(&state.sessions.clear_cookie());
    // A token just made and not yet shown is not left for the next person on this browser.
    request.set_cookie(&state.sessions.new_token_cookie(None));
    Ok(Done {})
}

/// The logged-in user.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, description = "The logged-in user.", body = User), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "auth/me", input = GetUrl)]
pub async fn me() -> Result<User, AppError> {
    Ok(require_user().await?.user)
}

/// The logged-in user, or `None` for a visitor (the pages use this to choose what to show).
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, description = "The logged-in user, or `null`.", body = Option<User>), PublicErrors),
    security((), ("session_cookie" = []), ("bearer" = [])),
))]
#[server(prefix = "/api", endpoint = "auth/session", input = GetUrl)]
pub async fn current_user() -> Result<Option<User>, AppError> {
    Ok(optional_user().await?.map(|auth| auth.user))
}

/// Changes the account's name or time zone (each only when given).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/update-profile", tag = "auth",
    request_body(content = ProfileInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The account as it is now.", body = User),
        SessionWriteErrors,
        (status = 422, body = ErrorBody,
            description = "`validation_failed`: `fields` names the bad field (`name`, or `time_zone` for a zone \
                that is not an IANA name this server knows); nothing changed."),
    ),
))]
#[server(prefix = "/api", endpoint = "auth/update-profile")]
pub async fn update_profile(#[server(flatten)] input: ProfileInput) -> Result<User, AppError> {
    let auth = require_user().await?;
    let mut fields = FieldErrors::new();
    let name = match input.name.as_deref() {
        Some(raw) => normalize_name(raw).map_err(|e| fields.insert("name".into(), e)).ok(),
        None => Some(auth.user.name.clone()),
    };
    // Absent, the stored zone stays as it is (even one this build's database does not know).
    let zone = match input.time_zone.as_deref() {
        Some(raw) => crate::zone::Zone::parse(raw)
            .map(|zone| zone.name().to_owned())
            .map_err(|e| fields.insert("time_zone".into(), e))
            .ok(),
        None => Some(auth.user.time_zone.clone()),
    };
    let (Some(name), Some(zone)) = (name, zone) else { return Err(AppError::Validation(fields)) };
    let state = state()?;
    store::update_profile(&state.db, auth.user.id, &name, &zone).await?.ok_or(AppError::Unauthenticated)
}

/// Changes the password; every other session of the account ends.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/change-password", tag = "auth",
    request_body(content = ChangePasswordInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The user; every other session has ended and a fresh cookie is set.", body = User,
            headers(("set-cookie" = String, description = "The new session cookie."))),
        ConfirmedWriteErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "auth/change-password")]
pub async fn change_password(#[server(flatten)] input: ChangePasswordInput) -> Result<User, AppError> {
    let auth = require_session().await?;
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
    let token = state.sessions.start(&state.db, auth.user.id, None).await?;
    request.set_cookie(&state.sessions.cookie(&token));
    tracing::info!(user = %auth.user.id, "password changed");
    Ok(auth.user)
}

/// Ends every session of the account, this one included.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/logout-all", tag = "auth",
    responses(
        (status = 200, description = "Every session of the account has ended; the cookie is cleared.", body = Done),
        CredentialWriteErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "auth/logout-all")]
pub async fn logout_all() -> Result<Done, AppError> {
    let auth = require_session().await?;
    let state = state()?;
    state.sessions.end_all(&state.db, auth.user.id).await?;
    let request = Request::current()?;
    request.set_cookie(&state.sessions.clear_cookie());
    request.set_cookie(&state.sessions.new_token_cookie(None));
    Ok(Done {})
}

/// Deletes the account with its sessions and the lists nobody else uses; each shared list it
/// owns goes to its longest-standing editor (or viewer).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/auth/delete-account", tag = "auth",
    request_body(content = DeleteAccountInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Done,
            description = "The account, its sessions and its tasks are gone; the cookie is cleared."),
        ConfirmedWriteErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "auth/delete-account")]
pub async fn delete_account(#[server(flatten)] input: DeleteAccountInput) -> Result<Done, AppError> {
    let auth = require_session().await?;
    let state = state()?;
    if input.password.is_empty() {
        return Err(AppError::field("password", "Enter your password to confirm."));
    }
    confirm_password(&state, &auth.user, input.password).await?;
    crate::lists::store::delete_account(&state.db, auth.user.id, &auth.user.email).await?;
    Request::current()?.set_cookie(&state.sessions.clear_cookie());
    tracing::info!(user = %auth.user.id, "account deleted");
    Ok(Done {})
}

/// Checks a logged-in user's password before a sensitive change. Wrong passwords count
/// towards a limit of the user's own, which failed logins from elsewhere cannot fill (they
/// would otherwise lock the owner out of changing a password someone is guessing).
#[cfg(feature = "ssr")]
pub(crate) async fn confirm_password(state: &AppState, user: &User, password: String) -> Result<(), AppError> {
    state.limiter.begin_confirm(&state.db, user.id).await?;
    let found = store::find_user_by_email(&state.db, &user.email).await?;
    let ok = state.passwords.verify(password, found.map(|u| u.password_hash)).await?;
    if !ok {
        return Err(AppError::WrongPassword);
    }
    state.limiter.confirmed(&state.db, user.id).await
}
