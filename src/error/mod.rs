//! One error type for the whole app.
//!
//! Every failure a client can see is an [`AppError`]: it knows its HTTP status and a stable
//! machine `code`, and it travels as `{"code", "message", "fields"?, "retry_after"?}`, the
//! same body whether it comes from a server function, a middleware or the router. Internal
//! detail (SQL, paths, I/O errors) is logged where it happens and never put in the error.
//!
//! On the server, `http.rs` turns an error into its HTTP answer (status, `Retry-After`) and
//! [`docs`] describes the answers to the API documentation.

use std::collections::BTreeMap;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub(crate) mod docs;
#[cfg(feature = "ssr")]
mod http;
#[cfg(feature = "ssr")]
pub use http::respond_accepted;

/// Per-field messages of a `validation_failed` error, keyed by the input field's name.
pub type FieldErrors = BTreeMap<String, String>;

/// Every error a client of Doable can receive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(into = "ErrorBody", from = "ErrorBody")]
pub enum AppError {
    /// 400: an argument is missing or cannot be decoded.
    #[error("{0}")]
    BadRequest(String),
    /// 422: some fields are present but not acceptable.
    #[error("Please correct the highlighted fields.")]
    Validation(FieldErrors),
    /// 401: no valid session.
    #[error("Please log in to continue.")]
    Unauthenticated,
    /// 401: login with an unknown email or a wrong password (never says which).
    #[error("Wrong email or password.")]
    InvalidCredentials,
    /// 403: a logged-in user confirmed an action with the wrong password.
    #[error("That password is not correct.")]
    WrongPassword,
    /// 403: a state-changing request from another site.
    #[error("This request came from another site and was refused.")]
    CsrfRejected,
    /// 403: the right password for an account its host has disabled.
    #[error("This account is disabled. Ask the person who runs this Doable to enable it.")]
    AccountDisabled,
    /// 403: a member of a list whose role does not allow this (a viewer editing, say).
    #[error("Your role in this list does not allow that.")]
    Forbidden,
    /// 403: an API token asked for what its scope does not allow (a change with a `read`
    /// token; managing the account's credentials with any token).
    #[error("This API token's scope does not allow that.")]
    InsufficientScope,
    /// 404: nothing here, or nothing of yours.
    #[error("Not found.")]
    NotFound,
    /// 405: the path exists, with another method.
    #[error("This endpoint does not accept that method.")]
    MethodNotAllowed,
    /// 409: signup with an email that has an account.
    #[error("An account with this email already exists.")]
    EmailTaken,
    /// 409: a bulk change while one of the person's is still running.
    #[error("A bulk change of yours is still running. Try again when it has finished.")]
    JobRunning,
    /// 408: the client took too long to send its request.
    #[error("The request took too long to arrive.")]
    RequestTimeout,
    /// 413: the request body is over the limit.
    #[error("The request is too large.")]
    PayloadTooLarge,
    /// 415: a body of a type the API does not read.
    #[error("Send the body as application/x-www-form-urlencoded.")]
    UnsupportedMediaType,
    /// 422: a per-user cap is reached (for example the number of tasks).
    #[error("{0}")]
    LimitReached(String),
    /// 429: too many failed logins for this account.
    #[error("Too many failed attempts. Try again in {}.", human_wait(retry_after))]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
    },
    /// 429: too many requests of one kind from one client (for example signups).
    #[error("Too many requests. Try again in {}.", human_wait(retry_after))]
    RateLimited {
        /// Seconds until the next request is allowed.
        retry_after: u64,
    },
    /// 503: the database (or another dependency) does not answer; retrying later helps.
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    /// 500: a bug or an unexpected failure; the detail is in the server's log.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The browser could not reach the server (never sent by the server).
    #[error("Could not reach the server. Check your connection and try again.")]
    Network,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::WrongPassword
            | Self::CsrfRejected
            | Self::Forbidden
            | Self::AccountDisabled
            | Self::InsufficientScope => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::EmailTaken | Self::JobRunning => 409,
            Self::RequestTimeout => 408,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Validation(_) | Self::LimitReached(_) => 422,
            Self::TooManyAttempts { .. } | Self::RateLimited { .. } => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::Network => 0,
        }
    }

    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials | Self::WrongPassword => "invalid_credentials",
            Self::CsrfRejected => "csrf_rejected",
            Self::Forbidden => "forbidden",
            Self::AccountDisabled => "account_disabled",
            Self::InsufficientScope => "insufficient_scope",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::EmailTaken => "email_taken",
            Self::JobRunning => "job_running",
            Self::RequestTimeout => "request_timeout",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::LimitReached(_) => "limit_reached",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::Network => "network",
        }
    }

    /// Every code with its status and meaning, for the API documentation.
    pub const CODES: &'static [(&'static str, u16, &'static str)] = &[
        ("bad_request", 400, "An argument is missing or cannot be decoded."),
        ("unauthenticated", 401, "No valid session: log in first."),
        (
            "invalid_credentials",
            401,
            "Login: unknown email or wrong password (403 when confirming an action with the wrong password).",
        ),
        ("csrf_rejected", 403, "A state-changing request from another site."),
        ("account_disabled", 403, "Login: the password is right but the host has disabled the account."),
        ("forbidden", 403, "Your role in the list does not allow this (a viewer only reads; only the owner shares)."),
        (
            "insufficient_scope",
            403,
            "An API token asked for more than its scope: a change with a `read` token, or managing tokens, sessions, \
             the password or the account with any token.",
        ),
        ("not_found", 404, "No such endpoint, or no such object in a list of yours."),
        ("method_not_allowed", 405, "The endpoint exists with another method."),
        ("email_taken", 409, "Signup: the email already has an account."),
        ("request_timeout", 408, "The request (its headers or body) did not arrive in time."),
        ("payload_too_large", 413, "The request body is over 64 KiB."),
        ("unsupported_media_type", 415, "A request body that is not application/x-www-form-urlencoded."),
        ("validation_failed", 422, "Some fields are not acceptable; `fields` says which and why."),
        ("limit_reached", 422, "A per-user cap is reached (e.g. 100,000 tasks)."),
        ("too_many_attempts", 429, "Too many failed logins for this account; see `Retry-After`."),
        ("rate_limited", 429, "Too many requests of this kind from this client; see `Retry-After`."),
        ("internal", 500, "An unexpected failure; the detail is in the server log."),
        ("unavailable", 503, "The database does not answer or the request took too long; retry later."),
    ];

    /// A validation error about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    /// The message for one field of a validation error, if this is one and names it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            Self::Validation(fields) => fields.get(field).map(String::as_str),
            _ => None,
        }
    }

    /// Seconds a client should wait before retrying, for 429 answers.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after } | Self::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl AppError {
    /// The error a page finds in its URL (`__err`, where a plain form's redirect puts it).
    /// Anyone can write a link with any text there, so only what is chosen by the error's
    /// code is kept: every message shown is one of ours. A validation error keeps the fields
    /// `hint` knows, each with the hint's message for it.
    pub fn from_url(encoded: &str, hint: fn(&str) -> Option<&'static str>) -> Self {
        match leptos::server_fn::error::ServerFnUrlError::<Self>::decode_err(encoded) {
            Self::BadRequest(_) => Self::BadRequest("The request could not be read.".into()),
            Self::LimitReached(_) => Self::LimitReached("A limit of your account is reached.".into()),
            Self::Validation(fields) => Self::Validation(
                fields
                    .into_keys()
                    .filter_map(|field| hint(&field).map(|message| (field, message.to_owned())))
                    .collect(),
            ),
            Self::TooManyAttempts { retry_after } => Self::TooManyAttempts { retry_after: retry_after.min(3600) },
            Self::RateLimited { retry_after } => Self::RateLimited { retry_after: retry_after.min(3600) },
            other => other,
        }
    }
}

