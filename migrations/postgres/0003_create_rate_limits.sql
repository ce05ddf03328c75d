-- Fixed-window counters: failed logins per account, signups per client address.
create table rate_limits (
    key text primary key,
    hits bigint not null,
    window_start timestamptz not null
);
