#!/usr/bin/env python3
"""`make bench-scale`: does every view of a 100,000-task account answer as fast as a
1,000-task one?

Starts target/release/doable on SQLite (and on PostgreSQL, as `make bench` decides), makes
three accounts through the API and fills their Inboxes through SQL (the API would take an
hour): `small` with 1,000 tasks and `big` with 100,000, both 99% completed, and `bulk` with
100,000 of which 99% are open. Titles are drawn from a vocabulary, tags from a skewed set
(one tag is rare), due dates spread over three years. Then, through HTTP, one request after
another as a script sends them:

- every request of the table in the scale issue and every combination the toolbar offers,
  alternating between `small` and `big` so that noise hits both alike: p50 and p99 of each,
  and the ratio of the p99s (target: at most 2; search at most 10 ms);
- reading all of `big` page by page with `after=` (and the last page with `offset=`);
- the bulk actions on `bulk`: complete-all, reopen-all, clear-completed, deleting the list
  (target: a second or two each, never a timeout);
- one more account's list and create, before and after 10,000 other accounts of 100 tasks
  each (a million tasks) join the database (target: within 10%).

Writes bench/scale.json. Environment: SCALE_SAMPLES (requests per view and account, default
200), SCALE_BIG (100000), SCALE_SMALL (1000), SCALE_CROWD (10000 accounts), SCALE_VIEWS (0:
only the bulk actions and the crowd), SCALE_OUT (where the report goes, default bench/scale.json), BENCH_BINARY (another build, e.g. the one before a
change), BENCH_PG / BENCH_SQLITE / TEST_POSTGRES_URL as for `make bench`.
"""

import csv
import io
import json
import os
import random
import sqlite3
import statistics
import subprocess
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from run import BENCH, BINARY, PASSWORD, PORT, Client, Server, each_backend, log

SAMPLES = int(os.environ.get("SCALE_SAMPLES", "200"))
CROWD = int(os.environ.get("SCALE_CROWD", "10000"))
VIEWS = os.environ.get("SCALE_VIEWS") != "0"  # 0: only the bulk actions (and the crowd)
BIG = int(os.environ.get("SCALE_BIG", "100000"))
SMALL = int(os.environ.get("SCALE_SMALL", "1000"))
SEARCH_P99_MS = 10
RATIO = 2.0

WORDS = """buy milk call dentist book flight renew passport pay rent water plants fix bike clean
garage email landlord plan trip pick kids school read report write review update budget order
printer paper tax return file invoice meet client draft proposal prepare slides team lunch
doctor appointment gym class bake bread wash car mow lawn paint fence check roof change oil
grocery list birthday gift wedding card send letter backup laptop install updates cancel
subscription return parcel library books vet visit dog walk cat food repair sink replace bulb
sort photos call mom visit grandma football practice piano lesson homework science project
quarterly planning hiring interview onboarding release notes deploy server database migration
security audit password rotation garden seeds compost kitchen shelf curtains window insurance
pension savings mortgage electricity bill internet contract phone plan""".split()
# Skewed tag frequencies (per task); `taxes` is the rare one.
TAGS = [("home", 0.30), ("work", 0.25), ("errands", 0.12), ("family", 0.08), ("health", 0.05),
        ("finance", 0.04), ("garden", 0.03), ("car", 0.02), ("taxes", 0.002)]
SEARCH_WORD = "passport"
RARE_TAG = "taxes"


