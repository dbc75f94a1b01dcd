#!/usr/bin/env bash
# Ledger benchmark (issue figures): durable transfers over HTTP from 64 concurrent keep-alive
# clients (POST /api/v1/transfers), the batching writer against one durable commit per transfer,
# on SQLite (WAL, synchronous=FULL) and on PostgreSQL (fsync on, synchronous_commit on); then
# `ledger verify` timed over a generated journal of 10 million transfers.
#
#   scripts/bench-ledger.sh [--duration 10s] [--clients 64] [--transfers 10000000] [--no-postgres] [--no-verify]
#
# The machine is shared: the load average is printed beside every figure; measure when it is low.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10s
CLIENTS=64
TRANSFERS=10000000
POSTGRES=1
VERIFY=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --transfers) TRANSFERS=$2; shift 2 ;;
    --no-postgres) POSTGRES=0; shift ;;
    --no-verify) VERIFY=0; shift ;;
    *) echo "usage: $0 [--duration 10s] [--clients 64] [--transfers N] [--no-postgres] [--no-verify]" >&2; exit 2 ;;
  esac
done
cargo build --release --locked --bin distretto
BIN=target/release/distretto
export DISTRETTO_LOG=${DISTRETTO_LOG:-warn}
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# A throw-away PostgreSQL cluster like scripts/pg-throwaway.sh's, but durable: fsync and
# full_page_writes stay on (their defaults), because a durable commit is what is measured.
PGT=""
PG_BIN=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  if [ -n "$PGT" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGT/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PGT"
  fi
}
trap stop_pg EXIT
PG_ARGS=()
if [ "$POSTGRES" = 1 ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "installing postgresql…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  PGT=$(mktemp -d /tmp/distretto-pg-bench.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGT"
  PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  as_pg "$PG_BIN/initdb" -D "$PGT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PGT/data" -l "$PGT/server.log" -w -t 30 \
    -o "-p $PORT -k $PGT -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300" start >/dev/null
  as_pg "$PG_BIN/createdb" -h "$PGT" -p "$PORT" -U postgres distretto_bench
  as_pg "$PG_BIN/createdb" -h "$PGT" -p "$PORT" -U postgres distretto_verify
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'): fsync=$(as_pg "$PG_BIN/psql" -h "$PGT" -p "$PORT" -U postgres -Atc 'SHOW fsync' distretto_bench), synchronous_commit=$(as_pg "$PG_BIN/psql" -h "$PGT" -p "$PORT" -U postgres -Atc 'SHOW synchronous_commit' distretto_bench)"
  PG_ARGS=(--postgres "postgres://postgres@127.0.0.1:$PORT/distretto_bench")
fi

echo
echo "== durable transfers over HTTP"
"$BIN" bench ledger --clients "$CLIENTS" --duration "$DURATION" --warmup 2s "${PG_ARGS[@]}"

if [ "$VERIFY" = 1 ]; then
  echo
  echo "== ledger verify over a generated journal (SQLite)"
  "$BIN" bench ledger-verify --transfers "$TRANSFERS" --repeat 2
  if [ "$POSTGRES" = 1 ]; then
    echo
    echo "== ledger verify over a generated journal (PostgreSQL)"
    "$BIN" bench ledger-verify --transfers "$TRANSFERS" --repeat 2 \
      --database "postgres://postgres@127.0.0.1:$PORT/distretto_verify"
  fi
fi
