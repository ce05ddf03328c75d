-- A list's history: who did what, newest first. Each change writes its events in the same
-- transaction as the change itself. The task's title is kept as it was then (the task may
-- be gone since); people are named from `users` when read, and a deleted account's events
-- stay, without it. Kept for 365 days (housekeeping).
create table list_events (
    id bigint generated always as identity primary key,
    list_id uuid not null references lists (id) on delete cascade,
    at timestamptz not null,
    actor_id uuid references users (id) on delete set null,
    kind text not null,
    task_id uuid,
    task_title text,
    member_id uuid references users (id) on delete set null,
    email text,
    detail text
);

create index list_events_list on list_events (list_id, id);
create index list_events_at on list_events (at);
create index list_events_actor on list_events (actor_id);
create index list_events_member on list_events (member_id);
