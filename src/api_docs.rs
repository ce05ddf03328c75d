//! The API's OpenAPI 3.1 description, generated from the server functions' own types and
//! `utoipa::path` attributes, served at `/api/openapi.json` and as a page at `/docs`.
//!
//! `tests/api_docs.rs` fails when a server function is missing here or an entry here has no
//! route, so the document cannot drift from the code.

use axum::{Router, response::Redirect, routing::get};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    auth, calendar, error::ErrorBody, history, jobs, lists, notifications, state::AppState, tasks, tokens, trash,
};

/// The endpoints that are handlers of their own rather than server functions (a file
/// download): documented all the same.
pub const PLAIN_ENDPOINTS: &[(&str, &str)] =
    &[("GET", crate::export::api::PATH), ("POST", crate::import::upload::PATH), ("GET", crate::live::stream::PATH)];

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Doable API",
        description = "The server functions behind Doable's pages, usable directly over HTTP.\n\n\
            Mutations are `POST` with `application/x-www-form-urlencoded` bodies, reads are `GET` \
            with a query string; every answer is JSON. Authenticate with the session cookie that \
            signup and login set, or send the same token as `Authorization: Bearer <token>`; \
            scripts use an API token (`dbl_...`, made on `/account` or with `POST /api/tokens/create`) \
            the same way. A `read` token may only `GET` (403 `insufficient_scope` otherwise), and no \
            token manages tokens, sessions, the password or the account. \
            State-changing requests from another site (an `Origin` other than the site's own, or \
            `Sec-Fetch-Site: cross-site`) are refused with 403 `csrf_rejected`; requests without \
            `Origin` (curl, scripts) are allowed.\n\n\
            Every error is `{\"code\", \"message\"}`, plus `fields` for `validation_failed` and \
            `retry_after` (seconds, also in the `Retry-After` header) for 429 answers.",
        license(name = "Proprietary"),
    ),
    paths(
        auth::api::signup,
        auth::api::login,
        auth::api::logout,
        auth::api::me,
        auth::api::current_user,
        auth::api::update_profile,
        auth::api::change_password,
        auth::api::logout_all,
        auth::api::delete_account,
        lists::api::list_lists,
        lists::api::create_list,
        lists::api::rename_list,
        lists::api::delete_list,
        lists::api::list_members,
        lists::api::list_assignees,
        lists::api::invite_member,
        lists::api::set_role,
        lists::api::set_list_reminders,
        lists::api::remove_member,
        lists::api::leave_list,
        lists::api::list_invitations,
        lists::api::accept_invitation,
        lists::api::decline_invitation,
        history::api::list_history,
        trash::api::list_trash,
        trash::api::restore_from_trash,
        trash::api::empty_trash,
        jobs::api::current_job,
        jobs::api::get_job,
        tasks::api::list_tasks,
        tasks::api::get_task,
        tasks::api::create_task,
        tasks::api::parse_line,
        tasks::api::quick_add,
        tasks::api::update_task,
        tasks::api::set_completed,
        tasks::api::skip_task,
        tasks::api::delete_task,
        tasks::api::clear_completed,
        tasks::api::complete_all,
        tasks::api::list_tags,
        notifications::api::list_notifications,
        notifications::api::read_notifications,
        tokens::api::create_token,
        tokens::api::list_tokens,
        tokens::api::revoke_token,
        crate::export::api::download,
        crate::import::upload::upload,
        crate::import::api::last_import,
        crate::live::stream::events,
        calendar::api::calendar_link,
        calendar::api::enable_calendar,
        calendar::api::rotate_calendar,
        calendar::api::disable_calendar,
    ),
    components(schemas(ErrorBody)),
    // Every endpoint needs a session unless its own `security` says otherwise.
    security(("session_cookie" = []), ("bearer" = [])),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "lists", description = "Lists, their members and invitations, and the trash"),
        (name = "tasks", description = "The tasks of the lists the logged-in user is a member of"),
        (name = "notifications", description = "What the logged-in user was told: the reminders of their tasks"),
        (name = "tokens", description = "API tokens for scripts, managed only in a session"),
        (name = "data", description = "The person's data as a file: export and import"),
        (name = "calendar", description = "The calendar feed's secret address, managed only in a session"),
        (name = "live", description = "The changes the logged-in user may see, as they happen (Server-Sent Events)"),
    ),
)]
pub struct ApiDoc;

