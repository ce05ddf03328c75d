-- Lists and sharing. Every task belongs to a list; people reach a list's tasks through
-- their membership of it, with a role. Each account has one Inbox, whose id is the
-- account's own id: made with the account (trigger below), never shared, renamed or deleted.
-- Existing tasks move into their owner's Inbox, and their owner is recorded as their creator.
create table lists (
    id uuid primary key,
    name text not null,
    inbox boolean not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

-- Who may use a list, and how: exactly one owner per list, any number of editors and viewers.
create table list_members (
    list_id uuid not null references lists (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    role text not null check (role in ('owner', 'editor', 'viewer')),
    joined_at timestamptz not null,
    primary key (list_id, user_id)
);

create index list_members_user on list_members (user_id, list_id, role);
create unique index list_members_one_owner on list_members (list_id) where role = 'owner';

-- Invitations by email, pending until the invitee accepts or declines. The email need not
-- have an account (yet): whoever signs up with it sees the invitation.
create table invitations (
    id uuid primary key,
    list_id uuid not null references lists (id) on delete cascade,
    email text not null,
    role text not null check (role in ('editor', 'viewer')),
    invited_by uuid not null references users (id) on delete cascade,
    created_at timestamptz not null
);

create unique index invitations_list_email on invitations (list_id, email);
create index invitations_email on invitations (email);
create index invitations_invited_by on invitations (invited_by);

insert into lists (id, name, inbox, created_at, updated_at) select id, 'Inbox', true, created_at, created_at from users;
insert into list_members (list_id, user_id, role, joined_at) select id, id, 'owner', created_at from users;

-- The derived tables (tags, counts) are rebuilt, keyed by list instead of by user.
drop trigger task_counts_new_user on users;
drop trigger task_counts_track on tasks;
drop trigger task_tags_insert on tasks;
drop trigger task_tags_update on tasks;
drop trigger tag_counts_track on task_tags;
drop function task_counts_new_user();
drop function task_counts_track();
drop function task_tags_follow();
drop function tag_counts_track();
drop table tag_counts;
drop table task_tags;
drop table task_counts;

drop index tasks_user_created;
drop index tasks_user_updated;
drop index tasks_user_due_asc;
drop index tasks_user_due_desc;
drop index tasks_user_priority;
drop index tasks_user_title;

alter table tasks rename column user_id to created_by;
alter table tasks alter column created_by drop not null;
alter table tasks drop constraint tasks_user_id_fkey;
alter table tasks add constraint tasks_created_by_fkey foreign key (created_by) references users (id) on delete set null;
alter table tasks add column list_id uuid;
alter table tasks add column assignee_id uuid references users (id) on delete set null;
update tasks set list_id = created_by;
alter table tasks alter column list_id set not null;
alter table tasks add constraint tasks_list_id_fkey foreign key (list_id) references lists (id) on delete cascade;

-- An index per way a list is sorted, each led by the list (see 0006 for the due-date pair).
create index tasks_list_created on tasks (list_id, created_at, id);
create index tasks_list_updated on tasks (list_id, updated_at, id);
create index tasks_list_due_asc on tasks (list_id, (due_date is null), due_date, id);
create index tasks_list_due_desc on tasks (list_id, (due_date is not null), due_date, id);
create index tasks_list_priority on tasks (list_id, priority, id);
create index tasks_list_title on tasks (list_id, title_key, id);
-- "Assigned to me", and unassigning or forgetting a deleted account without a full scan.
create index tasks_assignee on tasks (assignee_id, created_at, id);
create index tasks_created_by on tasks (created_by);

-- One row per tag of a task, for filtering by tag and counting tags with an index.
create table task_tags (
    list_id uuid not null,
    tag text collate "C" not null,
    task_id uuid not null references tasks (id) on delete cascade,
    primary key (list_id, tag, task_id)
);

create index task_tags_task_id on task_tags (task_id);

insert into task_tags (list_id, tag, task_id)
select t.list_id, tag, t.id from tasks t, unnest(string_to_array(t.tags, ',')) as tag where tag <> '';

-- Each list's tags with their task counts, and each list's task totals.
create table tag_counts (
    list_id uuid not null references lists (id) on delete cascade,
    tag text collate "C" not null,
    count bigint not null,
    primary key (list_id, tag)
);

insert into tag_counts (list_id, tag, count) select list_id, tag, count(*) from task_tags group by list_id, tag;

create table list_counts (
    list_id uuid primary key references lists (id) on delete cascade,
    total bigint not null,
    completed bigint not null
);

insert into list_counts (list_id, total, completed)
select l.id, count(t.id), count(t.id) filter (where t.completed) from lists l left join tasks t on t.list_id = l.id
group by l.id;

-- How many tasks each account has created (and not deleted): the per-account cap.
create table creator_counts (
    user_id uuid primary key references users (id) on delete cascade,
    total bigint not null
);

insert into creator_counts (user_id, total)
select u.id, count(t.id) from users u left join tasks t on t.created_by = u.id group by u.id;

create function users_inbox() returns trigger language plpgsql as $$
begin
    insert into lists (id, name, inbox, created_at, updated_at) values (new.id, 'Inbox', true, new.created_at, new.created_at);
    insert into list_members (list_id, user_id, role, joined_at) values (new.id, new.id, 'owner', new.created_at);
    insert into creator_counts (user_id, total) values (new.id, 0);
    return null;
end;
$$;

create trigger users_inbox after insert on users for each row execute function users_inbox();

create function lists_counts() returns trigger language plpgsql as $$
begin
    insert into list_counts (list_id, total, completed) values (new.id, 0, 0);
    return null;
end;
$$;

create trigger lists_counts after insert on lists for each row execute function lists_counts();

create function tasks_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        update list_counts set total = total + 1, completed = completed + new.completed::int where list_id = new.list_id;
        update creator_counts set total = total + 1 where user_id = new.created_by;
    elsif tg_op = 'DELETE' then
        update list_counts set total = total - 1, completed = completed - old.completed::int where list_id = old.list_id;
        update creator_counts set total = total - 1 where user_id = old.created_by;
    elsif new.list_id <> old.list_id then
        update list_counts set total = total - 1, completed = completed - old.completed::int where list_id = old.list_id;
        update list_counts set total = total + 1, completed = completed + new.completed::int where list_id = new.list_id;
    elsif new.completed <> old.completed then
        update list_counts set completed = completed + new.completed::int - old.completed::int
        where list_id = new.list_id;
    end if;
    return null;
end;
$$;

create trigger tasks_track after insert or delete or update of completed, list_id on tasks
    for each row execute function tasks_track();

create function task_tags_follow() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        delete from task_tags where task_id = old.id;
    end if;
    insert into task_tags (list_id, tag, task_id)
    select new.list_id, tag, new.id from unnest(string_to_array(new.tags, ',')) as tag where tag <> '';
    return null;
end;
$$;

create trigger task_tags_insert after insert on tasks
    for each row when (new.tags <> '') execute function task_tags_follow();

create trigger task_tags_update after update of tags, list_id on tasks
    for each row when (new.tags is distinct from old.tags or new.list_id is distinct from old.list_id)
    execute function task_tags_follow();

create function tag_counts_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into tag_counts (list_id, tag, count) values (new.list_id, new.tag, 1)
            on conflict (list_id, tag) do update set count = tag_counts.count + 1;
    else
        update tag_counts set count = count - 1 where list_id = old.list_id and tag = old.tag;
        delete from tag_counts where list_id = old.list_id and tag = old.tag and count <= 0;
    end if;
    return null;
end;
$$;

create trigger tag_counts_track after insert or delete on task_tags
    for each row execute function tag_counts_track();
