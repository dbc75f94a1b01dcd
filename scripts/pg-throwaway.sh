#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for tests and prints `export` lines to eval:
#   eval "$(scripts/pg-throwaway.sh start)"   …   scripts/pg-throwaway.sh stop "$PGT"
# Debian's postgresql refuses to run as root, so the cluster runs as the `postgres` user.
# fsync=off only speeds up this throw-away cluster; synchronous_commit stays on (the server
# refuses to start the ledger without it).
set -euo pipefail
cmd=${1:-start}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
      echo "installing postgresql…" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
      BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    PGT=$(mktemp -d /tmp/distretto-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGT"
    PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    as_pg "$BIN/initdb" -D "$PGT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    as_pg "$BIN/pg_ctl" -D "$PGT/data" -l "$PGT/server.log" -w -t 30 \
      -o "-p $PORT -k $PGT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300" start >/dev/null
    as_pg "$BIN/createdb" -h "$PGT" -p "$PORT" -U postgres distretto_test
    echo "export PGT=$PGT"
    echo "export DISTRETTO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PORT/distretto_test"
    ;;
  stop)
    PGT=${2:?usage: pg-throwaway.sh stop DIR}
    as_pg "$BIN/pg_ctl" -D "$PGT/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PGT"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