def fill(rng, n, open_share, today):
    """Task rows (dicts) for an Inbox of `n` tasks spread over three years, oldest first;
    the newest `open_share` of them open."""
    start = datetime.now(timezone.utc) - timedelta(days=3 * 365)
    step = timedelta(days=3 * 365) / n
    first_open = n - int(n * open_share)
    for i in range(n):
        created = start + step * i
        completed = i < first_open
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5))).capitalize()
        description = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 20))) if rng.random() < 0.3 else ""
        tags = [t for t, share in TAGS if rng.random() < share][:3]
        due = None
        if rng.random() < 0.6:
            due = created.date() + timedelta(days=rng.randint(0, 14)) if completed else today + timedelta(
                days=rng.randint(-20, 40))
        done_at = created + timedelta(hours=rng.randint(1, 72)) if completed else None
        yield {"title": title, "description": description, "completed": completed,
               "priority": rng.choice((0, 0, 0, 1, 1, 2, 3)), "due_date": due, "tags": ",".join(sorted(tags)),
               "search": f"{title.lower()}\n{description.lower()}", "title_key": title.lower(),
               "created_at": created, "updated_at": done_at or created, "completed_at": done_at}


COLUMNS = ("id", "list_id", "created_by", "title", "description", "completed", "priority", "due_date", "tags",
           "search", "title_key", "created_at", "updated_at", "completed_at")


def micros(moment):
    return None if moment is None else int(moment.timestamp() * 1_000_000)


def seed_sqlite(path, accounts):
    """Inserts each account's rows into its Inbox (its id) with the server running."""
    db = sqlite3.connect(path, timeout=60)
    db.execute("pragma foreign_keys = on")
    marks = ", ".join("?" for _ in COLUMNS)
    for list_id, user_id, rows in accounts:
        owner, inbox = uuid.UUID(user_id).bytes, uuid.UUID(list_id).bytes
        db.executemany(f"insert into tasks ({', '.join(COLUMNS)}) values ({marks})", (
            (uuid.uuid4().bytes, inbox, owner, r["title"], r["description"], int(r["completed"]), r["priority"],
             r["due_date"] and r["due_date"].isoformat(), r["tags"], r["search"], r["title_key"],
             micros(r["created_at"]), micros(r["updated_at"]), micros(r["completed_at"])) for r in rows))
        db.commit()
    db.execute("pragma optimize")
    db.close()


def seed_postgres(url, accounts):
    for list_id, user_id, rows in accounts:
        out = io.StringIO()
        writer = csv.writer(out)
        for r in rows:
            writer.writerow([uuid.uuid4(), list_id, user_id, r["title"], r["description"], "t" if r["completed"] else "f",
                             r["priority"], r["due_date"] and r["due_date"].isoformat(), r["tags"], r["search"],
                             r["title_key"], r["created_at"].isoformat(), r["updated_at"].isoformat(),
                             r["completed_at"] and r["completed_at"].isoformat()])
        subprocess.run(["psql", url, "-qc", f"copy tasks ({', '.join(COLUMNS)}) from stdin with (format csv, force_not_null (description, tags))"],
                       input=out.getvalue().encode(), check=True)
    subprocess.run(["psql", url, "-qc", "vacuum analyze"], check=True)


def account(client, name):
    email = f"scale-{name}@example.com"
    status, cookie, body = client.call("POST", "/api/auth/signup", {"email": email, "password": PASSWORD, "name": name})
    assert status == 200, body
    return cookie.split(";")[0].split("=", 1)[1], json.loads(body)["id"]


def views(n):
    """(label, path) of each view measured, for an account of `n` tasks."""
    out = [("default", "/api/tasks/list"),
           ("active by due", "/api/tasks/list?status=active&sort=due&order=asc"),
           (f"search '{SEARCH_WORD}'", f"/api/tasks/list?q={SEARCH_WORD}"),
           (f"search '{SEARCH_WORD}', active", f"/api/tasks/list?q={SEARCH_WORD}&status=active"),
           (f"rare tag '{RARE_TAG}'", f"/api/tasks/list?tag={RARE_TAG}"),
           ("common tag 'home', active", "/api/tasks/list?tag=home&status=active"),
           ("overdue", "/api/tasks/list?due=overdue"),
           ("offset near the end", f"/api/tasks/list?offset={n - 100}"),
           ("priority high, active", "/api/tasks/list?priority=high&status=active"),
           ("assigned to me", "/api/tasks/list?assignee=me"),
           ("tags", "/api/tasks/tags"),
           ("/tasks page", "/tasks")]
    for status in ("all", "active", "completed"):
        for sort in ("created", "updated", "due", "priority", "title"):
            for order in ("asc", "desc"):
                out.append((f"{status} by {sort} {order}", f"/api/tasks/list?status={status}&sort={sort}&order={order}"))
    for due in ("overdue", "today", "upcoming", "none"):
        for status in ("all", "active", "completed"):
            out.append((f"due {due}, {status}", f"/api/tasks/list?due={due}&status={status}"))
    return out


