#!/usr/bin/env bash
# The soak of issue 8: herd-controller's webhook (--reconcile=false) under wrk for 10 minutes while its serving
# certificate is rotated every 30 s and its policy reloaded every 45 s. Besides wrk's kept-alive connections,
# a probe opens a new TLS connection every second (curl, verifying against the CA), so every rotation meets
# fresh handshakes. VmRSS is sampled every 10 s. Bars: zero failed requests (wrk and probes), RSS growth < 5%
# after the first minute (warm-up). The results replace the section "## Soak (issue 8)" of bench/RESULTS.md.
#
# Usage: bench/soak/run.sh [--build-dir DIR] [--no-build] [--minutes N] [--no-write]
# Needs the Debian packages wrk, openssl, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build-bench
do_build=1
minutes=10
write=1
while (($#)); do
  case $1 in
  --build-dir) build=${2:?}; shift ;;
  --no-build) do_build=0 ;;
  --minutes) minutes=${2:?}; shift ;;
  --no-write) write=0 ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench/soak: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "bench/soak: $*" >&2; exit 1; }
for tool in wrk openssl curl; do command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y $tool)"; done
if ((do_build)); then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERD_BUILD_TESTS=OFF -DHERD_WERROR=OFF >/dev/null
  fi
  cmake --build "$build" --target herd-controller >&2
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# One CA, two serving certificates for localhost: the rotation alternates them.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
openssl req -new -x509 -key "$tmp/ca.key" -sha256 -days 2 -subj "/CN=herd-soak-ca" -out "$tmp/ca.crt" 2>/dev/null
for name in a b; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$name.key" 2>/dev/null
  openssl req -new -key "$tmp/$name.key" -subj "/CN=localhost-$name" -out "$tmp/$name.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tmp/$name.ext"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 -sha256 \
    -extfile "$tmp/$name.ext" -out "$tmp/$name.crt" 2>/dev/null
done
mkdir -p "$tmp/tls"
cp "$tmp/a.crt" "$tmp/tls/tls.crt"
cp "$tmp/a.key" "$tmp/tls/tls.key"
cp schema/default-policy.yaml "$tmp/policy.yaml"

"$build/bin/herd-controller" --reconcile=false --bind-address 127.0.0.1 --webhook-port 0 --health-port 0 \
  --tls-cert-file "$tmp/tls/tls.crt" --tls-key-file "$tmp/tls/tls.key" --policy "$tmp/policy.yaml" \
  --reload-interval 1s --log-format json --log-level info 2>"$tmp/controller.log" &
controller=$!
pids+=("$controller")
for _ in $(seq 100); do
  grep -q '"listening"' "$tmp/controller.log" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/.*"webhookPort":\([0-9]*\).*/\1/p' "$tmp/controller.log" | head -1)
