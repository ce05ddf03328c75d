-- API tokens (#21): credentials a person makes for scripts, each with a scope. Only the
-- token's SHA-256 is kept; the token itself is shown once, when it is made.
create table api_tokens (
    id blob primary key not null,
    user_id blob not null references users (id) on delete cascade,
    name text not null,
    scope text not null check (scope in ('read', 'write')),
    hash blob not null,
    created_at integer not null,
    -- Written at most once a minute per token, not on every request.
    last_used_at integer,
    -- Null: until revoked.
    expires_at integer
) strict;

create unique index api_tokens_hash on api_tokens (hash);
create index api_tokens_user on api_tokens (user_id, created_at);
