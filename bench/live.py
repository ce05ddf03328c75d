#!/usr/bin/env python3
"""`make bench-live`: the live stream (`GET /api/events`, #20) at a thousand open streams.

Starts target/release/doable (SQLite, and PostgreSQL as `make bench` decides) with
DOABLE_MAX_CONNECTIONS=4096, signs up LIVE_USERS accounts (default 100) and opens
LIVE_STREAMS_PER_USER streams for each (default 10, the most one account may hold): 1,000
streams, read all the time by one asyncio loop in a thread of this script (HTTP/1.1 over raw
sockets, chunked decoding, SSE blocks), a dropped stream coming back after its last `id:` as
a browser would. Then:

- memory per stream: the server's VmRSS just before the streams open (0 streams, after the
  run without streams below) and once every stream has had its `ready`, over the number of
  streams, in KiB (target: at most 20 KiB a stream);
- fan-out latency: LIVE_SAMPLES times (default 200), LIVE_PACE_MS apart (default 20), a
  task is created for a user picked at random, through HTTP on a keep-alive connection of its
  own; from the moment its 200 arrived to the moment each of that user's streams got its
  `task.created` (data `id` the new task's): p50, p99 and max over every stream and sample,
  and the events that never came within LIVE_WAIT seconds (default 5), or came to another
  user's stream (target: p99 at most 100 ms, none missing);
- create throughput: bench/create.lua with wrk (as `make bench` runs it: BENCH_CONNECTIONS
  connections, default 16, 2 threads, the same users) for BENCH_LIVE_SECONDS (default 8),
  once with no stream open and once beside the 1,000 streams, which get the events of those
  creates as they come (fan-out included) (target: beside the streams within 15% of
  without);
- PostgreSQL only: a second server on the same database (port PORT+1, the same
  DOABLE_JWT_SECRET so that sessions work on both), the streams moved to it and the creates
  still sent to the first: the same fan-out latency, across servers.

Everything on one machine: the reader, wrk and the server share its cores (the figures
include the reader's and wrk's load). Writes bench/live.json and prints a table.

Environment: LIVE_USERS, LIVE_STREAMS_PER_USER, LIVE_SAMPLES, LIVE_PACE_MS, LIVE_WAIT,
BENCH_LIVE_SECONDS, BENCH_CONNECTIONS, LIVE_OUT (where the report goes, default
bench/live.json), BENCH_BINARY, BENCH_PG / BENCH_SQLITE / TEST_POSTGRES_URL as for
`make bench`, RUST_LOG (the server's, default warn).
"""

import asyncio
import collections
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from run import BENCH, BINARY, PASSWORD, PORT, ROOT, Client, Server, each_backend, log, result, run_sql, wrk

USERS = int(os.environ.get("LIVE_USERS", "100"))
PER_USER = int(os.environ.get("LIVE_STREAMS_PER_USER", "10"))
SAMPLES = int(os.environ.get("LIVE_SAMPLES", "200"))
PACE = float(os.environ.get("LIVE_PACE_MS", "20")) / 1000
WAIT = float(os.environ.get("LIVE_WAIT", "5"))
SECONDS = int(os.environ.get("BENCH_LIVE_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
OUT = Path(os.environ.get("LIVE_OUT") or BENCH / "live.json")
MAX_CONNECTIONS = 4096
PORT_B = PORT + 1
# How long opening every stream may take, and how many are being opened at once.
OPEN_TIMEOUT = 180
OPENING_AT_ONCE = 32
# The server's log is coloured (tracing's ANSI escapes) even into a file.
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TARGETS = {"kib_per_stream": 20, "fanout_p99_ms": 100, "beside_share": 0.85}


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, int(len(sorted_values) * q + 0.999999) - 1))]


