#!/usr/bin/env bash
# The PostgreSQL half of the Rust tests: the same integration tests, against the server at
# TEST_POSTGRES_URL. Each test creates a database of its own there and drops it afterwards.
# Without a reachable server this fails under CI and is skipped, loudly, elsewhere.
set -euo pipefail
url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" != "$host" ] || port=5432
if ! timeout 3 bash -c "</dev/tcp/$host/$port" 2>/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "error: PostgreSQL is not reachable at $host:$port (TEST_POSTGRES_URL); CI requires it" >&2
    exit 1
  fi
  printf '\n\033[1;33m*** SKIPPED: the PostgreSQL half of the tests (nothing answers at %s:%s).\n*** Set TEST_POSTGRES_URL to a server where the tests may create databases.\033[0m\n\n' "$host" "$port" >&2
  exit 0
fi
echo "Running the integration tests on PostgreSQL ($host:$port)" >&2
# One test at a time: here PostgreSQL shares the machine's cores with the tests, and a test
# that loads the server (fifty clients, 640 pages, a kill under load) starved a neighbour
# into 503s (a pool that could not connect within its 3 s, a statement past its timeout).
# On SQLite, whose database lives in the test process, the tests run side by side.
DOABLE_TEST_BACKEND=postgres exec cargo test --features ssr --test '*' -- --test-threads=1
