-- Scale: every view of a 100,000-task account reads work proportional to its page, not to
-- the account (issue 18).
--
-- 1. Each sort's index leads with the list and then the completion, so that the open and the
--    completed tasks of a list are each a range of it, read in order. "All" merges the two
--    ranges (see `tasks::store::listing`).
-- 2. Search reads a pg_trgm GIN index of `search` (a trusted extension: the database's owner
--    may create it).
-- 3. The derived counts and tags are kept by statement-level triggers, which see every row a
--    statement changed at once. Row-level ones updated the same `list_counts` row once per
--    task: completing 99,000 tasks in one statement made 99,000 versions of that row, each
--    found by walking the ones before it, and ran past the request timeout.
drop index tasks_list_created;
drop index tasks_list_updated;
drop index tasks_list_due_asc;
drop index tasks_list_due_desc;
drop index tasks_list_priority;
drop index tasks_list_title;

create index tasks_list_created on tasks (list_id, completed, created_at, id);
create index tasks_list_updated on tasks (list_id, completed, updated_at, id);
create index tasks_list_due_asc on tasks (list_id, completed, (due_date is null), due_date, id);
create index tasks_list_due_desc on tasks (list_id, completed, (due_date is not null), due_date, id);
create index tasks_list_priority on tasks (list_id, completed, priority, id);
create index tasks_list_title on tasks (list_id, completed, title_key, id);

-- "Assigned to me", read by list and completion like the rest.
drop index tasks_assignee;
create index tasks_assignee on tasks (assignee_id, list_id, completed, created_at, id);

create extension if not exists pg_trgm;
create index tasks_search on tasks using gin (search gin_trgm_ops);

drop trigger tasks_track on tasks;
drop trigger task_tags_insert on tasks;
drop trigger task_tags_update on tasks;
drop trigger tag_counts_track on task_tags;
drop trigger trashed_tasks_track on trashed_tasks;
drop function tasks_track();
drop function task_tags_follow();
drop function tag_counts_track();
drop function trashed_tasks_track();

create function tasks_inserted() returns trigger language plpgsql as $$
begin
    update list_counts c set total = c.total + d.total, completed = c.completed + d.completed
    from (select list_id, count(*) as total, count(*) filter (where completed) as completed
          from new_rows group by list_id) d
    where c.list_id = d.list_id;
    update creator_counts c set total = c.total + d.total
    from (select created_by, count(*) as total from new_rows where created_by is not null group by created_by) d
    where c.user_id = d.created_by;
    insert into task_tags (list_id, tag, task_id)
    select n.list_id, tag, n.id from new_rows n, unnest(string_to_array(n.tags, ',')) as tag where tag <> '';
    return null;
end;
$$;

create trigger tasks_inserted after insert on tasks referencing new table as new_rows
    for each statement execute function tasks_inserted();

create function tasks_deleted() returns trigger language plpgsql as $$
begin
    update list_counts c set total = c.total - d.total, completed = c.completed - d.completed
    from (select list_id, count(*) as total, count(*) filter (where completed) as completed
          from old_rows group by list_id) d
    where c.list_id = d.list_id;
    update creator_counts c set total = c.total - d.total
    from (select created_by, count(*) as total from old_rows where created_by is not null group by created_by) d
    where c.user_id = d.created_by;
    return null;
end;
$$;

create trigger tasks_deleted after delete on tasks referencing old table as old_rows
    for each statement execute function tasks_deleted();

-- A task that moved or changed its completion leaves its old list's counts and joins its
-- new one's (the same list, for a completion); one that moved or was retagged gets its tags
-- anew.
create function tasks_updated() returns trigger language plpgsql as $$
begin
    update list_counts c set total = c.total + d.total, completed = c.completed + d.completed
    from (select list_id, sum(total) as total, sum(completed) as completed from (
              select o.list_id, -1 as total, -(o.completed::int) as completed
              from old_rows o join new_rows n on n.id = o.id
              where n.list_id <> o.list_id or n.completed <> o.completed
              union all
              select n.list_id, 1, n.completed::int
              from old_rows o join new_rows n on n.id = o.id
              where n.list_id <> o.list_id or n.completed <> o.completed
          ) changes group by list_id) d
    where c.list_id = d.list_id and (d.total <> 0 or d.completed <> 0);
    delete from task_tags g using old_rows o join new_rows n on n.id = o.id
    where g.task_id = o.id and (n.tags <> o.tags or n.list_id <> o.list_id);
    insert into task_tags (list_id, tag, task_id)
    select n.list_id, tag, n.id
    from old_rows o join new_rows n on n.id = o.id, unnest(string_to_array(n.tags, ',')) as tag
    where tag <> '' and (n.tags <> o.tags or n.list_id <> o.list_id);
    return null;
end;
$$;

create trigger tasks_updated after update on tasks referencing old table as old_rows new table as new_rows
    for each statement execute function tasks_updated();

create function task_tags_inserted() returns trigger language plpgsql as $$
begin
    insert into tag_counts (list_id, tag, count)
    select list_id, tag, count(*) from new_rows group by list_id, tag
    on conflict (list_id, tag) do update set count = tag_counts.count + excluded.count;
    return null;
end;
$$;

create trigger task_tags_inserted after insert on task_tags referencing new table as new_rows
    for each statement execute function task_tags_inserted();

create function task_tags_deleted() returns trigger language plpgsql as $$
begin
    update tag_counts c set count = c.count - d.count
    from (select list_id, tag, count(*) as count from old_rows group by list_id, tag) d
    where c.list_id = d.list_id and c.tag = d.tag;
    delete from tag_counts c using (select distinct list_id, tag from old_rows) d
    where c.list_id = d.list_id and c.tag = d.tag and c.count <= 0;
    return null;
end;
$$;

create trigger task_tags_deleted after delete on task_tags referencing old table as old_rows
    for each statement execute function task_tags_deleted();

create function trashed_tasks_inserted() returns trigger language plpgsql as $$
begin
    update creator_counts c set total = c.total + d.total
    from (select created_by, count(*) as total from new_rows where created_by is not null group by created_by) d
    where c.user_id = d.created_by;
    return null;
end;
$$;

create trigger trashed_tasks_inserted after insert on trashed_tasks referencing new table as new_rows
    for each statement execute function trashed_tasks_inserted();

create function trashed_tasks_deleted() returns trigger language plpgsql as $$
begin
    update creator_counts c set total = c.total - d.total
    from (select created_by, count(*) as total from old_rows where created_by is not null group by created_by) d
    where c.user_id = d.created_by;
    return null;
end;
$$;

create trigger trashed_tasks_deleted after delete on trashed_tasks referencing old table as old_rows
    for each statement execute function trashed_tasks_deleted();
