//! The server functions of notifications: `/api/notifications/`.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use super::{
    MarkedRead, Notifications,
    input::{NotificationQuery, ReadInput},
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_user,
    error::docs::{OwnReadErrors, OwnWriteErrors},
    state::state,
};

/// The person's notifications, newest first, with how many are unread.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/notifications/list", tag = "notifications",
    params(NotificationQuery),
    responses((status = 200, description = "A page of notifications, newest first.", body = Notifications),
        OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "notifications/list", input = GetUrl)]
pub async fn list_notifications(#[server(flatten)] query: NotificationQuery) -> Result<Notifications, AppError> {
    let user = require_user().await?;
    let page = query.parse()?;
    super::store::page(&state()?.db, user.user.id, page).await
}

/// Marks one notification (`id`) or all of them (`all=true`) read. A notification that is not
/// the person's is not found (404), whoever's it is.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/notifications/read", tag = "notifications",
    request_body(content = ReadInput, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "How many were marked read, and how many are still unread.",
        body = MarkedRead), OwnWriteErrors),
))]
#[server(prefix = "/api", endpoint = "notifications/read")]
pub async fn read_notifications(#[server(flatten)] input: ReadInput) -> Result<MarkedRead, AppError> {
    let user = require_user().await?;
    let which = input.parse()?;
    super::store::mark_read(&state()?.db, user.user.id, which).await
}