fn human_wait(seconds: &u64) -> String {
    match *seconds {
        0..=1 => "a second".to_owned(),
        s @ 2..=59 => format!("{s} seconds"),
        60..=119 => "a minute".to_owned(),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// The wire form of an [`AppError`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(as = Error))]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// For `validation_failed`: what is wrong with each named field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<docs::FieldMessages>))]
    pub fields: Option<FieldErrors>,
    /// For 429 answers: seconds to wait, the same as the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl From<AppError> for ErrorBody {
    fn from(error: AppError) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
            retry_after: error.retry_after(),
            fields: match error {
                AppError::Validation(fields) => Some(fields),
                _ => None,
            },
        }
    }
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> Self {
        let retry_after = body.retry_after.unwrap_or(0);
        match body.code.as_str() {
            "bad_request" => Self::BadRequest(body.message),
            "validation_failed" => Self::Validation(body.fields.unwrap_or_default()),
            "unauthenticated" => Self::Unauthenticated,
            "invalid_credentials" => Self::InvalidCredentials,
            "csrf_rejected" => Self::CsrfRejected,
            "forbidden" => Self::Forbidden,
            "account_disabled" => Self::AccountDisabled,
            "insufficient_scope" => Self::InsufficientScope,
            "not_found" => Self::NotFound,
            "method_not_allowed" => Self::MethodNotAllowed,
            "email_taken" => Self::EmailTaken,
            "job_running" => Self::JobRunning,
            "request_timeout" => Self::RequestTimeout,
            "payload_too_large" => Self::PayloadTooLarge,
            "unsupported_media_type" => Self::UnsupportedMediaType,
            "limit_reached" => Self::LimitReached(body.message),
            "too_many_attempts" => Self::TooManyAttempts { retry_after },
            "rate_limited" => Self::RateLimited { retry_after },
            "unavailable" => Self::Unavailable,
            _ => Self::Internal,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::MissingArg(detail)
            | ServerFnErrorErr::Deserialization(detail) => Self::BadRequest(bad_request_message(&detail)),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Network,
            ServerFnErrorErr::UnsupportedRequestMethod(_) => Self::MethodNotAllowed,
            ServerFnErrorErr::Registration(_) => Self::NotFound,
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failure");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                Self::Internal
            }
        }
    }

    /// Encodes the error for the response, and gives the response this error's status.
    ///
    /// server_fn answers every error with 500; this is the one place that sees every error
    /// of every server function on its way out (including argument decoding, which runs
    /// before our code), so the status is set here through Leptos' `ResponseOptions`.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        http::respond_with_status(self);
        <Self::Encoder as leptos::server_fn::Encodes<Self>>::encode(self).unwrap_or_else(|_| {
            leptos::server_fn::Bytes::from_static(
                br#"{"code":"internal","message":"Something went wrong on our side."}"#,
            )
        })
    }
}

