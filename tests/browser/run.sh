#!/usr/bin/env bash
# The browser tests: Playwright (playwright-core) driving Debian's Chromium, with axe.
#
#   tests/browser/run.sh PATH_TO_BINARY [node --test args…]
#
# Starts the server on a free loopback port and a fresh temporary SQLite file filled with the
# demo district, and a second, small district (SECOND_URL) for the federation tests; waits for
# /healthz, runs every tests/browser/*.test.mjs with BASE_URL set, stops the servers and exits
# with node's status. Never downloads a browser and never skips:
# without /usr/bin/chromium it fails.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 PATH_TO_DISTRETTO_BINARY [extra node --test arguments]" >&2
  exit 2
fi
fail() { echo "browser tests: $*" >&2; exit 1; }

[ -f "$1" ] && [ -x "$1" ] || fail "no executable at $1 (cargo build --bin distretto)"
bin=$(realpath "$1")
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: apt-get install -y chromium (the tests never download a browser)"
command -v node >/dev/null || fail "node is missing"
command -v curl >/dev/null || fail "curl is missing"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@axe-core/playwright ]; then
  echo "installing npm packages (playwright-core, @axe-core/playwright; no browser download)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

work=$(mktemp -d "${TMPDIR:-/tmp}/distretto-browser.XXXXXX")
server_pid=""
second_pid=""
stop_server() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}
cleanup() {
  stop_server "$server_pid"
  stop_server "$second_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port: bind port 0 and read what the kernel chose.
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
export BASE_URL="http://127.0.0.1:$port"
export DEMO_PASSWORD='browser-tests-pw'

echo "starting $bin on $BASE_URL (database $work/distretto.db, demo district)"
RUST_LOG="${RUST_LOG:-warn}" "$bin" serve \
  --database "sqlite:$work/distretto.db" \
  --bind "127.0.0.1:$port" \
  --demo --demo-password "$DEMO_PASSWORD" \
  >"$work/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 600); do # 60 s
  if ! kill -0 "$server_pid" 2>/dev/null; then
    tail -n 40 "$work/server.log" >&2
    fail "the server exited before it was ready"
  fi
  if curl -fsS -o /dev/null --max-time 2 "$BASE_URL/healthz" 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  tail -n 40 "$work/server.log" >&2
  fail "no answer on $BASE_URL/healthz within 60 s"
fi
echo "server ready"

# A second district for the federation tests: its own database, a coordinator and a member,
# reached by the first at its own address.
port2=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
export SECOND_URL="http://127.0.0.1:$port2"
while read -r email name role; do
  DISTRETTO_ADMIN_PASSWORD="$DEMO_PASSWORD" "$bin" admin create-user --email "$email" --name "$name" --role "$role" \
    --database "sqlite:$work/second.db" >>"$work/second.log" 2>&1 || { cat "$work/second.log" >&2; fail "could not create $email in the second district"; }
done <<'PEOPLE'
coord@second.example Coordinatrice coordinator
member@second.example Bea person
PEOPLE
DISTRETTO_PUBLIC_URL="$SECOND_URL" DISTRETTO_DISTRICT_NAME="Distretto Secondo" RUST_LOG="${RUST_LOG:-warn}" "$bin" serve \
  --database "sqlite:$work/second.db" --bind "127.0.0.1:$port2" >>"$work/second.log" 2>&1 &
second_pid=$!
ready=""
for _ in $(seq 1 300); do # 30 s
  kill -0 "$second_pid" 2>/dev/null || { tail -n 40 "$work/second.log" >&2; fail "the second district exited before it was ready"; }
  if curl -fsS -o /dev/null --max-time 2 "$SECOND_URL/healthz" 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { tail -n 40 "$work/second.log" >&2; fail "no answer on $SECOND_URL/healthz within 30 s"; }
echo "second district ready on $SECOND_URL"

status=0
node --test --test-concurrency=1 "$@" tests/browser/ || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- last lines of the server log ---" >&2
  tail -n 60 "$work/server.log" | cut -c1-400 >&2
fi
exit "$status"
