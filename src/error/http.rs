//! An [`AppError`]'s HTTP half: its status, `Retry-After` and body as an axum response, and
//! the status a server function's answer gets when it fails.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::{AppError, ErrorBody};

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after();
        let mut response = (status, axum::Json(ErrorBody::from(self))).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Gives the current server function's response the status (and `Retry-After`) of `error`.
pub fn respond_with_status(error: &AppError) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    // A plain HTML form (no WASM) is answered with a redirect back to its page, carrying the
    // error in the URL; a 4xx status would stop the browser from following it.
    if use_context::<Parts>().is_some_and(|parts| accepts_html(&parts.headers)) {
        return;
    }
    if let Ok(status) = StatusCode::from_u16(error.status()) {
        response.set_status(status);
    }
    if let Some(seconds) = error.retry_after() {
        response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Gives the current server function's answer the status `202 Accepted`: it started work
/// that goes on after the answer. A plain HTML form is redirected back to its page as usual.
pub fn respond_accepted() {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    if use_context::<Parts>().is_some_and(|parts| accepts_html(&parts.headers)) {
        return;
    }
    response.set_status(StatusCode::ACCEPTED);
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}
