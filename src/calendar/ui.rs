//! The calendar card of `/account`: the feed's address while it is on, and plain forms that
//! turn it on, give it a new address, or turn it off.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};

use super::{DisableCalendar, EnableCalendar, RotateCalendar, calendar_link};
use crate::{
    error::AppError,
    ui::{Alert, error_text},
};

/// What the calendar's forms say under a field the server refused, when the error came in
/// the URL.
pub fn field_hint(field: &str) -> Option<&'static str> {
    (field == "password").then_some("Enter your password to confirm.")
}

/// The password that confirms a new address (each form has its own field).
#[component]
fn Confirm(id: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Your password"</label>
            <input id=id name="password" type="password" required autocomplete="current-password" />
        </div>
    }
}

/// The "Calendar" card.
#[component]
pub fn CalendarCard(
    /// The error a form of the card came back with, if any.
    error: Option<AppError>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="calendar-heading">
            <h2 id="calendar-heading">"Calendar"</h2>
            <p class="hint">
                "Subscribe to your dated open tasks in Google Calendar, Apple Calendar or Thunderbird, \
                 with their repeats and reminders. The address is secret: anyone who has it can read \
                 the feed. It stays the same when you change your password or log out everywhere, \
                 so give it a new one if it may have leaked."
            </p>
            {error.map(|e| view! { <Alert message=error_text(&e) /> })}
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                // A plain future, not a resource: see the tokens card.
                {Suspend::new(async move {
                    match calendar_link().await {
                        Ok(link) => {
                            Either::Left(
                                match link.url {
                                    None => {
                                        Either::Left(
                                            view! {
                                                <form method="post" action=EnableCalendar::url()>
                                                    <Confirm id="calendar-enable-password" />
                                                    <button type="submit">"Turn on the calendar feed"</button>
                                                </form>
                                            },
                                        )
                                    }
                                    Some(url) => {
                                        Either::Right(
                                            view! {
                                                <div class="field">
                                                    <label for="calendar-url">"Feed address"</label>
                                                    <input
                                                        id="calendar-url"
                                                        type="text"
                                                        readonly
                                                        value=url
                                                        class="token-value"
                                                        spellcheck="false"
                                                        autocomplete="off"
                                                    />
                                                </div>
                                                <div class="calendar-actions">
                                                    <form method="post" action=RotateCalendar::url()>
                                                        <Confirm id="calendar-rotate-password" />
                                                        <button type="submit">"New address"</button>
                                                    </form>
                                                    <form method="post" action=DisableCalendar::url()>
                                                        <button type="submit" class="button-quiet">
                                                            "Turn off"
                                                        </button>
                                                    </form>
                                                </div>
                                            },
                                        )
                                    }
                                },
                            )
                        }
                        Err(e) => Either::Right(view! { <Alert message=error_text(&e) /> }),
                    }
                })}
            </Suspense>
        </section>
    }
}
