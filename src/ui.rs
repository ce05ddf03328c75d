//! Pages and components that no single feature owns: the header, the footer, the home
//! redirect, the 404 page, and small form helpers.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{
    components::{A, Redirect},
    hooks::use_location,
};

use crate::{
    auth::{
        Logout,
        ui::{use_auth, user_name},
    },
    error::AppError,
};

/// The top bar: the name of the app, and who is logged in. Server-rendered: logging out is
/// a plain form, which comes back to this page, now without a session.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span aria-hidden="true" class="brand-mark">
                    "✓"
                </span>
                "Doable"
            </A>
            <nav aria-label="Account">
                <Suspense>
                    {Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => Either::Left(view! {
                                <A href="/account" attr:class="user-name">
                                    {user_name(&user)}
                                </A>
                                <form class="inline-form" method="post" action=Logout::url()>
                                    <button type="submit" class="button-quiet">
                                        "Log out"
                                    </button>
                                </form>
                            }),
                            _ => Either::Right(view! {
                                <A href="/login">"Log in"</A>
                                <A href="/signup" attr:class="button-link">
                                    "Sign up"
                                </A>
                            }),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

/// The bottom bar.
#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>
                "Doable · " <a href="/docs" rel="external">
                    "API documentation"
                </a>
            </p>
        </footer>
    }
}

/// `/`: people with a session go to their tasks, others to the login page.
#[component]
pub fn Home() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense>
            {Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(_)) => view! { <Redirect path="/tasks" /> },
                    _ => view! { <Redirect path="/login" /> },
                }
            })}
        </Suspense>
    }
}

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let location = use_location();
    view! {
        <Title text="Page not found" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at " <code>{move || location.pathname.get()}</code> "."</p>
            <p>
                <A href="/">"Go to your tasks"</A>
            </p>
        </section>
    }
}

/// The message of a failed action for one field, shown under that field.
#[component]
pub fn FieldError(
    /// The result of the action, if it ran.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The input field's name.
    field: &'static str,
    /// The id of the message element, for the input's `aria-describedby`.
    #[prop(into)]
    id: String,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field_message(field).map(str::to_owned));
    view! {
        <p class="field-error" id=id role="alert" hidden=move || message().is_none()>
            {message}
        </p>
    }
}

/// The message of a failed action that is not about one field (wrong password, rate limit,
/// server trouble), shown at the top of its form.
#[component]
pub fn FormError(
    /// The result of the action, if it ran.
    #[prop(into)]
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| e.to_string());
    view! {
        <div class="form-error" role="alert" aria-live="assertive" hidden=move || message().is_none()>
            {message}
        </div>
    }
}

/// Whether `field` of the last run of an action was refused, for `aria-invalid`.
pub fn invalid(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> &'static str + Send + Sync + Copy + 'static {
    move || if error.get().is_some_and(|e| e.field_message(field).is_some()) { "true" } else { "false" }
}

/// The text to put inside a `<textarea>`, whose children the server's renderer writes as
/// they are (it leaves raw-text elements alone): there `</textarea>` in a description would
/// end the element and what follows would be markup. So on the server the text is escaped
/// (a textarea's content is decoded by the browser, so it reads back the same), with a
/// leading newline doubled, as the parser drops the first one. In the browser, where it
/// becomes a text node, it stays as it is. `.ci/check-raw-text.py` fails on a textarea (or
/// `script`, `style`, `noscript`, `title`) whose content does not go through here.
pub fn textarea_text(text: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        let mut escaped = String::with_capacity(text.len() + 1);
        if text.starts_with('\n') {
            escaped.push('\n');
        }
        for c in text.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                c => escaped.push(c),
            }
        }
        escaped
    }
    #[cfg(not(feature = "ssr"))]
    text.to_owned()
}

/// A redirect target taken from a URL (`?next=`): only a path on this site. Anything else
/// (`//evil.example`, `https://...`, `/\evil`, control characters) falls back to `/tasks`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => "/tasks".to_owned(),
    }
}

/// Whether `path` is a path on this site: not `//host`, no backslashes, no control characters or
/// spaces, at most 2 KiB.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace())
        && path.len() <= 2048
}

/// Percent-encodes a path with its query for use as a `?next=` value.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_paths_on_this_site() {
        assert_eq!(safe_next(Some("/tasks?status=active&q=milk")), "/tasks?status=active&q=milk");
        assert_eq!(safe_next(Some("/account")), "/account");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/tasks\r\nSet-Cookie: x=1",
            "javascript:alert(1)",
            "tasks",
            "/ta sks",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/tasks", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/tasks");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn textarea_text_cannot_end_its_element() {
        assert_eq!(textarea_text("</textarea><b>x</b> & more"), "&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt; &amp; more");
        assert_eq!(textarea_text("&lt;"), "&amp;lt;", "an entity typed as text stays text");
        assert_eq!(textarea_text("\nfirst line kept"), "\n\nfirst line kept");
    }

    #[test]
    fn next_values_round_trip_through_a_query_string() {
        assert_eq!(encode_component("/tasks?status=active&q=a b"), "/tasks%3Fstatus%3Dactive%26q%3Da%20b");
    }
}
