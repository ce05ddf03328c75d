-- One row per live session; a token whose row is gone is refused.
create table sessions (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null,
    expires_at timestamptz not null
);

create index sessions_user_id on sessions (user_id);
