//! The API tokens on `/account`: the one just made (shown once), the form that makes one, and
//! each token with its Revoke button. Server-rendered plain forms: the page's WASM carries
//! none of it.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};

use super::{ApiToken, CreateToken, EXPIRES_MAX_DAYS, NAME_MAX, RevokeToken, Scope, list_tokens};
use crate::{
    dates::machine_of,
    error::AppError,
    ui::{Alert, FieldError, FormError, error_text, invalid},
    zone::minute_in,
};

/// What the tokens' forms say under a field the server refused, when the error came in the
/// URL (whose text anyone can write, so it is not shown).
pub fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "Name the token, in at most 100 characters.",
        "scope" => "Choose read or write.",
        "expires_in_days" => "Give a number of days from 1 to 3650, or leave it empty for never.",
        "id" => "That token is not one of yours.",
        "password" => "Enter your password to confirm.",
        _ => return None,
    })
}

/// The token a plain form has just made, taken from its cookie (which this answer clears).
#[cfg(feature = "ssr")]
async fn just_made() -> Option<String> {
    super::api::take_new_token().await
}

#[cfg(not(feature = "ssr"))]
async fn just_made() -> Option<String> {
    None
}

/// The "API tokens" card of `/account`.
#[component]
pub fn TokensCard(
    /// The account's time zone, for the dates shown.
    zone: String,
    /// The error a token form came back with, if any.
    create_error: Option<AppError>,
    /// The error a Revoke came back with, if any.
    revoke_error: Option<AppError>,
) -> impl IntoView {
    let error = Signal::stored(create_error);
    view! {
        <section class="card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="hint">
                "A token lets a script use Doable's API as you: send it as "
                <code>"Authorization: Bearer <token>"</code> ". A read token can only read. \
                No token can change your password, delete your account, or manage tokens and sessions."
            </p>
            {revoke_error.map(|e| view! { <Alert message=error_text(&e) /> })}
            // One suspense for the card: the token just made (if any) and the list, awaited as
            // plain futures (a resource made while the page's user is still being awaited
            // left the page waiting, now and then, until its deadline).
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {Suspend::new(async move {
                    let made = just_made().await.map(|token| view! { <NewToken token /> });
                    let list = match list_tokens().await {
                        Ok(list) => Either::Left(view! { <TokenTable tokens=list.tokens zone /> }),
                        Err(e) => Either::Right(view! { <Alert message=error_text(&e) /> }),
                    };
                    view! {
                        {made}
                        {list}
                    }
                })}
            </Suspense>
            <form method="post" action=CreateToken::url() class="token-form">
                <FormError error />
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input
                        id="token-name"
                        name="name"
                        type="text"
                        required
                        maxlength=NAME_MAX
                        placeholder="backup script"
                        aria-describedby="token-name-error"
                        aria-invalid=invalid(error, "name")
                    />
                    <FieldError error field="name" id="token-name-error" />
                </div>
                <div class="field">
                    <label for="token-scope">"Scope"</label>
                    <select
                        id="token-scope"
                        name="scope"
                        aria-describedby="token-scope-error"
                        aria-invalid=invalid(error, "scope")
                    >
                        <option value="read">"Read: only reads"</option>
                        <option value="write">"Write: reads and changes"</option>
                    </select>
                    <FieldError error field="scope" id="token-scope-error" />
                </div>
                <div class="field">
                    <label for="token-expires">"Expires after (days)"</label>
                    <input
                        id="token-expires"
                        name="expires_in_days"
                        type="number"
                        min="1"
                        max=EXPIRES_MAX_DAYS
                        aria-describedby="token-expires-hint token-expires-error"
                        aria-invalid=invalid(error, "expires_in_days")
                    />
                    <p class="hint" id="token-expires-hint">
                        "Leave it empty for a token that works until you revoke it."
                    </p>
                    <FieldError error field="expires_in_days" id="token-expires-error" />
                </div>
                <div class="field">
                    <label for="token-password">"Your password"</label>
                    <input
                        id="token-password"
                        name="password"
                        type="password"
                        required
                        autocomplete="current-password"
                        aria-describedby="token-password-hint token-password-error"
                        aria-invalid=invalid(error, "password")
                    />
                    <p class="hint" id="token-password-hint">
                        "A token works like your password for scripts, so making one asks for it."
                    </p>
                    <FieldError error field="password" id="token-password-error" />
                </div>
                <button type="submit">"Create token"</button>
            </form>
        </section>
    }
}

/// The token just made, this once.
#[component]
fn NewToken(token: String) -> impl IntoView {
    view! {
        <div class="new-token" role="status">
            <p>
                <strong>"Your new token."</strong>
                " Copy it now: it is not shown again."
            </p>
            <input
                type="text"
                readonly
                value=token
                aria-label="Your new API token"
                class="token-value"
                spellcheck="false"
                autocomplete="off"
            />
        </div>
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiToken>, zone: String) -> impl IntoView {
    if tokens.is_empty() {
        return Either::Left(view! { <p>"No tokens yet."</p> });
    }
    let rows = tokens
        .into_iter()
        .map(|token| {
            let when = |moment: &Option<crate::dates::Moment>, none: &'static str| match moment {
                Some(moment) => {
                    Either::Left(view! { <time datetime=machine_of(moment)>{minute_in(moment, &zone)}</time> })
                }
                None => Either::Right(none),
            };
            let expired = token.expired;
            let name = token.name.clone();
            view! {
                <tr>
                    <th scope="row">{token.name} {expired.then(|| view! { <span class="badge">"expired"</span> })}</th>
                    <td>
                        {match token.scope {
                            Scope::Read => "read",
                            Scope::Write => "write",
                        }}
                    </td>
                    <td>{when(&Some(token.created_at), "")}</td>
                    <td>{when(&token.last_used_at, "never")}</td>
                    <td>{when(&token.expires_at, "never")}</td>
                    <td>
                        <form method="post" action=RevokeToken::url()>
                            <input type="hidden" name="id" value=token.id.to_string() />
                            <button type="submit" class="button-quiet" aria-label=format!("Revoke {name}")>
                                "Revoke"
                            </button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table class="tokens">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Scope"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Revoke"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}
