#!/usr/bin/env bash
# The browser tests: Playwright starts the release server (target/release/doable) on a
# fresh SQLite database and drives headless Chromium through the pages. Screenshots and
# failure traces land in end2end/test-results/, the HTML report in end2end/playwright-report/.
set -euo pipefail
cd "$(dirname "$0")/../end2end"
[ -x ../target/release/doable ] || { echo "error: build the release app first (make build)" >&2; exit 1; }
exec npx --no-install playwright test "$@"
