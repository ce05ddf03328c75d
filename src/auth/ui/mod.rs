//! The account pages: `/signup`, `/login`, `/account`, and the session context every page
//! reads.
//!
//! The pages are server-rendered; their forms are small islands. Without the WASM each form
//! is a plain POST to its server function, and the browser lands back on the same page
//! (with the error, if any, carried in the URL and shown by the server). With the WASM the
//! form is sent in place: the error shows under its field, what was typed stays, and a
//! success moves on to the next page.

use leptos::{either::Either, prelude::*};
use leptos_router::{
    components::Redirect,
    hooks::{use_location, use_query_map},
};

use super::{User, current_user};
use crate::{
    error::AppError,
    ui::{encode_component, safe_next},
};

mod account;
mod credentials;
mod fields;

pub use account::AccountPage;
pub use credentials::{LoginPage, SignupPage};

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
        <Suspense fallback=|| {
            view! { <p class="loading">"Loading…"</p> }
        }>
            {Suspend::new(async move {
                match auth.user.await {
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
        "time_zone" => "Choose a time zone from the list.",
        _ => return None,
    })
}
