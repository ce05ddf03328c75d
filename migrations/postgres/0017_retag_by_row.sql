-- Completions cost less (issue 18). The statement-level update trigger of 0015 also re-derived
-- tags on every update, with two set differences of the transition tables, though only an
-- edit of one task's tags or list ever changes them: a completion paid 0.2 ms of triggers,
-- against 0.1 ms for its counts alone (pgbench, one client, 100,000 tasks). The tags now
-- follow a task by a row-level trigger that fires only when they, or its list, changed; the
-- counts stay statement-level, which a bulk change of thousands of rows needs (a row-level
-- count trigger made one batch of 2,000 completions take 230 ms instead of 110).
create or replace function tasks_updated() returns trigger language plpgsql as $$
begin
    update list_counts c set total = c.total + d.total, completed = c.completed + d.completed
    from (select list_id, sum(total) as total, sum(completed) as completed from (
              select list_id, -count(*) as total, -count(*) filter (where completed) as completed
              from old_rows group by list_id
              union all
              select list_id, count(*), count(*) filter (where completed) from new_rows group by list_id
          ) changes group by list_id) d
    where c.list_id = d.list_id and (d.total <> 0 or d.completed <> 0);
    return null;
end;
$$;

create function tasks_retagged() returns trigger language plpgsql as $$
begin
    delete from task_tags where task_id = old.id;
    insert into task_tags (list_id, tag, task_id)
    select new.list_id, tag, new.id from unnest(string_to_array(new.tags, ',')) as tag where tag <> '';
    return null;
end;
$$;

create trigger tasks_retagged after update of tags, list_id on tasks for each row
    when (old.tags is distinct from new.tags or old.list_id is distinct from new.list_id)
    execute function tasks_retagged();
