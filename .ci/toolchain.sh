#!/usr/bin/env bash
# Makes sure everything needed to build and test Doable is installed, then runs the command
# given as arguments (a shell snippet) with the toolchain's environment:
#
#   .ci/toolchain.sh 'cargo leptos build --release $WASM_LEPTOS_ARGS'
#
# On a machine whose rustup can add the wasm32 target, that is the whole story. Where it
# cannot (no download host), Debian's Rust (rustc-web) and its std sources are used to build
# std for wasm32 from source; ../shared/TOOLCHAIN.md records why each step is here.
#
# Environment given to the command:
#   WASM_LEPTOS_ARGS   extra `cargo leptos` flags for the WASM half (build-std when needed)
#   WASM_CARGO_ARGS    extra `cargo` flags for a direct wasm32 build or clippy
#   DOABLE_TOOLCHAIN   "rustup" or "debian"
#
# What it installs, each only when missing: Debian packages (when root), cargo-leptos,
# leptosfmt, wasm-bindgen-cli at the exact version of Cargo.lock, wasm-opt, and, with
# DOABLE_NEED_BROWSER=1, Chromium and the end2end npm packages; with DOABLE_NEED_PROMTOOL=1,
# Prometheus' promtool; with DOABLE_NEED_DATEUTIL=1, python-dateutil (the recurrence tests'
# reference), aiosmtpd (the reminder emails' SMTP server), jsonschema and icalendar (readers
# of the export and the calendar feed); with DOABLE_NEED_FMT=1, leptosfmt; with DOABLE_NEED_NGINX=1,
# nginx (the load balancer of tests/instances.rs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/target/toolchain"
CARGO_LEPTOS_VERSION="0.3.11"
mkdir -p "$TOOLS/bin"
export PATH="$HOME/.cargo/bin:$PATH"

