//! The server functions of API tokens: `/api/tokens/`. Only a session (a login) manages
//! tokens: a token cannot make, list or revoke tokens (403 `insufficient_scope`).

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::{ApiToken, CreateTokenInput, NewToken, RevokeTokenInput};
use crate::{auth::Done, error::AppError};
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_session,
    error::{
        ErrorBody,
        docs::{ConfirmedCredentialErrors, CredentialErrors, CredentialWriteErrors, InvalidFields},
    },
    state::{Request, state},
};

/// A person's API tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Tokens {
    /// Newest first, expired ones included until revoked.
    pub tokens: Vec<ApiToken>,
}

/// Makes an API token, confirmed with the account's password. The answer carries the token
/// this once; the server keeps only its SHA-256. An account has at most 50 (expired ones
/// count until revoked).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tokens/create", tag = "tokens",
    request_body(content = CreateTokenInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token (`token`, shown once) and what the list shows of it.",
            body = NewToken),
        ConfirmedCredentialErrors,
        (status = 422, body = ErrorBody, description = "`validation_failed`: `fields` names each bad field; or \
            `limit_reached`: the account has 50 tokens already."),
    ),
))]
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(#[server(flatten)] input: CreateTokenInput) -> Result<NewToken, AppError> {
    let auth = require_session().await?;
    let request = input.parse()?;
    let state = state()?;
    crate::auth::api::confirm_password(&state, &auth.user, request.password.clone()).await?;
    let token = new_token();
    let hash = <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes());
    let about = super::store::create(&state.db, auth.user.id, &request, &hash).await?.ok_or_else(|| {
        AppError::LimitReached(format!(
            "An account can have at most {} API tokens. Revoke one you no longer use first.",
            super::PER_ACCOUNT
        ))
    })?;
    let answer = Request::current()?;
    answer.no_store();
    if answer.accepts_html() {
        // A plain form (no JavaScript) lands back on `/account`, which shows the token once.
        answer.set_cookie(&state.sessions.new_token_cookie(Some(&token)));
    }
    tracing::info!(user = %auth.user.id, token = %about.id, scope = about.scope.as_str(), "API token created");
    Ok(NewToken { token, about })
}

/// The person's API tokens: names, scopes and dates, never the tokens themselves.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tokens/list", tag = "tokens",
    responses((status = 200, description = "The tokens, newest first.", body = Tokens), CredentialErrors),
))]
#[server(prefix = "/api", endpoint = "tokens/list", input = GetUrl)]
pub async fn list_tokens() -> Result<Tokens, AppError> {
    let auth = require_session().await?;
    Ok(Tokens { tokens: super::store::list(&state()?.db, auth.user.id).await? })
}

/// Revokes (deletes) an API token: the next request with it, on any server, is 401.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tokens/revoke", tag = "tokens",
    request_body(content = RevokeTokenInput, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token no longer works.", body = Done),
        CredentialWriteErrors,
        (status = 404, body = ErrorBody, description = "`not_found`: no such token of yours."),
        InvalidFields,
    ),
))]
#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(#[server(flatten)] input: RevokeTokenInput) -> Result<Done, AppError> {
    let auth = require_session().await?;
    let id = input.parse()?;
    if !super::store::revoke(&state()?.db, auth.user.id, id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = %auth.user.id, token = %id, "API token revoked");
    Ok(Done {})
}

/// A new token: the prefix and 32 bytes from the operating system's generator.
#[cfg(feature = "ssr")]
fn new_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{}{}", super::PREFIX, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The token a plain form just made, for `/account` to show once: only when it is a live
/// token of the person asking (a cookie left by someone else on a shared browser, or planted,
/// shows nothing). The cookie is cleared by the same answer.
#[cfg(feature = "ssr")]
pub async fn take_new_token() -> Option<String> {
    let state = state().ok()?;
    let request = Request::current().ok()?;
    let token = state.sessions.new_token_from(request.headers())?;
    request.set_cookie(&state.sessions.new_token_cookie(None));
    let auth = require_session().await.ok()?;
    let hash = <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes());
    let found = super::store::token_user(&state.db, &hash, crate::db::Timestamp::now()).await.ok()??;
    (found.user.id == auth.user.id).then_some(token)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn new_tokens_have_the_documented_shape_and_differ() {
        let (a, b) = (super::new_token(), super::new_token());
        assert!(super::super::looks_like_token(&a), "{a}");
        assert_ne!(a, b);
    }
}
