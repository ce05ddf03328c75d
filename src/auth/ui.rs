//! The account pages: `/signup`, `/login`, `/account`, and the session context every page
//! reads.
//!
//! The pages are server-rendered; their forms are small islands. Without the WASM each form
//! is a plain POST to its server function, and the browser lands back on the same page
//! (with the error, if any, carried in the URL and shown by the server). With the WASM the
//! form is sent in place: the error shows under its field, what was typed stays, and a
//! success moves on to the next page.

use leptos::{either::Either, ev, prelude::*, server_fn::ServerFn, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{
    components::{A, Redirect},
    hooks::{use_location, use_query_map},
    params::ParamsMap,
};

use super::{
    ChangePassword, ChangePasswordInput, DeleteAccount, Login, LoginInput, LogoutAll, Signup, SignupInput, User,
    change_password, current_user, limits, login, signup,
};
use crate::{
    app::mark_hydrated,
    error::AppError,
    ui::{FieldError, FormError, encode_component, invalid, safe_next},
};

/// Who is logged in, for every component of the page.
#[derive(Clone, Copy)]
pub struct Auth {
    /// The logged-in user (`None` for a visitor), loaded before the page is rendered.
    pub user: Resource<Result<Option<User>, AppError>>,
}

/// Loads the session and offers it to the page's components.
pub fn provide_auth() {
    let user = Resource::new_blocking(|| (), |_| current_user());
    provide_context(Auth { user });
}

/// The session context.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// How the app names a user.
pub fn user_name(user: &User) -> String {
    user.name.clone()
}

/// Renders `view` with the logged-in user; sends visitors to the login page, which brings
/// them back here afterwards.
///
/// Like every `Suspense` of the pages outside the islands, its child is a plain `Suspend`
/// rather than a closure: these components only ever render on the server, and while it
/// settles, a `Suspense` walks a closure child up to three times, each walk building the
/// page again with resources of its own (three task lists read and sent per page).
pub fn with_user<V>(view: impl FnOnce(User) -> V + Send + 'static) -> impl IntoView
where
    V: IntoView + 'static,
{
    let auth = use_auth();
    let location = use_location();
    let login = move || {
        let search = location.search.get_untracked();
        let here = if search.is_empty() {
            location.pathname.get_untracked()
        } else {
            format!("{}?{search}", location.pathname.get_untracked())
        };
        format!("/login?next={}", encode_component(&here))
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => Either::Left(view(user)),
                    Ok(None) | Err(AppError::Unauthenticated) => {
                        Either::Right(Either::Left(view! { <Redirect path=login() /> }))
                    }
                    Err(e) => Either::Right(Either::Right(view! { <p class="form-error" role="alert">{e.to_string()}</p> })),
                }
            })}
        </Suspense>
    }
}

/// Sends a logged-in visitor of `/login` or `/signup` on to where they were going.
#[component]
fn LeaveWhenLoggedIn() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    view! {
        <Suspense>
            {Suspend::new(async move {
                let next = safe_next(query.read_untracked().get("next").as_deref());
                matches!(auth.user.await, Ok(Some(_))).then(|| view! { <Redirect path=next /> })
            })}
        </Suspense>
    }
}

/// The error a form posted without the WASM came back with (`__err` in the URL), if it was
/// this server function's (`__path`).
fn posted_error(params: &ParamsMap, url: &str) -> Option<AppError> {
    let path = params.get("__path")?;
    let error = params.get("__err")?;
    (path == url).then(|| AppError::from_url(&error, field_hint))
}

/// A wrong password when confirming a change travels with the code of a failed login
/// (`invalid_credentials`), so from a URL it reads back as one: say what it is.
fn confirmation_error(error: AppError) -> AppError {
    match error {
        AppError::InvalidCredentials => AppError::WrongPassword,
        other => other,
    }
}

/// What the account forms say under a field the server refused, when the error came in the
/// URL (whose text anyone can write, so it is not shown).
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "email" => "Enter a valid email address, like name@example.com.",
        "name" => "Enter your name, at most 100 characters.",
        "password" => "Use 8 to 128 characters, and not a common password.",
        "current_password" => "Enter your current password.",
        "new_password" => "Use 8 to 128 characters, and not a common password.",
        _ => return None,
    })
}

/// A form sent in place by the WASM: its last error and whether it is on its way.
#[derive(Clone, Copy)]
struct Sending {
    error: RwSignal<Option<AppError>>,
    pending: RwSignal<bool>,
}

impl Sending {
    fn new(error: Option<AppError>) -> Self {
        Self { error: RwSignal::new(error), pending: RwSignal::new(false) }
    }

    fn error(self) -> Signal<Option<AppError>> {
        self.error.into()
    }