def timed(client, path, session):
    started = time.perf_counter()
    status, _, body = client.call("GET", path, cookie=session, accept="text/html" if path == "/tasks" else "application/json")
    elapsed = (time.perf_counter() - started) * 1000
    assert status == 200, (path, status, body[:300])
    return elapsed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def measure_views(port, small, big):
    client = Client(port)
    results = []
    for (label, small_path), (_, big_path) in zip(views(SMALL), views(BIG)):
        times = {"small": [], "big": []}
        for _ in range(5):
            timed(client, small_path, small)
            timed(client, big_path, big)
        for _ in range(SAMPLES):
            times["small"].append(timed(client, small_path, small))
            times["big"].append(timed(client, big_path, big))
        row = {"view": label, "path": big_path}
        for name, values in times.items():
            row[name] = {"p50_ms": round(statistics.median(values), 2), "p99_ms": round(percentile(values, 0.99), 2)}
        row["p99_ratio"] = round(row["big"]["p99_ms"] / row["small"]["p99_ms"], 2)
        row["met"] = row["p99_ratio"] <= RATIO and (not label.startswith("search") or row["big"]["p99_ms"] <= SEARCH_P99_MS)
        log(f"{label}: {row['small']} / {row['big']} ratio {row['p99_ratio']}")
        results.append(row)
    return results


def read_everything(port, session, n):
    """Every task of the account, 100 at a time through `after=`: pages, seconds, and the
    slowest page; then the last page by offset, for comparison."""
    client = Client(port)
    seen, after, pages, slowest = 0, None, 0, 0.0
    started = time.perf_counter()
    while True:
        path = "/api/tasks/list?limit=100" + (f"&after={after}" if after else "")
        page_started = time.perf_counter()
        status, _, body = client.call("GET", path, cookie=session)
        slowest = max(slowest, time.perf_counter() - page_started)
        assert status == 200, body[:300]
        page = json.loads(body)
        seen += len(page["tasks"])
        pages += 1
        after = page.get("next_after")
        if not after:
            break
    seconds = time.perf_counter() - started
    assert seen == n, (seen, n)
    last = statistics.median(timed(client, f"/api/tasks/list?limit=100&offset={n - 100}", session) for _ in range(20))
    return {"tasks": seen, "pages": pages, "seconds": round(seconds, 2), "slowest_page_ms": round(slowest * 1000, 2),
            "last_page_by_offset_p50_ms": round(last, 2)}


