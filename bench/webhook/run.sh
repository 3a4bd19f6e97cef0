#!/usr/bin/env bash
# The webhook benchmark of issue 4: herd-controller against two baselines over TLS with keep-alive, posting the
# RAG AdmissionReview (tests/fixtures/admission/request-create.json):
#   herd     herd-controller --reconcile=false (full validation of the Stack)
#   trivial  herd-trivial-tls-server: cpp-httplib with herd-controller's TLS and thread settings and a fixed
#            answer (bench/webhook/trivial_server.cpp), the library's ceiling
#   nginx    nginx (Debian package) answering a fixed 200 JSON, same certificate, TLS 1.2+, keep-alive
# wrk (Lua POST script) measures peak throughput (median of --reps runs, interleaved), hey latency at a fixed
# 1,000 req/s (10 workers x -q 100), /proc gives herd-controller's RSS. The results replace the section
# "## Webhook (issue 4)" of bench/RESULTS.md; the other sections are kept.
#
# Usage: bench/webhook/run.sh [--build-dir DIR] [--no-build] [--duration SECONDS] [--reps N]
#                             [--hey-duration SECONDS] [--no-write]
#   --build-dir DIR   CMake build dir (default build-bench, Release, tests off); herd-controller and
#                     herd-trivial-tls-server are built there unless --no-build
#   --duration S      seconds of each wrk run (default 15); --reps N runs per server (default 3)
#   --hey-duration S  seconds of each hey run (default 15)
#   --no-write        print the section instead of writing bench/RESULTS.md
# Needs the Debian packages wrk, hey, nginx (nginx-light is enough), openssl, curl. About 4 minutes plus the
# build with the defaults. Every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

build="build-bench"
do_build=1
duration=15
reps=3
hey_duration=15
write=1
warmup=5
wrk_threads=2
wrk_connections=16
hey_workers=10
hey_rate=100 # per worker: hey_workers x hey_rate = 1,000 req/s

die() {
  echo "bench/webhook: $*" >&2
  exit 1
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}
while (($#)); do
  case $1 in
  --build-dir) build=${2:?--build-dir needs a value}; shift ;;
  --no-build) do_build=0 ;;
  --duration) duration=${2:?}; shift ;;
  --reps) reps=${2:?}; shift ;;
  --hey-duration) hey_duration=${2:?}; shift ;;
  --no-write) write=0 ;;
  -h | --help) usage 0 ;;
  *) echo "bench/webhook: unknown option $1" >&2; usage 2 ;;
  esac
  shift
done
[[ $duration =~ ^[0-9]+$ && $reps =~ ^[1-9][0-9]*$ && $hey_duration =~ ^[0-9]+$ ]] ||
  die "--duration, --reps and --hey-duration take positive integers"

