//! The account pages: `/signup`, `/login`, `/account`, and the session context every page
//! reads. Every form is an `ActionForm`: with the WASM it submits in place, without it the
//! browser posts it and lands back on the same page (with the error, if any).

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::{A, Redirect},
    hooks::{use_location, use_query_map},
};

use super::{ChangePassword, DeleteAccount, Login, LogoutAll, Signup, User, current_user, limits};
use crate::{
    error::AppError,
    ui::{FieldError, FormError, action_error, encode_component, invalid, safe_next},
};

/// Who is logged in, for every component of the page.
#[derive(Clone, Copy)]
pub struct Auth {
    /// The logged-in user (`None` for a visitor), loaded before the page is rendered.
    pub user: Resource<Result<Option<User>, AppError>>,
    version: RwSignal<u64>,
}

impl Auth {
    /// Loads the user again, after something may have changed the session.
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// Loads the session and offers it to the page's components.
pub fn provide_auth() {
    let version = RwSignal::new(0u64);
    let user = Resource::new_blocking(move || version.get(), |_| current_user());
    provide_context(Auth { user, version });
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
pub fn with_user<V>(view: impl Fn(User) -> V + Send + Sync + 'static) -> impl IntoView
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
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                auth.user
                    .get()
                    .map(|user| match user {
                        Ok(Some(user)) => Either::Left(view(user)),
                        Ok(None) | Err(AppError::Unauthenticated) => {
                            Either::Right(Either::Left(view! { <Redirect path=login() /> }))
                        }
                        Err(e) => {
                            Either::Right(
                                Either::Right(
                                    view! {
                                        <p class="form-error" role="alert">
                                            {e.to_string()}
                                        </p>
                                    },
                                ),
                            )
                        }
                    })
            }}
        </Transition>
    }
}

/// Sends a logged-in visitor of `/login` or `/signup` on to where they were going.
#[component]
fn LeaveWhenLoggedIn() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    view! {
        <Suspense>
            {move || {
                auth.user
                    .get()
                    .map(|user| {
                        matches!(user, Ok(Some(_)))
                            .then(|| {
                                view! {
                                    <Redirect path=safe_next(query.read().get("next").as_deref()) />
                                }
                            })
                    })
            }}
        </Suspense>
    }
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
    #[prop(optional)]
    hint: Option<&'static str>,
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
                <button
                    type="button"
                    class="button-quiet needs-js"
                    aria-pressed=move || visible.get().to_string()
                    aria-controls=id
                    on:click=move |_| visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { "Hide password" } else { "Show password" }}
                </button>
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
    let auth = use_auth();
    let login = ServerAction::<Login>::new();
    let error = action_error(login.into());
    let query = use_query_map();
    Effect::new(move || {
        if matches!(login.value().get(), Some(Ok(_))) {
            auth.refresh();
        }
    });
    let signup_href = move || match query.read().get("next") {
        Some(next) => format!("/signup?next={}", encode_component(&next)),
        None => "/signup".to_owned(),
    };
    view! {
        <Title text="Log in" />
        <LeaveWhenLoggedIn />
        <section class="card narrow">
            <h1>"Log in"</h1>
            <ActionForm action=login>
                <FormError error />
                <TextField
                    id="login-email"
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="username"
                    maxlength=limits::EMAIL_MAX
                    error
                />
                <PasswordField
                    id="login-password"
                    name="password"
                    label="Password"
                    autocomplete="current-password"
                    error
                />
                <button type="submit" class="button-primary" disabled=login.pending()>
                    {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
            <p class="aside">"New to Doable? " <A href=signup_href>"Create an account"</A></p>
        </section>
    }
}

/// `/signup`.
#[component]
pub fn SignupPage() -> impl IntoView {
    let auth = use_auth();
    let signup = ServerAction::<Signup>::new();
    let error = action_error(signup.into());
    Effect::new(move || {
        if matches!(signup.value().get(), Some(Ok(_))) {
            auth.refresh();
        }
    });
    view! {
        <Title text="Create an account" />
        <LeaveWhenLoggedIn />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ActionForm action=signup>
                <FormError error />
                <TextField
                    id="signup-name"
                    name="name"
                    label="Name"
                    autocomplete="name"
                    maxlength=limits::NAME_MAX
                    error
                />
                <TextField
                    id="signup-email"
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    maxlength=limits::EMAIL_MAX
                    error
                />
                <PasswordField
                    id="signup-password"
                    name="password"
                    label="Password"
                    autocomplete="new-password"
                    hint="At least 8 characters. A few unrelated words make a strong password."
                    error
                />
                <button type="submit" class="button-primary" disabled=signup.pending()>
                    {move || if signup.pending().get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="aside">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}

/// `/account`: the profile, password change, logging out everywhere, deleting the account.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Your account" />
        {with_user(|user| view! { <AccountSettings user /> })}
    }
}

#[component]
fn AccountSettings(user: User) -> impl IntoView {
    let auth = use_auth();
    let change = ServerAction::<ChangePassword>::new();
    let logout_all = ServerAction::<LogoutAll>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let change_error = action_error(change.into());
    let delete_error = action_error(delete.into());
    let logout_all_error = action_error(logout_all.into());
    Effect::new(move || {
        if matches!(logout_all.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(_))) {
            auth.refresh();
        }
    });
    let changed = move || matches!(change.value().get(), Some(Ok(_)));
    let member_since = user.created_at.date().to_string();
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
            <ActionForm action=change>
                <FormError error=change_error />
                <p class="form-success" role="status" hidden=move || !changed()>
                    "Your password was changed. Other sessions were logged out."
                </p>
                <PasswordField
                    id="current-password"
                    name="current_password"
                    label="Current password"
                    autocomplete="current-password"
                    error=change_error
                />
                <PasswordField
                    id="new-password"
                    name="new_password"
                    label="New password"
                    autocomplete="new-password"
                    hint="At least 8 characters."
                    error=change_error
                />
                <button type="submit" class="button-primary" disabled=change.pending()>
                    "Change password"
                </button>
            </ActionForm>
        </section>

        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p class="hint">"Log out of Doable on every device and browser, this one included."</p>
            <ActionForm action=logout_all>
                <FormError error=logout_all_error />
                <button type="submit" disabled=logout_all.pending()>
                    "Log out everywhere"
                </button>
            </ActionForm>
        </section>

        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <details>
                <summary>"Delete my account and all my tasks…"</summary>
                <ActionForm action=delete>
                    <FormError error=delete_error />
                    <p>"This cannot be undone. Your tasks are deleted with your account."</p>
                    <PasswordField
                        id="delete-password"
                        name="password"
                        label="Password"
                        autocomplete="current-password"
                        error=delete_error
                    />
                    <div class="field checkbox-field">
                        <input id="delete-confirm" name="confirm" type="checkbox" required />
                        <label for="delete-confirm">
                            "I understand that my account and all my tasks will be deleted"
                        </label>
                    </div>
                    <button type="submit" class="button-danger" disabled=delete.pending()>
                        "Delete account"
                    </button>
                </ActionForm>
            </details>
        </section>
    }
}
