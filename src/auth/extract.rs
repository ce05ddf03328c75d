//! Who is asking: the session user of the current request, checked once per request.
//!
//! Every server function that touches a person's data starts with [`require_user`]; the few
//! that also serve visitors use [`optional_user`].

use std::sync::Arc;

use leptos::prelude::use_context;

use super::session::AuthUser;
use crate::{
    error::AppError,
    state::{Request, state},
};

/// The outcome of authenticating the current request, kept for the request's lifetime: a
/// server-rendered page calls several server functions, and each would check the session.
#[derive(Clone, Default)]
pub struct RequestAuth(Arc<tokio::sync::OnceCell<Result<AuthUser, AppError>>>);

/// The authenticated user of the current request, or 401 `unauthenticated`.
///
/// Every server function that touches a user's data starts with this.
pub async fn require_user() -> Result<AuthUser, AppError> {
    let authenticate = || async {
        let state = state()?;
        let request = Request::current()?;
        let token = request.session_token(&state.sessions).ok_or(AppError::Unauthenticated)?;
        state.sessions.authenticate(&state.db, token).await
    };
    match use_context::<RequestAuth>() {
        Some(cache) => cache.0.get_or_init(authenticate).await.clone(),
        None => authenticate().await,
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
