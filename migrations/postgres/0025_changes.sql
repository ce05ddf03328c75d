-- The change feed (#20): every change a person may see, numbered in the order it was
-- committed, for the live stream (`GET /api/events`). Rows are written by triggers, in the
-- transaction of the change itself, so the feed never shows a change that was rolled back
-- nor misses one that was committed:
-- - a list's history (`list_events`: tasks, members, the list itself) is copied here, seen by
--   the list's members as they are when it is read, and by the member it happened to;
-- - a person's notifications (made, read);
-- - a session or API token that ends (logout, revocation, expiry), or an account disabled,
--   which closes its streams.
-- Transactions commit in another order than they take identity numbers, so `seq` is given
-- after the commit: the server that wrote, once its write is done, numbers the committed rows
-- still without one, under an advisory lock, and tells the other servers the last number
-- with a NOTIFY (`live::feed::sequence`); each server also looks every second. A number, once
-- visible, is never followed by a smaller one: a stream resumes after the last number it saw.
-- (A NOTIFY from a trigger here, in every writing transaction, serialized their commits:
-- creates ran at 0.72 of their rate without the feed, `make bench-live`.) Kept 8 days (housekeeping);
-- the newest row always stays. `user_id` is whom a row is for besides a list's members;
-- `object_id` is the task, member, notification or credential it is about.
create table changes (
    id bigint generated always as identity primary key,
    seq bigint unique,
    at timestamptz not null,
    kind text not null,
    list_id uuid,
    user_id uuid,
    object_id uuid,
    detail text
);

create index changes_pending on changes (id) where seq is null;
create index changes_list on changes (list_id, seq) where list_id is not null;
create index changes_user on changes (user_id, seq) where user_id is not null;
create index changes_at on changes (at);

create function list_events_feed() returns trigger language plpgsql as $$
begin
    insert into changes (at, kind, list_id, user_id, object_id, detail)
    values (new.at, new.kind, new.list_id,
        case when new.kind in ('member_removed', 'role_changed') then new.member_id
             when new.kind = 'member_left' then new.actor_id end,
        coalesce(new.task_id, new.member_id, case when new.kind in ('member_joined', 'member_left') then new.actor_id end),
        new.detail);
    return null;
end $$;

create trigger list_events_feed after insert on list_events for each row execute function list_events_feed();

create function notifications_feed() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into changes (at, kind, user_id, object_id) values (new.created_at, 'notification_created', new.user_id, new.id);
    elsif old.read_at is null and new.read_at is not null then
        insert into changes (at, kind, user_id, object_id) values (new.read_at, 'notification_read', new.user_id, new.id);
    end if;
    return null;
end $$;

create trigger notifications_feed after insert or update of read_at on notifications
    for each row execute function notifications_feed();

create function credentials_feed() returns trigger language plpgsql as $$
begin
    insert into changes (at, kind, user_id, object_id) values (now(), 'credential_ended', old.user_id, old.id);
    return null;
end $$;

create trigger sessions_feed after delete on sessions for each row execute function credentials_feed();
create trigger api_tokens_feed after delete on api_tokens for each row execute function credentials_feed();

create function users_feed_disabled() returns trigger language plpgsql as $$
begin
    insert into changes (at, kind, user_id) values (now(), 'account_disabled', new.id);
    return null;
end $$;

create trigger users_feed_disabled after update of disabled_at on users
    for each row when (old.disabled_at is null and new.disabled_at is not null) execute function users_feed_disabled();

-- The live streams open on every server, so that a person has at most ten in all. Each
-- server marks its own as alive every 20 s (`seen_at`); a row not marked for a minute is a
-- crashed server's and counts no more.
create table event_streams (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    server uuid not null,
    seen_at timestamptz not null
);

create index event_streams_user on event_streams (user_id, seen_at);
create index event_streams_server on event_streams (server);
