-- Each user's tags with their task counts, kept by triggers, so that the tag list (on every
-- task page) reads a handful of rows instead of counting every tag of every task.
create table tag_counts (
    user_id uuid not null references users (id) on delete cascade,
    tag text collate "C" not null,
    count bigint not null,
    primary key (user_id, tag)
);

insert into tag_counts (user_id, tag, count) select user_id, tag, count(*) from task_tags group by user_id, tag;

create function tag_counts_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into tag_counts (user_id, tag, count) values (new.user_id, new.tag, 1)
            on conflict (user_id, tag) do update set count = tag_counts.count + 1;
    else
        update tag_counts set count = count - 1 where user_id = old.user_id and tag = old.tag;
        delete from tag_counts where user_id = old.user_id and tag = old.tag and count <= 0;
    end if;
    return null;
end;
$$;

create trigger tag_counts_track after insert or delete on task_tags
    for each row execute function tag_counts_track();
