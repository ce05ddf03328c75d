-- The trash: a deleted list keeps its rows, marked with when and by whom, until it is
-- restored or purged 30 days later; a deleted task moves to `trashed_tasks` (so that the task
-- table, its indexes and counts hold live tasks only). Trashed tasks still count towards
-- their creator's cap, or emptying a list into the trash would make room without limit.
alter table lists add column deleted_at integer;
alter table lists add column deleted_by blob references users (id) on delete set null;

create index lists_deleted on lists (deleted_at) where deleted_at is not null;

create table trashed_tasks (
    id blob primary key not null,
    list_id blob not null references lists (id) on delete cascade,
    created_by blob references users (id) on delete set null,
    assignee_id blob references users (id) on delete set null,
    title text not null,
    description text not null,
    completed integer not null,
    priority integer not null,
    due_date text,
    tags text not null,
    search text not null,
    title_key text not null,
    created_at integer not null,
    updated_at integer not null,
    completed_at integer,
    deleted_at integer not null,
    deleted_by blob references users (id) on delete set null
) strict;

create index trashed_tasks_list on trashed_tasks (list_id, deleted_at, id);
create index trashed_tasks_deleted_at on trashed_tasks (deleted_at);
create index trashed_tasks_deleted_by on trashed_tasks (deleted_by, deleted_at);
create index trashed_tasks_created_by on trashed_tasks (created_by);
create index trashed_tasks_assignee on trashed_tasks (assignee_id);

create trigger trashed_tasks_insert after insert on trashed_tasks begin
    update creator_counts set total = total + 1 where user_id = new.created_by;
end;

create trigger trashed_tasks_delete after delete on trashed_tasks begin
    update creator_counts set total = total - 1 where user_id = old.created_by;
end;
