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

-- A task's old row leaves its list's counts and its new row joins its (new) list's: for a
-- task that changed neither list nor completion the two cancel out. A task whose list or
-- tags changed gets its tags anew. Both without joining the old rows to the new ones: a
-- transition table has no statistics, and the planner's guess made that join a nested loop
-- of 99,000 by 99,000 rows for one complete-all.
create function tasks_updated() returns trigger language plpgsql as $$
begin
    update list_counts c set total = c.total + d.total, completed = c.completed + d.completed
    from (select list_id, sum(total) as total, sum(completed) as completed from (
              select list_id, -count(*) as total, -count(*) filter (where completed) as completed
              from old_rows group by list_id
              union all
              select list_id, count(*), count(*) filter (where completed) from new_rows group by list_id
          ) changes group by list_id) d
    where c.list_id = d.list_id and (d.total <> 0 or d.completed <> 0);
    delete from task_tags where task_id in (
        select id from (select id, list_id, tags from new_rows except select id, list_id, tags from old_rows) retagged
    );
    insert into task_tags (list_id, tag, task_id)
    select r.list_id, tag, r.id
    from (select id, list_id, tags from new_rows except select id, list_id, tags from old_rows) r,
        unnest(string_to_array(r.tags, ',')) as tag
    where tag <> '';
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
