-- Tasks, with an index per way the list is sorted (each led by the owner, so no query
-- ever reads another user's rows). `search` and `title_key` are derived by the app.
create table tasks (
    id blob primary key not null,
    user_id blob not null references users (id) on delete cascade,
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
    completed_at integer
) strict;

create index tasks_user_created on tasks (user_id, created_at, id);
create index tasks_user_status on tasks (user_id, completed, created_at, id);
create index tasks_user_updated on tasks (user_id, updated_at, id);
create index tasks_user_due on tasks (user_id, due_date, id);
create index tasks_user_priority on tasks (user_id, priority, id);
create index tasks_user_title on tasks (user_id, title_key, id);
