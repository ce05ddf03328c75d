-- Lists and sharing. Every task belongs to a list; people reach a list's tasks through
-- their membership of it, with a role. Each account has one Inbox, whose id is the
-- account's own id: made with the account (trigger below), never shared, renamed or deleted.
-- Existing tasks move into their owner's Inbox, and their owner is recorded as their creator.
create table lists (
    id blob primary key not null,
    name text not null,
    inbox integer not null,
    created_at integer not null,
    updated_at integer not null
) strict;

-- Who may use a list, and how: exactly one owner per list, any number of editors and viewers.
create table list_members (
    list_id blob not null references lists (id) on delete cascade,
    user_id blob not null references users (id) on delete cascade,
    role text not null check (role in ('owner', 'editor', 'viewer')),
    joined_at integer not null,
    primary key (list_id, user_id)
) strict, without rowid;

create index list_members_user on list_members (user_id, list_id, role);
create unique index list_members_one_owner on list_members (list_id) where role = 'owner';

-- Invitations by email, pending until the invitee accepts or declines. The email need not
-- have an account (yet): whoever signs up with it sees the invitation.
create table invitations (
    id blob primary key not null,
    list_id blob not null references lists (id) on delete cascade,
    email text not null,
    role text not null check (role in ('editor', 'viewer')),
    invited_by blob not null references users (id) on delete cascade,
    created_at integer not null
) strict;

create unique index invitations_list_email on invitations (list_id, email);
create index invitations_email on invitations (email);
create index invitations_invited_by on invitations (invited_by);

insert into lists (id, name, inbox, created_at, updated_at) select id, 'Inbox', 1, created_at, created_at from users;
insert into list_members (list_id, user_id, role, joined_at) select id, id, 'owner', created_at from users;

-- The task table is rebuilt: SQLite cannot change a column's foreign key in place. The
-- derived tables (tags, counts) are rebuilt with it, keyed by list instead of by user.
drop trigger task_counts_new_user;
drop trigger task_counts_insert;
drop trigger task_counts_delete;
drop trigger task_counts_complete;
drop trigger task_tags_insert;
drop trigger task_tags_update;
drop trigger tag_counts_insert;
drop trigger tag_counts_delete;
drop table tag_counts;
drop table task_tags;
drop table task_counts;

create table tasks_by_list (
    id blob primary key not null,
    list_id blob not null references lists (id) on delete cascade,
    created_by blob references users (id) on delete set null,
    assignee_id blob references users (id) on delete set null,
    title text not null,
    description text not null,
    completed integer not null,
    priority integer not null,
    due_date text,
    tags text not null,
    search text not null,
    title_key text not null,
    created_at integer not null,
    updated_at integer not null,
    completed_at integer
) strict;

insert into tasks_by_list (id, list_id, created_by, assignee_id, title, description, completed, priority, due_date,
    tags, search, title_key, created_at, updated_at, completed_at)
select id, user_id, user_id, null, title, description, completed, priority, due_date,
    tags, search, title_key, created_at, updated_at, completed_at
from tasks;

drop table tasks;
alter table tasks_by_list rename to tasks;

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
    list_id blob not null,
    tag text not null,
    task_id blob not null references tasks (id) on delete cascade,
    primary key (list_id, tag, task_id)
) strict, without rowid;

create index task_tags_task_id on task_tags (task_id);

insert into task_tags (list_id, tag, task_id)
select t.list_id, j.value, t.id from tasks t, json_each('["' || replace(t.tags, ',', '","') || '"]') j
where t.tags <> '';

-- Each list's tags with their task counts, and each list's task totals.
create table tag_counts (
    list_id blob not null references lists (id) on delete cascade,
    tag text not null,
    count integer not null,
    primary key (list_id, tag)
) strict, without rowid;

insert into tag_counts (list_id, tag, count) select list_id, tag, count(*) from task_tags group by list_id, tag;

create table list_counts (
    list_id blob primary key not null references lists (id) on delete cascade,
    total integer not null,
    completed integer not null
) strict, without rowid;

insert into list_counts (list_id, total, completed)
select l.id, count(t.id), coalesce(sum(t.completed), 0) from lists l left join tasks t on t.list_id = l.id group by l.id;

-- How many tasks each account has created (and not deleted): the per-account cap.
create table creator_counts (
    user_id blob primary key not null references users (id) on delete cascade,
    total integer not null
) strict, without rowid;

insert into creator_counts (user_id, total)
select u.id, count(t.id) from users u left join tasks t on t.created_by = u.id group by u.id;

create trigger users_inbox after insert on users begin
    insert into lists (id, name, inbox, created_at, updated_at) values (new.id, 'Inbox', 1, new.created_at, new.created_at);
    insert into list_members (list_id, user_id, role, joined_at) values (new.id, new.id, 'owner', new.created_at);
    insert into creator_counts (user_id, total) values (new.id, 0);
end;

create trigger lists_counts after insert on lists begin
    insert into list_counts (list_id, total, completed) values (new.id, 0, 0);
end;

create trigger tasks_insert after insert on tasks begin
    update list_counts set total = total + 1, completed = completed + new.completed where list_id = new.list_id;
    update creator_counts set total = total + 1 where user_id = new.created_by;
    insert into task_tags (list_id, tag, task_id)
    select new.list_id, value, new.id from json_each('["' || replace(new.tags, ',', '","') || '"]')
    where new.tags <> '';
end;

create trigger tasks_delete after delete on tasks begin
    update list_counts set total = total - 1, completed = completed - old.completed where list_id = old.list_id;
    update creator_counts set total = total - 1 where user_id = old.created_by;
end;

create trigger tasks_complete after update of completed on tasks
when old.completed <> new.completed and old.list_id = new.list_id begin
    update list_counts set completed = completed + new.completed - old.completed where list_id = new.list_id;
end;

create trigger tasks_move after update of list_id on tasks when old.list_id <> new.list_id begin
    update list_counts set total = total - 1, completed = completed - old.completed where list_id = old.list_id;
    update list_counts set total = total + 1, completed = completed + new.completed where list_id = new.list_id;
end;

create trigger tasks_retag after update of tags, list_id on tasks
when new.tags <> old.tags or new.list_id <> old.list_id begin
    delete from task_tags where task_id = old.id;
    insert into task_tags (list_id, tag, task_id)
    select new.list_id, value, new.id from json_each('["' || replace(new.tags, ',', '","') || '"]')
    where new.tags <> '';
end;

create trigger tag_counts_insert after insert on task_tags begin
    insert into tag_counts (list_id, tag, count) values (new.list_id, new.tag, 1)
        on conflict (list_id, tag) do update set count = count + 1;
end;

create trigger tag_counts_delete after delete on task_tags begin
    update tag_counts set count = count - 1 where list_id = old.list_id and tag = old.tag;
    delete from tag_counts where list_id = old.list_id and tag = old.tag and count <= 0;
end;