class LiveServer(Server):
    """run.Server on a port of its own, with a given JWT secret and room for the streams;
    its start gives up after a minute and its stop kills a server that does not stop."""

    def __init__(self, backend, database_url, port, jwt_secret, name="a"):
        super().__init__(backend, database_url)
        self.port = port
        self.name = name
        self.env.update(LEPTOS_SITE_ADDR=f"127.0.0.1:{port}", DOABLE_JWT_SECRET=jwt_secret,
                        DOABLE_MAX_CONNECTIONS=str(MAX_CONNECTIONS))
        self.log_path = Path(self.data) / "server.log"
        self.log_summary = None

    def start(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            raise SystemExit(f"port {self.port} is in use; stop whatever listens there first")
        except OSError:
            pass
        started = time.perf_counter()
        self.process = subprocess.Popen([str(BINARY)], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=open(self.log_path, "wb"))
        while time.perf_counter() - started < 60:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.settimeout(2)
                    sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return (time.perf_counter() - started) * 1000
            except OSError:
                pass
            time.sleep(0.01)
        raise SystemExit(f"server {self.name} not ready after 60 s: {self.log_path.read_text()[-2000:]}")

    def rss_kb(self):
        return rss_kb(self.process.pid)

    def read_log(self):
        """The warnings and errors the server logged: how many, and the first few."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        lines = [ANSI.sub("", line) for line in lines]
        bad = [line for line in lines if re.search(r"\b(WARN|ERROR)\b", line) or "panicked" in line]
        return {"warnings_and_errors": len(bad), "first": [line[:300] for line in bad[:5]]}

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log(f"server {self.name} did not stop within 30 s of SIGTERM: killed")
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_summary = self.read_log()
        shutil.rmtree(self.data, ignore_errors=True)


class Stream(asyncio.Protocol):
    """One `GET /api/events`: its HTTP/1.1 answer, chunked body and SSE blocks."""

    def __init__(self, readers, slot, session, port, last_id, opened):
        self.readers, self.slot, self.session, self.port = readers, slot, session, port
        self.last_id = last_id
        self.opened = opened  # resolved with "ready" (or "open", when resuming), or the refusal
        self.transport = None
        self.head = bytearray()
        self.status = None
        self.chunked = False
        self.raw = bytearray()
        self.left = 0
        self.need_crlf = False
        self.sse = bytearray()
        self.closing = False  # closed by this script, not by the server
        self.established = False  # had its `ready` (or, resuming, its 200)
        self.ended = False

    def connection_made(self, transport):
        self.transport = transport
        resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
        transport.write((f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAccept: text/event-stream\r\n"
                         f"Cookie: doable_session={self.session}\r\n{resume}\r\n").encode())

    def settle(self, outcome):
        if not self.opened.done():
            self.established = outcome in ("ready", "open")
            self.opened.set_result(outcome)

    def data_received(self, data):
        now = time.perf_counter()
        readers = self.readers
        readers.bytes += len(data)
        if self.status is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > 65536:
                    self.settle("bad answer")
                    self.transport.close()
                return
            lines = bytes(self.head[:end]).decode("latin-1").split("\r\n")
            data = bytes(self.head[end + 4:])
            self.head = bytearray()
            try:
                self.status = int(lines[0].split()[1])
            except (IndexError, ValueError):
                self.status = 0
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            if self.status != 200:
                self.settle(self.status)
                self.closing = True
                self.transport.close()
                return
            if self.last_id:
                self.settle("open")
        if self.chunked:
            self.raw += data
            self.dechunk()
        else:
            self.sse += data
        while True:
            end = self.sse.find(b"\n\n")
            if end < 0:
                break
            block = bytes(self.sse[:end])
            del self.sse[:end + 2]
            self.block(block, now)

    def dechunk(self):
        raw = self.raw
        while raw:
            if self.left:
                take = min(self.left, len(raw))
                self.sse += raw[:take]
                del raw[:take]
                self.left -= take
                self.need_crlf = self.left == 0
            elif self.need_crlf:
                if len(raw) < 2:
                    return
                del raw[:2]
                self.need_crlf = False
            else:
                end = raw.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(raw[:end]).split(b";")[0], 16)
                del raw[:end + 2]
                if size == 0:  # the server ended the stream
                    self.transport.close()
                    return
                self.left = size

    def block(self, block, now):
        readers = self.readers
        event, data = None, []
        for line in block.split(b"\n"):
            if line.startswith(b":"):
                continue
            name, _, value = line.partition(b":")
            if value.startswith(b" "):
                value = value[1:]
            if name == b"id":
                self.last_id = value.decode()
            elif name == b"event":
                event = value
            elif name == b"data":
                data.append(value)
        if event is None and not data:
            readers.comments += 1
            return
        readers.events += 1
        if event == b"ready":
            self.settle("ready")
        elif event == b"resync":
            readers.resyncs += 1
        elif event == b"task.created" and readers.watching:
            try:
                task_id = json.loads(b"\n".join(data))["id"]
            except (ValueError, KeyError, TypeError):
                readers.unreadable += 1
                return
            readers.arrivals[task_id].append((self.slot, now))

    def connection_lost(self, exc):
        self.ended = True
        self.settle("closed before ready")
        self.readers.lost(self)


class Readers:
    """The streams and the asyncio loop (in a thread of its own) that reads them all."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sse-readers", daemon=True)
        self.thread.start()
        self.streams = {}  # (user, k) -> the Stream serving it now
        self.keep = False  # whether a stream the server ends is opened again
        self.watching = False
        self.arrivals = collections.defaultdict(list)
        self.reset()

    def reset(self):
        self.events = self.bytes = self.comments = self.resyncs = self.unreadable = 0
        self.dropped = self.reopened = 0
        self.refused = collections.Counter()

    def counters(self):
        return {"events": self.events, "bytes": self.bytes, "comments": self.comments, "resyncs": self.resyncs,
                "dropped_by_server": self.dropped, "reopened": self.reopened, "refused": dict(self.refused),
                "open": self.open_count()}

    def open_count(self):
        return sum(1 for s in list(self.streams.values()) if s.established and not s.ended)

    def call(self, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def open_one(self, port, slot, session, last_id, deadline):
        delay = 0.1
        while True:
            opened = self.loop.create_future()
            transport = None
            try:
                transport, stream = await asyncio.wait_for(self.loop.create_connection(
                    lambda: Stream(self, slot, session, port, last_id, opened), "127.0.0.1", port), timeout=10)
                self.streams[slot] = stream
                outcome = await asyncio.wait_for(opened, timeout=30)
            except (OSError, asyncio.TimeoutError) as e:
                outcome = type(e).__name__
                if transport:
                    transport.close()
            if outcome in ("ready", "open"):
                return True
            self.refused[str(outcome)] += 1
            if time.monotonic() + delay > deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def open_all(self, port, sessions, per_user):
        self.keep = True
        deadline = time.monotonic() + OPEN_TIMEOUT
        gate = asyncio.Semaphore(OPENING_AT_ONCE)

        async def one(slot):
            async with gate:
                return await self.open_one(port, slot, sessions[slot[0]], None, deadline)

        slots = [(u, k) for u in range(len(sessions)) for k in range(per_user)]
        return sum(await asyncio.gather(*(one(slot) for slot in slots)))

    def lost(self, stream):
        """A stream ended: by this script, or by the server (then opened again, from its place)."""
        if stream.closing or not stream.established or self.streams.get(stream.slot) is not stream:
            return
        self.dropped += 1
        if self.keep:
            self.reopened += 1
            self.loop.create_task(self.open_one(stream.port, stream.slot, stream.session, stream.last_id,
                                                time.monotonic() + 30))

    async def close_all(self):
        self.keep = False
        streams = list(self.streams.values())
        self.streams = {}
        for stream in streams:
            stream.closing = True
            if stream.transport and not stream.ended:
                stream.transport.close()
        for _ in range(100):
            if all(stream.ended for stream in streams):
                break
            await asyncio.sleep(0.05)

    def stop(self):
        try:
            self.call(self.close_all(), timeout=30)
        except Exception as e:  # noqa: BLE001 - the loop is going away anyway
            log(f"closing the streams failed: {e!r}")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


def signup(port, users):
    """USERS accounts through the API: their session cookies."""

    def one(u):
        client = Client(port)
        status, cookie, body = client.call("POST", "/api/auth/signup",
                                           {"email": f"live-{u}@example.com", "password": PASSWORD, "name": f"Live {u}"})
        assert status == 200, body
        return cookie.split(";")[0].split("=", 1)[1]

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(users)))


