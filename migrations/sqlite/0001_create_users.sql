-- People with an account. Emails are stored trimmed and lower-cased.
create table users (
    id blob primary key not null,
    email text not null,
    name text not null,
    password_hash text not null,
    created_at integer not null,
    updated_at integer not null
) strict;

create unique index users_email_key on users (email);
