#!/usr/bin/env python3
"""`make bench-compare BASE=path/to/doable`: what a change costs, measured in one run.

Runs the scenarios a change to the hot paths touches (list, the /tasks page, complete,
create; and the /healthz baseline, to see the machine's own drift) for two builds of the server, the one in
target/release (the change) and BASE (the build before it), on the same backend, in rounds
that alternate A B A B, each on a fresh database seeded alike. A shared, noisy machine then
drifts on both alike; the figure to read is the ratio of the medians, B/A.

Environment: as bench/run.py (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_USERS, BENCH_TASKS,
TEST_POSTGRES_URL, BENCH_PG, BENCH_SQLITE), and BENCH_ROUNDS (rounds per build, default 3).
"""

import os
import statistics
import subprocess
import tempfile
from pathlib import Path

import run

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SCENARIOS = [("baseline", "plain.lua", "/healthz"), ("list", "list.lua", "/api/tasks/list"), ("page", "page.lua", "/tasks"),
             ("complete", "complete.lua", "/api/tasks/set-completed"), ("create", "create.lua", "/api/tasks/create")]


def one_round(binary, backend):
    """Starts `binary` on a fresh database, seeds it and runs the scenarios; their req/s."""
    url, cleanup = run.postgres_url() if backend == "postgres" else (None, None)
    if backend == "postgres" and not url:
        raise SystemExit("PostgreSQL is not reachable (TEST_POSTGRES_URL); BENCH_PG=0 compares on SQLite only")
    run.BINARY = binary
    server = run.Server(backend, url)
    try:
        server.start()
        sessions, emails, pairs, inboxes, _recurring = run.seed(run.PORT, run.USERS, run.TASKS)
        if url:
            subprocess.run(["psql", url, "-qc", "vacuum analyze"], check=True)
        work = Path(tempfile.mkdtemp(prefix="doable-compare-"))
        (work / "sessions").write_text("\n".join(sessions) + "\n")
        (work / "emails").write_text("\n".join(emails) + "\n")
        (work / "tasks").write_text("".join(f"{s}\t{t}\n" for s, t in pairs))
        (work / "lists").write_text("".join(f"{s}\t{l}\n" for s, l in inboxes))
        env = {"BENCH_WORK": str(work), "BENCH_SESSIONS": f"{work}/sessions", "BENCH_EMAILS": f"{work}/emails",
               "BENCH_TASKS": f"{work}/tasks", "BENCH_LISTS": f"{work}/lists"}
        return {name: run.scenario(server, name, script, path, env) for name, script, path in SCENARIOS}
    finally:
        server.stop()
        if cleanup:
            admin, name = cleanup
            subprocess.run(["psql", admin, "-qc", f"drop database if exists {name} with (force)"], check=False)


def main():
    base = Path(os.environ.get("BASE", ""))
    change = run.ROOT / "target" / "release" / "doable"
    if not base.is_file() or not change.is_file():
        raise SystemExit("usage: BASE=path/to/the/earlier/doable make bench-compare (after make build)")
    backends = [b for b in ("sqlite", "postgres") if os.environ.get(f"BENCH_{'PG' if b == 'postgres' else 'SQLITE'}") != "0"]
    print(f"| backend | scenario | before req/s (median of {ROUNDS}) | after req/s | after / before "
          "| p99 ms before / after (medians) |")
    print("|---|---|---|---|---|---|")
    for backend in backends:
        rounds = {"before": [], "after": []}
        for _ in range(ROUNDS):
            rounds["before"].append(one_round(base, backend))
            rounds["after"].append(one_round(change, backend))
        for name, _, _ in SCENARIOS:
            before, after = (statistics.median(r[name]["rps"] for r in rounds[build]) for build in ("before", "after"))
            p99s = [statistics.median(r[name]["p99_ms"] for r in rounds[build]) for build in ("before", "after")]
            print(f"| {backend} | {name} | {before:.0f} | {after:.0f} | {after / before:.3f} "
                  f"| {p99s[0]:.2f} / {p99s[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