def create_rate(server, name, env, readers=None):
    """create.lua with wrk for SECONDS, as run.py's scenario() runs it, with the server's and
    this script's CPU time meanwhile (the reader's share of the machine)."""
    server.reset_peak_rss()
    before = readers.counters() if readers else None
    server_cpu, own_cpu = cpu_seconds(server.process.pid), time.process_time()
    process, out = wrk(name, "create.lua", "/api/tasks/create", CONNECTIONS, 2, env, duration=SECONDS)
    try:
        _, err = process.communicate(timeout=SECONDS + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SystemExit(f"wrk did not finish {name} in {SECONDS + 60} s")
    if process.returncode != 0:
        raise SystemExit(f"wrk failed for {name}: {err.decode()}")
    measured = result(out)
    measured["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
    measured["server_cpu_s"] = round(cpu_seconds(server.process.pid) - server_cpu, 2)
    measured["reader_cpu_s"] = round(time.process_time() - own_cpu, 2)
    if readers:
        after = readers.counters()
        measured["streams"] = {k: after[k] - before[k] for k in ("events", "bytes", "resyncs", "dropped_by_server",
                                                                  "reopened")}
        measured["streams"]["open_after"] = after["open"]
    log(f"{server.backend} {name}: {measured}")
    return measured


class Creator:
    """Creates tasks one at a time on a keep-alive connection, opening it again if the
    server closed it meanwhile (idle for longer than its header timeout)."""

    def __init__(self, port):
        self.port = port
        self.client = Client(port)

    def create(self, session, title):
        for attempt in range(2):
            try:
                status, _, body = self.client.call("POST", "/api/tasks/create", {"title": title}, session)
                break
            except (http.client.HTTPException, OSError):
                if attempt:
                    raise
                self.client = Client(self.port)
        assert status == 200, body
        return json.loads(body)["id"]


def fanout(readers, create_port, sessions, label):
    """SAMPLES tasks created PACE apart, each for a user picked at random: from its 200 to
    each of that user's streams getting its `task.created`."""
    rng = random.Random(20)
    readers.arrivals.clear()
    readers.watching = True
    creator = Creator(create_port)
    creator.create(sessions[0], "warm-up")  # the connection's first request is not a sample
    created = []
    started = time.perf_counter()
    for i in range(SAMPLES):
        pause = started + i * PACE - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        user = rng.randrange(len(sessions))
        sent = time.perf_counter()
        task_id = creator.create(sessions[user], f"Live {label} {i}")
        answered = time.perf_counter()
        created.append((task_id, user, sent, answered))

    def complete():
        return all({slot for slot, _ in readers.arrivals.get(t, ()) if slot[0] == u} >= {(u, k) for k in range(PER_USER)}
                   for t, u, _, _ in created)

    deadline = time.perf_counter() + WAIT
    while time.perf_counter() < deadline and not complete():
        time.sleep(0.02)
    readers.watching = False
    latencies, missing, foreign, repeated = [], 0, 0, 0
    for task_id, user, _, answered in created:
        first = {}
        for slot, at in readers.arrivals.get(task_id, ()):
            if slot[0] != user:
                foreign += 1
            elif slot in first:
                repeated += 1
            else:
                first[slot] = at
        missing += PER_USER - len(first)
        latencies += [(at - answered) * 1000 for at in first.values()]
    latencies.sort()
    requests = sorted((a - s) * 1000 for _, _, s, a in created)
    figures = {
        "samples": len(created), "deliveries": len(latencies), "expected": len(created) * PER_USER,
        "missing": missing, "to_other_users": foreign, "repeated": repeated,
        "p50_ms": round(percentile(latencies, 0.50), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "min_ms": round(latencies[0], 2) if latencies else None,
        "create_p50_ms": round(percentile(requests, 0.50), 2), "create_p99_ms": round(percentile(requests, 0.99), 2),
        "over_100_ms": sum(1 for v in latencies if v > 100), "over_900_ms": sum(1 for v in latencies if v > 900),
    }
    readers.arrivals.clear()
    return figures


def feed_trigger(server, database_url):
    """The statement that makes the trigger copying history events into the feed, as the
    database has it."""
    if database_url:
        out = subprocess.run(["psql", database_url, "-Atqc", "select pg_get_triggerdef(oid) from pg_trigger "
                              "where tgname = 'list_events_feed'"], check=True, capture_output=True, text=True)
        return out.stdout.strip()
    import sqlite3
    db = sqlite3.connect(Path(server.data) / "doable.db", timeout=30)
    (sql,) = db.execute("select sql from sqlite_master where type = 'trigger' and name = 'list_events_feed'").fetchone()
    db.close()
    return sql


def open_streams(readers, server, sessions):
    """Opens PER_USER streams for every user on `server`, every one to its `ready`; the
    server's VmRSS before and after."""
    time.sleep(2)
    before = server.rss_kb()
    started = time.perf_counter()
    opened = readers.call(readers.open_all(server.port, sessions, PER_USER), timeout=OPEN_TIMEOUT + 30)
    seconds = time.perf_counter() - started
    wanted = len(sessions) * PER_USER
    if opened != wanted:
        raise SystemExit(f"only {opened} of {wanted} streams opened on {server.name}: {dict(readers.refused)}\n"
                         f"{server.read_log()}")
    time.sleep(2)
    after = server.rss_kb()
    figures = {"streams": opened, "open_seconds": round(seconds, 2), "rss_before_kib": before, "rss_after_kib": after,
               "kib_per_stream": round((after - before) / opened, 2), "refused_while_opening": dict(readers.refused)}
    log(f"{server.backend} {server.name}: {opened} streams open in {seconds:.1f} s; VmRSS {before} -> {after} KiB, "
        f"{figures['kib_per_stream']} KiB a stream")
    return figures


def run_backend(backend, database_url):
    secret = secrets.token_hex(32)
    servers = [LiveServer(backend, database_url, PORT, secret, "a")]
    readers = None
    work = tempfile.mkdtemp(prefix="doable-bench-live-")
    results = {}
    try:
        results["cold_start_ms"] = round(servers[0].start(), 1)
        a = servers[0]
        if database_url:
            servers.append(LiveServer(backend, database_url, PORT_B, secret, "b"))
            servers[1].start()
        started = time.perf_counter()
        sessions = signup(PORT, USERS)
        log(f"{backend}: {USERS} users signed up in {time.perf_counter() - started:.1f} s")
        (Path(work) / "sessions").write_text("\n".join(sessions) + "\n")
        env = {"BENCH_WORK": work, "BENCH_SESSIONS": f"{work}/sessions"}

        # What the feed costs every write: the creates with the trigger that copies each
        # history event into the feed, without it, and with it again (its definition read from
        # the database and put back as it was).
        first = create_rate(a, "create_alone", env)
        trigger = feed_trigger(a, database_url)
        run_sql(a, database_url, ["drop trigger list_events_feed" + ("" if not database_url else " on list_events")])
        results["create_without_feed"] = create_rate(a, "create_without_feed", env)
        run_sql(a, database_url, [trigger])
        second = create_rate(a, "create_alone_again", env)
        results["create_alone"] = {k: round((first[k] + second[k]) / 2, 2) if isinstance(first[k], float) else first[k]
                                   for k in first}
        results["create_alone_runs"] = [first, second]
        results["feed_share"] = round(results["create_alone"]["rps"] / results["create_without_feed"]["rps"], 3)
        log(f"{backend}: creates with the feed at {results['feed_share']} of their rate without it")

        readers = Readers()
        results["memory"] = open_streams(readers, a, sessions)
        readers.reset()
        results["fanout"] = fanout(readers, PORT, sessions, "same")
        results["fanout"]["streams"] = readers.counters()
        log(f"{backend} fan-out: {results['fanout']}")
        readers.reset()
        results["create_beside_streams"] = create_rate(a, "create_beside_streams", env, readers)
        results["rss_after_kib"] = a.rss_kb()
        alone, beside = results["create_alone"], results["create_beside_streams"]
        results["beside_share"] = round(beside["rps"] / alone["rps"], 3) if alone["rps"] else None

        if database_url:
            b = servers[1]
            readers.call(readers.close_all(), timeout=60)
            readers.reset()
            time.sleep(1)  # the streams' slots on the first server are released
            results["memory_b"] = open_streams(readers, b, sessions)
            readers.reset()
            results["fanout_across"] = fanout(readers, PORT, sessions, "across")
            results["fanout_across"]["streams"] = readers.counters()
            log(f"{backend} fan-out across servers: {results['fanout_across']}")
        return results
    finally:
        if readers:
            readers.stop()
        for server in reversed(servers):
            server.stop()
            if server.log_summary is not None:
                results.setdefault("server_log", {})[server.name] = server.log_summary
                if server.log_summary["warnings_and_errors"]:
                    log(f"{backend} server {server.name} logged {server.log_summary['warnings_and_errors']} "
                        f"warnings/errors, first: {server.log_summary['first']}")
        shutil.rmtree(work, ignore_errors=True)


def verdicts(r):
    checks = {
        "kib_per_stream": (r["memory"]["kib_per_stream"], "<=", TARGETS["kib_per_stream"]),
        "fanout_p99_ms": (r["fanout"]["p99_ms"], "<=", TARGETS["fanout_p99_ms"]),
        "fanout_missing": (r["fanout"]["missing"] + r["fanout"]["to_other_users"], "<=", 0),
        "create_beside_share": (r["beside_share"], ">=", TARGETS["beside_share"]),
    }
    if "fanout_across" in r:
        checks["fanout_across_p99_ms"] = (r["fanout_across"]["p99_ms"], "<=", TARGETS["fanout_p99_ms"])
        checks["fanout_across_missing"] = (r["fanout_across"]["missing"] + r["fanout_across"]["to_other_users"], "<=", 0)
    return {k: {"value": v, "target": f"{op} {t}",
                "met": v is not None and (v >= t if op == ">=" else v <= t)} for k, (v, op, t) in checks.items()}


def table(all_results):
    def fan(f):
        return f"{f['p50_ms']} / {f['p99_ms']} / {f['max_ms']} ({f['missing']} missing)" if f else "-"

    rows = [("backend", "KiB/stream", "fan-out p50/p99/max ms", "create alone rps (p99 ms)",
             "beside streams rps (p99 ms)", "share", "across servers p50/p99/max ms")]
    for backend, r in all_results.items():
        alone, beside = r["create_alone"], r["create_beside_streams"]
        rows.append((backend, str(r["memory"]["kib_per_stream"]), fan(r["fanout"]),
                     f"{alone['rps']:.0f} ({alone['p99_ms']})", f"{beside['rps']:.0f} ({beside['p99_ms']})",
                     str(r["beside_share"]), fan(r.get("fanout_across"))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


def main():
    if not BINARY.exists():
        raise SystemExit("build the release app first (make build)")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing (apt-get install wrk)")
    # Room for the streams, wrk's connections and the servers' (which inherit this limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = USERS * PER_USER + MAX_CONNECTIONS + 1024
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    settings = {"users": USERS, "streams_per_user": PER_USER, "streams": USERS * PER_USER, "samples": SAMPLES,
                "pace_ms": PACE * 1000, "wait_s": WAIT, "create_seconds": SECONDS, "create_connections": CONNECTIONS,
                "max_connections": MAX_CONNECTIONS, "cpus": os.cpu_count(),
                "load_tool": "wrk 4.1 and one asyncio reader, same machine, loopback"}
    all_results = each_backend(run_backend)
    report = {"settings": settings, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "results": all_results,
              "targets": {backend: verdicts(r) for backend, r in all_results.items()}}
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    for line in table(all_results):
        log(line)
    for backend, checks in report["targets"].items():
        for name, check in checks.items():
            log(f"  {backend:8} {'met ' if check['met'] else 'MISS'} {name}: {check['value']} (target {check['target']})")
    log(f"written to {OUT}")


if __name__ == "__main__":
    main()
