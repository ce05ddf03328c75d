-- Recurring tasks (#19). `repeat` is the rule's canonical RRULE text, `repeat_from` 0 when the
-- dates keep the schedule, 1 when they count from each completion, and `repeat_start` the
-- date the schedule starts from (the due date the rule was set with). Completing a recurring
-- task records the completed date as a task of its own, `series_id` naming the recurring
-- task and `series_moved_to` the date that one moved to (so that undoing it can move it back).
alter table tasks add column repeat text;
alter table tasks add column repeat_from integer not null default 0;
alter table tasks add column repeat_start text;
alter table tasks add column series_id blob;
alter table tasks add column series_moved_to text;
alter table trashed_tasks add column repeat text;
alter table trashed_tasks add column repeat_from integer not null default 0;
alter table trashed_tasks add column repeat_start text;
alter table trashed_tasks add column series_id blob;
alter table trashed_tasks add column series_moved_to text;
