//! `/lists/{id}`: a list's settings and sharing. Its members and their roles, and for its
//! owner: renaming, inviting by email, changing roles (handing the list over), removing
//! members, the pending invitations, and moving the list to the trash. Others may leave it.
//!
//! Server-rendered, every action a plain form: the browser comes back to this page with the
//! list as it is now (or with the error, in the URL).

use leptos::{either::Either, prelude::*, server_fn::ServerFn};

use super::IdForm;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::super::{
    DeleteList, InviteMember, LeaveList, List, ListId, Member, Members, RemoveMember, RenameList, Role, SentInvitation,
    SetListReminders, SetRole, limits, list_lists, list_members,
};
use crate::{
    auth::ui::with_user,
    error::AppError,
    ui::{encode_component, error_text, posted_error, textarea_text},
};

/// `/lists/{id}`.
#[component]
pub fn ListSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    view! {
        {with_user(move |user| {
            let zone = user.time_zone;
            let id = params.read_untracked().get("id").unwrap_or_default();
            let ours = [
                RenameList::url(),
                InviteMember::url(),
                SetRole::url(),
                RemoveMember::url(),
                LeaveList::url(),
                DeleteList::url(),
                SetListReminders::url(),
            ];
            let notice = posted_error(&query.read_untracked(), &ours, field_hint).map(|e| error_text(&e));
            let page = Resource::new(move || id.clone(), load);
            view! {
                <Suspense fallback=|| {
                    view! { <p class="loading">"Loading the list…"</p> }
                }>
                    {Suspend::new(async move {
                        match page.await {
                            Ok((list, members)) => Either::Left(view! { <Settings list members notice zone /> }),
                            Err(error) => Either::Right(view! { <Missing error /> }),
                        }
                    })}
                </Suspense>
            }
        })}
    }
}

async fn load(id: String) -> Result<(List, Members), AppError> {
    let members = list_members(ListId { id: id.clone() }).await?;
    let list = list_lists().await?.lists.into_iter().find(|l| l.id.to_string() == id).ok_or(AppError::NotFound)?;
    Ok((list, members))
}

/// What the page says of a field the server refused, when the error came in the URL.
fn field_hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "A list needs a name of at most 100 characters.",
        "email" => "That is not an email this list can invite.",
        "role" => "The role is editor or viewer (or owner, to hand the list over).",
        "user_id" => "This person is not a member of the list.",
        "id" => "That cannot be done with this list.",
        _ => return None,
    })
}

#[component]
fn Missing(error: AppError) -> impl IntoView {
    let message = match error {
        AppError::NotFound => {
            "This list is not one of yours: it does not exist, it is in the trash, or you are no longer a member."
                .to_owned()
        }
        other => error_text(&other),
    };
    view! {
        <Title text="List not found" />
        <section class="card" role="alert">
            <h1>"List not found"</h1>
            <p>{message}</p>
            <p>
                <a href="/tasks">"Back to your tasks"</a>
                " · "
                <a href="/trash">"Trash"</a>
            </p>
        </section>
    }
}

#[component]
fn Settings(list: List, members: Members, notice: Option<String>, zone: String) -> impl IntoView {
    let owner = list.role == Role::Owner;
    let shareable = owner && !list.inbox;
    let id = list.id.to_string();
    let tasks_href = format!("/tasks?list={}", encode_component(&id));
    let history_href = format!("/lists/{id}/history");
    let you_are = match list.role {
        Role::Owner => "You own this list.",
        Role::Editor => "You are an editor: you may add, change and delete its tasks.",
        Role::Viewer => "You are a viewer: you may read its tasks.",
    };
    view! {
        <Title text=textarea_text(&list.name) />
        <section class="card list-settings">
            <p class="breadcrumb">
                <a href=tasks_href>{format!("← Tasks of {}", list.name)}</a>
            </p>
            <h1>{list.name.clone()}</h1>
            <p class="hint">{you_are} " " <a href=history_href>"History"</a></p>
            {notice
                .map(|message| {
                    view! {
                        <p class="form-error" role="alert">
                            {message}
                        </p>
                    }
                })}
            {list
                .inbox
                .then(|| {
                    view! { <p>"Your Inbox is yours alone: it cannot be shared, renamed or deleted."</p> }
                })}
            {shareable.then(|| view! { <RenameForm id=id.clone() name=list.name.clone() /> })}
            {(!list.inbox).then(|| view! { <RemindersForm id=id.clone() enabled=list.reminders /> })}
        </section>
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">{format!("Members ({})", members.members.len())}</h2>
            <ul class="members">
                {members
                    .members
                    .into_iter()
                    .map(|member| view! { <MemberRow list=id.clone() member manage=owner /> })
                    .collect_view()}
            </ul>
            {shareable.then(|| view! { <Invitations list=id.clone() sent=members.invitations zone=zone.clone() /> })}
        </section>
        {if owner {
            (!list.inbox)
                .then(|| {
                    let hint = "The list and its tasks go to the trash, where you can restore them for 30 days. \
                                Its members no longer see it meanwhile.";
                    view! {
                        <EndSection
                            heading="Delete this list"
                            hint
                            action=DeleteList::url()
                            id=id.clone()
                            button="Move to the trash"
                        />
                    }
                })
        } else {
            let hint = "You will no longer see its tasks, and the ones assigned to you are unassigned.";
            Some(
                view! {
                    <EndSection
                        heading="Leave this list"
                        hint
                        action=LeaveList::url()
                        id=id.clone()
                        button="Leave the list"
                    />
                },
            )
        }}
    }
}

