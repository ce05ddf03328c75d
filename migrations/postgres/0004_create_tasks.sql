-- Tasks, with an index per way the list is sorted (each led by the owner, so no query
-- ever reads another user's rows). `search` and `title_key` are derived by the app;
-- "C" collation makes title order the same as SQLite's (code point order).
create table tasks (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
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
    completed_at timestamptz
);

create index tasks_user_created on tasks (user_id, created_at, id);
create index tasks_user_status on tasks (user_id, completed, created_at, id);
create index tasks_user_updated on tasks (user_id, updated_at, id);
create index tasks_user_due on tasks (user_id, due_date, id);
create index tasks_user_priority on tasks (user_id, priority, id);
create index tasks_user_title on tasks (user_id, title_key, id);
