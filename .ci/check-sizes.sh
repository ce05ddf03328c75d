#!/usr/bin/env bash
# Fails on a file of src/ longer than 600 lines or a line wider than 120 characters (the
# width of rustfmt.toml and leptosfmt.toml): a file that grows past that is two files
# (README, "Architecture").
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
  lines=$(wc -l < "$file")
  if [ "$lines" -gt 600 ]; then
    echo "$file: $lines lines (at most 600: split it)" >&2
    status=1
  fi
  if ! awk -v f="$file" 'length > 120 { printf "%s:%d: %d characters (at most 120)\n", f, FNR, length; bad = 1 } END { exit bad }' "$file" >&2; then
    status=1
  fi
done < <(find src -name '*.rs' | sort)
[ "$status" = 0 ] && echo "check-sizes: every file of src/ within 600 lines of 120 characters"
exit "$status"
