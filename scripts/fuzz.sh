#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a fixed time on a corpus seeded from
# the examples, the bad-input corpus and the AdmissionReview samples. New inputs accumulate in
# build-fuzz/corpus/<target>/; crashes are written to build-fuzz/findings/ and fail the run.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${HERD_FUZZ_BUILD_DIR:-build-fuzz}
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (Debian package: clang)" >&2
  exit 2
fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then # test.sh shares its sanitizer build (configured the same way)
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DHERD_FUZZ=ON -DHERD_BUILD_TESTS=OFF -DHERD_BUILD_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target fuzz_stack_lint fuzz_admission_review fuzz_kubeconfig fuzz_watch_stream

seed() { # target, then seed files
  local target=$1
  shift
  mkdir -p "$build/corpus/$target"
  cp "$@" "$build/corpus/$target/"
}
seed fuzz_stack_lint examples/*.yaml tests/corpus/*.yaml
seed fuzz_admission_review tests/fixtures/admission/request-*.json
seed fuzz_kubeconfig tests/fixtures/kubeconfig/*.yaml
seed fuzz_watch_stream tests/fixtures/watch/*.jsonl
mkdir -p "$build/findings"

# One target per core at a time: CI's fixed fuzzing budget then costs minutes of wall time only once per core.
parallel=${HERD_FUZZ_JOBS:-$(nproc)}
run_target() { # target: fuzz it, then print its statistics; fails when libFuzzer found something
  local target=$1 log="$build/findings/$1.log"
  # -max_len lets whole Stacks and reviews through; -timeout flags any input that takes over 10 s (a hang).
  if ! "$build/bin/$target" "$build/corpus/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$build/findings/$target-" -print_final_stats=1 >"$log" 2>&1; then
    echo "$target FAILED: see $log and the reproducer in $build/findings/" >&2
    tail -40 "$log" >&2
    return 1
  fi
  echo "== $target: ${seconds}s"
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE" "$log" || tail -3 "$log"
}

status=0
pids=()
for target in fuzz_stack_lint fuzz_admission_review fuzz_kubeconfig fuzz_watch_stream; do
  if ((${#pids[@]} >= parallel)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
  run_target "$target" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit $status
