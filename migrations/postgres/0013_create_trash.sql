-- The trash: a deleted list keeps its rows, marked with when and by whom, until it is
-- restored or purged 30 days later; a deleted task moves to `trashed_tasks` (so that the task
-- table, its indexes and counts hold live tasks only). Trashed tasks still count towards
-- their creator's cap, or emptying a list into the trash would make room without limit.
alter table lists add column deleted_at timestamptz;
alter table lists add column deleted_by uuid references users (id) on delete set null;

create index lists_deleted on lists (deleted_at) where deleted_at is not null;

create table trashed_tasks (
    id uuid primary key,
    list_id uuid not null references lists (id) on delete cascade,
    created_by uuid references users (id) on delete set null,
    assignee_id uuid references users (id) on delete set null,
    title text not null,
    description text not null,
    completed boolean not null,
    priority smallint not null,
    due_date date,
    tags text not null,
    search text not null,
    title_key text collate "C" not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    completed_at timestamptz,
    deleted_at timestamptz not null,
    deleted_by uuid references users (id) on delete set null
);

create index trashed_tasks_list on trashed_tasks (list_id, deleted_at, id);
create index trashed_tasks_deleted_at on trashed_tasks (deleted_at);
create index trashed_tasks_deleted_by on trashed_tasks (deleted_by, deleted_at);
create index trashed_tasks_created_by on trashed_tasks (created_by);
create index trashed_tasks_assignee on trashed_tasks (assignee_id);

create function trashed_tasks_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        update creator_counts set total = total + 1 where user_id = new.created_by;
    else
        update creator_counts set total = total - 1 where user_id = old.created_by;
    end if;
    return null;
end;
$$;

create trigger trashed_tasks_track after insert or delete on trashed_tasks
    for each row execute function trashed_tasks_track();