/// The cookie and bearer security schemes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::session::COOKIE,
                "The session cookie set by signup and login (named `__Host-doable_session` when the site is \
                 served over HTTPS).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The same token as the session cookie's value, or an API token (`dbl_` and 43 characters).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as served: JSON, with utoipa 5's link objects corrected (it serializes their
/// fields in snake case, `operation_id`, where OpenAPI says `operationId`).
pub fn openapi_json() -> serde_json::Value {
    let mut json = serde_json::to_value(openapi()).unwrap_or_default();
    fix_links(&mut json);
    json
}

fn fix_links(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(links)) = map.get_mut("links") {
                for link in links.values_mut().filter_map(serde_json::Value::as_object_mut) {
                    for (from, to) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(field) = link.remove(from) {
                            link.insert(to.to_owned(), field);
                        }
                    }
                }
            }
            map.values_mut().for_each(fix_links);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(fix_links),
        _ => {}
    }
}

/// `/api/openapi.json`, the documentation page at `/docs` (Swagger UI, bundled in the binary:
/// it needs no network), and `/redoc` pointing at it.
pub fn routes() -> Router<AppState> {
    let document = axum::body::Bytes::from(openapi_json().to_string());
    Router::new()
        .route(
            OPENAPI_PATH,
            get(move || {
                let document = document.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from(OPENAPI_PATH)))
        .route("/redoc", get(|| async { Redirect::permanent("/docs/") }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_error_code() {
        let json = openapi_json();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(json["components"]["securitySchemes"]["session_cookie"].is_object());
        assert!(json["components"]["securitySchemes"]["bearer"].is_object());
        let text = json.to_string();
        for (code, status, _) in crate::error::AppError::CODES {
            if *code != "method_not_allowed" && *code != "not_found" {
                assert!(text.contains(&format!("`{code}`")), "{code} ({status}) is not documented");
            }
        }
    }

    #[test]
    fn every_endpoint_needs_a_session_but_those_that_say_otherwise() {
        let json = openapi_json();
        let session = serde_json::json!([{"session_cookie": []}, {"bearer": []}]);
        assert_eq!(json["security"], session, "declared once, for the whole API");
        let operation = |path: &str, method: &str| &json["paths"][path][method];
        for (path, method) in [("/api/auth/signup", "post"), ("/api/auth/login", "post")] {
            assert_eq!(operation(path, method)["security"], serde_json::json!([{}]), "{path} needs no session");
        }
        for (path, method) in [("/api/auth/logout", "post"), ("/api/auth/session", "get")] {
            let optional = serde_json::json!([{}, {"session_cookie": []}, {"bearer": []}]);
            assert_eq!(operation(path, method)["security"], optional, "{path} works with or without one");
        }
        for (path, method) in [("/api/tasks/list", "get"), ("/api/tasks/create", "post"), ("/api/auth/me", "get")] {
            assert!(operation(path, method).is_object(), "{path}");
            assert!(operation(path, method).get("security").is_none(), "{path} inherits the session requirement");
        }
    }

    #[test]
    fn a_change_confirmed_by_password_documents_the_wrong_password_and_the_wait() {
        let json = openapi_json();
        for path in ["/api/auth/change-password", "/api/auth/delete-account"] {
            let responses = &json["paths"][path]["post"]["responses"];
            let forbidden = responses["403"]["description"].as_str().unwrap();
            assert!(forbidden.contains("`invalid_credentials`") && forbidden.contains("`csrf_rejected`"), "{path}");
            assert!(responses["429"]["headers"]["retry-after"].is_object(), "{path}: 429 without Retry-After");
            assert!(responses["401"].is_object() && responses["415"].is_object(), "{path}");
        }
    }

    #[test]
    fn links_use_the_openapi_field_names() {
        let json = openapi_json();
        let links = &json["paths"]["/api/tasks/create"]["post"]["responses"]["200"]["links"];
        assert_eq!(links["GetTask"]["operationId"], "get_task");
        assert_eq!(links["DeleteTask"]["requestBody"]["id"], "$response.body#/id");
        assert!(!json.to_string().contains("operation_id"));
    }
}
