-- Reminders (#19). A task's reminders, canonical and comma-separated (`1d,15m,2027-03-01T09:00`),
-- null for none; trashed tasks keep them for their restore.
alter table tasks add column reminders text;
alter table trashed_tasks add column reminders text;

-- Whether a member hears the reminders of the list's tasks that nobody is assigned to. A list's
-- owner does (a list of one's own reminds its owner); members who join choose to.
alter table list_members add column reminders boolean not null default true;
update list_members set reminders = false where role <> 'owner';

-- The reminders waiting to be sent: one row per task, reminder and person, for the task's
-- current due date, at the moment it fires in that person's time zone. Rewritten whenever the
-- task's schedule or people change; claimed by deleting it in the transaction that writes
-- the notification, so that each is sent once however many servers sweep.
create table reminder_queue (
    id uuid primary key,
    task_id uuid not null references tasks (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    reminder text not null,
    -- The due date it was computed for (null for a reminder at a fixed time): a task that has
    -- moved on since (a recurring task completed elsewhere) does not remind of a past date.
    due_date date,
    fire_at timestamptz not null
);

create index reminder_queue_fire on reminder_queue (fire_at);
-- One row per task, person and reminder: two transactions queuing a task at once leave one.
create unique index reminder_queue_one on reminder_queue (task_id, user_id, reminder);
create index reminder_queue_user on reminder_queue (user_id);

-- What each person was told: the in-app notifications, and whether each is to be (or was)
-- emailed. The task's title and due date are copied: a notification outlives its task.
create table notifications (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    task_id uuid,
    list_id uuid,
    title text not null,
    reminder text not null,
    due_date date,
    due_minute smallint,
    fire_at timestamptz not null,
    late boolean not null,
    created_at timestamptz not null,
    read_at timestamptz,
    -- 0: not emailed, 1: to be emailed, 2: emailed, 3: given up after repeated failures.
    email smallint not null default 0,
    email_tries smallint not null default 0,
    email_lease timestamptz
);

create index notifications_user on notifications (user_id, id);
create index notifications_unread on notifications (user_id) where read_at is null;
create index notifications_to_email on notifications (email_lease) where email = 1;
