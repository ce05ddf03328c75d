-- The completion filter reads the creation-order index and skips the other rows: at most a
-- user's page of tasks plus the ones filtered out. A separate (user, completed, created)
-- index made every create and every completion write one more B-tree page (about 8% of a
-- create's pages in SQLite) for no measurable gain in listing.
drop index tasks_user_status;
