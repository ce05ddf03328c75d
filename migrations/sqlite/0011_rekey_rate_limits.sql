-- Counters were keyed by the raw email or address until now; they are keyed by a hash from
-- this release on. The old rows (windows of at most an hour) are dropped rather than kept.
delete from rate_limits;