def measure_bulk(port, session, list_id, bystander):
    """Each bulk action on `list_id`, timed until it has finished (its answer, and its job when
    it goes on in the background), while another account (`bystander`) creates tasks
    one after another: its slowest create and any create that failed say what the action
    costs everyone else (on SQLite every write waits for the one writer)."""
    client = Client(port)
    out = {}
    for label, path, form in (("complete-all", "/api/tasks/complete-all", {"completed": "true"}),
                              ("reopen-all", "/api/tasks/complete-all", {"completed": "false"}),
                              ("complete-all again", "/api/tasks/complete-all", {"completed": "true"}),
                              ("clear-completed", "/api/tasks/clear-completed", {}),
                              ("delete the list", "/api/lists/delete", {"id": list_id}),
                              ("restore the list", "/api/trash/restore", {"kind": "list", "id": list_id}),
                              ("delete it again", "/api/lists/delete", {"id": list_id}),
                              ("empty the trash", "/api/trash/empty", {})):
        stop = threading.Event()
        creates = []

        def create_beside():
            other = Client(port)
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    status, _, _ = other.call("POST", "/api/tasks/create", {"title": "beside a bulk action"}, bystander)
                except OSError:  # a reset or a timeout: counted as failed, on a new connection
                    status, other = None, Client(port)
                creates.append((status, time.perf_counter() - started))

        beside = threading.Thread(target=create_beside)
        beside.start()
        time.sleep(0.05)
        started = time.perf_counter()
        status, _, body = client.call("POST", path, form, session)
        answered = time.perf_counter() - started
        if status == 202:  # the rest goes on in the background: until its job has finished
            job = json.loads(body)["job"]
            while not job["finished"]:
                time.sleep(0.05)
                job_status, _, job_body = client.call("GET", f"/api/jobs/get?id={job['id']}", cookie=session)
                assert job_status == 200, job_body[:300]
                job = json.loads(job_body)
        seconds = time.perf_counter() - started
        stop.set()
        beside.join()
        out[label] = {"status": status, "answered_s": round(answered, 3), "seconds": round(seconds, 3),
                      "answer": body[:200].decode(),
                      "creates_beside": len(creates),
                      "slowest_create_beside_ms": round(max((s for _, s in creates), default=0) * 1000, 1),
                      "failed_creates_beside": sum(1 for code, _ in creates if code != 200)}
        log(f"bulk {label}: {out[label]}")
    return out


def seed_crowd(backend, target, n, tasks_each, today):
    """`n` accounts (not meant to log in) with `tasks_each` tasks each, through SQL."""
    rng = random.Random(10)
    now = datetime.now(timezone.utc)
    users = [(uuid.uuid4(), f"crowd-{i}@example.com") for i in range(n)]
    if backend == "sqlite":
        db = sqlite3.connect(target, timeout=60)
        db.execute("pragma foreign_keys = on")
        db.executemany("insert into users (id, email, name, password_hash, created_at, updated_at) values (?, ?, ?, ?, ?, ?)",
                       ((u.bytes, e, "Crowd", "!", micros(now), micros(now)) for u, e in users))
        db.commit()
        db.close()
        seed_sqlite(target, [(str(u), str(u), fill(rng, tasks_each, 0.3, today)) for u, _ in users])
    else:
        out = io.StringIO()
        csv.writer(out).writerows([u, e, "Crowd", "!", now.isoformat(), now.isoformat()] for u, e in users)
        subprocess.run(["psql", target, "-qc", "copy users (id, email, name, password_hash, created_at, updated_at) "
                        "from stdin with (format csv)"], input=out.getvalue().encode(), check=True)
        seed_postgres(target, [(str(u), str(u), fill(rng, tasks_each, 0.3, today)) for u, _ in users])


def measure_probe(port, session):
    """p50 and p99 of one account's default list, open tasks by due date, and creates."""
    client = Client(port)
    out = {}
    for label, path in (("list", "/api/tasks/list"), ("active by due", "/api/tasks/list?status=active&sort=due&order=asc")):
        for _ in range(10):
            timed(client, path, session)
        values = [timed(client, path, session) for _ in range(SAMPLES * 2)]
        out[label] = {"p50_ms": round(statistics.median(values), 2), "p99_ms": round(percentile(values, 0.99), 2)}
    values = []
    for i in range(SAMPLES * 2):
        started = time.perf_counter()
        status, _, body = client.call("POST", "/api/tasks/create", {"title": f"Probe {i}", "tags": "probe"}, session)
        values.append((time.perf_counter() - started) * 1000)
        assert status == 200, body
    out["create"] = {"p50_ms": round(statistics.median(values), 2), "p99_ms": round(percentile(values, 0.99), 2)}
    return out


