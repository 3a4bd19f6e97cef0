#!/usr/bin/env bash
# The reconciler benchmark of issue 5: herd-reconciler-bench (bench/reconciler_bench.cpp) runs the
# StackController against the test API server in one process, 1,000 Stacks x 5 charts: time to converge from
# empty, then full resyncs with nothing changed (bars: zero write requests; < 1 ms per Stack). The results
# replace the section "## Reconciler (issue 5)" of bench/RESULTS.md; the other sections are kept.
#
# Usage: bench/reconciler/run.sh [--build-dir DIR] [--no-build] [--stacks N] [--resyncs N] [--reps N] [--no-write]
#   --build-dir DIR   CMake build dir (default build-bench: Release, tests off)
#   --stacks N        Stacks (default 1000), 5 charts each; --resyncs N resyncs per run (default 5)
#   --reps N          runs (default 3; medians are reported)
#   --no-write        print the section instead of writing bench/RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build-bench
do_build=1
stacks=1000
resyncs=5
reps=3
write=1
while (($#)); do
  case $1 in
  --build-dir) build=${2:?}; shift ;;
  --no-build) do_build=0 ;;
  --stacks) stacks=${2:?}; shift ;;
  --resyncs) resyncs=${2:?}; shift ;;
  --reps) reps=${2:?}; shift ;;
  --no-write) write=0 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench/reconciler: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if ((do_build)); then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERD_BUILD_TESTS=OFF -DHERD_WERROR=OFF >/dev/null
  fi
  cmake --build "$build" --target herd-reconciler-bench >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((rep = 1; rep <= reps; rep++)); do
  "$build/bin/herd-reconciler-bench" "$stacks" "$resyncs" | tee -a "$tmp/runs.txt" >&2
done
field() { # the median of field $1 over the runs
  sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$tmp/runs.txt" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
converge=$(field converge_s)
converge_cpu=$(field converge_cpu_s)
converge_writes=$(field converge_writes)
per_stack=$(field resync_ms_per_stack)
cpu_per_stack=$(field resync_cpu_ms_per_stack)
max_resync_writes=$(sed -n 's/.* resync_writes=\([0-9]*\).*/\1/p' "$tmp/runs.txt" | sort -n | tail -1)
verdict() { if (($1)); then echo PASS; else echo FAIL; fi; }
bar_writes=$(verdict "$((max_resync_writes == 0))")
bar_cost=$(verdict "$(awk -v v="$per_stack" 'BEGIN { print (v < 1) }')")

cat >"$tmp/section.md" <<SECTION
## Reconciler (issue 5)

Machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores, $(date -u +%Y-%m-%d); load average at start ${load_start}.
\`bench/reconciler/run.sh\`: herd-reconciler-bench, Release; the StackController (2 workers, no leader election) and
the test API server (tests/apiserver, HTTP on localhost) in one process. ${stacks} Stacks x 5 charts (a dependency
chain, inline values, one cluster id each) in 10 namespaces, seeded before the controller starts. ${reps} runs of
${resyncs} resyncs each; medians over runs. A resync queues every Stack (as --resync-period does) and ends when
every Stack was reconciled once more.

Runs:
\`\`\`
$(cat "$tmp/runs.txt")
\`\`\`

| measure | median |
|---|---|
| converge from empty (finalizer, ${stacks}x5 Bundles applied, status written) | ${converge} s wall, ${converge_cpu} s CPU (controller + API server) |
| write requests to converge | ${converge_writes} |
| resync of ${stacks} unchanged Stacks: wall time per Stack | ${per_stack} ms |
| resync: CPU per Stack | ${cpu_per_stack} ms |
| write requests in all resyncs (worst run) | ${max_resync_writes} |

| bar (issue 5) | measured | result |
|---|---|---|
| zero write requests in a resync of unchanged Stacks | ${max_resync_writes} | ${bar_writes} |
| resync < 1 ms per Stack | ${per_stack} ms | ${bar_cost} |
SECTION

if ((write)); then
  results=bench/RESULTS.md
  bench/write-section.sh '## Reconciler (issue 5)' "$tmp/section.md"
  echo "bench/reconciler: wrote the section \"## Reconciler (issue 5)\" of $results" >&2
fi
cat "$tmp/section.md"
