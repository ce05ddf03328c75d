//! The error answers as the API documentation shows them: the sets of answers that many
//! endpoints share, each an error body with its code named in its description.

use std::collections::BTreeMap;

use utoipa::{
    IntoResponses,
    openapi::{Content, RefOr, Response, ResponseBuilder},
};

// Left to itself, utoipa names the schema of `FieldErrors` after its Rust type.
/// What is wrong with each named field: an object from field names to messages.
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"title": "Enter a title."}))]
#[allow(dead_code)]
pub struct FieldMessages(std::collections::HashMap<String, String>);

/// An error answer with the error body.
fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(utoipa::openapi::Ref::from_schema_name("Error"))))
        .build()
        .into()
}

/// Declares a set of error answers that many endpoints share.
macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident: $(($status:literal, $description:literal)),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$(($status, $description)),+]
                    .into_iter()
                    .map(|(status, description)| (status.to_owned(), error_response(description)))
                    .collect()
            }
        }
    };
}

error_set!(
    /// Errors of any call that needs no session.
    PublicErrors:
    ("400", "`bad_request`: an argument is missing or cannot be decoded."),
    ("500", "`internal`: an unexpected failure (the detail is in the server's log)."),
    ("503", "`unavailable`: the database does not answer or the request took too long; retry later."),
);

error_set!(
    /// Errors of any call that changes state without a session.
    PublicWriteErrors:
    ("400", "`bad_request`: an argument is missing or cannot be decoded."),
    ("403", "`csrf_rejected`: the request came from another site."),
    ("408", "`request_timeout`: the body did not arrive in time."),
    ("413", "`payload_too_large`: the body is over 64 KiB."),
    ("415", "`unsupported_media_type`: a body that is not `application/x-www-form-urlencoded`."),
    ("500", "`internal`: an unexpected failure (the detail is in the server's log)."),
    ("503", "`unavailable`: the database does not answer or the request took too long; retry later."),
);

error_set!(
    /// Errors of any read that needs a session.
    SessionErrors:
    ("400", "`bad_request`: an argument is missing or cannot be decoded."),
    ("401", "`unauthenticated`: no valid session."),
    ("500", "`internal`: an unexpected failure (the detail is in the server's log)."),
    ("503", "`unavailable`: the database does not answer or the request took too long; retry later."),
);

error_set!(
    /// Errors of any change that needs a session.
    SessionWriteErrors:
    ("400", "`bad_request`: an argument is missing or cannot be decoded."),
    ("401", "`unauthenticated`: no valid session."),
    ("403", "`csrf_rejected`: the request came from another site."),
    ("408", "`request_timeout`: the body did not arrive in time."),
    ("413", "`payload_too_large`: the body is over 64 KiB."),
    ("415", "`unsupported_media_type`: a body that is not `application/x-www-form-urlencoded`."),
    ("500", "`internal`: an unexpected failure (the detail is in the server's log)."),
    ("503", "`unavailable`: the database does not answer or the request took too long; retry later."),
);

error_set!(
    /// A call naming an object (a task, say) that does not exist or is not the caller's.
    NotYours:
    ("404", "`not_found`: there is no such object of yours (another person's is not found either)."),
);

error_set!(
    /// A call with fields to check.
    InvalidFields:
    ("422", "`validation_failed`: `fields` names each bad field (a malformed `id` included)."),
);