def measure_crowd(backend, server, database_url, today):
    client = Client(PORT)
    probe, probe_id = account(client, "probe")
    target = database_url or str(Path(server.data) / "doable.db")
    rng = random.Random(11)
    rows = fill(rng, 100, 0.3, today)
    if backend == "sqlite":
        seed_sqlite(target, [(probe_id, probe_id, rows)])
    else:
        seed_postgres(target, [(probe_id, probe_id, rows)])
    alone = measure_probe(PORT, probe)
    started = time.perf_counter()
    seed_crowd(backend, target, CROWD, 100, today)
    log(f"{backend}: {CROWD} more accounts seeded in {time.perf_counter() - started:.0f} s")
    crowded = measure_probe(PORT, probe)
    ratios = {k: round(crowded[k]["p50_ms"] / alone[k]["p50_ms"], 2) for k in alone}
    log(f"{backend} crowd: alone {alone}, crowded {crowded}, p50 ratios {ratios}")
    return {"accounts": CROWD, "tasks_each": 100, "alone": alone, "crowded": crowded, "p50_ratio": ratios}


def run_backend(backend, database_url):
    server = Server(backend, database_url)
    rng = random.Random(18)
    today = date.today()
    try:
        server.start()
        client = Client(PORT)
        small, small_id = account(client, "small")
        big, big_id = account(client, "big")
        bulk, bulk_id = account(client, "bulk")
        # The bulk account's tasks live in a list of its own, so that deleting it is measured.
        status, _, body = client.call("POST", "/api/lists/create", {"name": "Everything"}, bulk)
        assert status == 200, body
        bulk_list = json.loads(body)["id"]
        seeds = [(small_id, small_id, fill(rng, SMALL, 0.01, today)), (big_id, big_id, fill(rng, BIG, 0.01, today)),
                 (bulk_list, bulk_id, fill(rng, BIG, 0.99, today))]
        started = time.perf_counter()
        if database_url:
            seed_postgres(database_url, seeds)
        else:
            seed_sqlite(str(Path(server.data) / "doable.db"), seeds)
        log(f"{backend}: seeded in {time.perf_counter() - started:.0f} s")
        results = {}
        if VIEWS:
            results["views"] = measure_views(PORT, small, big)
            results["read_everything"] = read_everything(PORT, big, BIG)
            log(f"{backend} read everything: {results['read_everything']}")
        bystander, _ = account(Client(PORT), "bystander")
        results["bulk"] = measure_bulk(PORT, bulk, bulk_list, bystander)
        if CROWD:
            results["crowd"] = measure_crowd(backend, server, database_url, today)
        return results
    finally:
        server.stop()


def main():
    if not BINARY.exists():
        raise SystemExit("build the release app first (make build)")
    report = {"settings": {"samples": SAMPLES, "big": BIG, "small": SMALL}, "results": {}}
    report["results"] = each_backend(run_backend)
    out = Path(os.environ.get("SCALE_OUT") or BENCH / "scale.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    for backend, r in report["results"].items():
        print(f"\n{backend}: p50 / p99 ms at {SMALL:,} and {BIG:,} tasks")
        for row in r.get("views", []):
            print(f"  {'met ' if row['met'] else 'MISS'} {row['view']:34} {row['small']['p50_ms']:7.2f} /"
                  f" {row['small']['p99_ms']:7.2f}   {row['big']['p50_ms']:7.2f} / {row['big']['p99_ms']:7.2f}"
                  f"   x{row['p99_ratio']}")
        if "read_everything" in r:
            print(f"  read everything: {r['read_everything']}")
        for label, b in r["bulk"].items():
            print(f"  {label}: {b['status']} after {b.get('answered_s', b['seconds'])} s, done in {b['seconds']} s; beside it {b['creates_beside']} creates, slowest"
                  f" {b['slowest_create_beside_ms']} ms, {b['failed_creates_beside']} failed")
        if "crowd" in r:
            c = r["crowd"]
            for k, ratio in c["p50_ratio"].items():
                print(f"  beside {c['accounts']:,} accounts, {k}: p50 {c['alone'][k]['p50_ms']} -> "
                      f"{c['crowded'][k]['p50_ms']} ms (x{ratio}), p99 {c['alone'][k]['p99_ms']} -> {c['crowded'][k]['p99_ms']} ms")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
