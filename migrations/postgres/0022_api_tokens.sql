-- API tokens (#21): credentials a person makes for scripts, each with a scope. Only the
-- token's SHA-256 is kept; the token itself is shown once, when it is made.
create table api_tokens (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    name text not null,
    scope text not null check (scope in ('read', 'write')),
    hash bytea not null,
    created_at timestamptz not null,
    -- Written at most once a minute per token, not on every request.
    last_used_at timestamptz,
    -- Null: until revoked.
    expires_at timestamptz
);

create unique index api_tokens_hash on api_tokens (hash);
create index api_tokens_user on api_tokens (user_id, created_at);
