#!/usr/bin/env bash
# Directory benchmark (issue figures): national-scale demo on SQLite, 32 concurrent connections
# from loopback with wrk, against GET /api/v1/organizations?limit=50 and the /directory page,
# with a bare axum "hello" endpoint measured in the same run for scale. Prints requests/s and
# p99 latency, the server's peak resident memory, and the time from start to healthy.
#
#   scripts/bench-directory.sh [--duration 15s] [--db /tmp/distretto-national.db]
# The national database is generated once and reused (delete it to regenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=15s
DB=/tmp/distretto-national.db
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --db) DB=$2; shift 2 ;;
    *) echo "usage: $0 [--duration 15s] [--db PATH]" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked --bin distretto
BIN=target/release/distretto
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

if [ ! -f "$DB" ]; then
  echo "== generating the national demo district into $DB"
  /usr/bin/time -f "national demo: %e s, peak RSS %M KiB" \
    "$BIN" demo --scale national --database "sqlite:$DB" --demo-password 'bench password'
fi

run_wrk() { # label url — one request first (reported as "cold"), then the steady-state run
  local out rps p99 cold
  cold=$(curl -s -o /dev/null -w '%{time_total}' "$2")
  printf '%-34s first request %6.1f ms\n' "$1" "$(python3 -c "print($cold*1000)")"
  out=$(wrk -t2 -c32 -d"$DURATION" --latency "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  printf '%-34s %10s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "$errors"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
HPORT=$(free_port)
"$BIN" bench-hello --bind "127.0.0.1:$HPORT" >/dev/null 2>&1 &
HPID=$!
PORT=$(free_port)
trap 'kill $HPID $SPID 2>/dev/null || true' EXIT
start_ns=$(date +%s%N)
DISTRETTO_LOG=warn "$BIN" serve --database "sqlite:$DB" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
SPID=$!
for _ in $(seq 1 500); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.01
done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "start to healthy on the existing national database: ${ready_ms} ms"
sleep 0.5
run_wrk "bare axum hello" "http://127.0.0.1:$HPORT/"
run_wrk "GET /api/v1/organizations?limit=50" "http://127.0.0.1:$PORT/api/v1/organizations?limit=50"
run_wrk "GET /directory (page)" "http://127.0.0.1:$PORT/directory"
run_wrk "GET /api/v1/organizations?q=coop" "http://127.0.0.1:$PORT/api/v1/organizations?q=coop&limit=50"
echo "server peak resident memory: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$SPID/status)"
echo "organisations: $(curl -fsS "http://127.0.0.1:$PORT/api/v1/organizations?limit=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["total"])')"