    /// The form's submit handler: `send` builds the call from the form's fields (and does
    /// what a success means); a failure is shown in the form.
    fn on_submit(
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

/// A form's call on its way, with what its success does. Boxed, so that [`Sending`] is
/// compiled once for every form.
type Sent = std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>>>>;

/// Leaves the page for `path` (a full load: the server renders it for the new session).
fn go_to(path: &str) {
    let _ = window().location().assign(path);
}

/// A password input with a show/hide toggle and its error message.
#[component]
fn PasswordField(
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
                {(!plain).then(|| view! {
                    <button
                        type="button"
                        class="button-quiet needs-js"
                        aria-pressed=move || visible.get().to_string()
                        aria-controls=id
                        on:click=move |_| visible.update(|v| *v = !*v)
                    >
                        {move || if visible.get() { "Hide password" } else { "Show password" }}
                    </button>
                })}
            </div>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            <FieldError error field=name id=error_id />
        </div>
    }
}

/// A text input with its label and error message.
#[component]
fn TextField(
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

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let params = query.read_untracked();
    let next = safe_next(params.get("next").as_deref());
    let error = posted_error(&params, Login::url());
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
    let error = posted_error(&params, Signup::url());
    view! {
        <Title text="Create an account" />
        <LeaveWhenLoggedIn />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <CredentialsForm signup=true next error />
            <p class="aside">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}

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

/// The login form, or with `signup` the signup form (the same one with a name): on success
/// the browser goes on to `next`.
#[island]
fn CredentialsForm(signup: bool, next: String, error: Option<AppError>) -> impl IntoView {
    mark_hydrated();
    let form = Sending::new(error);
    let next = StoredValue::new(next);
    let on_submit = form.on_submit(move |field, _| {
        let (email, password, name) = (field("email"), field("password"), field("name"));
        Box::pin(async move {
            if signup {
                self::signup(SignupInput { email, password, name }).await?;
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
            {signup.then(|| view! {
                <TextField id="signup-name" name="name" label="Name" autocomplete="name" maxlength=limits::NAME_MAX error />
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
            <button type="submit" class="button-primary" disabled=form.pending>
                {move || if form.pending.get() { kind.busy } else { kind.submit }}
            </button>
        </form>
    }
}

/// `/account`: the profile, password change, logging out everywhere, deleting the account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    view! {
        <Title text="Your account" />
        {with_user(move |user| {
            let params = query.read_untracked();
            let errors = AccountErrors {
                change: posted_error(&params, ChangePassword::url()).map(confirmation_error),
                logout_all: posted_error(&params, LogoutAll::url()),
                delete: posted_error(&params, DeleteAccount::url()).map(confirmation_error),
            };
            view! { <AccountSettings user errors /> }
        })}
    }
}

/// The errors the account page's forms came back with, without the WASM.
#[derive(Debug, Clone, Default)]
struct AccountErrors {
    change: Option<AppError>,
    logout_all: Option<AppError>,
    delete: Option<AppError>,
}

/// The account page. Logging out everywhere and deleting the account leave the page, so
/// they are plain forms (their errors come back in the URL); changing the password stays
/// here and is sent in place.
#[component]
fn AccountSettings(user: User, errors: AccountErrors) -> impl IntoView {
    let member_since = crate::dates::day_of(&user.created_at);
    let AccountErrors { change, logout_all, delete } = errors;
    let delete_failed = delete.is_some();
    let (logout_all_error, delete_error) = (Signal::stored(logout_all), Signal::stored(delete));
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <dl class="profile">
                <dt>"Name"</dt>
                <dd>{user.name.clone()}</dd>
                <dt>"Email"</dt>
                <dd>{user.email.clone()}</dd>
                <dt>"Member since"</dt>
                <dd>
                    <time datetime=member_since.clone()>{member_since.clone()}</time>
                </dd>
            </dl>
        </section>

        <section class="card" aria-labelledby="change-password-heading">
            <h2 id="change-password-heading">"Change password"</h2>
            <p class="hint">"Changing your password logs you out on every other device."</p>
            <ChangePasswordForm error=change />
        </section>

        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p class="hint">"Log out of Doable on every device and browser, this one included."</p>
            <form method="post" action=LogoutAll::url()>
                <FormError error=logout_all_error />
                <button type="submit">"Log out everywhere"</button>
            </form>
        </section>

        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <details open=delete_failed>
                <summary>"Delete my account and all my tasks…"</summary>
                <form method="post" action=DeleteAccount::url()>
                    <FormError error=delete_error />
                    <p>"This cannot be undone. Your tasks are deleted with your account."</p>
                    <PasswordField
                        id="delete-password"
                        name="password"
                        label="Password"
                        autocomplete="current-password"
                        error=delete_error
                        plain=true
                    />
                    <div class="field checkbox-field">
                        <input id="delete-confirm" name="confirm" type="checkbox" required />
                        <label for="delete-confirm">
                            "I understand that my account and all my tasks will be deleted"
                        </label>
                    </div>
                    <button type="submit" class="button-danger">
                        "Delete account"
                    </button>
                </form>
            </details>
        </section>
    }
}

#[island]
fn ChangePasswordForm(error: Option<AppError>) -> impl IntoView {
    mark_hydrated();
    let form = Sending::new(error);
    let changed = RwSignal::new(false);
    let on_submit = form.on_submit(move |field, form| {
        changed.set(false);
        let input =
            ChangePasswordInput { current_password: field("current_password"), new_password: field("new_password") };
        Box::pin(async move {
            change_password(input).await?;
            form.reset();
            changed.set(true);
            Ok(())
        })
    });
    let error = form.error();
    view! {
        <form method="post" action=ChangePassword::url() on:submit=on_submit>
            <FormError error />
            <p class="form-success" role="status" hidden=move || !changed.get()>
                "Your password was changed. Other sessions were logged out."
            </p>
            <PasswordField
                id="current-password"
                name="current_password"
                label="Current password"
                autocomplete="current-password"
                error
            />
            <PasswordField
                id="new-password"
                name="new_password"
                label="New password"
                autocomplete="new-password"
                hint=Some("At least 8 characters.")
                error
            />
            <button type="submit" class="button-primary" disabled=form.pending>
                "Change password"
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
