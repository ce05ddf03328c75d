-- One row per tag of a task, for filtering by tag and counting tags with an index.
create table task_tags (
    user_id uuid not null,
    tag text collate "C" not null,
    task_id uuid not null references tasks (id) on delete cascade,
    primary key (user_id, tag, task_id)
);

create index task_tags_task_id on task_tags (task_id);
