-- Due-date sorting puts tasks without a date last in both orders; an index per order lets
-- both read a page straight from the index instead of sorting all the user's tasks.
drop index tasks_user_due;
create index tasks_user_due_asc on tasks (user_id, (due_date is null), due_date, id);
create index tasks_user_due_desc on tasks (user_id, (due_date is not null), due_date, id);
