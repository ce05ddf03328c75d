//! `GET /api/import/last`: the report of the person's last import, which `/account` shows
//! after its form (whose answer, to a browser, is a redirect back to the page). The import
//! itself is `super::upload` (a handler of the server's own).

use leptos::{prelude::*, server_fn::codec::GetUrl};

use super::LastImportAnswer;
use crate::error::AppError;

/// The last import's report, if there was one.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/import/last", tag = "data",
    responses(
        (status = 200, description = "The last import (a dry run too), or none.", body = LastImportAnswer),
        crate::error::docs::SessionErrors,
    ),
))]
#[server(prefix = "/api", endpoint = "import/last", input = GetUrl)]
pub async fn last_import() -> Result<LastImportAnswer, AppError> {
    let auth = crate::auth::extract::require_user().await?;
    Ok(LastImportAnswer { last: super::store::last(&crate::state::state()?.db, auth.user.id).await? })
}
