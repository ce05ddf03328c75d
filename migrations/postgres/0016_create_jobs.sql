-- Bulk changes of many tasks (completing or reopening all, clearing the completed ones,
-- emptying the trash) run as jobs: a request does the first batch itself and, when more is
-- left, leaves the rest to a runner, one batch per transaction, each batch and its progress
-- committed together. A runner holds a job by a lease it renews with every batch; a job
-- whose lease has lapsed (its server stopped) is taken up by the next runner that looks, on
-- any instance, so none is left half done. One unfinished job per person at a time.
create table jobs (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    kind text not null,
    -- Not a foreign key: a job for a list that is not there (or no longer) changes nothing,
    -- and its request is answered as any refused change of that list.
    list_id uuid,
    -- When it was asked for: rows changed after it are the person's own later doing and are
    -- left as they are.
    started_at timestamptz not null,
    done bigint not null default 0,
    total bigint not null,
    finished_at timestamptz,
    lease_owner uuid,
    lease_until timestamptz
);

create unique index jobs_unfinished on jobs (user_id) where finished_at is null;
create index jobs_waiting on jobs (started_at) where finished_at is null;
create index jobs_finished on jobs (finished_at) where finished_at is not null;
