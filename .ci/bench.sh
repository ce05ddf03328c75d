#!/usr/bin/env bash
# `make bench`: installs the load tool (wrk, from Debian) and brotli when missing, then runs
# bench/run.py (or BENCH_SCRIPT, another script of bench/) against the release build. See bench/run.py for the scenarios and settings.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v brotli >/dev/null || missing+=(brotli)
command -v psql >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[bench] apt-get install ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; }
  else
    echo "error: missing ${missing[*]}: install them with your package manager" >&2
    exit 1
  fi
fi
if [ -n "${BENCH_COMPARE:-}" ]; then exec python3 bench/compare.py; fi
if [ -n "${BENCH_SCRIPT:-}" ]; then exec python3 "bench/$BENCH_SCRIPT"; fi
exec python3 bench/run.py
