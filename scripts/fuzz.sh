#!/usr/bin/env bash
# `make fuzz`: coverage-guided fuzzing (cargo-fuzz, libFuzzer) of every parser of untrusted input, each
# target for FUZZ_SECONDS (default 60), then prints executions and coverage per target. `make test` runs
# it briefly (FUZZ_SECONDS=5). The corpus grows in fuzz/corpus/<target> (kept between runs, not in git);
# a crash stops the run and leaves its input in fuzz/artifacts/<target>.
# Safe Rust needs no AddressSanitizer to find panics and broken invariants, so targets build without one
# (-s none): much faster, and the build is shared with nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh fuzz
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export RUSTC_BOOTSTRAP=1 # cargo-fuzz needs nightly flags; this stable toolchain allows them so
seconds=${FUZZ_SECONDS:-60}
target_dir="${CARGO_TARGET_DIR:-$PWD/target}/fuzz"
targets=(token_headers redirect_next cursors form_input invitation_codes webhook_input)
cd fuzz
cargo fuzz build -s none --target-dir "$target_dir" >/dev/null 2>&1 || cargo fuzz build -s none --target-dir "$target_dir"
printf '%-18s %14s %10s %10s %8s\n' target executions exec/s coverage features
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  if ! cargo fuzz run -s none --target-dir "$target_dir" "$t" "corpus/$t" -- \
      -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 >"$log" 2>&1; then
    cat "$log"
    echo "fuzz: $t failed; the input is in fuzz/artifacts/$t" >&2
    exit 1
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  printf '%-18s %14s %10s %10s %8s\n' "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}"
  rm -f "$log"
done
