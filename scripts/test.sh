#!/usr/bin/env bash
# Builds Herd and runs every test: the unit and integration suites, the clang-format check, and the whole suite
# again under AddressSanitizer + UndefinedBehaviorSanitizer, then each fuzz target for a minute (four targets). This is the
# README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# The Fleet-schema tests read Fleet's own CRDs, and the krew-rules test krew's real manifests, from
# ../shared/reference at run time (never copied here). A clone without that folder next to it (a newcomer's
# machine) cannot run them: say so and run the rest.
exclude=()
if [[ ! -f ../shared/reference/fleet/bundles.fleet.cattle.io.yaml ]]; then
  echo "warning: ../shared/reference/fleet not found: skipping the tests that validate against Fleet's CRDs and krew's manifests" >&2
  exclude=(-E 'FleetBundleSchema|BundleRendererFleetSchema|NamespaceLabelsAndAnnotationsOfEnabledFeaturesGoToEveryNamespace|BundlesFleetAccepts|RestartCountersSumIntoForceSyncGeneration|WholeStackRestartAlsoRedeploysThePolicyBundle|KrewReferenceManifests')
fi

echo "== build (RelWithDebInfo) and test"
# The benchmarks are built (Release) by bench/run.sh and bench/*/run.sh, not here: CI time goes to tests.
# -g1 (line tables and function names: enough for backtraces and gdb's "where") instead of -g: GCC's full
# debug info of nlohmann/json-heavy code costs more than twice the compile time of the code itself.
# Unity batches (HERD_UNITY_BUILD) halve the CPU time of a full build: CI has two cores.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERD_BUILD_BENCH=OFF -DHERD_UNITY_BUILD=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" "${exclude[@]}"

echo "== clang-format"
cmake --build build --target check-format

# One clang build serves the sanitizer run and the fuzzers (libFuzzer is clang's): a second compiler checks
# the code too.
echo "== build (clang) and test under ASan + UBSan"
# -O1 with line tables, as the sanitizers' own docs advise: the reports keep file:line, and the build is a quarter
# faster than -O2 -g.
CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERD_FUZZ=ON \
  -DHERD_BUILD_BENCH=OFF -DHERD_UNITY_BUILD=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" >/dev/null
cmake --build build-sanitize -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j"$jobs" "${exclude[@]}"

echo "== fuzz each libFuzzer target for ${HERD_FUZZ_SECONDS:-60}s"
HERD_FUZZ_BUILD_DIR=build-sanitize ./scripts/fuzz.sh "${HERD_FUZZ_SECONDS:-60}"
echo "== all tests passed"
