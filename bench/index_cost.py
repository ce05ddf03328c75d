#!/usr/bin/env python3
"""What each task index costs a write on SQLite, whose one writer serializes every write.

Makes a database with the release build's migrations (target/release/doable, started once
on a temporary directory), fills an Inbox with 10,000 tasks, then times completions (a
task's `completed` toggled) and creates, each in a transaction of its own as the server
makes them (the log checkpointed apart, as the server's writer leaves it), with every index and with each task index dropped in turn (then all six sort
indexes at once, and the search index's insert trigger). Each variant runs on a fresh copy,
in rounds that alternate (every other one in reverse); the figure is the best round's microseconds per write, and what
matters is the difference from "every index" in the same run.

Python's sqlite3 runs the statements, so the server's own costs (HTTP, the session, the
event row) are left out: these are the writer's costs of the schema alone.

Environment: INDEX_ROUNDS (default 3), BENCH_BINARY (another build's schema).
"""

import os
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import run

ROUNDS = int(os.environ.get("INDEX_ROUNDS", "3"))
# The page cache of the connection that writes (negative: KiB), the server writer's by default.
CACHE = int(os.environ.get("INDEX_CACHE", "-2000"))
TASKS, COMPLETIONS, CREATES = 10_000, 4_000, 2_000
INSERT = ("insert into tasks (id, list_id, created_by, title, description, completed, priority, due_date, tags, "
          "search, title_key, created_at, updated_at) values (?, ?, ?, ?, '', 0, ?, ?, ?, ?, ?, ?, ?)")


def schema():
    """A database file with the build's schema and one account; its path and the account."""
    server = run.Server("sqlite", None)
    server.start()
    client = run.Client(run.PORT)
    status, _, body = client.call("POST", "/api/auth/signup",
                                  {"email": "cost@example.com", "password": run.PASSWORD, "name": "Cost"})
    assert status == 200, body
    server.process.terminate()
    server.process.wait(timeout=30)
    out = Path(tempfile.mkdtemp(prefix="doable-index-cost-")) / "doable.db"
    db = sqlite3.connect(Path(server.data) / "doable.db")
    db.execute("pragma wal_checkpoint(truncate)")
    db.execute(f"vacuum into '{out}'")
    db.close()
    server.stop()
    user = sqlite3.connect(out).execute("select id from users").fetchone()[0]
    return out, user


def v7(i, rng):
    """A UUIDv7 as the server makes them (time first, so new ids go to the end of the index),
    the `i`th millisecond of a fixed start, its random part from `rng`."""
    raw = bytearray((1_700_000_000_000 + i).to_bytes(6, "big") + rng.getrandbits(80).to_bytes(10, "big"))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return bytes(raw)


def task(user, i, rng):
    """The `i`th open task's row, everything in it drawn from `rng`."""
    title = f"task {i} " + " ".join(rng.choice(("buy", "milk", "call", "plan", "trip", "fix", "bike")) for _ in range(3))
    due = None if i % 5 == 0 else f"2026-{1 + i % 12:02}-{1 + i % 28:02}"
    return (v7(i, rng), user, user, title, i % 4, due, "home" if i % 3 == 0 else "", title.lower(),
            title.lower(), 1_700_000_000_000_000 + i * 1000, 1_700_000_000_000_000 + i * 1000)


def measure(path, user, drop):
    """Microseconds per completion and per create on a fresh copy with `drop` run first."""
    work = Path(tempfile.mkdtemp(prefix="doable-index-cost-")) / "w.db"
    shutil.copy(path, work)
    db = sqlite3.connect(work, isolation_level=None)
    db.execute("pragma journal_mode = wal")
    db.execute("pragma synchronous = normal")
    db.execute("pragma foreign_keys = on")
    db.execute(f"pragma cache_size = {CACHE}")
    # As the server's writer: the log is checkpointed by another connection, not in a write.
    db.execute("pragma wal_autocheckpoint = 0")
    rng = random.Random(1)
    db.execute("begin")
    ids = []
    for i in range(TASKS):
        row = task(user, i, rng)
        ids.append(row[0])
        db.execute(INSERT, row)
    db.execute("update tasks set completed = 1, completed_at = updated_at where n % 3 = 0")
    db.execute("commit")
    for statement in drop:
        db.execute(statement)
    started = time.perf_counter()
    for i in range(COMPLETIONS):
        db.execute("begin immediate")
        at = 1_800_000_000_000_000 + i
        db.execute("update tasks set completed = 1 - completed, "
                   "completed_at = case when completed = 0 then ? end, updated_at = ? where id = ?",
                   (at, at, rng.choice(ids)))
        db.execute("commit")
    complete = (time.perf_counter() - started) / COMPLETIONS * 1e6
    started = time.perf_counter()
    for i in range(CREATES):
        db.execute("begin immediate")
        db.execute(INSERT, task(user, TASKS + i, rng))
        db.execute("commit")
    create = (time.perf_counter() - started) / CREATES * 1e6
    db.close()
    shutil.rmtree(work.parent, ignore_errors=True)
    return complete, create


def main():
    if not run.BINARY.exists():
        raise SystemExit("build the release app first (make build)")
    path, user = schema()
    db = sqlite3.connect(path)
    indexes = [name for (name,) in db.execute(
        "select name from sqlite_master where type = 'index' and tbl_name = 'tasks' and sql is not null "
        "and name <> 'tasks_id' order by name")]
    insert_trigger = db.execute("select sql from sqlite_master where name = 'tasks_insert'").fetchone()[0]
    db.close()
    # The insert trigger without its last statement, the search index's row.
    search = "    insert into tasks_search (rowid, search) values (new.n, new.search);\n"
    assert search in insert_trigger, insert_trigger
    variants = [("every index", [])] + [(f"without {name}", [f"drop index {name}"]) for name in indexes]
    variants.append(("without the six sort indexes",
                     [f"drop index {name}" for name in indexes if name.startswith("tasks_list_")]))
    variants.append(("without the search index's insert",
                     ["drop trigger tasks_insert", insert_trigger.replace(search, "")]))
    best = {label: (float("inf"), float("inf")) for label, _ in variants}
    for round_ in range(ROUNDS):
        # Every other round in reverse, so that a drift over the run falls on all alike.
        for label, drop in (variants if round_ % 2 == 0 else variants[::-1]):
            complete, create = measure(path, user, drop)
            best[label] = (min(best[label][0], complete), min(best[label][1], create))
    shutil.rmtree(path.parent, ignore_errors=True)
    base_complete, base_create = best["every index"]
    print(f"SQLite, {TASKS:,} tasks, best of {ROUNDS} rounds: microseconds per write (change from every index)")
    for label, (complete, create) in best.items():
        print(f"  {label:36} complete {complete:6.1f} ({complete - base_complete:+6.1f})"
              f"   create {create:6.1f} ({create - base_create:+6.1f})")


if __name__ == "__main__":
    main()
