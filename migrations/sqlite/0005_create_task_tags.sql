-- One row per tag of a task, for filtering by tag and counting tags with an index.
create table task_tags (
    user_id blob not null,
    tag text not null,
    task_id blob not null references tasks (id) on delete cascade,
    primary key (user_id, tag, task_id)
) strict, without rowid;

create index task_tags_task_id on task_tags (task_id);
