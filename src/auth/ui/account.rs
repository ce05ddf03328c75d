//! `/account`: the profile, changing the password, logging out everywhere, the API tokens,
//! deleting the account.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{confirmation_error, field_hint, fields::PasswordField, with_user};
use crate::{
    auth::{
        ChangePassword, ChangePasswordInput, DeleteAccount, LogoutAll, UpdateProfile, User, change_password, limits,
    },
    calendar::{self, EnableCalendar, RotateCalendar, ui::CalendarCard},
    error::AppError,
    import::ui::ImportCard,
    tokens::{self, CreateToken, RevokeToken, ui::TokensCard},
    ui::{FieldError, FormError, Sending, invalid, mark_hydrated, posted_error},
};

/// `/account`: the profile, password change, logging out everywhere, deleting the account.
#[component]
pub fn AccountPage() -> impl IntoView {
    let query = use_query_map();
    view! {
        <Title text="Your account" />
        {with_user(move |user| {
            let params = query.read_untracked();
            let errors = AccountErrors {
                profile: posted_error(&params, &[UpdateProfile::url()], field_hint),
                change: posted_error(&params, &[ChangePassword::url()], field_hint).map(confirmation_error),
                logout_all: posted_error(&params, &[LogoutAll::url()], field_hint),
                delete: posted_error(&params, &[DeleteAccount::url()], field_hint).map(confirmation_error),
                create_token: posted_error(&params, &[CreateToken::url()], tokens::ui::field_hint)
                    .map(confirmation_error),
                calendar: posted_error(
                        &params,
                        &[EnableCalendar::url(), RotateCalendar::url()],
                        calendar::ui::field_hint,
                    )
                    .map(confirmation_error),
                revoke_token: posted_error(&params, &[RevokeToken::url()], tokens::ui::field_hint),
            };
            view! { <AccountSettings user errors /> }
        })}
    }
}

/// The errors the account page's forms came back with, without the WASM.
#[derive(Debug, Clone, Default)]
struct AccountErrors {
    profile: Option<AppError>,
    change: Option<AppError>,
    logout_all: Option<AppError>,
    delete: Option<AppError>,
    create_token: Option<AppError>,
    revoke_token: Option<AppError>,
    calendar: Option<AppError>,
}

/// The account page. Logging out everywhere and deleting the account leave the page, so
/// they are plain forms (their errors come back in the URL); changing the password stays
/// here and is sent in place.
#[component]
fn AccountSettings(user: User, errors: AccountErrors) -> impl IntoView {
    let member_since = crate::zone::day_in(&user.created_at, &user.time_zone);
    let AccountErrors { profile, change, logout_all, delete, create_token, revoke_token, calendar } = errors;
    let zone = user.time_zone.clone();
    let delete_failed = delete.is_some();
    let (logout_all_error, delete_error) = (Signal::stored(logout_all), Signal::stored(delete));
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <dl class="profile">
                <dt>"Email"</dt>
                <dd>{user.email.clone()}</dd>
                <dt>"Member since"</dt>
                <dd>
                    <time datetime=member_since.clone()>{member_since.clone()}</time>
                </dd>
            </dl>
            <ProfileForm user=user.clone() error=profile />
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

        <section class="card" aria-labelledby="export-heading">
            <h2 id="export-heading">"Export your data"</h2>
            <p class="hint">
                "Everything you own or can see: your lists, their tasks with every field, and the trash. \
                 JSON keeps it all; CSV opens in a spreadsheet."
            </p>
            <p class="export-links">
                <a href="/api/export?format=json" download>
                    "Download JSON"
                </a>
                " "
                <a href="/api/export?format=csv" download>
                    "Download CSV"
                </a>
            </p>
        </section>

        <ImportCard zone=zone.clone() />

        <CalendarCard error=calendar />

        <TokensCard zone create_error=create_token revoke_error=revoke_token />

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

/// The name and time zone, a plain form (the page comes back with the change, or the error
/// in the URL). The zone menu is long (about 420 places), so it is rendered here on the
/// server and never built by the WASM.
#[component]
fn ProfileForm(user: User, error: Option<AppError>) -> impl IntoView {
    let error = Signal::stored(error);
    let mut zones = crate::zone::names();
    if !zones.contains(&user.time_zone) {
        // A zone outside the menu (`Etc/GMT+5`, through the API) stays chosen.
        zones.insert(0, user.time_zone.clone());
    }
    let options = zones
        .into_iter()
        .map(|zone| {
            let selected = zone == user.time_zone;
            view! {
                <option value=zone.clone() selected=selected>
                    {zone.replace('_', " ")}
                </option>
            }
        })
        .collect_view();
    view! {
        <form method="post" action=UpdateProfile::url() class="profile-form">
            <FormError error />
            <div class="field">
                <label for="profile-name">"Name"</label>
                <input
                    id="profile-name"
                    name="name"
                    type="text"
                    value=user.name.clone()
                    autocomplete="name"
                    required
                    maxlength=limits::NAME_MAX
                    aria-describedby="profile-name-error"
                    aria-invalid=invalid(error, "name")
                />
                <FieldError error field="name" id="profile-name-error" />
            </div>
            <div class="field">
                <label for="profile-time-zone">"Time zone"</label>
                <select
                    id="profile-time-zone"
                    name="time_zone"
                    aria-describedby="profile-time-zone-hint profile-time-zone-error"
                    aria-invalid=invalid(error, "time_zone")
                >
                    {options}
                </select>
                <p class="hint" id="profile-time-zone-hint">
                    "Today, overdue and the times Doable shows are yours in this zone."
                </p>
                <FieldError error field="time_zone" id="profile-time-zone-error" />
            </div>
            <button type="submit">"Save profile"</button>
        </form>
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
