//! The server function of a list's history: `GET /api/lists/history`.

use leptos::{prelude::*, server_fn::codec::GetUrl};

use super::{History, HistoryQuery};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{auth::extract::require_user, error::docs::OwnReadErrors, state::state};

/// A page of a list's history, newest first (any member may read it).
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/lists/history", tag = "lists",
    params(HistoryQuery),
    responses((status = 200, description = "A page of events, newest first.", body = History), OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "lists/history", input = GetUrl)]
pub async fn list_history(#[server(flatten)] query: HistoryQuery) -> Result<History, AppError> {
    let user = require_user().await?;
    let page = query.parse()?;
    super::store::page(&state()?.db, user.user.id, page).await
}
