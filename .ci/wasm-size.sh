#!/usr/bin/env bash
# Prints the size of the release WASM: raw, gzip -9 and brotli (what browsers download), and
# fails when the gzip size is over the budget (WASM_GZIP_BUDGET bytes, 300 KiB by default):
# the WASM is what every visitor waits for before the page is interactive.
set -euo pipefail
budget="${WASM_GZIP_BUDGET:-307200}"
wasm="$(ls -S target/site/pkg/*.wasm | head -n1)"
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
br=$( (command -v brotli >/dev/null && brotli -c -q 11 "$wasm" | wc -c) || echo "n/a")
printf 'WASM %s: %d bytes raw, %d gzip, %s brotli (budget: %d gzip)\n' "$(basename "$wasm")" "$raw" "$gz" "$br" "$budget"
if [ "$gz" -gt "$budget" ]; then
  echo "error: the WASM is $((gz - budget)) bytes over its gzip budget; see the README's Performance section" >&2
  exit 1
fi
