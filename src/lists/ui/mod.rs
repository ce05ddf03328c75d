//! The lists beside the task board: the views (all lists, assigned to me), the Inbox and the
//! person's other lists with their open counts, a form for a new list, and the invitations
//! waiting for an answer.
//!
//! Server-rendered HTML, not an island: every entry is a link to the task page's URL for it
//! and every action a plain form, so they cost the WASM nothing and work without it.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;

use super::{AcceptInvitation, CreateList, DeclineInvitation, Invitation, List, Role, limits, list_invitations};
use crate::ui::encode_component;

mod settings;

pub use settings::ListSettingsPage;

/// The sidebar of `/tasks`: a navigation of the person's lists (a row of links on narrow
/// screens) and the form for a new one.
#[component]
pub fn ListsSidebar(lists: Vec<List>) -> impl IntoView {
    let query = use_query_map();
    let (current_list, current_assignee) = {
        let query = query.read_untracked();
        (query.get("list").unwrap_or_default(), query.get("assignee").unwrap_or_default())
    };
    view! {
        <nav class="sidebar card" aria-label="Lists">
            <h2 class="sidebar-title">"Lists"</h2>
            {
                let everything = current_list.is_empty() && current_assignee.is_empty();
                let mine = current_list.is_empty() && current_assignee == "me";
                let more = lists
                    .iter()
                    .find(|l| l.id.to_string() == current_list)
                    .map(|list| {
                        let settings = if list.inbox { "About the Inbox" } else { "Members and sharing" };
                        // The list in view offers its settings and history.
                        view! {
                            <p class="list-more">
                                <a href=format!("/lists/{}", list.id)>{settings}</a>
                                <a href=format!("/lists/{}/history", list.id)>"History"</a>
                            </p>
                        }
                    });
                view! {
                    <ul class="list-links">
                        <li>
                            <a href="/tasks" aria-current=everything.then_some("page")>
                                "All lists"
                            </a>
                        </li>
                        <li>
                            <a href="/tasks?assignee=me" aria-current=mine.then_some("page")>
                                "Assigned to me"
                            </a>
                        </li>
                        {lists
                            .into_iter()
                            .map(|list| {
                                let current = list.id.to_string() == current_list;
                                view! { <ListLink list current /> }
                            })
                            .collect_view()}
                        <li>
                            <a href="/trash">"Trash"</a>
                        </li>
                    </ul>
                    {more}
                }
            }
            <form class="new-list" action=CreateList::url() method="post">
                <label for="new-list">"New list"</label>
                <div class="new-list-row">
                    <input
                        id="new-list"
                        name="name"
                        type="text"
                        required
                        maxlength=limits::NAME_MAX
                        autocomplete="off"
                        placeholder="Groceries"
                    />
                    <button type="submit">"Add"</button>
                </div>
            </form>
        </nav>
    }
}

/// One list in the sidebar: its name, whether it is shared, and how many tasks are open.
#[component]
fn ListLink(list: List, current: bool) -> impl IntoView {
    let href = format!("/tasks?list={}", encode_component(&list.id.to_string()));
    let open = format!("{} open", list.open);
    let open_title = open.clone();
    let shared = (list.shared || list.role != Role::Owner).then(|| {
        let label =
            if list.role == Role::Owner { "shared".to_owned() } else { format!("shared, {}", list.role.as_str()) };
        view! { <span class="badge">{label}</span> }
    });
    view! {
        // live.js keeps the name and the count up to date by the list's id.
        <li data-list=list.id.to_string()>
            <a href=href aria-current=current.then_some("page")>
                <span class="list-name">{list.name}</span>
                {shared}
                <span class="list-open" title=open_title>
                    <span aria-hidden="true">{list.open}</span>
                    <span class="visually-hidden">{open}</span>
                </span>
            </a>
        </li>
    }
}

/// The invitations waiting for the person's answer, each with Accept and Decline; nothing
/// when there are none.
#[component]
pub fn PendingInvitations() -> impl IntoView {
    let invitations = Resource::new(|| (), |_| list_invitations());
    view! {
        <Suspense>
            {Suspend::new(async move {
                let invitations = invitations.await.map(|page| page.invitations).unwrap_or_default();
                (!invitations.is_empty())
                    .then(|| {
                        view! {
                            <section class="card invitations" aria-labelledby="invitations-title">
                                <h2 id="invitations-title">"Invitations"</h2>
                                <ul>
                                    {invitations
                                        .into_iter()
                                        .map(|invitation| view! { <InvitationItem invitation /> })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })
            })}
        </Suspense>
    }
}

#[component]
fn InvitationItem(invitation: Invitation) -> impl IntoView {
    let id = invitation.id.to_string();
    let who = format!("{} ({})", invitation.invited_by.name, invitation.invited_by.email);
    view! {
        <li class="invitation">
            <p>
                {who} " invited you to " <strong>{invitation.list.name}</strong>
                {format!(" as {}.", invitation.role.as_str())}
            </p>
            <div class="invitation-actions">
                <IdForm action=AcceptInvitation::url() id=id.clone() button="Accept" class="button-primary" />
                <IdForm action=DeclineInvitation::url() id button="Decline" class="" />
            </div>
        </li>
    }
}

/// A form of one button that posts an `id` to `action`.
#[component]
fn IdForm(action: &'static str, id: String, button: &'static str, class: &'static str) -> impl IntoView {
    view! {
        <form action=action method="post">
            <input type="hidden" name="id" value=id />
            <button type="submit" class=class>
                {button}
            </button>
        </form>
    }
}
