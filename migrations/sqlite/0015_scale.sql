-- Scale: every view of a 100,000-task account reads work proportional to its page, not to
-- the account (issue 18).
--
-- 1. The task table is rebuilt with an integer key `n`, an alias of the rowid: stable, where
--    SQLite may renumber an implicit rowid in a VACUUM. The search index refers to it; `id`
--    stays the task's identity everywhere else (`tasks_id`, the unique index the old primary
--    key had, so a write costs what it did).
-- 2. Each sort's index leads with the list and then the completion, so that the open and the
--    completed tasks of a list are each a range of it, read in order: a person with 99,000
--    completed tasks reads their 50 open ones without skipping the others. "All" merges the
--    two ranges (see `tasks::store::listing`).
-- 3. Search reads an FTS5 trigram index of `search` (kept by triggers), whose candidates the
--    query then checks for the exact substring, as before.
drop trigger tag_counts_insert;
drop trigger tag_counts_delete;
drop table task_tags;

create table tasks_keyed (
    n integer primary key,
    id blob not null,
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
    completed_at integer
) strict;

insert into tasks_keyed (id, list_id, created_by, assignee_id, title, description, completed, priority, due_date,
    tags, search, title_key, created_at, updated_at, completed_at)
select id, list_id, created_by, assignee_id, title, description, completed, priority, due_date,
    tags, search, title_key, created_at, updated_at, completed_at
from tasks order by created_at, id;

-- Drops the old table's triggers and indexes with it (none of them fires).
drop table tasks;
alter table tasks_keyed rename to tasks;

-- Trigrams of the lower-cased title and description, with row ids only (`detail = none`:
-- a third of the size of positions); the query asks for every trigram of the text searched
-- and checks each candidate for the substring itself. `case_sensitive 1`: the column is
-- lower-cased already, by the same Rust code that lower-cases the query.
create virtual table tasks_search using fts5 (
    search, content = 'tasks', content_rowid = 'n', tokenize = 'trigram case_sensitive 1', detail = none
);

insert into tasks_search (tasks_search) values ('rebuild');

-- How many tasks hold each trigram, across accounts: a search reads the index only for text
-- with a rare trigram, and otherwise reads the lists in view, which is then cheaper.
create virtual table tasks_search_terms using fts5vocab (tasks_search, row);

create unique index tasks_id on tasks (id);
create index tasks_list_created on tasks (list_id, completed, created_at, id);
create index tasks_list_updated on tasks (list_id, completed, updated_at, id);
create index tasks_list_due_asc on tasks (list_id, completed, (due_date is null), due_date, id);
create index tasks_list_due_desc on tasks (list_id, completed, (due_date is not null), due_date, id);
create index tasks_list_priority on tasks (list_id, completed, priority, id);
create index tasks_list_title on tasks (list_id, completed, title_key, id);
create index tasks_assignee on tasks (assignee_id, list_id, completed, created_at, id);
create index tasks_created_by on tasks (created_by);

create table task_tags (
    list_id blob not null,
    tag text not null,
    task_id blob not null references tasks (id) on delete cascade,
    primary key (list_id, tag, task_id)
) strict, without rowid;

create index task_tags_task_id on task_tags (task_id);

-- The same rows as before (tag_counts is left as it is: its counts do not change).
insert into task_tags (list_id, tag, task_id)
select t.list_id, j.value, t.id from tasks t, json_each('["' || replace(t.tags, ',', '","') || '"]') j
where t.tags <> '';

create trigger tasks_insert after insert on tasks begin
    update list_counts set total = total + 1, completed = completed + new.completed where list_id = new.list_id;
    update creator_counts set total = total + 1 where user_id = new.created_by;
    insert into task_tags (list_id, tag, task_id)
    select new.list_id, value, new.id from json_each('["' || replace(new.tags, ',', '","') || '"]')
    where new.tags <> '';
    insert into tasks_search (rowid, search) values (new.n, new.search);
end;

create trigger tasks_delete after delete on tasks begin
    update list_counts set total = total - 1, completed = completed - old.completed where list_id = old.list_id;
    update creator_counts set total = total - 1 where user_id = old.created_by;
    insert into tasks_search (tasks_search, rowid, search) values ('delete', old.n, old.search);
end;

create trigger tasks_complete after update of completed on tasks
when old.completed <> new.completed and old.list_id = new.list_id begin
    update list_counts set completed = completed + new.completed - old.completed where list_id = new.list_id;
end;

create trigger tasks_move after update of list_id on tasks when old.list_id <> new.list_id begin
    update list_counts set total = total - 1, completed = completed - old.completed where list_id = old.list_id;
    update list_counts set total = total + 1, completed = completed + new.completed where list_id = new.list_id;
end;

create trigger tasks_retag after update of tags, list_id on tasks
when new.tags <> old.tags or new.list_id <> old.list_id begin
    delete from task_tags where task_id = old.id;
    insert into task_tags (list_id, tag, task_id)
    select new.list_id, value, new.id from json_each('["' || replace(new.tags, ',', '","') || '"]')
    where new.tags <> '';
end;

create trigger tasks_search_update after update of search on tasks when new.search <> old.search begin
    insert into tasks_search (tasks_search, rowid, search) values ('delete', old.n, old.search);
    insert into tasks_search (rowid, search) values (new.n, new.search);
end;

create trigger tag_counts_insert after insert on task_tags begin
    insert into tag_counts (list_id, tag, count) values (new.list_id, new.tag, 1)
        on conflict (list_id, tag) do update set count = count + 1;
end;

create trigger tag_counts_delete after delete on task_tags begin
    update tag_counts set count = count - 1 where list_id = old.list_id and tag = old.tag;
    delete from tag_counts where list_id = old.list_id and tag = old.tag and count <= 0;
end;