# --- tools ---------------------------------------------------------------------------------------------------
nginx_bin=$(command -v nginx || true)
[[ -n $nginx_bin ]] || { [[ -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx; }
missing=()
command -v wrk >/dev/null || missing+=("wrk (Debian package wrk)")
command -v hey >/dev/null || missing+=("hey (Debian package hey)")
[[ -n $nginx_bin ]] || missing+=("nginx (Debian package nginx or nginx-light)")
command -v openssl >/dev/null || missing+=("openssl (Debian package openssl)")
command -v curl >/dev/null || missing+=("curl (Debian package curl)")
if ((${#missing[@]})); then
  printf 'bench/webhook: missing tools:\n' >&2
  printf '  %s\n' "${missing[@]}" >&2
  die "install them with: apt-get install -y wrk hey nginx-light openssl curl"
fi

body_file=$PWD/tests/fixtures/admission/request-create.json
[[ -f $body_file ]] || die "missing fixture $body_file"

# --- build ---------------------------------------------------------------------------------------------------
if ((do_build)); then
  echo "bench/webhook: building herd-controller and herd-trivial-tls-server in $build" >&2
  # HERD_WERROR=OFF: GCC 12 at -O3 reports a false -Wrestrict in webhook/src/webhook_server.cpp ("/" + string).
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERD_BUILD_TESTS=OFF -DHERD_WERROR=OFF >/dev/null ||
    die "cmake configure failed"
  cmake --build "$build" --target herd-controller herd-trivial-tls-server >/dev/null || die "build failed"
fi
herd_bin=$build/bin/herd-controller
trivial_bin=$build/bin/herd-trivial-tls-server
[[ -x $herd_bin && -x $trivial_bin ]] || die "no $herd_bin or $trivial_bin (build them, or drop --no-build)"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || echo unknown)

# Sampled after the build, so that our own compiling does not count.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- processes and cleanup -----------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/herd-webhook-bench.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    2>/dev/null && return
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$port" 2>/dev/null | grep -q . || { echo "$port"; return; }
  done
}
# Waits until something accepts TCP on 127.0.0.1:$2 while process $1 lives (10 s at most).
wait_listening() {
  local pid=$1 port=$2 name=$3 log=$4
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$name exited at start (log above)"; }
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  cat "$log" >&2
  die "$name does not listen on port $port after 10 s"
}

# --- certificate: a CA and a serving certificate for 127.0.0.1/localhost (EC P-256, like webhook-certs.sh) ----
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
openssl req -new -x509 -key "$tmp/ca.key" -sha256 -days 2 -subj "/CN=herd-bench-ca" -out "$tmp/ca.crt" \
  2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/tls.key" 2>/dev/null
openssl req -new -key "$tmp/tls.key" -subj "/CN=localhost" -out "$tmp/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
  >"$tmp/ext.cnf"
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 -sha256 \
  -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null
openssl verify -CAfile "$tmp/ca.crt" "$tmp/tls.crt" >/dev/null || die "the generated certificate does not verify"

# --- (a) herd-controller -------------------------------------------------------------------------------------
herd_port=$(free_port)
"$herd_bin" --reconcile=false --tls-cert-file "$tmp/tls.crt" --tls-key-file "$tmp/tls.key" \
  --bind-address 127.0.0.1 --webhook-port "$herd_port" --health-port 0 --log-level warn >"$tmp/herd.log" 2>&1 &
herd_pid=$!
pids+=("$herd_pid")
wait_listening "$herd_pid" "$herd_port" herd-controller "$tmp/herd.log"
sleep 0.5
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
herd_rss_start=$(rss_kib "$herd_pid")
herd_threads=$(awk '/^Threads:/ { print $2 }' "/proc/$herd_pid/status")

# --- (b) nginx: own prefix, pid, logs and temp dirs; no root needed ------------------------------------------
nginx_port=$(free_port)
ngx=$tmp/nginx
mkdir -p "$ngx/logs" "$ngx/temp"
allow_json='{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"a7c3e915-0d42-4b8f-96e1-3f5b2d8c0e74","allowed":true}}'
temp_paths="client_body_temp_path $ngx/temp/body;"
nginx_configure=$("$nginx_bin" -V 2>&1)
for module in proxy fastcgi uwsgi scgi; do
  grep -q -- "--without-http_${module}_module" <<<"$nginx_configure" ||
    temp_paths+=$'\n    '"${module}_temp_path $ngx/temp/$module;"
done
user_line=""
((EUID == 0)) && user_line="user $(id -un) $(id -gn);" # root master: keep workers able to use the temp dirs
cat >"$ngx/nginx.conf" <<NGINX
$user_line
worker_processes $(nproc);
daemon off;
master_process on;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events {
  worker_connections 1024;
}
http {
  access_log off;
  $temp_paths
  keepalive_timeout 5s;
  keepalive_requests 100000;
  tcp_nodelay on;
  client_max_body_size 8m;
  client_body_timeout 10s;
  send_timeout 10s;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $tmp/tls.crt;
    ssl_certificate_key $tmp/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    location = /validate-stack {
      default_type application/json;
      return 200 '$allow_json';
    }
  }
}
NGINX
"$nginx_bin" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log" >"$ngx/logs/stdout.log" 2>&1 &
nginx_pid=$!
pids+=("$nginx_pid")
wait_listening "$nginx_pid" "$nginx_port" nginx "$ngx/logs/error.log"
nginx_workers=$(nproc)

# --- (c) the trivial cpp-httplib server (port 0: it prints the port) -----------------------------------------
"$trivial_bin" --cert "$tmp/tls.crt" --key "$tmp/tls.key" --port 0 >"$tmp/trivial.log" 2>&1 &
trivial_pid=$!
pids+=("$trivial_pid")
trivial_port=""
for _ in $(seq 1 100); do
  trivial_port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$tmp/trivial.log")
  [[ -n $trivial_port ]] && break
  kill -0 "$trivial_pid" 2>/dev/null || { cat "$tmp/trivial.log" >&2; die "herd-trivial-tls-server exited"; }
  sleep 0.1
done
[[ -n $trivial_port ]] || die "herd-trivial-tls-server printed no port"
trivial_threads=$(sed -n 's/.*with \([0-9]*\) threads.*/\1/p' "$tmp/trivial.log")

servers=(herd trivial nginx)
declare -A port=([herd]=$herd_port [trivial]=$trivial_port [nginx]=$nginx_port)
declare -A pid=([herd]=$herd_pid [trivial]=$trivial_pid [nginx]=$nginx_pid)
url() { echo "https://localhost:${port[$1]}/validate-stack"; }

# --- sanity: each answers 200 with allowed=true, verified against the CA; record the negotiated TLS ----------
declare -A tls gzip_of
for s in "${servers[@]}"; do
  response=$(curl -sS --max-time 10 --cacert "$tmp/ca.crt" -H 'Content-Type: application/json' \
    --data-binary "@$body_file" -w '\n%{http_code}' "$(url "$s")") || die "$s: the request failed"
  code=${response##*$'\n'}
  [[ $code == 200 ]] || die "$s answered HTTP $code: ${response%$'\n'*}"
  grep -Eq '"allowed": ?true' <<<"$response" || die "$s did not allow the RAG Stack: ${response%$'\n'*}"
  # Measured, not assumed: the answer's Content-Encoding for a client that accepts gzip (as Go's transport does).
  gzip_of[$s]=$(curl -sS -o /dev/null -D - --max-time 10 --cacert "$tmp/ca.crt" -H 'Accept-Encoding: gzip' \
    -H 'Content-Type: application/json' --data-binary "@$body_file" "$(url "$s")" |
    tr -d '\r' | awk -F': *' 'tolower($1) == "content-encoding" { print $2 }')
  gzip_of[$s]=${gzip_of[$s]:-none}
  tls[$s]=$(timeout 10 openssl s_client -connect "127.0.0.1:${port[$s]}" -servername localhost </dev/null 2>/dev/null |
    sed -n 's/^New, \(.*\), Cipher is \(.*\)/\1 \2/p' | head -1)
  # TLS 1.2 must be served and TLS 1.1 refused (the client side may try it at security level 0).
  timeout 10 openssl s_client -connect "127.0.0.1:${port[$s]}" -tls1_2 </dev/null >/dev/null 2>&1 ||
    die "$s refused TLS 1.2"
  if timeout 10 openssl s_client -connect "127.0.0.1:${port[$s]}" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    </dev/null >/dev/null 2>&1; then
    die "$s accepted TLS 1.1"
  fi
done

cat >"$tmp/post.lua" <<LUA
local file = io.open("$body_file", "rb")
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
LUA

# CPU time (user + system, in clock ticks) of a server, workers included for nginx.
cpu_ticks() {
  local p total=0
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$total"
}
clk_tck=$(getconf CLK_TCK)

# Other work on the machine during each measurement: the machine's busy CPU (/proc/stat: user, nice, system,
# steal) minus what the three servers and this script's children (wrk, hey) used. irq and softirq are left out:
# the loopback traffic's softirq time is the benchmark's own but belongs to no process. The load average cannot
# tell: the benchmark's own threads count in it.
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $9 }' /proc/stat; }
children_ticks() { # user + system time of this shell's finished children, in clock ticks
  times >"$tmp/times" # not in $(...): a subshell starts with its children's times at zero
  awk -v hz="$clk_tck" 'NR == 2 {
    for (i = 1; i <= 2; ++i) { split($i, t, "m"); sub("s", "", t[2]); total += t[1] * 60 + t[2] }
    printf "%.0f", total * hz }' "$tmp/times"
}
servers_ticks() { echo $(($(cpu_ticks "$herd_pid") + $(cpu_ticks "$trivial_pid") + $(cpu_ticks "$nginx_pid"))); }
foreign_ticks=0
available_ticks=0
foreign_worst=0
measure_begin() {
  m_busy=$(machine_busy)
  children_ticks >"$tmp/children"
  m_own=$(($(servers_ticks) + $(<"$tmp/children")))
  m_start=$(date +%s%N)
}
measure_end() {
  local busy own available foreign
  busy=$(($(machine_busy) - m_busy))
  children_ticks >"$tmp/children"
  own=$(($(servers_ticks) + $(<"$tmp/children") - m_own))
  available=$((($(date +%s%N) - m_start) * clk_tck * $(nproc) / 1000000000))
  foreign=$((busy > own ? busy - own : 0))
  foreign_ticks=$((foreign_ticks + foreign))
  available_ticks=$((available_ticks + available))
  foreign_worst=$(awk -v w="$foreign_worst" -v f="$foreign" -v a="$available" \
    'BEGIN { p = a ? 100 * f / a : 0; printf "%.0f", (p > w ? p : w) }')
}

# --- peak throughput: wrk, warm-up then --reps interleaved runs ----------------------------------------------
wrk_cmd="wrk -t$wrk_threads -c$wrk_connections -d${duration}s --timeout 5s -s post.lua"
declare -A rates requests cpu errors
for s in "${servers[@]}"; do
  echo "bench/webhook: warming up $s (${warmup}s)" >&2
  timeout $((warmup + 30)) wrk -t$wrk_threads -c$wrk_connections -d${warmup}s --timeout 5s -s "$tmp/post.lua" \
    "$(url "$s")" >/dev/null || die "wrk failed against $s"
  requests[$s]=0
  cpu[$s]=0
  errors[$s]=""
done
for rep in $(seq 1 "$reps"); do
  for s in "${servers[@]}"; do
    echo "bench/webhook: wrk run $rep/$reps against $s (${duration}s)" >&2
    measure_begin
    before=$(cpu_ticks "${pid[$s]}")
    out=$(timeout $((duration + 30)) wrk -t$wrk_threads -c$wrk_connections -d"${duration}s" --timeout 5s \
      -s "$tmp/post.lua" "$(url "$s")") || die "wrk failed against $s"
    after=$(cpu_ticks "${pid[$s]}")
    measure_end
    echo "$out" >"$tmp/wrk-$s-$rep.txt"
    rate=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    [[ -n $rate ]] || die "no Requests/sec in wrk's output for $s: $out"
    rates[$s]+="$rate "
    requests[$s]=$((requests[$s] + $(awk '/requests in/ { print $1 }' <<<"$out")))
    cpu[$s]=$((cpu[$s] + after - before))
    bad=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | paste -sd';' - || true)
    if [[ -n $bad ]]; then errors[$s]+="run $rep: $bad. "; fi
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
declare -A peak cpu_us
for s in "${servers[@]}"; do
  peak[$s]=$(median <<<"${rates[$s]}")
  cpu_us[$s]=$(awk -v t="${cpu[$s]}" -v hz="$clk_tck" -v n="${requests[$s]}" \
    'BEGIN { printf "%.0f", n ? t * 1e6 / hz / n : 0 }')
