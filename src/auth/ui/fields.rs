//! The account forms' fields: a text field and a password field, each with its label and
//! the error under it.

use leptos::prelude::*;

use crate::{
    auth::limits,
    error::AppError,
    ui::{FieldError, invalid},
};

/// A password input with a show/hide toggle and its error message.
#[component]
pub(super) fn PasswordField(
    /// The input's id.
    id: &'static str,
    /// The form field's name.
    name: &'static str,
    /// The visible label.
    label: &'static str,
    /// `current-password` or `new-password`.
    autocomplete: &'static str,
    /// The form's last error.
    error: Signal<Option<AppError>>,
    /// A hint under the field.
    #[prop(default = None)]
    hint: Option<&'static str>,
    /// Without the show/hide button: for a form outside an island, where nothing would
    /// answer a click.
    #[prop(optional)]
    plain: bool,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() { format!("{hint_id} {error_id}") } else { error_id.clone() };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="password-input">
                <input
                    id=id
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    minlength=if autocomplete == "new-password" { limits::PASSWORD_MIN } else { 1 }
                    maxlength=limits::PASSWORD_MAX
                    aria-describedby=described_by
                    aria-invalid=invalid(error, name)
                />
                {(!plain)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="button-quiet needs-js"
                                aria-pressed=move || visible.get().to_string()
                                aria-controls=id
                                on:click=move |_| visible.update(|v| *v = !*v)
                            >
                                {move || if visible.get() { "Hide password" } else { "Show password" }}
                            </button>
                        }
                    })}
            </div>
            {hint
                .map(|hint| {
                    view! {
                        <p class="hint" id=hint_id.clone()>
                            {hint}
                        </p>
                    }
                })}
            <FieldError error field=name id=error_id />
        </div>
    }
}

/// A text input with its label and error message.
#[component]
pub(super) fn TextField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    autocomplete: &'static str,
    maxlength: usize,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                maxlength=maxlength
                aria-describedby=error_id.clone()
                aria-invalid=invalid(error, name)
            />
            <FieldError error field=name id=error_id />
        </div>
    }
}
