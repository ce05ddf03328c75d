#!/usr/bin/env python3
"""`make bench-data`: the open-data endpoints of #21 at size.

Starts target/release/doable (SQLite, and PostgreSQL as `make bench` decides), makes accounts
through the API and fills their Inboxes through SQL (as bench/scale.py does), then through
HTTP:

- the JSON and CSV export of accounts of 1,000, 10,000 and 100,000 tasks: seconds, bytes,
  and the server's peak resident memory during each over its memory just before (target:
  flat in the task count, the answer being streamed a page at a time);
- the calendar feed of an account with 1,000 dated open tasks: requests per second, one
  client, sent one after another for DATA_SECONDS (default 5), and again with the feed's
  `If-None-Match` (304);
- the import of IMPORT_ROWS (default 10,000) rows into a new account: the JSON export of the
  10,000-task account, a Todoist CSV (dates in words, recurring ones among them) and a plain
  CSV, each timed with the server's peak memory over its memory before, and each imported a
  second time (every row skipped); and the heaviest file it takes, 100,000 dated rows with
  five reminders each (on SQLite its time is how long the import holds the one writer).

Writes bench/data.json. Environment: DATA_SIZES (default 1000,10000,100000), DATA_SECONDS,
BENCH_BINARY, BENCH_PG / BENCH_SQLITE / TEST_POSTGRES_URL as for `make bench`.
"""

import http.client
import json
import os
import random
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from run import BENCH, BINARY, PASSWORD, PORT, Client, Server, each_backend, log
from scale import account, fill, seed_postgres, seed_sqlite

SIZES = [int(n) for n in os.environ.get("DATA_SIZES", "1000,10000,100000").split(",")]
SECONDS = float(os.environ.get("DATA_SECONDS", "5"))
IMPORT_ROWS = int(os.environ.get("IMPORT_ROWS", "10000"))
FEED_TASKS = 1000


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Memory:
    """The server's peak resident memory while a request runs, over its memory before."""

    def __init__(self, server):
        self.pid = server.process.pid
        self.before = rss_kb(self.pid)
        self.peak = self.before
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self.sample)

    def sample(self):
        while not self.done.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.005)

    def __enter__(self):
        self.sampler.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        self.sampler.join()

    def figures(self):
        return {"rss_before_mb": round(self.before / 1024, 1), "rss_growth_mb": round((self.peak - self.before) / 1024, 1)}


def export(server, session, fmt, keep=None):
    """Downloads one export, sampling the server's memory meanwhile (into `keep`, if given)."""
    with Memory(server) as memory:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
        started = time.perf_counter()
        conn.request("GET", f"/api/export?format={fmt}", headers={"Cookie": f"doable_session={session}"})
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
            if keep is not None:
                keep.append(chunk)
        seconds = time.perf_counter() - started
    assert response.status == 200, response.status
    return {"seconds": round(seconds, 3), "bytes": size, **memory.figures()}


def upload(server, session, name, data):
    """Imports one file; its time, its report's counts and the server's memory meanwhile."""
    boundary = "doable-bench-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Cookie": f"doable_session={session}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    with Memory(server) as memory:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
        started = time.perf_counter()
        conn.request("POST", "/api/import", body=body, headers=headers)
        response = conn.getresponse()
        report = json.loads(response.read())
        seconds = time.perf_counter() - started
    assert response.status == 200, report
    return {"seconds": round(seconds, 3), "bytes": len(data), "created": report["created"]["tasks"],
            "skipped": report["skipped"], **memory.figures()}


def todoist_file(rng, rows):
    """A Todoist project of `rows` tasks, as its CSV template writes them."""
    dates = ["", "", "tomorrow", "every monday", "every! 3 days", "jan 5", "every month on the 15th",
             "next friday at 9am"]
    lines = ["TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE"]
    for i in range(rows):
        if i % 50 == 0:
            lines.append(f"section,Section {i // 50},,,,,,,,")
        lines.append(f"task,Task {i} @label{i % 7},Notes for {i},{rng.randint(1, 4)},{1 + (i % 3 == 2)},Ada (1),,"
                     f"{rng.choice(dates)},en,Europe/Berlin")
    return ("\r\n".join(lines) + "\r\n").encode()


