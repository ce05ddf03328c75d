-- The calendar feed (#21): the secret in an account's feed address, `/calendar/<secret>.ics`,
-- null while the feed is off. Kept as it is rather than hashed: the account page shows the
-- address again whenever its person wants to subscribe another calendar, and the secret
-- gives read access only to what this same database holds. Rotating it ends the old address.
alter table users add column calendar_secret text;

create unique index users_calendar_secret on users (calendar_secret) where calendar_secret is not null;
