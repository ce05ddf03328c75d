-- Fixed-window counters: failed logins per account, signups per client address.
create table rate_limits (
    key text primary key not null,
    hits integer not null,
    window_start integer not null
) strict;
