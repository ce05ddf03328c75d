-- Each account's time zone (an IANA name): "today", "overdue" and every date the pages show
-- are the account's own. Existing accounts keep the UTC they had until they choose another.
alter table users add column time_zone text not null default 'UTC';
-- A task's due time, in minutes after local midnight (0 to 1439), only beside a due date;
-- trashed tasks keep it for their restore.
alter table tasks add column due_minute smallint
    constraint tasks_due_minute check (due_minute is null or (due_minute between 0 and 1439 and due_date is not null));
alter table trashed_tasks add column due_minute smallint;
