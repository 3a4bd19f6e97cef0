#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy, warnings are errors) over every project source. Uses its own build tree
# without precompiled headers, which clang-tidy cannot read from GCC.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tidy -G Ninja -DHERD_PCH=OFF -DHERD_BUILD_BENCH=OFF >/dev/null
cmake --build build-tidy --target herd_schema >/dev/null # generated sources
# Every source but the benchmarks (not configured here) and the fuzz targets (built only with clang and
# HERD_FUZZ=ON, so build-tidy has no compile command for them).
files=$(git ls-files '*.cpp' ':!:bench/*' ':!:tests/fuzz/*')
printf '%s\n' $files | xargs -P "$(nproc)" -n 1 clang-tidy -p build-tidy --quiet 2>/dev/null
echo "clang-tidy: clean"
