//! `/login` and `/signup`: one form (an island) for both, sent in place with the WASM and
//! as a plain POST without it.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    LeaveWhenLoggedIn, field_hint,
    fields::{PasswordField, TextField},
};
use crate::{
    auth::{Login, LoginInput, Signup, SignupInput, limits, login, signup},
    error::AppError,
    ui::{FormError, Sending, encode_component, mark_hydrated, posted_error, safe_next},
};

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let params = query.read_untracked();
    let next = safe_next(params.get("next").as_deref());
    let error = posted_error(&params, &[Login::url()], field_hint);
    let signup_href = match params.get("next") {
        Some(next) => format!("/signup?next={}", encode_component(&next)),
        None => "/signup".to_owned(),
    };
    view! {
        <Title text="Log in" />
        <LeaveWhenLoggedIn />
        <section class="card narrow">
            <h1>"Log in"</h1>
            <CredentialsForm signup=false next error />
            <p class="aside">"New to Doable? " <A href=signup_href>"Create an account"</A></p>
        </section>
    }
}

/// `/signup`.
#[component]
pub fn SignupPage() -> impl IntoView {
    let query = use_query_map();
    let params = query.read_untracked();
    let next = safe_next(params.get("next").as_deref());
    let error = posted_error(&params, &[Signup::url()], field_hint);
    view! {
        <Title text="Create an account" />
        <LeaveWhenLoggedIn />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <CredentialsForm signup=true next error />
            <p class="aside">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
        // The browser's time zone goes with the form (without scripts, the account starts in
        // UTC and the person chooses on /account). Not the WASM's work: this runs at once.
        <script nonce=leptos::nonce::use_nonce() inner_html=BROWSER_ZONE_SCRIPT></script>
    }
}

/// Fills the signup form's hidden `time_zone` field with the browser's zone.
const BROWSER_ZONE_SCRIPT: &str = "try{document.getElementById('signup-time-zone').value=\
     Intl.DateTimeFormat().resolvedOptions().timeZone||''}catch(e){}";

/// What differs between the login and the signup form.
struct CredentialsKind {
    action: &'static str,
    email_id: &'static str,
    email_autocomplete: &'static str,
    password_id: &'static str,
    password_autocomplete: &'static str,
    password_hint: Option<&'static str>,
    submit: &'static str,
    busy: &'static str,
}

const LOGIN: CredentialsKind = CredentialsKind {
    action: "/api/auth/login",
    email_id: "login-email",
    email_autocomplete: "username",
    password_id: "login-password",
    password_autocomplete: "current-password",
    password_hint: None,
    submit: "Log in",
    busy: "Logging in…",
};

const SIGNUP: CredentialsKind = CredentialsKind {
    action: "/api/auth/signup",
    email_id: "signup-email",
    email_autocomplete: "email",
    password_id: "signup-password",
    password_autocomplete: "new-password",
    password_hint: Some("At least 8 characters. A few unrelated words make a strong password."),
    submit: "Create account",
    busy: "Creating account…",
};

/// Leaves the page for `path` (a full load: the server renders it for the new session).
fn go_to(path: &str) {
    let _ = window().location().assign(path);
}

/// The login form, or with `signup` the signup form (the same one with a name): on success
/// the browser goes on to `next`.
#[island]
fn CredentialsForm(signup: bool, next: String, error: Option<AppError>) -> impl IntoView {
    mark_hydrated();
    let form = Sending::new(error);
    let next = StoredValue::new(next);
    let on_submit = form.on_submit(move |field, _| {
        let (email, password, name) = (field("email"), field("password"), field("name"));
        let time_zone = Some(field("time_zone")).filter(|zone| !zone.is_empty());
        Box::pin(async move {
            if signup {
                self::signup(SignupInput { email, password, name, time_zone }).await?;
            } else {
                login(LoginInput { email, password }).await?;
            }
            go_to(&next.get_value());
            Ok(())
        })
    });
    let error = form.error();
    let kind = if signup { &SIGNUP } else { &LOGIN };
    view! {
        <form method="post" action=kind.action on:submit=on_submit>
            <FormError error />
            {signup
                .then(|| {
                    view! {
                        <TextField
                            id="signup-name"
                            name="name"
                            label="Name"
                            autocomplete="name"
                            maxlength=limits::NAME_MAX
                            error
                        />
                    }
                })}
            <TextField
                id=kind.email_id
                name="email"
                label="Email"
                kind="email"
                autocomplete=kind.email_autocomplete
                maxlength=limits::EMAIL_MAX
                error
            />
            <PasswordField
                id=kind.password_id
                name="password"
                label="Password"
                autocomplete=kind.password_autocomplete
                hint=kind.password_hint
                error
            />
            {signup.then(|| view! { <input type="hidden" id="signup-time-zone" name="time_zone" value="" /> })}
            <button type="submit" class="button-primary" disabled=form.pending>
                {move || if form.pending.get() { kind.busy } else { kind.submit }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_forms_post_to_their_server_functions() {
        assert_eq!(LOGIN.action, Login::url());
        assert_eq!(SIGNUP.action, Signup::url());
    }
}
