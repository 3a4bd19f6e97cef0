#!/usr/bin/env bash
# Runs the concurrent parts under ThreadSanitizer: the webhook server (thread pool, certificate and policy
# reload under load, shutdown), the file watcher, the metrics, and the reconciler (work queue, informers,
# leader election, StackController against the test API server, the Kubernetes client's watches). The server tests start the TSan-built
# herd-controller, so races inside the server process fail them too (halt_on_error).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${HERD_TSAN_BUILD_DIR:-build-tsan}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERD_TSAN=ON -DHERD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target herd-controller herd-runtime-tests herd-webhook-tests herd-webhook-server-tests \
  herd-controller-tests herd-kube-client-tests
# scripts/tsan.supp says why reports inside Debian's (uninstrumented) cpp-httplib are suppressed.
# report_mutex_bugs=0: httplib::ClientImpl::stop() (how a watch is interrupted from another thread) locks and
# unlocks its mutex inside the uninstrumented library, where TSan records the unlock but not always the lock
# ("unlock of an unlocked mutex"). Herd's own code only locks through RAII guards, which cannot unlock what
# they did not lock. Data races and lock-order inversions are still reported.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_mutex_bugs=0 suppressions=$PWD/scripts/tsan.supp ${TSAN_OPTIONS:-}"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" \
  -R 'Metrics|FileWatcher|Logger|AdmissionHandler|BoundedTaskQueue|LinterPool|WebhookServer|WorkQueue|StackController|ApiClient'
