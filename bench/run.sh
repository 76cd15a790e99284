#!/usr/bin/env bash
# maille benchmark: direct vs HAProxy vs maille (one proxy and a chained pair), side by side.
#   npm run bench                       full run (~4 min)
#   BENCH_QUICK=1 npm run bench         ~3 s per measurement (~1.5 min)
#   BENCH_SCENARIOS=direct,haproxy npm run bench
# Settings and method: bench/README.md. Results: printed, and bench/results/<timestamp>.json.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh bench

BENCH_TMPDIR=$(mktemp -d /tmp/maille-bench.XXXXXX)
export BENCH_TMPDIR

# Safety net behind bench.mjs's own cleanup: anything it started (listed in $BENCH_TMPDIR/pids)
# that is still alive gets killed. A pid is only killed if its command line still names our temp
# dir (nginx, HAProxy, maille and wrk are all started with files from it), so a reused pid is safe.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -f "$BENCH_TMPDIR/pids" ]; then
    local pid
    while read -r pid; do
      [ -n "$pid" ] || continue
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$BENCH_TMPDIR"; then
        kill -TERM "$pid" 2>/dev/null || true
      fi
    done <"$BENCH_TMPDIR/pids"
    sleep 0.5
    while read -r pid; do
      [ -n "$pid" ] || continue
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$BENCH_TMPDIR"; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$BENCH_TMPDIR/pids"
  fi
  rm -rf "$BENCH_TMPDIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# maille's binary runs the compiled dist/. A failing type check must not stop the baselines
# (direct, HAProxy): tsc still emits, and a broken proxy shows up as a failed scenario.
echo "bench: building (npx tsc -p tsconfig.json)"
if ! npx tsc -p tsconfig.json >"$BENCH_TMPDIR/tsc.log" 2>&1; then
  echo "bench: warning: tsc reported errors; maille scenarios may fail:" >&2
  head -n 20 "$BENCH_TMPDIR/tsc.log" >&2
fi

# The orchestrator itself mostly sleeps; keep it on the load-generator core, off the proxy's.
pin=()
if [ "${BENCH_PIN:-1}" != 0 ]; then pin=(taskset -c "${BENCH_CPU_LOAD:-0}"); fi
rc=0
"${pin[@]}" node bench/bench.mjs "$@" || rc=$?
exit "$rc"
