#!/usr/bin/env python3
"""What SQLite alone can do with the ledger's schema on this machine: the ceiling under
`distretto bench ledger`'s figures.

Posts batches of journal rows straight through Python's sqlite3 (C code, no HTTP, no sqlx, no
hashing, no checks): the journal insert with its indexes, one balance update per account, one
idempotency key per transfer, the head update, then COMMIT, as the ledger writer does. Prints
the time per batch, how much of it the commit takes, WAL frames (4 KiB pages) written per
commit, and transfers per second, for each synchronous mode. It checkpoints at SQLite's default
of 1,000 WAL pages, as the server did until 2026-12-01 (it now checkpoints every 16,000: see the
README's ledger performance notes), so its figures stay comparable with the earlier ones.

Usage: scripts/sqlite-ledger-ceiling.py [path/to/distretto]   (default target/release/distretto)
"""
import os
import subprocess
import sqlite3
import sys
import tempfile
import time
import uuid

BATCHES = 200


def fresh_database(binary, directory):
    """A database with the real schema and the benchmark's 64 people and accounts."""
    path = os.path.join(directory, "ledger.db")
    subprocess.run(
        [binary, "bench", "ledger", "--database", f"sqlite:{path}", "--duration", "1s",
         "--warmup", "0s", "--clients", "64", "--no-baseline", "--writer-only"],
        check=True, stdout=subprocess.DEVNULL)
    return path


def run(path, batch, synchronous, tag, autocheckpoint=1000):
    c = sqlite3.connect(path, isolation_level=None)
    c.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
    c.execute("PRAGMA journal_mode=WAL")
    c.execute(f"PRAGMA synchronous={synchronous}")
    c.execute("PRAGMA cache_size=-8000")
    owned = c.execute("SELECT id, owner_id FROM accounts WHERE owner_kind = 'person'").fetchall()
    accounts = [r[0] for r in owned]
    people = [r[1] for r in owned]
    seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM transfers").fetchone()[0]
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = commit = 0.0
    now = "2026-11-28T19:48:40.167593Z"
    for b in range(BATCHES):
        rows, keys = [], []
        for i in range(batch):
            seq += 1
            payer = accounts[i % len(accounts)]
            payee = accounts[(i * 7 + 3 + b) % len(accounts)]
            tid = uuid.uuid1().bytes
            rows.append((seq, tid, "payment", payer, payee, "CRD", 100, -5, 5, "bench", now,
                         os.urandom(32), os.urandom(32)))
            keys.append((people[i % len(people)], f"{tag}-{b}-{i}", os.urandom(32), tid, now))
        started = time.perf_counter()
        c.execute("BEGIN IMMEDIATE")
        c.execute("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1").fetchone()
        c.executemany(
            "INSERT INTO transfers (seq, id, kind, payer, payee, currency, amount_minor,"
            " payer_balance_minor, payee_balance_minor, memo, created_at, prev_hash, hash)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        for account in {r[3] for r in rows} | {r[4] for r in rows}:
            c.execute("UPDATE accounts SET balance_minor = balance_minor WHERE id = ?", (account,))
        c.executemany(
            "INSERT INTO idempotency_keys (person_id, key, request_hash, transfer_id, created_at)"
            " VALUES (?,?,?,?,?)", keys)
        c.execute("UPDATE ledger_head SET last_seq = ? WHERE id = 1", (seq,))
        before_commit = time.perf_counter()
        c.execute("COMMIT")
        ended = time.perf_counter()
        total += ended - started
        commit += ended - before_commit
    frames = c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    c.close()
    per_batch_ms = total / BATCHES * 1000
    counted = f"  {frames / BATCHES:5.0f} WAL frames per commit" if autocheckpoint == 0 else ""
    print(f"synchronous={synchronous:<6} batch {batch:>3}: {per_batch_ms:6.2f} ms per batch "
          f"(commit {commit / BATCHES * 1000:5.2f} ms)  {batch * BATCHES / total:8.0f} transfers/s"
          f"{counted}")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/distretto"
    with tempfile.TemporaryDirectory(prefix="distretto-ceiling-") as directory:
        path = fresh_database(binary, directory)
        print(f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores, load {os.getloadavg()}")
        for synchronous in ("FULL", "NORMAL", "OFF"):
            for batch in (32, 64):
                run(path, batch, synchronous, f"{synchronous}{batch}")
        # Checkpoints off: what one commit writes to the WAL, and its cost without them.
        run(path, 64, "FULL", "count", autocheckpoint=0)

if __name__ == "__main__":
    main()
