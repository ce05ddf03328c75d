//! Who is asking: the session user of the current request, checked once per request.
//!
//! Every server function that touches a person's data starts with [`require_user`]; the few
//! that also serve visitors use [`optional_user`], and those that manage the account's
//! credentials [`require_session`].

use std::sync::Arc;

use leptos::prelude::use_context;

use super::session::{AuthUser, Credential};
use crate::{
    error::AppError,
    state::{Request, state},
    tokens::Scope,
};

/// The outcome of authenticating the current request, kept for the request's lifetime: a
/// server-rendered page calls several server functions, and each would check the session.
#[derive(Clone, Default)]
pub struct RequestAuth(Arc<tokio::sync::OnceCell<Result<AuthUser, AppError>>>);

/// The authenticated user of the current request, or 401 `unauthenticated`; 403
/// `insufficient_scope` for a change (anything but `GET` and `HEAD`) asked by a `read` API
/// token.
///
/// Every server function that touches a user's data starts with this.
pub async fn require_user() -> Result<AuthUser, AppError> {
    let authenticate = || async {
        let state = state()?;
        let request = Request::current()?;
        let token = request.session_token(&state.sessions).ok_or(AppError::Unauthenticated)?;
        state.sessions.authenticate(&state.db, token).await
    };
    let auth = match use_context::<RequestAuth>() {
        Some(cache) => cache.0.get_or_init(authenticate).await.clone(),
        None => authenticate().await,
    }?;
    if let Credential::Token { scope: Scope::Read, .. } = auth.credential
        && !Request::current()?.is_read()
    {
        return Err(AppError::InsufficientScope);
    }
    Ok(auth)
}

/// The user of a request answered by a handler of its own rather than a server function (a
/// streamed download, say): the same credentials, the same scope rule.
pub async fn user_of(
    state: &crate::state::AppState,
    headers: &axum::http::HeaderMap,
    method: &axum::http::Method,
) -> Result<AuthUser, AppError> {
    let token =
        super::session::token_from_headers(headers, state.sessions.cookie_name()).ok_or(AppError::Unauthenticated)?;
    let auth = state.sessions.authenticate(&state.db, token).await?;
    if let Credential::Token { scope: Scope::Read, .. } = auth.credential
        && !matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD)
    {
        return Err(AppError::InsufficientScope);
    }
    Ok(auth)
}

/// The authenticated user of a session (a login), or 403 `insufficient_scope` for an API
/// token: what manages the account's credentials (tokens, sessions, the password, the
/// account itself) is never open to a script's token.
pub async fn require_session() -> Result<AuthUser, AppError> {
    let auth = require_user().await?;
    match auth.credential {
        Credential::Session(_) => Ok(auth),
        Credential::Token { .. } => Err(AppError::InsufficientScope),
    }
}

/// The authenticated user of the current request, or `None` for a visitor.
pub async fn optional_user() -> Result<Option<AuthUser>, AppError> {
    match require_user().await {
        Ok(auth) => Ok(Some(auth)),
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}
