#!/usr/bin/env python3
"""`make bench`: throughput, latency, memory and size of the release build.

Starts target/release/doable on a fresh SQLite database (and again on PostgreSQL when it is
reachable, or when BENCH_PG=1; BENCH_PG=0 skips it), seeds 100 users with 1,000 tasks each
(and 4 lists of 1,000 tasks, each shared by 5 of them),
then drives each scenario with wrk for a fixed time at a fixed concurrency over loopback,
sampling the server's peak RSS per scenario. Prints a table and writes bench/results.json.

Environment: BENCH_DURATION (seconds per scenario, default 10), BENCH_CONNECTIONS (16),
BENCH_USERS (100), BENCH_TASKS (1000), TEST_POSTGRES_URL, BENCH_PG, BENCH_SQLITE (0 skips
SQLite), RUST_LOG (the server's, default warn).
"""

import gzip
import http.client
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# BENCH_BINARY: another build to measure (an earlier one, for a before-and-after).
BINARY = Path(os.environ.get("BENCH_BINARY") or ROOT / "target" / "release" / "doable").resolve()
PASSWORD = "bench password for everyone"
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
USERS = int(os.environ.get("BENCH_USERS", "100"))
TASKS = int(os.environ.get("BENCH_TASKS", "1000"))
# Daily recurring tasks per user, beside the others, for the complete_recurring scenario
# (BENCH_RECURRING=0 seeds none: for `make bench-compare` against a build older than them).
RECURRING = int(os.environ.get("BENCH_RECURRING", "10"))
PORT = 3400
# Reminders queued for the reminder_sweep scenario, and how many of them come due at once.
PENDING_REMINDERS = 100_000
DUE_AT_ONCE = 5_000
METRICS_TOKEN = "bench-metrics-token-0123456789"

