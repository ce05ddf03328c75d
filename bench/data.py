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
  `If-None-Match` (304).

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
FEED_TASKS = 1000


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def export(server, session, fmt):
    """Downloads one export, sampling the server's memory meanwhile."""
    before = rss_kb(server.process.pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(server.process.pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    started = time.perf_counter()
    conn.request("GET", f"/api/export?format={fmt}", headers={"Cookie": f"doable_session={session}"})
    response = conn.getresponse()
    size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    assert response.status == 200, response.status
    return {"seconds": round(seconds, 3), "bytes": size, "rss_before_mb": round(before / 1024, 1),
            "rss_growth_mb": round((peak[0] - before) / 1024, 1)}


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
        results = {"export": {}}
        for n, (session, _) in accounts.items():
            for fmt in ("json", "csv"):
                result = export(server, session, fmt)
                results["export"][f"{fmt} {n}"] = result
                log(f"{backend} export {fmt} of {n:,} tasks: {result}")
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
    report = {"settings": {"sizes": SIZES, "seconds": SECONDS}, "results": {}}
    report["results"] = each_backend(run_backend)
    out = BENCH / "data.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