done

# --- latency at a fixed 1,000 req/s: hey -------------------------------------------------------------------
# hey is a Go client and, like the kube-apiserver's, sends "Accept-Encoding: gzip". Debian's cpp-httplib (built
# with zlib) gzips answers typed exactly "application/json"; herd-controller and the trivial server answer
# "application/json; charset=utf-8" to avoid it, nginx has gzip off. The extra run "herd-nogzip"
# (hey -disable-compression) checks that the request header changes nothing.
declare -A p50 p90 p99 hey_rps hey_status
for s in "${servers[@]}" herd-nogzip; do
  target=${s%-nogzip}
  extra=()
  [[ $s == *-nogzip ]] && extra=(-disable-compression)
  echo "bench/webhook: hey at $((hey_workers * hey_rate)) req/s against $s (${hey_duration}s)" >&2
  measure_begin
  out=$(timeout $((hey_duration + 60)) hey -z "${hey_duration}s" -c "$hey_workers" -q "$hey_rate" "${extra[@]}" \
    -m POST -T application/json -D "$body_file" "$(url "$target")") || die "hey failed against $s"
  measure_end
  echo "$out" >"$tmp/hey-$s.txt"
  pct() { awk -v p="$1%" '$1 == p && $2 == "in" { printf "%.2f", $3 * 1000 }' <<<"$out"; }
  p50[$s]=$(pct 50)
  p90[$s]=$(pct 90)
  p99[$s]=$(pct 99)
  [[ -n ${p99[$s]} ]] || die "no latency distribution in hey's output for $s: $out"
  hey_rps[$s]=$(awk '/Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  hey_status[$s]=$(awk '/^Status code distribution:/ { on = 1; next } on && /\[[0-9]+\]/ { printf "%s%s %s", sep, $1, $2; sep = ", " } on && /^$/ { on = 0 }' <<<"$out")
  if grep -q '^Error distribution:' <<<"$out"; then
    hey_status[$s]+=", errors: $(sed -n '/^Error distribution:/,$p' <<<"$out" | sed 1d | tr -s ' ' | paste -sd' ' -)"
  fi
done

# --- pool exhaustion probe (not a bar): as many idle keep-alive TLS connections as herd has webhook threads,
# then one more request. Each connection holds a thread, so it waits for an idle one to time out. ----------
echo "bench/webhook: holding $trivial_threads idle TLS connections to herd, then one request" >&2
holders=()
for _ in $(seq 1 "$trivial_threads"); do
  timeout 12 openssl s_client -quiet -connect "127.0.0.1:$herd_port" </dev/null >/dev/null 2>&1 &
  holders+=($!)
  pids+=($!)
done
sleep 1
stall=$(curl -sS -o /dev/null --max-time 15 --cacert "$tmp/ca.crt" -H 'Content-Type: application/json' \
  --data-binary "@$body_file" -w '%{time_total}' "$(url herd)" 2>/dev/null) || stall="no answer within 15"
[[ $stall =~ ^[0-9.]+$ ]] && stall=$(printf '%.2f' "$stall")
wait "${holders[@]}" 2>/dev/null || true

# --- memory once the keep-alive connections have closed ----------------------------------------------------
sleep 7
herd_rss_after=$(rss_kib "$herd_pid")
herd_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$herd_pid/status")
trivial_rss_after=$(rss_kib "$trivial_pid")
nginx_rss_after=0
for p in "$nginx_pid" $(pgrep -P "$nginx_pid" || true); do nginx_rss_after=$((nginx_rss_after + $(rss_kib "$p"))); done
kill -0 "$herd_pid" 2>/dev/null || die "herd-controller died during the run"
herd_log_lines=$(wc -l <"$tmp/herd.log")

# --- verdicts ------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
verdict() { awk -v c="$1" 'BEGIN { print (c ? "PASS" : "FAIL") }'; }
herd_vs_trivial=$(ratio "${peak[herd]}" "${peak[trivial]}")
herd_vs_nginx=$(ratio "${peak[herd]}" "${peak[nginx]}")
trivial_vs_nginx=$(ratio "${peak[trivial]}" "${peak[nginx]}")
rss_worst=$((herd_rss_start > herd_rss_after ? herd_rss_start : herd_rss_after))
bar_trivial=$(verdict "$(awk -v r="$herd_vs_trivial" 'BEGIN { print (r >= 0.8) }')")
bar_nginx=$(verdict "$(awk -v r="$herd_vs_nginx" 'BEGIN { print (r >= 0.25) }')")
bar_p99=$(verdict "$(awk -v p="${p99[herd]}" 'BEGIN { print (p < 2) }')")
bar_rss=$(verdict "$(awk -v k="$rss_worst" 'BEGIN { print (k < 30 * 1024) }')")

# --- the section ---------------------------------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
foreign_share=$(awk -v f="$foreign_ticks" -v a="$available_ticks" 'BEGIN { printf "%.0f", a ? 100 * f / a : 0 }')
load_note=""
if ((foreign_worst > 10)) || awk -v l="${load_start%% *}" 'BEGIN { exit !(l > 2) }'; then
  load_note=" **Other work competed for the cores (load above 2 at the start, or more than 10 % of the CPU taken by
other processes during a measurement): the numbers are noisy and pessimistic, latency most of all.**"
fi
fmt() { printf "%'.0f" "$1" 2>/dev/null || printf '%.0f' "$1"; }
errs() { if [[ -n ${errors[$1]} ]]; then echo "${errors[$1]}"; else echo none; fi; }
section=$tmp/section.md
cat >"$section" <<SECTION
## Webhook (issue 4)
Written by \`bench/webhook/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC').
Machine: ${cpu_model}, $(nproc) cores (\`nproc\`), $(free -g | awk '/^Mem:/ { print $2 }') GiB; $(uname -sr).
Load average (1/5/15 min) at the start: ${load_start}. CPU taken by other processes during the measurements
(machine busy time minus the servers', wrk's and hey's): ${foreign_share} % on average, ${foreign_worst} % in the worst run.${load_note}
Versions: $("$herd_bin" --version 2>/dev/null | head -1 || echo "herd-controller ?") ($build_type, \`$build\`), cpp-httplib $(sed -n 's/^#define CPPHTTPLIB_VERSION "\(.*\)"/\1/p' /usr/include/httplib.h 2>/dev/null), $(openssl version | cut -d' ' -f1-2);
$("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //'); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null || echo "?") (Debian package version; hey prints none).

All three servers, wrk and hey share the $(nproc) cores (no pinning): the client takes a large part of the CPU,
so absolute numbers are lower than on a dedicated server, and the ratios are what the bars judge.
Servers: **herd** = \`herd-controller --reconcile=false\` (full validation: schema, graph, default policy), ${herd_threads} threads
at start (webhook pool + health pool + watcher); **trivial** = \`herd-trivial-tls-server\`
(\`bench/webhook/trivial_server.cpp\`: cpp-httplib with herd-controller's \`WebhookServerOptions\` defaults,
${trivial_threads} pool threads, TCP_NODELAY, keep-alive 5 s / 100,000 requests, 10 s read/write timeouts, TLS 1.2
minimum via the setup callback, certificate by \`SSL_CTX_set_cert_cb\`; reads the body, answers a fixed allow);
**nginx** = ${nginx_workers} worker processes, \`return 200\` of a fixed AdmissionReview, TLS 1.2/1.3, keep-alive.
Same EC P-256 certificate (CA generated per run) for all; negotiated with OpenSSL's client: herd ${tls[herd]:-?},
trivial ${tls[trivial]:-?}, nginx ${tls[nginx]:-?}; TLS 1.2 accepted and TLS 1.1 refused by all three.
Body: \`tests/fixtures/admission/request-create.json\` ($(wc -c <"$body_file") bytes, allowed by herd).

Commands (PORT per server, \`post.lua\` sets POST, the body and \`Content-Type: application/json\`):
\`\`\`
$wrk_cmd https://localhost:PORT/validate-stack    # ${warmup}s warm-up, then ${reps} runs, interleaved
hey -z ${hey_duration}s -c $hey_workers -q $hey_rate -m POST -T application/json -D request-create.json https://localhost:PORT/validate-stack
\`\`\`

| server | wrk req/s (median of ${reps}) | wrk runs | server CPU µs/request | hey p50 | hey p90 | hey p99 | hey req/s | hey statuses |
|---|---|---|---|---|---|---|---|---|
$(for s in "${servers[@]}"; do
  printf '| %s | %s | %s | %s | %s ms | %s ms | %s ms | %s | %s |\n' "$s" "$(fmt "${peak[$s]}")" \
    "$(for r in ${rates[$s]}; do printf '%.0f ' "$r"; done | sed 's/ $//; s/ /, /g')" "${cpu_us[$s]}" \
    "${p50[$s]}" "${p90[$s]}" "${p99[$s]}" "${hey_rps[$s]}" "${hey_status[$s]}"
done)
| herd, hey \`-disable-compression\` | — | — | — | ${p50[herd-nogzip]} ms | ${p90[herd-nogzip]} ms | ${p99[herd-nogzip]} ms | ${hey_rps[herd-nogzip]} | ${hey_status[herd-nogzip]} |

hey, a Go client like the kube-apiserver, sends \`Accept-Encoding: gzip\`. Debian's cpp-httplib gzips answers typed
exactly \`application/json\`; herd-controller and the trivial server answer \`application/json; charset=utf-8\`
(nginx: \`gzip off\`). Content-Encoding measured with \`Accept-Encoding: gzip\`: herd ${gzip_of[herd]}, trivial
${gzip_of[trivial]}, nginx ${gzip_of[nginx]}. The last row is herd with hey's \`-disable-compression\`, for comparison.

wrk errors: herd $(errs herd); trivial $(errs trivial); nginx $(errs nginx).
Ratios of peak throughput: herd / trivial **${herd_vs_trivial}×**, herd / nginx **${herd_vs_nginx}×**, trivial / nginx ${trivial_vs_nginx}×.
The same ratios from server CPU per request (less sensitive to other load on the machine): herd / trivial
$(ratio "${cpu_us[trivial]}" "${cpu_us[herd]}")×, herd / nginx $(ratio "${cpu_us[nginx]}" "${cpu_us[herd]}")×.

herd-controller memory (VmRSS): $(mib "$herd_rss_start") MiB idle after start, $(mib "$herd_rss_after") MiB idle after the load
(keep-alive connections closed), peak $(mib "$herd_hwm") MiB (VmHWM). For reference after the load: trivial
$(mib "$trivial_rss_after") MiB, nginx $(mib "$nginx_rss_after") MiB (master + workers). herd-controller wrote ${herd_log_lines} log lines at \`--log-level warn\`.

Pool exhaustion (not a bar): with ${trivial_threads} idle keep-alive TLS connections open to herd-controller (one per
webhook thread), one more request took **${stall} s** (it waits until the 5 s keep-alive timeout closes an idle connection; nginx has no such limit).

| bar (issue 4) | measured | result |
|---|---|---|
| herd ≥ 0.8× trivial handler (wrk req/s) | ${herd_vs_trivial}× | ${bar_trivial} |
| herd ≥ 0.25× nginx (wrk req/s) | ${herd_vs_nginx}× | ${bar_nginx} |
| herd p99 < 2 ms at 1,000 req/s (hey) | ${p99[herd]} ms | ${bar_p99} |
| herd RSS < 30 MiB idle (worse of after start / after load) | $(mib "$rss_worst") MiB | ${bar_rss} |
SECTION

if ((write)); then
  results=bench/RESULTS.md
  [[ -f $results ]] || printf '# Benchmark results\n' >"$results"
  # Replace the section (up to the next "## " heading) or append it; everything else is kept as it is.
  bench/write-section.sh '## Webhook (issue 4)' "$section"
  echo "bench/webhook: wrote the section \"## Webhook (issue 4)\" of $results" >&2
fi
cat "$section"