TARGETS = {
    "list_rps": 5000, "list_p99_ms": 10, "create_rps": 3000, "create_p99_ms": 20, "complete_rps": 3000,
    "page_rps": 1500, "login_share": 0.80, "list_beside_login_p99_ms": 25, "peak_rss_mb": 50,
    "cold_start_ms": 300, "wasm_gzip_kb": 300, "list_shared_share": 0.90, "complete_recurring_share": 0.80,
    "reminder_sweep_p99_ms": 50,
}


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Client:
    """A keep-alive HTTP/1.1 client for seeding."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, form=None, cookie=None, accept="application/json"):
        headers = {"Accept": accept}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie:
            headers["Cookie"] = f"doable_session={cookie}"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, response.getheader("set-cookie"), data


class Server:
    def __init__(self, backend, database_url):
        self.backend = backend
        self.data = tempfile.mkdtemp(prefix=f"doable-bench-{backend}-")
        self.env = dict(os.environ, DOABLE_DATA_DIR=self.data, LEPTOS_SITE_ADDR=f"127.0.0.1:{PORT}",
                        LEPTOS_SITE_ROOT=str(ROOT / "target" / "site"), RUST_LOG=os.environ.get('RUST_LOG','warn'),
                        DOABLE_SIGNUP_LIMIT="1000000", DOABLE_MAX_TASKS="1000000",
                        DOABLE_METRICS_TOKEN=METRICS_TOKEN)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.process = None

    def start(self):
        """Starts the server; returns milliseconds from spawn to /readyz answering 200."""
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.5).close()
            raise SystemExit(f"port {PORT} is in use; stop whatever listens there first")
        except OSError:
            pass
        started = time.perf_counter()
        self.process = subprocess.Popen([str(BINARY)], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=open(Path(self.data) / "server.log", "wb"))
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {(Path(self.data) / 'server.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=0.05) as sock:
                    sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return (time.perf_counter() - started) * 1000
            except OSError:
                pass
            time.sleep(0.001)

    def reset_peak_rss(self):
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak_rss_mb(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.data, ignore_errors=True)


def seed(port, users, tasks):
    """Creates `users` accounts with `tasks` tasks each: mixed priorities, due dates and
    tags, a third completed. Returns (sessions, emails, (session, task id) pairs)."""
    today = date.today()
    priorities = ["none", "low", "medium", "high"]
    tag_sets = ["", "home", "work", "home,errands", "work,urgent", "later"]

    def one_user(u):
        client = Client(port)
        email = f"bench-{u}@example.com"
        status, cookie, body = client.call("POST", "/api/auth/signup", {"email": email, "password": PASSWORD, "name": f"Bench {u}"})
        assert status == 200, body
        session = cookie.split(";")[0].split("=", 1)[1]
        user_id = json.loads(body)["id"]
        ids = []
        for i in range(tasks):
            due = "" if i % 5 == 0 else (today + timedelta(days=(i % 60) - 20)).isoformat()
            form = {"title": f"Task {i} of user {u}", "priority": priorities[i % 4], "due_date": due,
                    "tags": tag_sets[i % len(tag_sets)], "description": "Seeded for the benchmark" if i % 2 else ""}
            status, _, body = client.call("POST", "/api/tasks/create", form, session)
            assert status == 200, body
            task_id = json.loads(body)["id"]
            ids.append(task_id)
            if i % 3 == 0:
                status, _, body = client.call("POST", "/api/tasks/set-completed", {"id": task_id, "completed": "true"}, session)
                assert status == 200, body
        recurring = []
        for i in range(RECURRING):
            form = {"title": f"Daily {i} of user {u}", "due_date": today.isoformat(), "repeat": "FREQ=DAILY"}
            status, _, body = client.call("POST", "/api/tasks/create", form, session)
            assert status == 200, body
            recurring.append(json.loads(body)["id"])
        return session, email, ids, user_id, recurring

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one_user, range(users)))
    sessions = [r[0] for r in results]
    emails = [r[1] for r in results]
    pairs = [(r[0], task_id) for r in results for task_id in r[2]]
    inboxes = [(r[0], r[3]) for r in results]
    recurring = [(r[0], task_id) for r in results for task_id in r[4]]
    return sessions, emails, pairs, inboxes, recurring


SHARED_GROUPS = 4
SHARED_MEMBERS = 5


def share(port, sessions, emails, tasks):
    """Makes SHARED_GROUPS lists of `tasks` tasks (seeded like the Inboxes), each shared by its
    owner with four more of the seeded users (two editors, two viewers), who accept. Returns
    (session, list id) for every member of every shared list."""
    today = date.today()
    members = []
    for g in range(SHARED_GROUPS):
        client = Client(port)
        group = [g * SHARED_MEMBERS + m for m in range(SHARED_MEMBERS)]
        owner = sessions[group[0]]
        status, _, body = client.call("POST", "/api/lists/create", {"name": f"Shared {g}"}, owner)
        assert status == 200, body
        list_id = json.loads(body)["id"]
        for i in range(tasks):
            due = "" if i % 5 == 0 else (today + timedelta(days=(i % 60) - 20)).isoformat()
            form = {"title": f"Shared task {i}", "due_date": due, "list_id": list_id}
            status, _, body = client.call("POST", "/api/tasks/create", form, owner)
            assert status == 200, body
            if i % 3 == 0:
                task_id = json.loads(body)["id"]
                status, _, body = client.call("POST", "/api/tasks/set-completed", {"id": task_id, "completed": "true"}, owner)
                assert status == 200, body
        for n, m in enumerate(group[1:]):
            role = "editor" if n < 2 else "viewer"
            status, _, body = client.call("POST", "/api/lists/invite", {"id": list_id, "email": emails[m], "role": role}, owner)
            assert status == 200, body
            status, _, body = client.call("GET", "/api/invitations/list", None, sessions[m])
            invitation = next(i["id"] for i in json.loads(body)["invitations"] if i["list"]["id"] == list_id)
            status, _, body = client.call("POST", "/api/invitations/accept", {"id": invitation}, sessions[m])
            assert status == 200, body
        members += [(sessions[m], list_id) for m in group]
    return members


def wrk(name, script, path, connections, threads, env, duration=DURATION):
    out = Path(env["BENCH_WORK"]) / f"{name}.json"
    run_env = dict(os.environ, **env, BENCH_OUT=str(out), BENCH_DIR=str(BENCH))
    return subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
                             "-s", str(BENCH / script), f"http://127.0.0.1:{PORT}{path}"],
                            env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out


def result(out):
    data = json.loads(out.read_text())
    errors = sum(data["errors"].values())
    seconds = data["duration_us"] / 1e6
    return {"rps": round(data["requests"] / seconds, 1), "p50_ms": round(data["p50_us"] / 1000, 2),
            "p99_ms": round(data["p99_us"] / 1000, 2), "errors": errors, "requests": data["requests"]}


def scenario(server, name, script, path, env, threads=2, connections=CONNECTIONS):
    server.reset_peak_rss()
    process, out = wrk(name, script, path, connections, threads, env)
    _, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"wrk failed for {name}: {err.decode()}")
    measured = result(out)
    measured["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
    log(f"{server.backend} {name}: {measured}")
    return measured


def login_scenario(server, env):
    """Logins at full speed (4 connections: every hasher busy), with the list scenario
    running beside them."""
    server.reset_peak_rss()
    login, login_out = wrk("login_beside_list", "login.lua", "/api/auth/login", 4, 1, env)
    beside, beside_out = wrk("list_beside_login", "list.lua", "/api/tasks/list", CONNECTIONS, 1, env)
    for process in (login, beside):
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"wrk failed: {err.decode()}")
    measured = result(login_out)
    measured["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
    measured["beside"] = result(beside_out)
    log(f"{server.backend} login: {measured}")
    return measured


def argon2_ceiling(port, email):
    """One login at a time: its latency is one hash plus a little; the ceiling is one
    hash's rate times the cores."""
    client = Client(port)
    times = []
    for _ in range(15):
        started = time.perf_counter()
        status, _, body = client.call("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
        assert status == 200, body
        times.append(time.perf_counter() - started)
    hash_seconds = statistics.median(times)
    cores = os.cpu_count() or 1
    return {"hash_ms": round(hash_seconds * 1000, 2), "cores": cores, "ceiling_rps": round(cores / hash_seconds, 1)}


def page_size(port, session):
    client = Client(port)
    status, _, body = client.call("GET", "/tasks", cookie=session, accept="text/html")
    assert status == 200, status
    return {"raw_bytes": len(body), "gzip_bytes": len(gzip.compress(body, 9)), "tasks_on_page": body.count(b'role="checkbox"')}


def wasm_size():
    wasm = max((ROOT / "target" / "site" / "pkg").glob("*.wasm"), key=lambda p: p.stat().st_size)
    raw = wasm.read_bytes()
    brotli = None
    if shutil.which("brotli"):
        brotli = len(subprocess.run(["brotli", "-c", "-q", "11"], input=raw, capture_output=True, check=True).stdout)
    return {"file": wasm.name, "raw_bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, 9)), "brotli_bytes": brotli}


def each_backend(run):
    """`run(backend, database_url)` on SQLite (unless BENCH_SQLITE=0), then on a new
    PostgreSQL database (as `postgres_url` decides), dropped afterwards; their results by
    backend."""
    results = {}
    if os.environ.get("BENCH_SQLITE") != "0":
        results["sqlite"] = run("sqlite", None)
    url, cleanup = postgres_url()
    if url:
        try:
            results["postgres"] = run("postgres", url)
        finally:
            admin, name = cleanup
            subprocess.run(["psql", admin, "-qc", f"drop database if exists {name} with (force)"], check=False)
    return results


def postgres_url():
    """A new database on the benchmark's PostgreSQL server, or None."""
    choice = os.environ.get("BENCH_PG")
    if choice == "0":
        return None, None
    admin = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urllib.parse.urlparse(admin)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 5432), timeout=2).close()
    except OSError:
        if choice == "1":
            raise SystemExit(f"BENCH_PG=1 but PostgreSQL does not answer at {parsed.hostname}")
        log("PostgreSQL not reachable: SQLite only")
        return None, None
    name = f"doable_bench_{random.randrange(1 << 30)}"
    subprocess.run(["psql", admin, "-qc", f"create database {name}"], check=True)
    return parsed._replace(path=f"/{name}").geturl(), (admin, name)


