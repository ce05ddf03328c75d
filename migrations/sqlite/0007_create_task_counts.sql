-- Each user's task totals, kept by triggers, so that a list reads them by key instead of
-- counting every task (and the per-user cap is checked in constant time).
create table task_counts (
    user_id blob primary key not null references users (id) on delete cascade,
    total integer not null,
    completed integer not null
) strict, without rowid;

insert into task_counts (user_id, total, completed)
select u.id, count(t.id), coalesce(sum(t.completed), 0) from users u left join tasks t on t.user_id = u.id group by u.id;

create trigger task_counts_new_user after insert on users begin
    insert into task_counts (user_id, total, completed) values (new.id, 0, 0);
end;

create trigger task_counts_insert after insert on tasks begin
    update task_counts set total = total + 1, completed = completed + new.completed where user_id = new.user_id;
end;

create trigger task_counts_delete after delete on tasks begin
    update task_counts set total = total - 1, completed = completed - old.completed where user_id = old.user_id;
end;

create trigger task_counts_complete after update of completed on tasks when old.completed <> new.completed begin
    update task_counts set completed = completed + new.completed - old.completed where user_id = new.user_id;
end;
