//! `/notifications`: a person's notifications, newest first, each with Mark read, and Mark all
//! read; the header's link with the unread count ([`UnreadLink`]). Server-rendered, every
//! action a plain form. The browser's desktop notifications come from `/notify.js`, a small
//! script of its own rather than an island: it only polls the list and shows what is new, and
//! the task page's WASM has no room to spare.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Notification, NotificationQuery, Notifications, ReadNotifications, list_notifications};
use crate::{
    auth::ui::with_user,
    dates::machine_of,
    ui::{Alert, encode_component, error_text, posted_error},
    zone::minute_in,
};

/// The header's link to `/notifications`, with the unread count when there is one.
#[component]
pub fn UnreadLink(unread: i64) -> impl IntoView {
    let shown =
        if unread >= super::UNREAD_COUNTED { format!("{}+", super::UNREAD_COUNTED - 1) } else { unread.to_string() };
    // The count's words are part of the link's text (hidden from sight), so that its name
    // holds what it shows.
    view! {
        <a href="/notifications" class="notifications-link">
            "Notifications"
            <span class="unread-count" hidden=unread == 0>
                <span class="unread-number">{shown}</span>
                <span class="visually-hidden">" unread"</span>
            </span>
        </a>
    }
}

/// `/notifications`.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let query = use_query_map();
    view! {
        <Title text="Notifications" />
        {with_user(move |user| {
            let zone = user.time_zone;
            let params = query.read_untracked();
            let notice = posted_error(&params, &[ReadNotifications::url()], |_| None).map(|e| error_text(&e));
            let asked = NotificationQuery {
                unread: params.get("unread"),
                limit: None,
                before: params.get("before"),
            };
            let unread_only = asked.unread.as_deref() == Some("true");
            let page = Resource::new(|| (), move |_| list_notifications(asked.clone()));
            view! {
                <section class="card notifications">
                    <p class="breadcrumb">
                        <a href="/tasks">"← Tasks"</a>
                    </p>
                    <h1>"Notifications"</h1>
                    <p class="hint">
                        "Reminders of your tasks come here, and by email when the server sends email. \
                         In a shared list you hear of the tasks assigned to you, and of the unassigned ones \
                         if you chose to in the list's settings."
                    </p>
                    <p class="desktop-notifications" hidden>
                        <button type="button" id="desktop-notifications">
                            "Show them on this device too"
                        </button>
                        <span class="hint" id="desktop-notifications-state"></span>
                    </p>
                    {notice.map(|message| view! { <Alert message /> })}
                    <nav class="notification-filter" aria-label="Which notifications">
                        <a href="/notifications" aria-current=(!unread_only).then_some("page")>
                            "All"
                        </a>
                        <a href="/notifications?unread=true" aria-current=unread_only.then_some("page")>
                            "Unread"
                        </a>
                    </nav>
                    <Suspense fallback=|| {
                        view! { <p class="loading">"Loading…"</p> }
                    }>
                        {Suspend::new(async move {
                            match page.await {
                                Ok(page) => Either::Left(view! { <Contents page zone unread_only /> }),
                                Err(error) => Either::Right(view! { <Alert message=error_text(&error) /> }),
                            }
                        })}
                    </Suspense>
                </section>
            }
        })}
    }
}

#[component]
fn Contents(page: Notifications, zone: String, unread_only: bool) -> impl IntoView {
    if page.notifications.is_empty() {
        let text = if unread_only { "Nothing unread." } else { "No notifications yet." };
        return Either::Left(view! { <p>{text}</p> });
    }
    let more = page.next_before.map(|before| {
        let href = format!(
            "/notifications?before={}{}",
            encode_component(&before.to_string()),
            if unread_only { "&unread=true" } else { "" }
        );
        view! {
            <p>
                <a href=href>"Older"</a>
            </p>
        }
    });
    let mark_all = (page.unread > 0).then(|| {
        view! {
            <form action=ReadNotifications::url() method="post" class="mark-all-read">
                <input type="hidden" name="all" value="true" />
                <button type="submit">"Mark all read"</button>
            </form>
        }
    });
    Either::Right(view! {
        {mark_all}
        <ul class="notification-items">
            {page.notifications.into_iter().map(|n| view! { <Item n zone=zone.clone() /> }).collect_view()}
        </ul>
        {more}
    })
}

#[component]
fn Item(n: Notification, zone: String) -> impl IntoView {
    let due = match (n.due_date, n.due_time) {
        (Some(date), Some(time)) => format!("due {date} at {:02}:{:02}", time.hour(), time.minute()),
        (Some(date), None) => format!("due {date}"),
        _ => String::new(),
    };
    let (machine, shown) = (machine_of(&n.remind_at), minute_in(&n.remind_at, &zone));
    let list_href = n.list_id.map(|list| format!("/tasks?list={}", encode_component(&list.to_string())));
    let title = n.title.clone();
    let mark = (!n.read).then(|| {
        view! {
            <form action=ReadNotifications::url() method="post">
                <input type="hidden" name="id" value=n.id.to_string() />
                <button type="submit" class="button-quiet" aria-label=format!("Mark read: {title}")>
                    "Mark read"
                </button>
            </form>
        }
    });
    view! {
        <li class:unread=!n.read>
            <div>
                <strong>{n.title}</strong>
                {(!n.read).then(|| view! { <span class="badge">"new"</span> })}
                <span class="hint">
                    {format!(" Reminder, {}", n.reminder_text)} {(!due.is_empty()).then(|| format!(", {due}"))} ". "
                    <time datetime=machine>{shown}</time>
                    {n.late.then_some(" (late: the server was not running at the time)")}
                </span>
                {list_href.map(|href| view! { <a href=href>"Open the list"</a> })}
            </div>
            {mark}
        </li>
    }
}