STARTED=$SECONDS
# Each step's line says how long the script has run so far, so a person can follow it.
say() { printf '\033[1m[toolchain %d:%02d]\033[0m %s\n' $(((SECONDS - STARTED) / 60)) $(((SECONDS - STARTED) % 60)) "$*" >&2; }
die() { printf '\033[1;31m[toolchain] error:\033[0m %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }

APT_UPDATED=0
apt_install() {
  if ! is_root || ! have apt-get; then
    die "missing packages: $* (install them with your package manager, or run as root on Debian)"
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
rustc_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }

# --- 1. A Rust toolchain with the wasm32 target ------------------------------------------
choose_toolchain() {
  if have rustup && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo rustup; return
  fi
  if have rustup; then
    say "adding the wasm32-unknown-unknown target with rustup (60 s at most)"
    if timeout 60 rustup target add wasm32-unknown-unknown >&2 2>&1; then
      echo rustup; return
    fi
    say "rustup could not add the target; falling back to Debian's Rust with build-std"
  fi
  echo debian
}

ENV_FILE="$TOOLS/env"
if [ -f "$ENV_FILE" ]; then
  # shellcheck disable=SC1090
  . "$ENV_FILE"
fi
if [ -z "${DOABLE_TOOLCHAIN:-}" ]; then
  DOABLE_TOOLCHAIN="$(choose_toolchain)"
  echo "DOABLE_TOOLCHAIN=$DOABLE_TOOLCHAIN" > "$ENV_FILE"
fi

if [ "$DOABLE_TOOLCHAIN" = debian ]; then
  need=()
  [ -x /usr/bin/rustc ] && version_ge "$(rustc_version /usr/bin/rustc)" 1.96 || need+=(rustc-web cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || need+=(rust-web-src)
  [ -x /usr/bin/clippy-driver ] || need+=(rust-web-clippy)
  have rust-lld || [ -x /usr/bin/rust-lld ] || need+=(lld-22)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
  # Debian's cargo, rustc and clippy first on PATH; rustfmt stays rustup's.
  mkdir -p "$TOOLS/debian-bin"
  for tool in cargo rustc rustdoc cargo-clippy clippy-driver; do
    ln -sf "/usr/bin/$tool" "$TOOLS/debian-bin/$tool"
  done
  export PATH="$TOOLS/debian-bin:$PATH"
  export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
  export WASM_LEPTOS_ARGS="--lib-cargo-args=-Zbuild-std=std,panic_abort"
  export WASM_CARGO_ARGS="-Zbuild-std=std,panic_abort"
else
  export WASM_LEPTOS_ARGS=""
  export WASM_CARGO_ARGS=""
fi
export DOABLE_TOOLCHAIN

# A rustc new enough for cargo-leptos 0.3 (>= 1.96) for `cargo install`.
install_rustc() {
  if version_ge "$(rustc_version rustc)" 1.96; then echo rustc
  elif [ -x /usr/bin/rustc ] && version_ge "$(rustc_version /usr/bin/rustc)" 1.96; then echo /usr/bin/rustc
  else
    apt_install rustc-web cargo-web
    echo /usr/bin/rustc
  fi
}

# --- 2. cargo-leptos ---------------------------------------------------------------------
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (a long build: about 10 minutes on 2 cores)"
  # no_downloads: cargo-leptos must not fetch wasm-opt/sass/wasm-bindgen binaries at build
  # time; this script puts the tools it needs on PATH instead.
  # --debug, without debug info: cargo-leptos runs the programs that do the heavy work
  # (cargo, wasm-bindgen, wasm-opt) and itself only minifies a few kB of JS and CSS. Built so
  # it took 10 min instead of 18 and made the same WASM, 4 s slower (README, Quick start).
  RUSTC="$(install_rustc)" CARGO_PROFILE_DEV_DEBUG=0 \
    cargo install cargo-leptos --debug --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads >&2
fi

# --- 2b. leptosfmt, which formats the view! blocks (make fmt, checked by make test) -----------
# Only for the targets that format (DOABLE_NEED_FMT=1): `make run` does without it.
LEPTOSFMT_VERSION="0.1.33"
if [ "${DOABLE_NEED_FMT:-0}" = 1 ] && ! leptosfmt --version 2>/dev/null | grep -q " $LEPTOSFMT_VERSION\$"; then
  say "installing leptosfmt $LEPTOSFMT_VERSION (about 3 minutes)"
  RUSTC="$(install_rustc)" cargo install leptosfmt --locked --version "$LEPTOSFMT_VERSION" >&2
fi

# --- 3. wasm-bindgen, the exact version of Cargo.lock -------------------------------------
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$WB_VERSION" ] || die "no wasm-bindgen in Cargo.lock"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  # Not --locked: one of its locked dependencies is missing from the registry mirror here.
  RUSTC="$(install_rustc)" cargo install wasm-bindgen-cli --version "$WB_VERSION" --force >&2
fi

# --- 4. wasm-opt (release builds) ----------------------------------------------------------
# Binaryen before version 116 mis-optimises WASM that uses reference types, which current
# wasm-bindgen requires; Debian 12's binaryen is 108. npm's binaryen package ships a recent one.
WASM_OPT_MIN=116
wasm_opt_version() { wasm-opt --version 2>/dev/null | grep -oE '[0-9]+' | head -n1; }
if [ -x "$TOOLS/npm/node_modules/.bin/wasm-opt" ]; then
  ln -sf "$TOOLS/npm/node_modules/.bin/wasm-opt" "$TOOLS/bin/wasm-opt"
fi
export PATH="$TOOLS/bin:$PATH"
current_wasm_opt="$(wasm_opt_version || true)"
if [ "${current_wasm_opt:-0}" -lt "$WASM_OPT_MIN" ]; then
  say "installing wasm-opt from npm (binaryen 132)"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/npm" binaryen@132 >&2
  ln -sf "$TOOLS/npm/node_modules/.bin/wasm-opt" "$TOOLS/bin/wasm-opt"
fi

# --- 5. Browser tests -------------------------------------------------------------------
if [ "${DOABLE_NEED_BROWSER:-0}" = 1 ]; then
  export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$CHROMIUM_PATH" ]; then
    apt_install chromium
    CHROMIUM_PATH="$(command -v chromium)"
  fi
  if [ ! -d "$ROOT/end2end/node_modules" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "npm ci (end2end)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
fi

# --- 6. Programs taken out of Debian packages without installing them -------------------
# unpack_program PACKAGE PATH-IN-PACKAGE WHAT: copies one program of a Debian package into
# target/toolchain/bin. Installing the package would also start its service (a Prometheus
# server, a web server on port 80).
unpack_program() {
  local package="$1" path="$2" what="$3" work
  if ! is_root || ! have apt-get; then
    die "missing $(basename "$path") (Debian's $package package), $what"
  fi
  say "unpacking $(basename "$path") from Debian's $package package"
  work="$(mktemp -d)"
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
    APT_UPDATED=1
  fi
  (cd "$work" && apt-get download -qq "$package" >&2 2>/dev/null && dpkg-deb -x "${package}"_*.deb root) \
    || die "cannot download Debian's $package package"
  cp "$work/root/$path" "$TOOLS/bin/"
  rm -rf "$work"
}

# promtool checks the /metrics output (tests/operations.rs).
if [ "${DOABLE_NEED_PROMTOOL:-0}" = 1 ] && ! have promtool; then
  unpack_program prometheus usr/bin/promtool "which checks the /metrics output (or any Prometheus release's promtool on PATH)"
fi
# nginx is the load balancer of the two-instance test (tests/instances.rs); DOABLE_NGINX says
# where it is.
if [ "${DOABLE_NEED_NGINX:-0}" = 1 ]; then
  have nginx || unpack_program nginx usr/sbin/nginx "the load balancer of tests/instances.rs"
  export DOABLE_NGINX="${DOABLE_NGINX:-$(command -v nginx)}"
fi

# --- 7. python-dateutil, aiosmtpd, jsonschema and icalendar ------------------------------
# dateutil is the reference the recurrence rules are checked against (tests/repeat.rs runs
# tests/support/rrule_reference.py); aiosmtpd is the SMTP server the reminder emails are sent
# to (tests/reminders.rs); jsonschema checks real exports against schema/ and icalendar
# reads the calendar feed, each an independent reader of what Doable writes (tests/export.rs). Into a virtual environment of its own under target/toolchain (whose
# python3 then comes first on PATH): a system's Python may refuse pip (PEP 668) or have none.
# Failing that, Debian's python3-dateutil and python3-aiosmtpd packages.
PY_CHECK='import dateutil.rrule, aiosmtpd, jsonschema, icalendar'
if [ "${DOABLE_NEED_DATEUTIL:-0}" = 1 ] && ! python3 -c "$PY_CHECK" 2>/dev/null; then
  have python3 || die "missing python3 (Debian's python3 package), which runs the recurrence reference"
  say "installing python-dateutil, aiosmtpd, jsonschema and icalendar from PyPI into target/toolchain/python"
  if { [ -x "$TOOLS/python/bin/python3" ] || python3 -m venv "$TOOLS/python" >&2; } \
    && "$TOOLS/python/bin/python3" -m pip install -q --disable-pip-version-check \
      python-dateutil==2.9.0.post0 aiosmtpd==1.4.6 jsonschema==4.23.0 icalendar==6.1.3 >&2; then
    # A script, not a link: Python finds its environment from the path it was started by.
    rm -f "$TOOLS/bin/python3"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$TOOLS/python/bin/python3" >"$TOOLS/bin/python3"
    chmod +x "$TOOLS/bin/python3"
    hash -r # the shell remembered where python3 was before
  elif is_root && have apt-get; then
    rm -rf "$TOOLS/python"
    apt_install python3-dateutil python3-aiosmtpd python3-jsonschema python3-icalendar
  else
    die "cannot install the tests' Python packages: install Debian's python3-dateutil, python3-aiosmtpd, python3-jsonschema and python3-icalendar, or pip install them"
  fi
  python3 -c "$PY_CHECK" 2>/dev/null || die "python3 still cannot import dateutil, aiosmtpd, jsonschema and icalendar"
fi

cd "$ROOT"
exec bash -c "$*"