[[ -n $port ]] || die "herd-controller did not start: $(cat "$tmp/controller.log")"
url="https://localhost:$port/validate-stack"
body=tests/fixtures/admission/request-create.json
cat >"$tmp/post.lua" <<LUA
local file = io.open("$PWD/$body", "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
LUA

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$controller/status"; }
seconds=$((minutes * 60))
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench/soak: ${minutes} min of wrk against herd-controller on port $port" >&2
wrk -t2 -c16 -d"${seconds}s" --timeout 5s --latency -s "$tmp/post.lua" "$url" >"$tmp/wrk.txt" 2>&1 &
wrk_pid=$!
pids+=("$wrk_pid")

probes=0
probe_failures=0
rotations=0
policy_writes=0
samples=()
start=$SECONDS
while kill -0 "$wrk_pid" 2>/dev/null; do
  elapsed=$((SECONDS - start))
  # A new connection each second, verified against the CA: it sees whichever certificate is being served.
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$tmp/ca.crt" -X POST \
    -H 'Content-Type: application/json' --data-binary "@$body" "$url" || true)
  probes=$((probes + 1))
  [[ $code == 200 ]] || probe_failures=$((probe_failures + 1))
  if ((elapsed > 0 && elapsed % 30 == 0 && elapsed != ${last_rotation:--1})); then
    last_rotation=$elapsed
    next=$([[ $((rotations % 2)) == 0 ]] && echo b || echo a)
    # Written next to the files and renamed over them, as the kubelet updates a mounted Secret.
    cp "$tmp/$next.crt" "$tmp/tls/.tls.crt.new" && cp "$tmp/$next.key" "$tmp/tls/.tls.key.new"
    mv "$tmp/tls/.tls.key.new" "$tmp/tls/tls.key" && mv "$tmp/tls/.tls.crt.new" "$tmp/tls/tls.crt"
    rotations=$((rotations + 1))
  fi
  if ((elapsed > 0 && elapsed % 45 == 0 && elapsed != ${last_policy:--1})); then
    last_policy=$elapsed
    { cat schema/default-policy.yaml; echo "# soak reload $elapsed"; } >"$tmp/.policy.new"
    mv "$tmp/.policy.new" "$tmp/policy.yaml"
    policy_writes=$((policy_writes + 1))
  fi
  if ((elapsed % 10 == 0 && elapsed != ${last_sample:--1})); then
    last_sample=$elapsed
    samples+=("$elapsed:$(rss)")
  fi
  sleep 1
done
wait "$wrk_pid" || die "wrk failed: $(cat "$tmp/wrk.txt")"
kill -0 "$controller" 2>/dev/null || die "herd-controller died: $(tail -20 "$tmp/controller.log")"

requests=$(awk '/requests in/ { print $1 }' "$tmp/wrk.txt")
rate=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.txt")
non2xx=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.txt")
socket_errors=$(grep 'Socket errors' "$tmp/wrk.txt" | tr -s ' ' || true)
socket_sum=$( (grep -o '[0-9]\+' <<<"${socket_errors:-}" || true) | awk '{ s += $1 } END { print s + 0 }')
wrk_failures=$((${non2xx:-0} + socket_sum))
cert_reloads=$(grep -c 'reloaded the serving certificate' "$tmp/controller.log" || true)
policy_reloads=$(grep -c 'reloaded the policy' "$tmp/controller.log" || true)
error_lines=$(grep -c '"level":"error"' "$tmp/controller.log" || true)
baseline=""
final=""
for sample in "${samples[@]}"; do
  t=${sample%%:*}
  kb=${sample##*:}
  if [[ -z $baseline && $t -ge 60 ]]; then baseline=$kb; fi
  final=$kb
done
if [[ -z $baseline ]]; then # a run shorter than the warm-up measures no growth
  baseline=0
  growth=n/a
else
  growth=$(awk -v b="$baseline" -v f="$final" 'BEGIN { printf "%.1f", 100 * (f - b) / b }')
fi
failed=$((wrk_failures + probe_failures))
verdict() { if (($1)); then echo PASS; else echo FAIL; fi; }
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
bar_failed=$(verdict "$((failed == 0))")
bar_rss=$(verdict "$(awk -v g="$growth" 'BEGIN { print (g != "n/a" && g < 5) }')")
trace=$(printf '%s ' "${samples[@]}")

cat >"$tmp/section.md" <<SECTION
## Soak (issue 8)

Machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores, $(date -u +%Y-%m-%d); load average at start ${load_start}.
\`bench/soak/run.sh\`: herd-controller (${build_type} build in ${build}, \`--reconcile=false\`, 128 webhook threads) validating
\`${body}\` under \`wrk -t2 -c16 -d${minutes}m\` (kept-alive TLS connections), the serving certificate rotated
every 30 s (two certificates of one CA, renamed into place) and the policy file rewritten every 45 s, plus one
new TLS connection per second (curl, verifying against the CA). VmRSS sampled every 10 s.

| measure | value |
|---|---|
| wrk requests | ${requests} (${rate} req/s, p99 ${p99}) |
| wrk failures (non-2xx, socket errors) | ${wrk_failures} |
| new-connection probes / failed | ${probes} / ${probe_failures} |
| certificate rotations written / reloaded | ${rotations} / ${cert_reloads} |
| policy rewrites / reloaded | ${policy_writes} / ${policy_reloads} |
| error log lines | ${error_lines} |
| VmRSS after warm-up (60 s) → end | ${baseline} KiB → ${final} KiB (${growth}%) |

RSS samples (seconds:KiB): ${trace}

| bar (issue 8) | measured | result |
|---|---|---|
| zero failed requests | ${failed} | ${bar_failed} |
| RSS growth < 5% after warm-up | ${growth}% | ${bar_rss} |
SECTION

if ((write)); then
  results=bench/RESULTS.md
  bench/write-section.sh '## Soak (issue 8)' "$tmp/section.md"
  echo "bench/soak: wrote the section \"## Soak (issue 8)\" of $results" >&2
fi
cat "$tmp/section.md"
