#!/usr/bin/env bash
# Clearing benchmark (issue 4): the four standard seeded invoice networks, cleared by
# `distretto clear` (release build) and by Google OR-tools' SimpleMinCostFlow
# (scripts/ortools_clear.py, in a throw-away venv: a development tool, never a runtime
# dependency). Checks that both clear the same amount to the unit; prints wall time and peak
# resident memory of each whole process (reading the CSV included), and each side's own
# figure: distretto's elapsed_ms (read + clear + write) and OR-tools' solve time alone.
#
#   scripts/bench-clearing.sh [--sizes "500:5000 3000:50000 55000:500000 100000:1000000"]
#                             [--seed 1] [--dir /tmp/distretto-clearing-bench] [--venv /tmp/ortools-venv]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="500:5000 3000:50000 55000:500000 100000:1000000"
SEED=1
DIR=/tmp/distretto-clearing-bench
VENV=/tmp/ortools-venv
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --venv) VENV=$2; shift 2 ;;
    *) echo "usage: $0 [--sizes \"P:N ...\"] [--seed S] [--dir DIR] [--venv DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$DIR"
cargo build --release --locked --bin distretto
BIN=${CARGO_TARGET_DIR:-target}/release/distretto
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import ortools' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q ortools
fi
export DISTRETTO_LOG=${DISTRETTO_LOG:-warn}

# measure OUT_JSON CMD...: runs CMD with stdout to OUT_JSON; sets WALL_MS and PEAK_MIB.
measure() {
  local out=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$DIR/time.txt" "$@" > "$out"
    WALL_MS=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
      for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%d", s * 1000 }' "$DIR/time.txt")
    PEAK_MIB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$DIR/time.txt")
  else
    read -r WALL_MS PEAK_MIB < <(python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "w") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
wall = (time.perf_counter() - t) * 1000
if code != 0:
    sys.exit(code)
print(round(wall), round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
PY
)
  fi
}

json() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])' "$1" "$2"; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== OR-tools $("$VENV/bin/python" -c 'import ortools; print(ortools.__version__)'), seed $SEED"
printf '%-18s %16s %16s %6s | %11s %9s %9s | %11s %9s %9s\n' size total cleared same \
  "dist wall" "dist own" "dist MiB" "ort wall" "ort solve" "ort MiB"
status=0
for size in $SIZES; do
  P=${size%:*}; N=${size#*:}
  IN="$DIR/clearing-$P-$N-s$SEED.csv"
  [ -s "$IN" ] || "$BIN" bench clearing-generate --parties "$P" --invoices "$N" --seed "$SEED" --out "$IN" > /dev/null
  measure "$DIR/distretto.json" "$BIN" clear --invoices "$IN" --out "$DIR/setoff-$P-$N.csv"
  D_WALL=$WALL_MS; D_MIB=$PEAK_MIB
  D_CLEARED=$(json "$DIR/distretto.json" cleared); D_OWN=$(json "$DIR/distretto.json" elapsed_ms)
  TOTAL=$(json "$DIR/distretto.json" total)
  measure "$DIR/ortools.json" "$VENV/bin/python" scripts/ortools_clear.py "$IN"
  O_WALL=$WALL_MS; O_MIB=$PEAK_MIB
  O_CLEARED=$(json "$DIR/ortools.json" cleared); O_SOLVE=$(json "$DIR/ortools.json" solve_ms)
  SAME=yes
  if [ "$D_CLEARED" != "$O_CLEARED" ]; then SAME=NO; status=1; fi
  printf '%-18s %16s %16s %6s | %9sms %7sms %9s | %9sms %7sms %9s\n' "$P/$N" "$TOTAL" "$D_CLEARED" "$SAME" \
    "$D_WALL" "$D_OWN" "$D_MIB" "$O_WALL" "$O_SOLVE" "$O_MIB"
  [ "$SAME" = yes ] || echo "   distretto cleared $D_CLEARED, OR-tools $O_CLEARED" >&2
done
exit $status
