-- The change feed (#20): every change a person may see, numbered in the order it was
-- committed, for the live stream (`GET /api/events`). Rows are written by triggers, in the
-- transaction of the change itself, so the feed never shows a change that was rolled back
-- nor misses one that was committed:
-- - a list's history (`list_events`: tasks, members, the list itself) is copied here, seen by
--   the list's members as they are when it is read, and by the member it happened to;
-- - a person's notifications (made, read);
-- - a session or API token that ends (logout, revocation, expiry), or an account disabled,
--   which closes its streams.
-- `seq` never goes back (AUTOINCREMENT, and a rolled-back transaction gives its numbers back):
-- a stream resumes after the last number it saw. Kept 8 days (housekeeping); the newest row
-- always stays. `user_id` is whom a row is for besides a list's members; `object_id` is the
-- task, member, notification or credential it is about.
create table changes (
    seq integer primary key autoincrement,
    at integer not null,
    kind text not null,
    list_id blob,
    user_id blob,
    object_id blob,
    detail text
) strict;

create index changes_list on changes (list_id, seq) where list_id is not null;
create index changes_user on changes (user_id, seq) where user_id is not null;
create index changes_at on changes (at);

create trigger list_events_feed after insert on list_events begin
    insert into changes (at, kind, list_id, user_id, object_id, detail)
    values (new.at, new.kind, new.list_id,
        case when new.kind in ('member_removed', 'role_changed') then new.member_id
             when new.kind = 'member_left' then new.actor_id end,
        coalesce(new.task_id, new.member_id, case when new.kind in ('member_joined', 'member_left') then new.actor_id end),
        new.detail);
end;

create trigger notifications_feed_insert after insert on notifications begin
    insert into changes (at, kind, user_id, object_id) values (new.created_at, 'notification_created', new.user_id, new.id);
end;

create trigger notifications_feed_read after update of read_at on notifications
when old.read_at is null and new.read_at is not null begin
    insert into changes (at, kind, user_id, object_id) values (new.read_at, 'notification_read', new.user_id, new.id);
end;

create trigger sessions_feed after delete on sessions begin
    insert into changes (at, kind, user_id, object_id)
    values (cast(unixepoch('subsec') * 1000000 as integer), 'credential_ended', old.user_id, old.id);
end;

create trigger api_tokens_feed after delete on api_tokens begin
    insert into changes (at, kind, user_id, object_id)
    values (cast(unixepoch('subsec') * 1000000 as integer), 'credential_ended', old.user_id, old.id);
end;

create trigger users_feed_disabled after update of disabled_at on users
when old.disabled_at is null and new.disabled_at is not null begin
    insert into changes (at, kind, user_id) values (cast(unixepoch('subsec') * 1000000 as integer), 'account_disabled', new.id);
end;

-- The live streams open on every server, so that a person has at most ten in all. Each
-- server marks its own as alive every 20 s (`seen_at`); a row not marked for a minute is a
-- crashed server's and counts no more.
create table event_streams (
    id blob primary key not null,
    user_id blob not null references users (id) on delete cascade,
    server blob not null,
    seen_at integer not null
) strict;

create index event_streams_user on event_streams (user_id, seen_at);
create index event_streams_server on event_streams (server);
