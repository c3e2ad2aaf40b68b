"""Loyalty speed: the whole table for any window, a drilldown, and what imports pay for it.

For 1,000,000 and 10,000,000 visits (about seven per customer, over twelve years) it prints:
the time to build the customer-months from scratch; the whole loyalty table (every month of
the data) for window 12 and window 6, cold (a new connection) and warm; the lapse follow-up
columns; the first page of a drilldown; beside them a naive per-customer loop over the visits
as a ratio; and the extra time an import of 1,000,000 visits spends keeping the figures.

    python bench/bench_loyalty.py [--visits 1000000 10000000] [--dir bench/.data]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from retention_tui import clock, customer_list, customer_months, importer, loyalty
from retention_tui.db import connect, open_database, write
from retention_tui.db.connection import bulk_load
from retention_tui.facts import refresh_customer_facts
from retention_tui.months import Month

TODAY = dt.date(2026, 11, 23)
PER_CUSTOMER = 7


def build(path: Path, visits: int) -> None:
    """Customers and visits straight into the tables (the import is measured elsewhere)."""
    if path.exists():
        return
    rng = random.Random(5)
    customers = visits // PER_CUSTOMER
    start = TODAY.toordinal() - 12 * 365
    stamp = "2026-11-23 08:00:00"
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    conn = open_database(partial)
    with write(conn), bulk_load(conn, "visits", visits), bulk_load(conn, "customers", customers):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            ((i, f"B{i:08d}", f"Customer {i}", stamp, stamp) for i in range(1, customers + 1)),
        )
        batch = []
        for i in range(visits):
            day = dt.date.fromordinal(start + rng.randrange(12 * 365)).isoformat()
            batch.append(
                (f"V{i:09d}", rng.randrange(1, customers + 1), day, int(rng.random() < 0.3))
            )
            if len(batch) == 200_000:
                conn.executemany(
                    "INSERT INTO visits (invoice_no, customer_id, date, mot) VALUES (?, ?, ?, ?)",
                    batch,
                )
                batch.clear()
        conn.executemany(
            "INSERT INTO visits (invoice_no, customer_id, date, mot) VALUES (?, ?, ?, ?)", batch
        )
    with write(conn):
        refresh_customer_facts(conn)
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(path)


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def naive_table(path: Path, window: int) -> float:
    """A per-customer loop over every visit: the reference the tables are measured against."""
    conn = connect(path, readonly=True)
    started = time.perf_counter()
    months: dict[int, set[int]] = defaultdict(set)
    for cid, day in conn.execute("SELECT customer_id, date FROM visits"):
        months[cid].add(int(day[:4]) * 12 + int(day[5:7]) - 1)
    new: dict[int, int] = defaultdict(int)
    lapsed: dict[int, int] = defaultdict(int)
    for seen in months.values():
        ordered = sorted(seen)
        previous = None
        for i, m in enumerate(ordered):
            if previous is None or m - previous > window:
                new[m] += 1
            following = ordered[i + 1] if i + 1 < len(ordered) else None
            if following is None or following - m > window:
                lapsed[m + window] += 1
            previous = m
    conn.close()
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def bench(path: Path, visits: int) -> None:
    clock.set_today(TODAY)
    print(f"== {visits:,} visits")
    conn = open_database(path)
    with write(conn):
        rebuild, _ = timed(lambda: customer_months.rebuild(conn))
    rows = conn.execute("SELECT count(*) FROM customer_months").fetchone()[0]
    counts = conn.execute("SELECT count(*) FROM loyalty_counts").fetchone()[0]
    conn.close()
    print(f"customer-months from scratch ({rows:,} rows, {counts:,} counts)  {ms(rebuild)}")
    ours = {}
    for window in (12, 6):
        cold_conn = connect(path, readonly=True)
        cold, table = timed(lambda w=window, c=cold_conn: loyalty.loyalty_table(c, w))
        warm, _ = timed(lambda w=window, c=cold_conn: loyalty.loyalty_table(c, w), repeat=5)
        follow, _ = timed(lambda w=window, c=cold_conn: loyalty.lapse_follow_up(c, w))
        cold_conn.close()
        ours[window] = cold
        print(
            f"loyalty table, window {window:>2} ({len(table):,} months): cold {ms(cold)}"
            f"  warm {ms(warm)}   follow-up columns {ms(follow)}"
        )
    conn = connect(path, readonly=True)
    ctx = customer_list.ListContext.load(conn)
    month = Month.of(TODAY) - 3
    query = customer_list.CustomerQuery(scope=("both", month.index, 12))

    def first_page():
        ids = customer_list.first_page(conn, query, ctx, 100)
        return customer_list.fetch_rows(conn, ids[:50], ctx, query.scope)

    drill, _page = timed(first_page)
    total = customer_list.count(conn, query, ctx)
    conn.close()
    print(f"drilldown {month} (window 12, {total:,} customers): first page {ms(drill)}")
    naive = naive_table(path, 12)
    print(f"naive per-customer loop over the visits, window 12   {ms(naive)}"
          f"   ({naive / ours[12]:,.0f}x the loyalty table)")  # fmt: skip


def import_overhead(folder: Path, base: Path) -> None:
    """An import of 1,000,000 new visits, with and without keeping the customer-months."""
    clock.set_today(TODAY)
    conn = connect(base, readonly=True)
    customers = conn.execute("SELECT customer_no FROM customers").fetchall()
    conn.close()
    rng = random.Random(9)
    start = TODAY.toordinal() - 365
    csv_path = folder / "visits-1m.csv"
    with csv_path.open("w") as f:
        f.write("invoice_no,customer_no,date,mot\n")
        for i in range(1_000_000):
            day = dt.date.fromordinal(start + rng.randrange(365)).isoformat()
            f.write(f"N{i:09d},{rng.choice(customers)[0]},{day},0\n")
    results = {}
    for label, keep in (("with", True), ("without", False)):
        copy = folder / f"import-{label}.db"
        shutil.copy(base, copy)
        original = customer_months.refresh, importer.PLAN_MONTHS_FROM
        if not keep:
            # Neither worked out beside the import nor recomputed after it.
            customer_months.refresh = lambda conn, table: None  # type: ignore[assignment]
            importer.PLAN_MONTHS_FROM = sys.maxsize
        try:
            conn = open_database(copy)
            result = importer.import_file(conn, "visits", csv_path)
            conn.close()
        finally:
            customer_months.refresh, importer.PLAN_MONTHS_FROM = original  # type: ignore[assignment]
        results[label] = result.seconds
        copy.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    extra = results["with"] / results["without"] - 1
    print(
        f"import of 1,000,000 visits: {results['with']:.1f} s keeping the figures,"
        f" {results['without']:.1f} s without ({extra:+.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    clock.set_today(TODAY)
    for visits in args.visits:
        path = args.dir / f"loyalty-{visits}.db"
        started = time.perf_counter()
        if not path.exists():
            build(path, visits)
            print(f"(built {path.name} in {time.perf_counter() - started:.0f} s)")
        bench(path, visits)
    import_overhead(args.dir, args.dir / f"loyalty-{min(args.visits)}.db")


if __name__ == "__main__":
    main()
