-- One row per live session; a token whose row is gone is refused.
create table sessions (
    id blob primary key not null,
    user_id blob not null references users (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null
) strict;

create index sessions_user_id on sessions (user_id);
