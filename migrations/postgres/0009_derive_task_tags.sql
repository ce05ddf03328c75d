-- A task's rows in `task_tags` follow its `tags` column (comma-separated, validated by the
-- app: letters, digits, - and _), written by these triggers inside the statement that
-- writes the task. Creating a task is then one statement instead of a transaction of two,
-- and the two copies of the tags cannot drift apart.
create function task_tags_follow() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        delete from task_tags where task_id = old.id;
    end if;
    insert into task_tags (user_id, tag, task_id)
    select new.user_id, tag, new.id from unnest(string_to_array(new.tags, ',')) as tag where tag <> '';
    return null;
end;
$$;

create trigger task_tags_insert after insert on tasks
    for each row when (new.tags <> '') execute function task_tags_follow();

create trigger task_tags_update after update of tags on tasks
    for each row when (new.tags is distinct from old.tags) execute function task_tags_follow();