/// Deleting or leaving the list: a heading, what it means, and its button.
#[component]
fn EndSection(
    heading: &'static str,
    hint: &'static str,
    action: &'static str,
    id: String,
    button: &'static str,
) -> impl IntoView {
    view! {
        <section class="card danger-zone" aria-label=heading>
            <h2>{heading}</h2>
            <p class="hint">{hint}</p>
            <IdForm action id button class="button-danger" />
        </section>
    }
}

/// Whether the person hears the reminders of the list's tasks nobody is assigned to.
#[component]
fn RemindersForm(id: String, enabled: bool) -> impl IntoView {
    view! {
        <form class="inline-form reminders-form" action=SetListReminders::url() method="post">
            <input type="hidden" name="id" value=id />
            <label>
                <input type="checkbox" name="enabled" value="true" checked=enabled />
                " Remind me of tasks nobody is assigned to"
            </label>
            <button type="submit">"Save"</button>
            <p class="hint">"The reminders of a task assigned to someone go to them."</p>
        </form>
    }
}

#[component]
fn RenameForm(id: String, name: String) -> impl IntoView {
    view! {
        <form class="inline-form" action=RenameList::url() method="post">
            <input type="hidden" name="id" value=id />
            <div class="field">
                <label for="list-name">"Name"</label>
                <input
                    id="list-name"
                    name="name"
                    type="text"
                    required
                    maxlength=limits::NAME_MAX
                    autocomplete="off"
                    value=name
                />
            </div>
            <button type="submit">"Rename"</button>
        </form>
    }
}

/// One member: name, email and role; for the owner, a role picker and Remove.
#[component]
fn MemberRow(list: String, member: Member, manage: bool) -> impl IntoView {
    let controls = (manage && member.role != Role::Owner).then(|| {
        let user_id = member.id.to_string();
        let select_id = format!("role-{user_id}");
        let label = format!("Role of {}", member.name);
        let remove_label = format!("Remove {}", member.name);
        view! {
            <div class="member-actions">
                <form class="inline-form" action=SetRole::url() method="post">
                    <input type="hidden" name="id" value=list.clone() />
                    <input type="hidden" name="user_id" value=user_id.clone() />
                    <label class="visually-hidden" for=select_id.clone()>
                        {label}
                    </label>
                    <select id=select_id name="role">
                        <option value="editor" selected=member.role == Role::Editor>
                            "Editor"
                        </option>
                        <option value="viewer" selected=member.role == Role::Viewer>
                            "Viewer"
                        </option>
                        <option value="owner">"Owner (hand the list over)"</option>
                    </select>
                    <button type="submit">"Change"</button>
                </form>
                <form action=RemoveMember::url() method="post">
                    <input type="hidden" name="id" value=list />
                    <input type="hidden" name="user_id" value=user_id />
                    <button type="submit" class="button-quiet" aria-label=remove_label>
                        "Remove"
                    </button>
                </form>
            </div>
        }
    });
    view! {
        <li class="member">
            <div>
                <span class="member-name">{member.name}</span>
                " "
                <span class="hint">{member.email}</span>
                " "
                <span class="badge">{member.role.as_str()}</span>
            </div>
            {controls}
        </li>
    }
}

/// The owner's pending invitations and the form for a new one.
#[component]
fn Invitations(list: String, sent: Vec<SentInvitation>, zone: String) -> impl IntoView {
    let pending = (!sent.is_empty()).then(|| {
        view! {
            <h3>"Invited"</h3>
            <ul class="members">
                {sent
                    .into_iter()
                    .map(|invitation| {
                        let day = crate::zone::day_in(&invitation.created_at, &zone);
                        view! {
                            <li class="member">
                                <div>
                                    <span>{invitation.email}</span>
                                    " "
                                    <span class="badge">{invitation.role.as_str()}</span>
                                </div>
                                <span class="hint">"invited " <time datetime=day.clone()>{day.clone()}</time></span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        {pending}
        <h3>"Invite someone"</h3>
        <form class="invite-form" action=InviteMember::url() method="post">
            <input type="hidden" name="id" value=list />
            <div class="field">
                <label for="invite-email">"Email"</label>
                <input id="invite-email" name="email" type="email" required autocomplete="off" />
            </div>
            <div class="field">
                <label for="invite-role">"Role"</label>
                <select id="invite-role" name="role">
                    <option value="editor">"Editor: adds and changes tasks"</option>
                    <option value="viewer">"Viewer: reads only"</option>
                </select>
            </div>
            <button type="submit" class="button-primary">
                "Invite"
            </button>
            <p class="hint">"They see the invitation once they log in (or sign up) with this email."</p>
        </form>
    }
}
