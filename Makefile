# Tessera: the two commands a new user needs are `make run` and `make test`.
# Both install what is missing first (scripts/bootstrap.sh), and skip what is already there.

.PHONY: run test build release dist bench bench-memory bench-instructions bench-cluster bench-page fuzz fmt clean

## Build (release) and serve on SQLite in ./data; prints the URL.
run:
	@scripts/run.sh $(ARGS)

## Every test: formatting, lints, the WASM dependency check, Rust unit and integration tests
## (SQLite, and PostgreSQL when reachable; required when CI=true), and the Playwright browser suite.
test:
	@scripts/test.sh

## Debug build of the server binary and the site (wasm, js, css), with plain cargo (scripts/build.sh).
## While developing, `cargo leptos watch` also works (install cargo-leptos yourself).
build:
	@scripts/bootstrap.sh && scripts/build.sh

## The API hot path under load (release build, SQLite, wrk); prints req/s, p50/p99 and ratios; then
## bench-memory.
bench:
	@scripts/bench.sh

## The server's memory (RSS) idle, at its peak and after 1,000 sign-in attempts, right and wrong, 16 at
## a time; fails above 100 MiB after.
bench-memory:
	@scripts/bench-memory.sh

## The same requests under valgrind's callgrind: user-space instructions per request, which, unlike
## requests/s on a shared machine, don't move from run to run.
bench-instructions:
	@scripts/bench-instructions.sh

## Several instances on PostgreSQL: throughput with the token cache off and on, and the revocation
## delay between instances with it on (p50/p99 over 1,000 deletes).
bench-cluster:
	@scripts/bench-cluster.sh

## The tokens page on a slow mobile link (1.6 Mbit/s, 150 ms), cold and warm cache, through Chromium's
## DevTools protocol: bytes transferred and time until it is interactive.
bench-page:
	@scripts/bench-page.sh

## Coverage-guided fuzzing of every parser of untrusted input (cargo-fuzz), FUZZ_SECONDS each (default 60).
fuzz:
	@scripts/fuzz.sh

## The release archive: dist/tessera-<version>-x86_64-linux.tar.gz (stripped binary with the site in it,
## README, LICENSE, deploy/ with the nginx sample and the systemd unit, SHA256SUMS) and its .sha256.
dist:
	@scripts/dist.sh

## Release build; prints the size of each asset, raw and compressed.
release:
	@scripts/release.sh

fmt:
	cargo fmt --all

clean:
	cargo clean
