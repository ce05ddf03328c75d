//! Shared pieces of the pages: form messages and state, the text of raw-text elements, and
//! the URLs pages send people to.

use leptos::{ev, prelude::*, task::spawn_local};
use leptos_router::params::ParamsMap;

use crate::error::AppError;

/// Marks `<body data-hydrated>` once an island of the page is live, so tests (and CSS) can
/// tell a live page from the server-rendered HTML. Every island calls it.
pub fn mark_hydrated() {
    Effect::new(|| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
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

/// A message of the server-rendered pages (a notice from a form, or why a page could not be
/// read), as an alert.
#[component]
pub fn Alert(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">
            {message}
        </p>
    }
}

/// Whether `field` of the last run of an action was refused, for `aria-invalid`.
pub fn invalid(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> &'static str + Send + Sync + Copy + 'static {
    move || if error.get().is_some_and(|e| e.field_message(field).is_some()) { "true" } else { "false" }
}

/// A failure as one line: every field's message, or the error itself.
pub fn error_text(error: &AppError) -> String {
    match error {
        AppError::Validation(fields) => fields.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// The error a form posted without the WASM came back with (`__err` in the URL), if it was
/// sent to one of the server functions `ours` (`__path`). The URL's text is anyone's: only
/// messages of ours are kept ([`AppError::from_url`], with `hint` for refused fields).
pub fn posted_error(params: &ParamsMap, ours: &[&str], hint: fn(&str) -> Option<&'static str>) -> Option<AppError> {
    let path = params.get("__path")?;
    let error = params.get("__err")?;
    ours.contains(&path.as_str()).then(|| AppError::from_url(&error, hint))
}

/// A form sent in place by the WASM: its last error and whether it is on its way.
#[derive(Clone, Copy)]
pub struct Sending {
    /// The last failure, if the last sending failed.
    pub error: RwSignal<Option<AppError>>,
    /// Whether the form is on its way.
    pub pending: RwSignal<bool>,
}

impl Sending {
    /// A form that starts with `error` shown (the one a plain POST came back with).
    pub fn new(error: Option<AppError>) -> Self {
        Self { error: RwSignal::new(error), pending: RwSignal::new(false) }
    }

    /// The last failure, for the form's messages.
    pub fn error(self) -> Signal<Option<AppError>> {
        self.error.into()
    }

    /// The form's submit handler: `send` builds the call from the form's fields (and does
    /// what a success means); a failure is shown in the form.
    pub fn on_submit(
        self,
        send: impl Fn(&dyn Fn(&str) -> String, web_sys::HtmlFormElement) -> Sent + 'static,
    ) -> impl Fn(ev::SubmitEvent) + 'static {
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            if self.pending.get_untracked() {
                return;
            }
            let form: web_sys::HtmlFormElement = event_target(&event);
            let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
            let sent = send(&|name| data.get(name).as_string().unwrap_or_default(), form);
            self.wait(sent);
        }
    }

    fn wait(self, sent: Sent) {
        self.pending.set(true);
        spawn_local(async move {
            let result = sent.await;
            self.pending.set(false);
            self.error.set(result.err());
        });
    }
}

/// A call to the server on its way, with what the page makes of its answer. Boxed, so that
/// what sends it ([`Sending`], the task board) is compiled once for every kind of call.
pub type Sent = std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>>>>;

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
