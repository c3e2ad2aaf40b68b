"""Import speed: 1,000,000 visits with every check and the derived customer facts kept.

Prints rows/s for the real import (first import into an empty table, a re-import of the same
file that changes nothing, and an import into a filled table where every row is new), beside
a bare ``executemany`` upsert of the same rows with Python's sqlite3 and no checks at all.

    python bench/bench_import.py [--visits 1000000] [--customers 100000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import random
import resource
import tempfile
import time
from pathlib import Path

from retention_tui import clock
from retention_tui.db import open_database, write
from retention_tui.importer import import_file

TODAY = dt.date(2026, 11, 23)


def make_files(folder: Path, customers: int, visits: int, prefix: str = "F") -> Path:
    """Canonical customers, vehicles and visits CSVs; returns the visits file."""
    rng = random.Random(7)
    with (folder / "customers.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_no", "name", "phone", "city", "advisor"])
        for i in range(customers):
            w.writerow(
                [
                    f"C{i:07d}",
                    f"Customer {i}",
                    f"06-{i:08d}",
                    "Utrecht",
                    rng.choice(["Anke", "Bernd", "Carla"]),
                ]
            )
    with (folder / "vehicles.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_no", "plate", "vin", "brand", "model", "year"])
        for i in range(customers):
            w.writerow(
                [f"C{i:07d}", f"P-{i:07d}", f"VIN{i:014d}", "Volkswagen", "Golf", 2005 + i % 20]
            )
    start = TODAY.toordinal() - 12 * 365
    path = folder / f"visits-{prefix}.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "invoice_no",
                "customer_no",
                "date",
                "plate",
                "amount",
                "advisor",
                "mileage",
                "mot",
                "mot_sample",
            ]
        )
        for i in range(visits):
            c = rng.randrange(customers)
            day = dt.date.fromordinal(start + rng.randrange(12 * 365)).isoformat()
            mot = 1 if rng.random() < 0.3 else 0
            w.writerow(
                [
                    f"{prefix}{i:08d}",
                    f"C{c:07d}",
                    day,
                    f"P-{c:07d}",
                    f"{rng.uniform(50, 1500):.2f}",
                    "Anke",
                    rng.randrange(5_000, 300_000),
                    mot,
                    1 if mot and rng.random() < 0.03 else 0,
                ]
            )
    return path


def bare_executemany(folder: Path, visits_csv: Path) -> float:
    """The floor: one upsert per CSV row with executemany, no checks, no derived facts."""
    conn = open_database(folder / "bare.db")
    conn.execute("PRAGMA cache_size = -262144")  # the same page cache the import uses
    with write(conn):
        conn.executemany(
            "INSERT INTO customers (id, customer_no, name, created_at, updated_at)"
            " VALUES (?, ?, 'x', '', '')",
            ((i + 1, f"C{i:07d}") for i in range(200_000)),
        )
    with visits_csv.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    gc.disable()  # as the import does
    started = time.perf_counter()
    with write(conn):
        conn.executemany(
            "INSERT INTO visits (invoice_no, customer_id, date, plate, amount, advisor, mileage,"
            " mot, mot_sample) VALUES (?, substr(?, 2) + 1, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (invoice_no) DO UPDATE SET customer_id = excluded.customer_id,"
            " date = excluded.date, amount = excluded.amount",
            rows,
        )
    seconds = time.perf_counter() - started
    gc.enable()
    conn.close()
    return len(rows) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    clock.set_today(TODAY)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        first = make_files(folder, args.customers, args.visits, "F")
        second = make_files(folder, args.customers, args.visits, "G")
        print(
            f"generated {args.visits:,} visits x2 for {args.customers:,} customers "
            f"in {time.perf_counter() - t:.1f} s"
        )
        conn = open_database(folder / "bench.db")
        for kind in ("customers", "vehicles"):
            r = import_file(conn, kind, folder / f"{kind}.csv")
            print(
                f"import {kind:<9} {r.inserted:>9,} rows  {r.seconds:6.2f} s  "
                f"{r.inserted / r.seconds:>10,.0f} rows/s"
            )
        for label, path in (
            ("visits, empty table", first),
            ("visits, same file again", first),
            ("visits, 1M new into filled", second),
        ):
            r = import_file(conn, "visits", path)
            assert r.written and not r.rejected
            print(
                f"import {label:<27} ins {r.inserted:>9,} upd {r.updated:>7,} "
                f"same {r.unchanged:>9,}  {r.seconds:6.2f} s  "
                f"{r.rows / r.seconds:>10,.0f} rows/s"
            )
        facts = conn.execute("SELECT sum(visit_count) FROM customers").fetchone()[0]
        assert facts == 2 * args.visits, facts
        conn.close()
        bare = bare_executemany(folder, first)
        print(f"bare executemany upsert (no checks, no facts)        {bare:>10,.0f} rows/s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
