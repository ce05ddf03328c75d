-- Imports (#21). `import_keys`: the source rows a person has imported, each by a key of its
-- own (a hash of its file's id for it, or of its content), so that importing the same file
-- again creates nothing twice. A key whose task is gone (purged from the trash) is dropped
-- by the next import, which may then bring the task back. `import_reports`: each person's
-- last import report, which the account page shows after a form without scripts.
create table import_keys (
    user_id blob not null references users (id) on delete cascade,
    key blob not null,
    task_id blob not null,
    primary key (user_id, key)
) strict, without rowid;

create table import_reports (
    user_id blob primary key not null references users (id) on delete cascade,
    report text not null,
    created_at integer not null
) strict, without rowid;