/// A short, safe description of why the arguments could not be read.
fn bad_request_message(detail: &str) -> String {
    let detail: String = detail.chars().filter(|c| !c.is_control()).take(160).collect();
    if detail.is_empty() {
        "The request could not be read.".to_owned()
    } else {
        format!("The request could not be read: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_travel_as_code_message_and_fields() {
        let error = AppError::field("title", "Title is required.");
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "validation_failed",
                "message": "Please correct the highlighted fields.",
                "fields": {"title": "Title is required."}
            })
        );
        assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), error);
    }

    #[test]
    fn rate_limit_errors_carry_their_wait() {
        let error = AppError::TooManyAttempts { retry_after: 600 };
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["retry_after"], 600);
        assert_eq!(json["message"], "Too many failed attempts. Try again in 10 minutes.");
        assert_eq!(error.status(), 429);
    }

    #[test]
    fn every_documented_code_maps_back_to_itself() {
        for (code, status, _) in AppError::CODES {
            let body = ErrorBody { code: (*code).to_owned(), message: String::new(), fields: None, retry_after: None };
            let error = AppError::from(body);
            assert_eq!(error.code(), *code);
            if *code != "invalid_credentials" {
                assert_eq!(error.status(), *status, "{code}");
            }
        }
    }

    fn url_form(error: &AppError) -> String {
        use leptos::server_fn::error::ServerFnUrlError;
        let url = ServerFnUrlError::new("/api/auth/login", error.clone()).to_url("http://x/login").unwrap();
        url.query_pairs().find(|(k, _)| k == "__err").unwrap().1.into_owned()
    }

    #[test]
    fn an_error_in_a_url_shows_only_messages_of_ours() {
        let hint = |field: &str| (field == "email").then_some("Enter a valid email address.");
        let forged = AppError::BadRequest("Your account is suspended, call +1 555 0100".into());
        assert_eq!(
            AppError::from_url(&url_form(&forged), hint),
            AppError::BadRequest("The request could not be read.".into())
        );
        let forged = AppError::LimitReached("Pay here: evil.example".into());
        assert!(!AppError::from_url(&url_form(&forged), hint).to_string().contains("evil"));
        let forged = AppError::Validation(FieldErrors::from([
            ("email".to_owned(), "Call +1 555 0100".to_owned()),
            ("made_up".to_owned(), "Visit evil.example".to_owned()),
        ]));
        assert_eq!(
            AppError::from_url(&url_form(&forged), hint),
            AppError::field("email", "Enter a valid email address.")
        );
        let forged = AppError::TooManyAttempts { retry_after: u64::MAX };
        assert_eq!(AppError::from_url(&url_form(&forged), hint), AppError::TooManyAttempts { retry_after: 3600 });
        assert_eq!(
            AppError::from_url("not base64 at all", hint),
            AppError::BadRequest("The request could not be read.".into())
        );
    }

    #[test]
    fn undecodable_arguments_are_a_bad_request_without_control_characters() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `email`\n".into()));
        assert_eq!(error, AppError::BadRequest("The request could not be read: missing field `email`".into()));
        assert_eq!(error.status(), 400);
    }
}
