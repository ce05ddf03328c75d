//! The error answers as the API documentation shows them: the sets of answers that many
//! endpoints share, each an error body with its code named in its description.

use std::collections::BTreeMap;

use utoipa::{
    IntoResponses, PartialSchema,
    openapi::{Content, RefOr, Response, ResponseBuilder, header::HeaderBuilder},
};

// Left to itself, utoipa names the schema of `FieldErrors` after its Rust type.
/// What is wrong with each named field: an object from field names to messages.
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"title": "Enter a title."}))]
#[allow(dead_code)]
pub struct FieldMessages(std::collections::HashMap<String, String>);

/// One documented error answer: its status, and what it means (starting with its `code`).
type Answer = (&'static str, &'static str);

const BAD_REQUEST: Answer = ("400", "`bad_request`: an argument is missing or cannot be decoded.");
const UNAUTHENTICATED: Answer = ("401", "`unauthenticated`: no valid session.");
const CROSS_SITE: Answer = (
    "403",
    "`csrf_rejected`: the request came from another site; or `insufficient_scope`: a `read` API token asked for a \
     change.",
);
const NOT_YOURS: Answer = (
    "404",
    "`not_found`: there is no such object in a list of yours (one in a list you are not a member of is not \
     found either).",
);
const FORBIDDEN: Answer = (
    "403",
    "`forbidden`: your role in the list does not allow this (viewers only read; only the owner shares, renames \
     or deletes a list); or `csrf_rejected`: the request came from another site; or `insufficient_scope`: a \
     `read` API token asked for a change.",
);
const BODY_TIMEOUT: Answer = ("408", "`request_timeout`: the body did not arrive in time.");
const TOO_LARGE: Answer = ("413", "`payload_too_large`: the body is over 64 KiB.");
const NOT_A_FORM: Answer = ("415", "`unsupported_media_type`: a body that is not `application/x-www-form-urlencoded`.");
const INVALID_FIELDS: Answer =
    ("422", "`validation_failed`: `fields` names each bad field (a malformed `id` included).");
const INTERNAL: Answer = ("500", "`internal`: an unexpected failure (the detail is in the server's log).");
const UNAVAILABLE: Answer =
    ("503", "`unavailable`: the database does not answer or the request took too long; retry later.");
const WRONG_PASSWORD: Answer = (
    "403",
    "`invalid_credentials`: the password given to confirm the change is wrong; or `csrf_rejected`; or \
     `insufficient_scope`: an API token (only a session changes the password or deletes the account).",
);
const CONFIRMED_CREDENTIAL: Answer = (
    "403",
    "`invalid_credentials`: the password given to confirm is wrong; or `insufficient_scope`: an API token (only a \
     session makes tokens and calendar addresses); or `csrf_rejected`: the request came from another site.",
);
const SESSION_ONLY: Answer = (
    "403",
    "`insufficient_scope`: an API token (only a session manages tokens, sessions and calendar links); or \
     `csrf_rejected`: the request came from another site.",
);
const PASSWORD_FIELDS: Answer =
    ("422", "`validation_failed`: a password field is empty, or the new password breaks a rule; see `fields`.");
const JOB_RUNNING: Answer = (
    "409",
    "`job_running`: a bulk change of yours is still running (`GET /api/jobs/current` shows how far it is); try \
     again when it has finished.",
);
const DISABLED: Answer = (
    "403",
    "`account_disabled`: the password is right, but the host has disabled the account (`doable user disable`); or \
     `csrf_rejected`.",
);
const TOO_MANY_WRONG: Answer = ("429", "`too_many_attempts`: too many wrong passwords; see `Retry-After`.");

/// What any call can be answered with.
const ANY: [Answer; 3] = [BAD_REQUEST, INTERNAL, UNAVAILABLE];
/// What a call that changes something (it has a body, and must come from this site) can be.
const WRITE: [Answer; 4] = [CROSS_SITE, BODY_TIMEOUT, TOO_LARGE, NOT_A_FORM];

/// The answers of these groups, by status (a later group's answer replaces an earlier one's).
fn answers(groups: &[&[Answer]]) -> BTreeMap<String, RefOr<Response>> {
    groups
        .iter()
        .flat_map(|group| group.iter())
        .map(|(status, about)| (status.to_string(), answer(status, about)))
        .collect()
}

/// An error answer with the error body (and, for a 429, the `Retry-After` header).
fn answer(status: &str, description: &str) -> RefOr<Response> {
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(utoipa::openapi::Ref::from_schema_name("Error"))));
    if status == "429" {
        let seconds = <u64 as PartialSchema>::schema();
        response = response
            .header("retry-after", HeaderBuilder::new().schema(seconds).description(Some("Seconds to wait.")).build());
    }
    response.build().into()
}

/// Declares a set of error answers that endpoints share, made of groups of [`Answer`]s.
macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident = $($group:expr),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                answers(&[$(&$group[..]),+])
            }
        }
    };
}

error_set!(
    /// Errors of any call that needs no session.
    PublicErrors = ANY
);
error_set!(
    /// Errors of any call that changes state without a session.
    PublicWriteErrors = ANY,
    WRITE
);
error_set!(
    /// Errors of a login (a change without a session, by the account's password).
    LoginErrors = ANY,
    WRITE,
    [DISABLED]
);
error_set!(
    /// Errors of any read that needs a session.
    SessionErrors = ANY,
    [UNAUTHENTICATED]
);
error_set!(
    /// Errors of any change that needs a session.
    SessionWriteErrors = ANY,
    WRITE,
    [UNAUTHENTICATED]
);
error_set!(
    /// Errors of a read of the account's credentials, which only a session may make.
    CredentialErrors = ANY,
    [UNAUTHENTICATED, SESSION_ONLY]
);
error_set!(
    /// Errors of a change to the account's credentials, which only a session may make.
    CredentialWriteErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, SESSION_ONLY]
);
error_set!(
    /// Errors of a new credential (a token, a calendar address), confirmed with the account's
    /// password, which only a session may ask for.
    ConfirmedCredentialErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, CONFIRMED_CREDENTIAL, TOO_MANY_WRONG]
);
error_set!(
    /// Errors of a read of one object of the user's (a task, say), named by its id.
    OwnReadErrors = ANY,
    [UNAUTHENTICATED, NOT_YOURS, INVALID_FIELDS]
);
error_set!(
    /// Errors of a change to one object of the user's, named by its id.
    OwnWriteErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, NOT_YOURS, INVALID_FIELDS]
);
error_set!(
    /// Errors of a change to a list, or to a task of one, that needs a role in the list.
    MemberWriteErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, NOT_YOURS, INVALID_FIELDS, FORBIDDEN]
);
error_set!(
    /// Errors of a bulk change of the tasks of one list, or of every list where the user may
    /// edit, and of a change that waits for one (restoring a list while the trash is emptied).
    BulkWriteErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, NOT_YOURS, INVALID_FIELDS, FORBIDDEN, JOB_RUNNING]
);
error_set!(
    /// Errors of a bulk change of the user's own (emptying their trash).
    OwnBulkErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, JOB_RUNNING]
);
error_set!(
    /// A call with fields to check.
    InvalidFields = [INVALID_FIELDS]
);
error_set!(
    /// Errors of a change that needs a session and is confirmed with the account's password.
    ConfirmedWriteErrors = ANY,
    WRITE,
    [UNAUTHENTICATED, WRONG_PASSWORD, PASSWORD_FIELDS, TOO_MANY_WRONG]
);
