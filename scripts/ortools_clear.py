#!/usr/bin/env python3
"""The same multilateral set-off as `distretto clear`, with Google OR-tools' SimpleMinCostFlow.

A development tool for scripts/bench-clearing.sh only, never a runtime dependency:

    python3 -m venv /tmp/ortools-venv && /tmp/ortools-venv/bin/pip install ortools
    /tmp/ortools-venv/bin/python scripts/ortools_clear.py IN.csv

Each invoice is an arc debtor -> creditor with capacity = amount and unit cost -1, every
supply is zero: the minimum-cost circulation is the largest set-off (cleared = -cost).
Prints one JSON line: invoices, parties, total, cleared, read_ms, solve_ms.
"""
import csv
import json
import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow


def main(path: str) -> int:
    started = time.perf_counter()
    parties: dict[str, int] = {}
    tails, heads, caps = [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        if [h.strip() for h in header] != ["id", "debtor", "creditor", "amount"]:
            print(f"{path}: bad header {header}", file=sys.stderr)
            return 2
        for row in rows:
            if not row:
                continue
            tails.append(parties.setdefault(row[1], len(parties)))
            heads.append(parties.setdefault(row[2], len(parties)))
            caps.append(int(row[3]))
    read_ms = (time.perf_counter() - started) * 1000
    solve_started = time.perf_counter()
    smcf = min_cost_flow.SimpleMinCostFlow()
    if caps:
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.array(tails, dtype=np.int32),
            np.array(heads, dtype=np.int32),
            np.array(caps, dtype=np.int64),
            np.full(len(caps), -1, dtype=np.int64),
        )
        status = smcf.solve()
        if status != smcf.OPTIMAL:
            print(f"OR-tools status {status}", file=sys.stderr)
            return 1
        cleared = int(smcf.flows(np.arange(len(caps), dtype=np.int32)).sum(dtype=np.int64))
        assert cleared == -smcf.optimal_cost()
    else:
        cleared = 0
    solve_ms = (time.perf_counter() - solve_started) * 1000
    print(json.dumps({
        "invoices": len(caps),
        "parties": len(parties),
        "total": sum(caps),
        "cleared": cleared,
        "read_ms": round(read_ms),
        "solve_ms": round(solve_ms),
    }))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: ortools_clear.py IN.csv", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
