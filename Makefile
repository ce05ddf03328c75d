# Doable: `make run` serves the app, `make test` checks everything. Each target installs
# what it needs first (.ci/toolchain.sh); `make help` lists them all.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TC := .ci/toolchain.sh
TC_BROWSER := DOABLE_NEED_BROWSER=1 .ci/toolchain.sh
TC_PROMTOOL := DOABLE_NEED_PROMTOOL=1 DOABLE_NEED_DATEUTIL=1 .ci/toolchain.sh
TC_FMT := DOABLE_NEED_FMT=1 .ci/toolchain.sh
# Where PostgreSQL is for the PostgreSQL half of the tests. The tests create (and drop) a
# database of their own on this server for each test.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export TEST_POSTGRES_URL

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: run
run: ## Build the release app and serve it at http://127.0.0.1:3000 on SQLite
	@$(TC) 'echo "[make run] building the release server and WASM (7 to 9 minutes the first time, seconds after)" >&2 && cargo leptos build --release --precompress $$WASM_LEPTOS_ARGS'
	@echo "[make run] serving http://127.0.0.1:3000 (Ctrl-C stops; target/release/doable --help for the host's commands)" >&2
	@LEPTOS_SITE_ROOT=target/site target/release/doable

.PHONY: dev
dev: ## Rebuild and reload on every change (cargo leptos watch)
	@$(TC) 'cargo leptos watch $$WASM_LEPTOS_ARGS'

.PHONY: build
build: ## Build the release app (server binary + WASM) without running it
	@$(TC) 'cargo leptos build --release --precompress $$WASM_LEPTOS_ARGS && .ci/wasm-size.sh'

.PHONY: test
test: fmt-check lint test-rust test-fuzz build test-instances test-e2e test-contract ## Everything: format, lints, Rust tests (SQLite + PostgreSQL), fuzzing, WASM build, two instances behind nginx, browser tests, contract fuzz
	@echo "make test: all checks passed"

.PHONY: fmt
fmt: ## Format the code (leptosfmt for the view! blocks, then rustfmt)
	@$(TC_FMT) 'leptosfmt --quiet src && cargo fmt && cargo fmt --manifest-path fuzz/Cargo.toml'

.PHONY: fmt-check
fmt-check:
	@$(TC_FMT) 'leptosfmt --check --quiet src && cargo fmt --check && cargo fmt --check --manifest-path fuzz/Cargo.toml'

.PHONY: lint
lint: ## clippy for the server and the WASM feature sets, warnings are errors; layers, sizes, raw-text elements
	@python3 .ci/check-layers.py
	@.ci/check-sizes.sh
	@python3 .ci/check-raw-text.py
	@$(TC) 'cargo clippy --features ssr --all-targets -- -D warnings'
	@$(TC) 'cargo clippy --lib --features hydrate --target wasm32-unknown-unknown $$WASM_CARGO_ARGS -- -D warnings'

.PHONY: test-rust
test-rust: ## Unit and integration tests, on SQLite then on PostgreSQL
	@$(TC_PROMTOOL) 'cargo test --features ssr'
	@$(TC_PROMTOOL) '.ci/postgres-tests.sh'

.PHONY: test-instances
test-instances: ## Two release instances on one PostgreSQL behind nginx (deploy/nginx.conf), after make build
	@DOABLE_NEED_NGINX=1 $(TC) 'DOABLE_RELEASE_BIN=$$PWD/target/release/doable cargo test --features ssr --test instances -- --ignored'

.PHONY: test-e2e
test-e2e: ## Browser tests (Playwright + headless Chromium) against the release build
	@$(TC_BROWSER) '.ci/e2e.sh'

.PHONY: test-contract
test-contract: ## A short contract fuzz run (schemathesis against /api/openapi.json)
	@$(TC) '.ci/contract-fuzz.sh 60'

.PHONY: test-fuzz
test-fuzz: ## A short run of the cargo-fuzz targets (decoders and validators), 30 s each
	@$(TC) '.ci/fuzz.sh 30'

.PHONY: fuzz
fuzz: build ## Long fuzzing: cargo-fuzz targets for 5 minutes each, schemathesis for 10 minutes
	@$(TC) '.ci/fuzz.sh 300'
	@$(TC) '.ci/contract-fuzz.sh 600'

.PHONY: bench
bench: build ## Throughput, latency, memory and size of the release build (bench/results.json)
	@$(TC) '.ci/bench.sh'

.PHONY: bench-scale
bench-scale: build ## Every view of a 100,000-task account against a 1,000-task one, bulk actions, a million-task database (bench/scale.json)
	@$(TC) 'python3 bench/scale.py'

.PHONY: bench-data
bench-data: build ## Export of 1,000 to 100,000 tasks (time, memory), the calendar feed of 1,000 tasks (req/s), import of 10,000 rows (bench/data.json)
	@$(TC) 'python3 bench/data.py'

.PHONY: bench-live
bench-live: build ## The live stream at 1,000 open streams: memory a stream, fan-out latency (one server and, on PostgreSQL, two), create rate beside them (bench/live.json)
	@$(TC) 'BENCH_SCRIPT=live.py .ci/bench.sh'

.PHONY: bench-compare
bench-compare: build ## A change against an earlier build, in one run: BASE=path/to/the/earlier/doable
	@$(TC) 'BENCH_COMPARE=1 .ci/bench.sh'

.PHONY: clean
clean: ## Remove build output (keeps data/)
	cargo clean
