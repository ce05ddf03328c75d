#!/usr/bin/env bash
# Contract fuzzing: schemathesis generates requests from /api/openapi.json and checks the
# running release server's answers against it. Pass: no 5xx, and every status, header,
# content type and body is the one the document describes (plus the stateful checks:
# deleted things stay gone, credentials are enforced, unsupported methods get 405).
#
#   .ci/contract-fuzz.sh [SECONDS]    (default 60; `make fuzz` runs it for 600)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
venv=target/toolchain/venv
if ! "$venv/bin/st" --version 2>/dev/null | grep -q 4.32.5; then
  echo "[contract-fuzz] installing schemathesis 4.32.5 into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi
[ -x target/release/doable ] || { echo "error: build the release app first (make build)" >&2; exit 1; }

port="${FUZZ_PORT:-3300}"
data="$(mktemp -d)"
log="$data/server.log"
DOABLE_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
  DOABLE_SIGNUP_LIMIT=1000000 RUST_LOG=warn target/release/doable >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.1; done

# A logged-in session for the calls that need one.
session() {
  local jar="$data/jar-$1"
  curl -fs -c "$jar" --data-urlencode "email=fuzz-$1@example.com" --data-urlencode "password=correct horse battery staple" \
    --data-urlencode "name=Fuzz $1" "$base/api/auth/signup" >/dev/null
  awk '$6 == "doable_session" { print $7 }' "$jar"
}

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth,use_after_free,ensure_resource_availability,unsupported_method,allow_header_conformance
st() {
  "$venv/bin/st" run "$base/api/openapi.json" --checks "$checks" --workers 2 --no-color "$@"
}
# The calls that end the session run on their own, with a session of their own, so that
# they do not log the rest of the run out. Signup and login are among them: a login ends the
# session its request carried (else the first fuzzed signup logged every later call out).
ending='^/api/auth/(logout|logout-all|delete-account|change-password|signup|login)$'
# The live stream answers with a stream that does not end (tests/live.rs covers it).
streaming='^/api/events$'
echo "[contract-fuzz] $seconds s against every endpoint but the session-ending ones and the stream" >&2
st -H "Cookie: doable_session=$(session main)" --exclude-path-regex "$ending|$streaming" --max-time "$seconds"
echo "[contract-fuzz] $(( seconds / 4 + 10 )) s against the session-ending endpoints" >&2
st -H "Cookie: doable_session=$(session ending)" --include-path-regex "$ending" --phases examples,coverage,fuzzing --max-time "$(( seconds / 4 + 10 ))"

if grep -qiE "panicked|stack backtrace" "$log"; then
  echo "error: the server logged a panic during the run:" >&2
  grep -iE -A5 "panicked" "$log" >&2
  exit 1
fi
echo "[contract-fuzz] passed: no server errors, every response as documented" >&2