def run_sql(server, database_url, statements):
    """Runs statements on the server's database beside it (psql, or SQLite's own module)."""
    if database_url:
        for statement in statements:
            subprocess.run(["psql", database_url, "-qc", statement], check=True)
        return
    db = sqlite3.connect(Path(server.data) / "doable.db", timeout=30)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def sweep_metrics(port):
    """The reminder sweep's histogram from /metrics: {bound in seconds: batches}, count, sum."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    text = conn.getresponse().read().decode()
    buckets, count, total = {}, 0, 0.0
    for line in text.splitlines():
        if line.startswith("doable_reminder_sweep_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("doable_reminder_sweep_seconds_count"):
            count = int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("doable_reminder_sweep_seconds_sum"):
            total = float(line.rsplit(" ", 1)[1])
    return buckets, count, total


def reminder_sweep(server, database_url, env):
    """PENDING_REMINDERS reminders queued (for the seeded open tasks, a day or two ahead); then,
    twice, DUE_AT_ONCE of them come due at once, once while the list scenario runs and once
    while the create one does. Measures each sweep batch (from /metrics), and the requests
    beside the sweeps against the same scenarios without them."""
    future = "now() + interval '1 day' + random() * interval '1 day'" if database_url else \
        f"{int((time.time() + 86400) * 1e6)} + abs(random()) % 86400000000"
    new_id = "gen_random_uuid()" if database_url else "randomblob(16)"
    now = "now()" if database_url else f"{int(time.time() * 1e6)}"
    run_sql(server, database_url, [
        "update tasks set reminders = '0m,5m,15m' where not completed",
        "insert into reminder_queue (id, task_id, user_id, reminder, due_date, fire_at) "
        f"select {new_id}, t.id, m.user_id, r.reminder, t.due_date, {future} "
        "from tasks t join list_members m on m.list_id = t.list_id and m.role = 'owner' "
        "join (select '0m' as reminder union all select '5m' union all select '15m') r on true "
        f"where not t.completed limit {PENDING_REMINDERS} on conflict do nothing",
    ])
    results = {"pending": PENDING_REMINDERS, "due_at_once": DUE_AT_ONCE}
    for name, script, path in (("list", "list.lua", "/api/tasks/list"), ("create", "create.lua", "/api/tasks/create")):
        before = sweep_metrics(PORT)
        run_sql(server, database_url, [
            f"update reminder_queue set fire_at = {now} where id in "
            f"(select id from reminder_queue order by fire_at desc limit {DUE_AT_ONCE})"])
        results[f"{name}_beside"] = scenario(server, f"{name}_beside_sweep", script, path, env)
        after = sweep_metrics(PORT)
        results[f"{name}_batches"] = {"count": after[1] - before[1],
                                      "buckets": {str(b): after[0][b] - before[0].get(b, 0) for b in after[0]}}
    buckets, count, total = sweep_metrics(PORT)
    # The smallest bucket bound that holds 99% of the batches.
    p99 = next((b for b in sorted(buckets) if buckets[b] >= 0.99 * count), float("inf")) if count else 0
    results.update({"batches": count, "mean_ms": round(total / count * 1000, 2) if count else 0,
                    "p99_le_ms": p99 * 1000, "sent": count and DUE_AT_ONCE * 2})
    log(f"{server.backend} reminder_sweep: {results['batches']} batches, mean {results['mean_ms']} ms, "
        f"p99 <= {results['p99_le_ms']} ms")
    return results


def run_backend(backend, database_url):
    server = Server(backend, database_url)
    try:
        cold = server.start()
        log(f"{backend}: ready in {cold:.0f} ms; seeding {USERS} users x {TASKS} tasks")
        started = time.perf_counter()
        sessions, emails, pairs, inboxes, recurring = seed(PORT, USERS, TASKS)
        shared = share(PORT, sessions, emails, TASKS)
        log(f"{backend}: seeded in {time.perf_counter() - started:.0f} s")
        if database_url:
            # As pgbench does before each run: fresh planner statistics and visibility map, so
            # that autovacuum catching up on the seeded rows does not land inside a scenario.
            subprocess.run(["psql", database_url, "-qc", "vacuum analyze"], check=True)
        work = tempfile.mkdtemp(prefix="doable-bench-wrk-")
        (Path(work) / "sessions").write_text("\n".join(sessions) + "\n")
        (Path(work) / "emails").write_text("\n".join(emails) + "\n")
        (Path(work) / "tasks").write_text("".join(f"{s}\t{t}\n" for s, t in pairs))
        (Path(work) / "recurring").write_text("".join(f"{s}\t{t}\n" for s, t in recurring))
        # The list scenario reads each user's Inbox by its id; the shared one, with the same
        # query, a list of as many tasks that five people share.
        (Path(work) / "lists").write_text("".join(f"{s}\t{l}\n" for s, l in inboxes))
        (Path(work) / "shared").write_text("".join(f"{s}\t{l}\n" for s, l in shared))
        env = {"BENCH_WORK": work, "BENCH_SESSIONS": f"{work}/sessions", "BENCH_EMAILS": f"{work}/emails",
               "BENCH_TASKS": f"{work}/tasks", "BENCH_LISTS": f"{work}/lists"}
        results = {"cold_start_ms": round(cold, 1)}
        results["baseline"] = scenario(server, "baseline", "plain.lua", "/healthz", env)
        results["list"] = scenario(server, "list", "list.lua", "/api/tasks/list", env)
        shared_env = dict(env, BENCH_LISTS=f"{work}/shared")
        results["list_shared"] = scenario(server, "list_shared", "list.lua", "/api/tasks/list", shared_env)
        results["page"] = scenario(server, "page", "page.lua", "/tasks", env)
        results["complete"] = scenario(server, "complete", "complete.lua", "/api/tasks/set-completed", env)
        recurring_env = dict(env, BENCH_TASKS=f"{work}/recurring", BENCH_COMPLETE_ONLY="1")
        results["complete_recurring"] = scenario(server, "complete_recurring", "complete.lua",
                                                 "/api/tasks/set-completed", recurring_env)
        results["create"] = scenario(server, "create", "create.lua", "/api/tasks/create", env)
        results["create_reminders"] = scenario(server, "create_reminders", "create.lua", "/api/tasks/create",
                                               dict(env, BENCH_REMINDERS="1"))
        results["reminder_sweep"] = reminder_sweep(server, database_url, env)
        results["argon2"] = argon2_ceiling(PORT, emails[0])
        results["login"] = scenario(server, "login", "login.lua", "/api/auth/login", env, threads=1, connections=4)
        results["login_with_list"] = login_scenario(server, env)
        results["page_size"] = page_size(PORT, sessions[0])
        shutil.rmtree(work, ignore_errors=True)
        return results
    finally:
        server.stop()


def verdicts(r, wasm):
    scenarios = [r[k] for k in ("baseline", "list", "list_shared", "page", "complete", "complete_recurring", "create",
                                "login", "login_with_list")]
    checks = {
        "list_shared_share_of_list_rps": (round(r["list_shared"]["rps"] / r["list"]["rps"], 3), ">=", TARGETS["list_shared_share"]),
        "list_rps": (r["list"]["rps"], ">=", TARGETS["list_rps"]),
        "list_p99_ms": (r["list"]["p99_ms"], "<=", TARGETS["list_p99_ms"]),
        "create_rps": (r["create"]["rps"], ">=", TARGETS["create_rps"]),
        "create_p99_ms": (r["create"]["p99_ms"], "<=", TARGETS["create_p99_ms"]),
        "complete_rps": (r["complete"]["rps"], ">=", TARGETS["complete_rps"]),
        "complete_recurring_share_of_complete": (round(r["complete_recurring"]["rps"] / r["complete"]["rps"], 3), ">=",
                                                 TARGETS["complete_recurring_share"]),
        "page_rps": (r["page"]["rps"], ">=", TARGETS["page_rps"]),
        "login_share_of_argon2_ceiling": (round(r["login"]["rps"] / r["argon2"]["ceiling_rps"], 3), ">=", TARGETS["login_share"]),
        "list_beside_login_p99_ms": (r["login_with_list"]["beside"]["p99_ms"], "<=", TARGETS["list_beside_login_p99_ms"]),
        "peak_rss_mb": (max(s["peak_rss_mb"] for s in scenarios), "<=", TARGETS["peak_rss_mb"]),
        "cold_start_ms": (r["cold_start_ms"], "<=", TARGETS["cold_start_ms"]),
        "errors": (sum(s["errors"] for s in scenarios) + r["login_with_list"]["beside"]["errors"], "<=", 0),
        "wasm_gzip_kb": (round(wasm["gzip_bytes"] / 1024, 1), "<=", TARGETS["wasm_gzip_kb"]),
        "reminder_sweep_p99_ms": (r["reminder_sweep"]["p99_le_ms"], "<=", TARGETS["reminder_sweep_p99_ms"]),
    }
    return {k: {"value": v, "target": f"{op} {t}", "met": v >= t if op == ">=" else v <= t} for k, (v, op, t) in checks.items()}


def table(all_results):
    rows = [("scenario", *[f"{b} rps" for b in all_results], *[f"{b} p50/p99 ms" for b in all_results],
             *[f"{b} x baseline" for b in all_results], *[f"{b} peak RSS MB" for b in all_results])]
    for name in ("baseline", "list", "list_shared", "create", "create_reminders", "complete", "complete_recurring",
                 "page", "login"):
        cells = [name]
        cells += [f"{r[name]['rps']:.0f}" for r in all_results.values()]
        cells += [f"{r[name]['p50_ms']:.2f} / {r[name]['p99_ms']:.2f}" for r in all_results.values()]
        cells += [f"{r[name]['rps'] / r['baseline']['rps']:.2f}" for r in all_results.values()]
        cells += [f"{r[name]['peak_rss_mb']:.1f}" for r in all_results.values()]
        rows.append(tuple(cells))
    besides = (("list beside sweeps", lambda r: r["reminder_sweep"]["list_beside"]),
               ("create beside sweeps", lambda r: r["reminder_sweep"]["create_beside"]),
               ("login beside list", lambda r: r["login_with_list"]),
               ("list beside login", lambda r: r["login_with_list"]["beside"]))
    for label, part in besides:
        cells = [label]
        cells += [f"{part(r)['rps']:.0f}" for r in all_results.values()]
        cells += [f"{part(r)['p50_ms']:.2f} / {part(r)['p99_ms']:.2f}" for r in all_results.values()]
        cells += [f"{part(r)['rps'] / r['baseline']['rps']:.2f}" for r in all_results.values()]
        # The list beside logins ran in the same run as them: one peak for both.
        cells += [f"{part(r).get('peak_rss_mb', r['login_with_list']['peak_rss_mb']):.1f}" for r in all_results.values()]
        rows.append(tuple(cells))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main():
    if not BINARY.exists():
        raise SystemExit("build the release app first (make build)")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (apt-get install wrk)")
    all_results = each_backend(run_backend)
    wasm = wasm_size()
    report = {
        "machine": {"cpus": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
                    "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
        "settings": {"duration_s": DURATION, "connections": CONNECTIONS, "users": USERS, "tasks_per_user": TASKS,
                     "load_tool": "wrk 4.1 (same machine, loopback)"},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wasm": wasm,
        "results": all_results,
        "targets": {backend: verdicts(r, wasm) for backend, r in all_results.items()},
    }
    (BENCH / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(all_results))
    print(f"\nWASM {wasm['file']}: {wasm['raw_bytes']} bytes raw, {wasm['gzip_bytes']} gzip, {wasm['brotli_bytes']} brotli")
    for backend, r in all_results.items():
        sweep = r["reminder_sweep"]
        print(f"{backend}: reminder sweep beside {sweep['pending']} queued: {sweep['batches']} batches sending "
              f"{sweep['sent']}, mean {sweep['mean_ms']} ms, p99 <= {sweep['p99_le_ms']} ms")
        print(f"{backend}: cold start to /readyz {r['cold_start_ms']} ms; argon2 {r['argon2']['hash_ms']} ms per hash, "
              f"ceiling {r['argon2']['ceiling_rps']}/s; /tasks page {r['page_size']['raw_bytes']} bytes "
              f"({r['page_size']['gzip_bytes']} gzip, {r['page_size']['tasks_on_page']} tasks)")
    print("\nTargets (SQLite is the one the targets are set for):")
    for backend, checks in report["targets"].items():
        for name, check in checks.items():
            print(f"  {backend:8} {'met ' if check['met'] else 'MISS'} {name}: {check['value']} (target {check['target']})")
    print(f"\nwritten to {BENCH / 'results.json'}")


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


if __name__ == "__main__":
    main()
