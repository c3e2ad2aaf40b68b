"""Demo build speed: 20,000 customers (and 1,000,000 with --big).

python bench/bench_demo.py [--big]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
from pathlib import Path

from retention_tui import clock
from retention_tui.demo import build_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="also build 1,000,000 customers")
    args = parser.parse_args()
    clock.set_today(dt.date(2026, 11, 23))
    sizes = [20_000, 1_000_000] if args.big else [20_000]
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for n in sizes:
            s = build_demo(Path(tmp) / f"demo{n}.db", customers=n, seed=1)
            rows = s.customers + s.vehicles + s.visits
            print(
                f"{s.customers:>9,} customers {s.vehicles:>9,} vehicles {s.visits:>10,} visits"
                f"  {s.seconds:6.1f} s  {rows / s.seconds:>9,.0f} rows/s"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
