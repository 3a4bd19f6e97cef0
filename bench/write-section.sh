#!/usr/bin/env bash
# Replaces the section of bench/RESULTS.md that starts with the heading HEADING (a "## ..." line, up to the next
# "## " heading) by the contents of FILE, or appends it when there is none; everything else is kept as it is.
# The benchmark scripts share it so that each rewrites only its own part.
#
#   bench/write-section.sh '## Soak (issue 8)' section.md [RESULTS]
set -euo pipefail
heading=${1:?heading}
section=${2:?section file}
results=${3:-$(dirname "$0")/RESULTS.md}
[[ -f $results ]] || printf '# Benchmark results\n' >"$results"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk -v heading="$heading" -v section="$section" '
  function emit(  line) { while ((getline line < section) > 0) print line; close(section) }
  index($0, heading) == 1 && length($0) == length(heading) { emit(); skipping = 1; done = 1; next }
  skipping && /^## / { skipping = 0; print "" }
  !skipping { print; last = $0 }
  END { if (!done) { if (last != "") print ""; emit() } }
' "$results" >"$tmp"
cp "$tmp" "$results"
