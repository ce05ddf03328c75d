-- A task's rows in `task_tags` follow its `tags` column (comma-separated, validated by the
-- app: letters, digits, - and _), written by these triggers inside the statement that
-- writes the task. Creating a task is then one statement instead of a transaction of two,
-- and the two copies of the tags cannot drift apart.
create trigger task_tags_insert after insert on tasks when new.tags <> '' begin
    insert into task_tags (user_id, tag, task_id)
    select new.user_id, value, new.id from json_each('["' || replace(new.tags, ',', '","') || '"]');
end;

create trigger task_tags_update after update of tags on tasks when new.tags <> old.tags begin
    delete from task_tags where task_id = old.id;
    insert into task_tags (user_id, tag, task_id)
    select new.user_id, value, new.id from json_each('["' || replace(new.tags, ',', '","') || '"]')
    where new.tags <> '';
end;
