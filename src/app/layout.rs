//! What surrounds every page, and the pages no feature owns: the header, the footer, the home
//! redirect, the 404 page.

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
    notifications::{NotificationQuery, list_notifications, ui::UnreadLink},
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
                            Ok(Some(user)) => {
                                let unread = list_notifications(NotificationQuery {
                                        unread: Some("true".to_owned()),
                                        limit: Some("1".to_owned()),
                                        before: None,
                                    })
                                    .await
                                    .map_or(0, |page| page.unread);
                                Either::Left(
                                    view! {
                                        <UnreadLink unread />
                                        <A href="/account" attr:class="user-name">
                                            {user_name(&user)}
                                        </A>
                                        <form class="inline-form" method="post" action=Logout::url()>
                                            <button type="submit" class="button-quiet">
                                                "Log out"
                                            </button>
                                        </form>
                                    },
                                )
                            }
                            _ => {
                                Either::Right(
                                    view! {
                                        <A href="/login">"Log in"</A>
                                        <A href="/signup" attr:class="button-link">
                                            "Sign up"
                                        </A>
                                    },
                                )
                            }
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
