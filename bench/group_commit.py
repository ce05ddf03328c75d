#!/usr/bin/env python3
"""What SQLite's one writer spends on a completion when completions share a commit.

The server commits the writes of requests that arrive together in one transaction
(`db::writer`, "group commit"). This measures the writer's side of that on the release
build's schema (its migrations, as `bench/index_cost.py` makes it): 20 accounts with an Inbox
of 500 tasks each, then completions of random tasks, each with its history row (whose
triggers write the live feed's row too), each in a savepoint of its own as the server runs
them, committed every 1, 2, 4, 8 or 16 completions. Each group size runs on a fresh copy, in
rounds that alternate (every other one in reverse); the figure is the best round's
microseconds per completion.

Python's sqlite3 runs the statements, so the server's own costs (HTTP, the session) are
left out: this is the writer's time alone, which bounds how many writes a second SQLite
takes.

Environment: GROUP_ROUNDS (default 3), BENCH_BINARY (another build's schema).
"""

import os
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import index_cost

ROUNDS = int(os.environ.get("GROUP_ROUNDS", "3"))
ACCOUNTS, TASKS, COMPLETIONS = 20, 500, 3_200
SIZES = [1, 2, 4, 8, 16]
INSERT = ("insert into tasks (id, list_id, created_by, title, description, completed, priority, due_date, tags, "
          "search, title_key, created_at, updated_at) values (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)")


def fill(path):
    """Adds the accounts, their Inboxes and tasks; gives (task id, list id, user id, title) of each."""
    rng = random.Random(1)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma foreign_keys = on")
    db.execute("begin")
    tasks, n = [], 1_000
    for a in range(ACCOUNTS):
        user = index_cost.v7(n, rng)
        n += 1
        db.execute("insert into users (id, email, name, password_hash, created_at, updated_at, time_zone) "
                   "values (?, ?, 'Group', 'x', 0, 0, 'UTC')", (user, f"group-{a}@example.com"))
        # The sign-up's trigger may have made the Inbox and its membership already.
        db.execute("insert or ignore into lists (id, name, inbox, created_at, updated_at) "
                   "values (?, 'Inbox', 1, 0, 0)", (user,))
        db.execute("insert or ignore into list_members (list_id, user_id, role, joined_at) "
                   "values (?, ?, 'owner', 0)", (user, user))
        for i in range(TASKS):
            row = list(index_cost.task(user, n, rng))
            n += 1
            row.insert(4, 1 if i % 3 == 0 else 0)
            db.execute(INSERT, row)
            tasks.append((row[0], user, user, row[3]))
    db.execute("commit")
    db.close()
    return tasks


def measure(path, tasks, size):
    """Microseconds per completion, committed every `size`, on a fresh copy."""
    work = Path(tempfile.mkdtemp(prefix="doable-group-")) / "w.db"
    shutil.copy(path, work)
    db = sqlite3.connect(work, isolation_level=None)
    for pragma in ("journal_mode = wal", "synchronous = normal", "foreign_keys = on",
                   f"cache_size = {index_cost.CACHE}", "wal_autocheckpoint = 0"):
        db.execute(f"pragma {pragma}")
    rng = random.Random(2)
    started = time.perf_counter()
    for group in range(COMPLETIONS // size):
        db.execute("begin immediate")
        for k in range(size):
            task, list_id, user, title = rng.choice(tasks)
            at = 1_800_000_000_000_000 + group * size + k
            db.execute("savepoint write")
            db.execute("update tasks set completed = 1 - completed, "
                       "completed_at = case when completed = 0 then ? end, updated_at = ? where id = ?", (at, at, task))
            db.execute("insert into list_events (list_id, at, actor_id, kind, task_id, task_title) "
                       "values (?, ?, ?, 'task_completed', ?, ?)", (list_id, at, user, task, title))
            db.execute("release write")
        db.execute("commit")
    spent = (time.perf_counter() - started) / COMPLETIONS * 1e6
    db.close()
    shutil.rmtree(work.parent, ignore_errors=True)
    return spent


def main():
    if not index_cost.run.BINARY.exists():
        raise SystemExit("build the release app first (make build)")
    path, _user = index_cost.schema()
    tasks = fill(path)
    best = {size: float("inf") for size in SIZES}
    for round_ in range(ROUNDS):
        for size in (SIZES if round_ % 2 == 0 else SIZES[::-1]):
            best[size] = min(best[size], measure(path, tasks, size))
    shutil.rmtree(path.parent, ignore_errors=True)
    print(f"SQLite, {ACCOUNTS} accounts of {TASKS} tasks, best of {ROUNDS} rounds: "
          "writer microseconds per completion (with its history row)")
    for size in SIZES:
        print(f"  {size:2} a commit: {best[size]:6.1f} ({best[size] / best[1]:.2f} of one a commit)")


if __name__ == "__main__":
    main()