def reminders_file(rows):
    """The heaviest file the import takes: 100,000 dated rows with five reminders each."""
    lines = ["title,due_date,due_time,reminders,tags"]
    lines += [f"Reminded {i},2027-01-01,09:00,\"0m,1m,2m,3m,4m\",\"a,b,c,d,e\"" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def plain_file(rows):
    lines = ["title,list,priority,due_date,tags,completed"]
    for i in range(rows):
        lines.append(f"Row {i},List {i % 5},{['none', 'low', 'medium', 'high'][i % 4]},2027-0{1 + i % 9}-1{i % 10},"
                     f"\"a{i % 9},b\",{str(i % 3 == 0).lower()}")
    return ("\r\n".join(lines) + "\r\n").encode()


def feed_rate(path, etag=None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"If-None-Match": etag} if etag else {}
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == (304 if etag else 200), response.status
        count += 1
    return round(count / (time.perf_counter() - started), 1)


def run_backend(backend, database_url):
    server = Server(backend, database_url)
    rng = random.Random(21)
    today = date.today()
    try:
        server.start()
        client = Client(PORT)
        accounts = {n: account(client, f"data-{n}") for n in SIZES}
        feed_session, feed_id = account(client, "feed")
        rows = [(user_id, user_id, fill(rng, n, 0.01, today)) for n, (_, user_id) in accounts.items()]
        dated = []
        for row in fill(rng, FEED_TASKS, 1.0, today):
            row["due_date"] = today + timedelta(days=rng.randint(-10, 120))
            dated.append(row)
        rows.append((feed_id, feed_id, dated))
        if database_url:
            seed_postgres(database_url, rows)
        else:
            seed_sqlite(str(Path(server.data) / "doable.db"), rows)
        results = {"export": {}, "import": {}}
        files = {}
        for n, (session, _) in accounts.items():
            for fmt in ("json", "csv"):
                chunks = [] if fmt == "json" and n == IMPORT_ROWS else None
                result = export(server, session, fmt, chunks)
                if chunks is not None:
                    files["doable.json"] = b"".join(chunks)
                results["export"][f"{fmt} {n}"] = result
                log(f"{backend} export {fmt} of {n:,} tasks: {result}")
        files["todoist.csv"] = todoist_file(rng, IMPORT_ROWS)
        files["plain.csv"] = plain_file(IMPORT_ROWS)
        files["reminders-100k.csv"] = reminders_file(100_000)
        client = Client(PORT)  # the one above has been idle through the exports: closed
        for name, data in files.items():
            session, _ = account(client, f"import-{name}")
            for attempt in ("first", "again"):
                result = upload(server, session, name, data)
                results["import"][f"{name} {attempt}"] = result
                log(f"{backend} import {name} ({attempt}): {result}")
        status, _, body = Client(PORT).call("POST", "/api/calendar/enable", {"password": PASSWORD}, feed_session)
        assert status == 200, body
        path = "/calendar/" + json.loads(body)["url"].rsplit("/calendar/", 1)[1]
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        feed = response.read()
        etag = response.getheader("etag")
        results["feed"] = {"events": feed.count(b"BEGIN:VEVENT"), "bytes": len(feed), "requests_per_second": feed_rate(path),
                           "not_modified_per_second": feed_rate(path, etag)}
        log(f"{backend} feed: {results['feed']}")
        return results
    finally:
        server.stop()


def main():
    if not BINARY.exists():
        raise SystemExit("build the release app first (make build)")
    report = {"settings": {"sizes": SIZES, "seconds": SECONDS, "import_rows": IMPORT_ROWS}, "results": {}}
    report["results"] = each_backend(run_backend)
    out = BENCH / "data.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
