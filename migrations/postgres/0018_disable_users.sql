-- An account the host has disabled (`doable user disable`): it cannot log in and none of
-- its sessions is accepted, until `doable user enable`. Its data stays as it was.
alter table users add column disabled_at timestamptz;
