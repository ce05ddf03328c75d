-- Each user's tags with their task counts, kept by triggers, so that the tag list (on every
-- task page) reads a handful of rows instead of counting every tag of every task.
create table tag_counts (
    user_id blob not null references users (id) on delete cascade,
    tag text not null,
    count integer not null,
    primary key (user_id, tag)
) strict, without rowid;

insert into tag_counts (user_id, tag, count) select user_id, tag, count(*) from task_tags group by user_id, tag;

create trigger tag_counts_insert after insert on task_tags begin
    insert into tag_counts (user_id, tag, count) values (new.user_id, new.tag, 1)
        on conflict (user_id, tag) do update set count = count + 1;
end;

create trigger tag_counts_delete after delete on task_tags begin
    update tag_counts set count = count - 1 where user_id = old.user_id and tag = old.tag;
    delete from tag_counts where user_id = old.user_id and tag = old.tag and count <= 0;
end;
