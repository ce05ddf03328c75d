#!/usr/bin/env bash
# Prints the size of the release WASM: raw, gzip -9 and brotli (what browsers download).
set -euo pipefail
wasm="$(ls -S target/site/pkg/*.wasm | head -n1)"
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
br=$( (command -v brotli >/dev/null && brotli -c -q 11 "$wasm" | wc -c) || echo "n/a")
printf 'WASM %s: %d bytes raw, %d gzip, %s brotli\n' "$(basename "$wasm")" "$raw" "$gz" "$br"
