//! The lists beside the task board: the views (all lists, assigned to me), the Inbox and the
//! person's other lists with their open counts, a form for a new list, and the invitations
//! waiting for an answer.
//!
//! Server-rendered HTML, not an island: every entry is a link to the task page's URL for it
//! and every action a plain form, so they cost the WASM nothing and work without it.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;

use super::{
    AcceptInvitation, CreateList, DeclineInvitation, Invitation, List, Role, limits, list_invitations, list_lists,
};
use crate::ui::encode_component;

/// The sidebar of `/tasks`: a navigation of the person's lists (a row of links on narrow
/// screens) and the form for a new one.
#[component]
pub fn ListsSidebar() -> impl IntoView {
    let query = use_query_map();
    let (current_list, current_assignee) = {
        let query = query.read_untracked();
        (query.get("list").unwrap_or_default(), query.get("assignee").unwrap_or_default())
    };
    let lists = Resource::new(|| (), |_| list_lists());
    view! {
        <nav class="sidebar card" aria-label="Lists">
            <h2 class="sidebar-title">"Lists"</h2>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading your lists…"</p> }
            }>
                {Suspend::new(async move {
                    let lists = lists.await.map(|page| page.lists).unwrap_or_default();
                    let everything = current_list.is_empty() && current_assignee.is_empty();
                    let mine = current_list.is_empty() && current_assignee == "me";
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
                        </ul>
                    }
                })}
            </Suspense>
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
            if list.role == Role::Owner { "shared".to_owned() } else { format!("shared, {}", role_name(list.role)) };
        view! { <span class="badge">{label}</span> }
    });
    view! {
        <li>
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

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Editor => "editor",
        Role::Viewer => "viewer",
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
                {format!(" as {}.", role_name(invitation.role))}
            </p>
            <div class="invitation-actions">
                <form action=AcceptInvitation::url() method="post">
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class="button-primary">
                        "Accept"
                    </button>
                </form>
                <form action=DeclineInvitation::url() method="post">
                    <input type="hidden" name="id" value=id />
                    <button type="submit">"Decline"</button>
                </form>
            </div>
        </li>
    }
}
