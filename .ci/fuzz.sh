#!/usr/bin/env bash
# Coverage-guided fuzzing of the input decoders and validators (fuzz/, cargo-fuzz and
# libFuzzer): each target runs for SECONDS; any panic fails the run and leaves the input
# that caused it in fuzz/artifacts/<target>/.
#
#   .ci/fuzz.sh [SECONDS]    (default 30; `make fuzz` runs it for 300 a target)
#
# Sanitizers are off (the code is safe Rust; we look for panics and broken rules), which
# lets a stable toolchain build it: RUSTC_BOOTSTRAP allows the coverage flags cargo-fuzz uses.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-30}"
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "[fuzz] installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" >&2
fi
export RUSTC_BOOTSTRAP=1
flags=(--sanitizer none -O --debug-assertions)
cargo fuzz build "${flags[@]}"
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  echo "[fuzz] $target for $seconds s" >&2
  cargo fuzz run "${flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 2>&1 | { grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' || true; } >&2
done
echo "[fuzz] passed: no panic in any target" >&2
