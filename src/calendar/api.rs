//! The server functions of the calendar feed: `/api/calendar/`. Only a session manages the
//! feed's address (it is a credential: whoever has it reads the feed).

use leptos::{prelude::*, server_fn::codec::GetUrl};

use super::{ConfirmInput, FeedAddress};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_session,
    error::{
        ErrorBody,
        docs::{ConfirmedCredentialErrors, CredentialErrors, CredentialWriteErrors},
    },
    state::{Request, state},
};

/// The feed's address, or `null` while it is off.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/calendar/link", tag = "calendar",
    responses((status = 200, description = "The address, or `null`.", body = FeedAddress), CredentialErrors),
))]
#[server(prefix = "/api", endpoint = "calendar/link", input = GetUrl)]
pub async fn calendar_link() -> Result<FeedAddress, AppError> {
    let auth = require_session().await?;
    let secret = super::store::secret(&state()?.db, auth.user.id).await?;
    link(secret)
}

/// Turns the feed on (an address already on stays the same) and answers its address;
/// confirmed with the account's password.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/calendar/enable", tag = "calendar",
    request_body(content = ConfirmInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The address.", body = FeedAddress), ConfirmedCredentialErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: no `password`.")),
))]
#[server(prefix = "/api", endpoint = "calendar/enable")]
pub async fn enable_calendar(#[server(flatten)] input: ConfirmInput) -> Result<FeedAddress, AppError> {
    change(input, true).await
}

/// Gives the feed a new address: the old one stops at once (404). Confirmed with the
/// account's password (the new address is a credential like the old).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/calendar/rotate", tag = "calendar",
    request_body(content = ConfirmInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The new address.", body = FeedAddress), ConfirmedCredentialErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: no `password`.")),
))]
#[server(prefix = "/api", endpoint = "calendar/rotate")]
pub async fn rotate_calendar(#[server(flatten)] input: ConfirmInput) -> Result<FeedAddress, AppError> {
    change(input, false).await
}

/// Turns the feed off: its address stops at once (404).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/calendar/disable", tag = "calendar",
    responses((status = 200, description = "`{\"url\": null}`.", body = FeedAddress), CredentialWriteErrors),
))]
#[server(prefix = "/api", endpoint = "calendar/disable")]
pub async fn disable_calendar() -> Result<FeedAddress, AppError> {
    let auth = require_session().await?;
    super::store::clear_secret(&state()?.db, auth.user.id).await?;
    tracing::info!(user = %auth.user.id, "calendar feed turned off");
    Ok(FeedAddress { url: None })
}

/// The address of the feed with this secret, on this site.
#[cfg(feature = "ssr")]
fn link(secret: Option<String>) -> Result<FeedAddress, AppError> {
    let state = state()?;
    let request = Request::current()?;
    request.no_store();
    let origin = crate::state::site_origin(request.headers(), &state.config).unwrap_or_default();
    Ok(FeedAddress { url: secret.map(|secret| format!("{origin}/calendar/{secret}.ics")) })
}

#[cfg(feature = "ssr")]
async fn change(input: ConfirmInput, keep: bool) -> Result<FeedAddress, AppError> {
    use base64::Engine as _;
    let auth = require_session().await?;
    let password = input.password.unwrap_or_default();
    if password.is_empty() {
        return Err(AppError::field("password", "Enter your password to confirm."));
    }
    crate::auth::api::confirm_password(&state()?, &auth.user, password).await?;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let secret = super::store::set_secret(&state()?.db, auth.user.id, &fresh, keep).await?;
    tracing::info!(user = %auth.user.id, rotated = !keep, "calendar feed turned on");
    link(secret)
}
