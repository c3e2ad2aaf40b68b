"""Several advisors writing at once: N processes, each making W writes to one SQLite file.

    python bench/bench_load.py [--processes 20] [--writes 2000] [--customers 20000]
                               [--dir bench/.data] [--json]

Every process is a separate interpreter with its own connection, as an advisor's app is. It
writes through the same functions the screens call, in turn: a campaign call logged with an
NPS score, an NPS score on its own, a tag booked, a departure recorded; each its own short
write transaction, on the process's own share of the customers (advisors call different
customers). All processes start at the same instant. Afterwards every write is looked for in
the database (calls, NPS scores, tags, departures and their audit rows), so "0 lost" is
counted, not assumed. Prints the time of one write (median, p95, p99, worst: waiting for the
write lock included) and the throughput; ``--json`` prints the figures as one JSON object
(tests/test_load.py runs a small round of it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from retention_tui import campaigns, churn, clock, customers, tags
from retention_tui.db import open_database, write
from retention_tui.demo import build_demo

TODAY = dt.date(2026, 11, 23)
KINDS = ("call", "nps", "tag", "departure")
LOAD_SESSION = "load:"


def prepare(folder: Path, customers_wanted: int, cache: Path) -> tuple[Path, int]:
    """A copy of a demo database with one running campaign holding every customer."""
    cache.mkdir(parents=True, exist_ok=True)
    demo = cache / f"demo-{customers_wanted}.db"
    if not demo.exists():
        build_demo(demo, customers=customers_wanted, seed=1)
    db = folder / "load.db"
    shutil.copy(demo, db)
    conn = open_database(db)
    with write(conn):
        conn.execute("DELETE FROM call_claims")
    campaign_id = campaigns.new_campaign(conn, "win-back", "Load test")
    ids = [cid for (cid,) in conn.execute("SELECT id FROM customers ORDER BY id")]
    campaigns.add_members(conn, campaign_id, ids, "load test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    return db, campaign_id


def worker(db: Path, campaign_id: int, number: int, processes: int, writes: int,
           start_at: float, out: Path) -> None:  # fmt: skip
    """One advisor's process: ``writes`` writes on its own share of the customers."""
    clock.set_today(TODAY)
    conn = open_database(db, create=False)
    mine = [
        cid
        for (cid,) in conn.execute(
            # Not those the demo already has a departure for: one a day is the rule.
            "SELECT id FROM customers WHERE id % ? = ?"
            " AND id NOT IN (SELECT customer_id FROM departures) ORDER BY id",
            (processes, number),
        )
    ]
    session = f"{LOAD_SESSION}{number}"
    done: list[tuple[str, int, float, str]] = []
    time.sleep(max(0.0, start_at - time.time()))
    for i in range(writes):
        kind = KINDS[i % len(KINDS)]
        customer = mine[(i // len(KINDS)) % len(mine)]
        started = time.perf_counter()
        error = ""
        try:
            if kind == "call":
                campaigns.log_outcome(conn, campaign_id, customer, "no-answer", session=session,
                                      note=f"load {number}/{i}", nps=i % 11)  # fmt: skip
            elif kind == "nps":
                customers.set_nps(conn, customer, i % 11)
            elif kind == "tag":
                tags.add(conn, [customer], tags.Tagging("touring", note=f"load {number}/{i}"))
            else:
                churn.record_departure(conn, customer, TODAY, f"Load test reason {i % 7}",
                                       note=f"load {number}/{i}", status=None)  # fmt: skip
        except Exception as failure:  # counted and reported, never hidden
            error = f"{type(failure).__name__}: {failure}"
        done.append((kind, customer, time.perf_counter() - started, error))
    conn.close()
    out.write_text(json.dumps(done))


def count_kept(db: Path, campaign_id: int) -> dict[str, int]:
    """What the database holds of the load: rows per kind, found by their notes and session."""
    conn = open_database(db, create=False)
    note = "load %"
    found = {
        "call": conn.execute(
            "SELECT count(*) FROM calls WHERE campaign_id = ? AND note LIKE ?", (campaign_id, note)
        ).fetchone()[0],
        "nps": conn.execute("SELECT count(*) FROM nps_scores").fetchone()[0],
        "tag": conn.execute(
            "SELECT count(*) FROM customer_tags WHERE note LIKE ?", (note,)
        ).fetchone()[0],
        "departure": conn.execute(
            "SELECT count(*) FROM departures WHERE note LIKE ?", (note,)
        ).fetchone()[0],
        "audit": conn.execute("SELECT count(*) FROM audit").fetchone()[0],
    }
    conn.close()
    return found


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(processes: int, writes: int, customers_wanted: int, cache: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="rtui-load-") as tmp:
        folder = Path(tmp)
        clock.set_today(TODAY)
        db, campaign_id = prepare(folder, customers_wanted, cache)
        before = count_kept(db, campaign_id)
        start_at = time.time() + 2.0 + processes * 0.25  # every interpreter started and ready
        env = {**os.environ, "RETENTION_TUI_TODAY": TODAY.isoformat()}
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    str(n),
                    "--processes",
                    str(processes),
                    "--writes",
                    str(writes),
                    "--db",
                    str(db),
                    "--campaign",
                    str(campaign_id),
                    "--start-at",
                    repr(start_at),
                    "--out",
                    str(folder / f"w{n}.json"),
                ],
                env=env,
            )
            for n in range(processes)
        ]
        codes = [child.wait() for child in children]
        elapsed = time.time() - start_at
        done = []
        for n in range(processes):
            path = folder / f"w{n}.json"
            done.extend(json.loads(path.read_text()) if path.exists() else [])
        after = count_kept(db, campaign_id)
    ok = [d for d in done if not d[3]]
    errors = [d[3] for d in done if d[3]]
    asked = {kind: sum(1 for d in ok if d[0] == kind) for kind in KINDS}
    # A call with an NPS score writes the score too.
    expected = {**asked, "nps": asked["nps"] + asked["call"]}
    kept = {kind: after[kind] - before[kind] for kind in KINDS}
    lost = {kind: expected[kind] - kept[kind] for kind in KINDS}
    seconds = [d[2] for d in done]
    return {
        "processes": processes,
        "writes_per_process": writes,
        "writes": len(done),
        "exit_codes": codes,
        "errors": len(errors) + (processes * writes - len(done)),
        "first_errors": errors[:5],
        "lost": lost,
        "kept": kept,
        "audit_rows": after["audit"] - before["audit"],
        "elapsed_s": elapsed,
        "writes_per_s": len(done) / elapsed if elapsed > 0 else 0.0,
        "median_ms": statistics.median(seconds) * 1000 if seconds else 0.0,
        "p95_ms": pct(seconds, 95) * 1000 if seconds else 0.0,
        "p99_ms": pct(seconds, 99) * 1000 if seconds else 0.0,
        "max_ms": max(seconds) * 1000 if seconds else 0.0,
        "p99_ms_by_kind": {
            kind: pct([d[2] for d in done if d[0] == kind], 99) * 1000 for kind in KINDS
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=20)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.db, args.campaign, args.worker, args.processes, args.writes, args.start_at,
               args.out)  # fmt: skip
        return
    figures = run(args.processes, args.writes, args.customers, args.dir)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{figures['processes']} processes x {figures['writes_per_process']:,} writes "
          f"= {figures['writes']:,} writes in {figures['elapsed_s']:.1f} s "
          f"({figures['writes_per_s']:,.0f} writes/s)")  # fmt: skip
    lost = figures["lost"]
    print(f"errors: {figures['errors']}  lost: {sum(lost.values())} {lost}  "
          f"kept: {figures['kept']}  audit rows: {figures['audit_rows']:,}")  # fmt: skip
    for line in figures["first_errors"]:
        print(f"  error: {line}")
    print(f"one write: median {figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
          f"p99 {figures['p99_ms']:.1f} ms, worst {figures['max_ms']:.1f} ms")  # fmt: skip
    print("p99 by kind: " + ", ".join(
        f"{k} {v:.1f} ms" for k, v in figures["p99_ms_by_kind"].items()))  # fmt: skip


if __name__ == "__main__":
    main()
