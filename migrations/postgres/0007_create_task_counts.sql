-- Each user's task totals, kept by triggers, so that a list reads them by key instead of
-- counting every task (and the per-user cap is checked in constant time).
create table task_counts (
    user_id uuid primary key references users (id) on delete cascade,
    total bigint not null,
    completed bigint not null
);

insert into task_counts (user_id, total, completed)
select u.id, count(t.id), count(t.id) filter (where t.completed) from users u left join tasks t on t.user_id = u.id group by u.id;

create function task_counts_new_user() returns trigger language plpgsql as $$
begin
    insert into task_counts (user_id, total, completed) values (new.id, 0, 0);
    return null;
end;
$$;

create trigger task_counts_new_user after insert on users for each row execute function task_counts_new_user();

create function task_counts_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        update task_counts set total = total + 1, completed = completed + new.completed::int where user_id = new.user_id;
    elsif tg_op = 'DELETE' then
        update task_counts set total = total - 1, completed = completed - old.completed::int where user_id = old.user_id;
    elsif new.completed <> old.completed then
        update task_counts set completed = completed + new.completed::int - old.completed::int where user_id = new.user_id;
    end if;
    return null;
end;
$$;

create trigger task_counts_track after insert or delete or update of completed on tasks
    for each row execute function task_counts_track();
