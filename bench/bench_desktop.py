"""Desktop speed inside the running app: filter keystroke to first page, count, last row, memory.

Builds (or reuses) demo databases of 100,000 and 1,000,000 customers, opens the real app
headless with Pilot at 120x36 and, for each of 24 varied filters (common and rare, search box
and column filters), measures from the last keystroke (debounce included) to the first page
painted, to the exact count shown, and to every id read (scrolling past the first pages
needs them); then the time from End to the last row painted, and the peak memory of the
process. Beside each figure: the raw SQLite time of the same query on a fresh connection.

    python bench/bench_desktop.py [--sizes 100000 1000000] [--dir bench/.data]

Each size runs in its own process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

TODAY = dt.date(2026, 11, 23)
SIZE = (120, 36)

# (column key or "" for the search box, text); common and rare, every filter kind.
FILTERS: list[tuple[str, str]] = [
    ("", "jan"),
    ("", "müller"),
    ("", "rossi"),
    ("", "bakker utrecht"),
    ("", "golf"),
    ("", "06-12"),
    ("", "k0012345"),
    ("", "zzqx"),
    ("", "visser"),
    ("", "ducati"),
    ("city", "utrecht"),
    ("city", "^ams"),
    ("name", "=jan de vries"),
    ("vehicle", "passat"),
    ("advisor", "eva"),
    ("phone", "0612"),
    ("light", "red"),
    ("nps", "<7"),
    ("nps", "promoter"),
    ("months_away", ">24"),
    ("last_visit", "2024-01..2024-06"),
    ("status", "long-term"),
    ("retention", "on"),
    ("caring", "on"),
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def raw_sqlite(db: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """First page and exact count of each filter, straight on SQLite (fresh connection)."""
    from retention_tui import customer_list as cl
    from retention_tui.db import connect

    conn = connect(db, readonly=True)
    ctx = cl.ListContext.load(conn)
    out = {}
    for key, text in FILTERS:
        query = (
            cl.CustomerQuery(search=text) if not key else cl.CustomerQuery().with_filter(key, text)
        )
        started = time.perf_counter()
        ids = cl.first_page(conn, query, ctx, 100)
        cl.fetch_rows(conn, ids[:50], ctx)
        first = time.perf_counter() - started
        started = time.perf_counter()
        cl.count(conn, query, ctx)
        out[(key, text)] = (first, time.perf_counter() - started)
    conn.close()
    return out


async def in_app(db: Path) -> dict[str, object]:
    from retention_tui.customer_list import COLUMNS
    from retention_tui.tui.app import RetentionApp
    from retention_tui.tui.widgets.customer_table import CustomerTable

    app = RetentionApp(db_path=db)
    results: dict[str, object] = {}
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)

        async def until(predicate, limit: float = 60.0) -> float:
            started = time.perf_counter()
            while not predicate():
                if time.perf_counter() - started > limit:
                    raise TimeoutError
                await asyncio.sleep(0.001)
            return time.perf_counter()

        async def settled() -> None:
            await until(lambda: table.is_settled)
            await app.workers.wait_for_complete()
            await pilot.pause()

        started = time.perf_counter()
        await until(lambda: table.painted_generation >= 1)
        results["open"] = time.perf_counter() - started
        await settled()
        keys = [c.key for c in COLUMNS]
        timings: dict[tuple[str, str], tuple[float, float, float]] = {}
        for key, text in FILTERS:
            if key:
                table.cursor_column = keys.index(key)
                await pilot.press("f", *text[:-1])
            else:
                await pilot.press("slash", *text[:-1])
            before = table.generation
            t0 = time.perf_counter()
            # Pilot's press returns only once the app is idle: time what the table saw.
            press = asyncio.create_task(pilot.press(text[-1]))
            # The debounce starts a new query after the last key; wait for its first page.
            await until(
                lambda b=before: (
                    table.generation > b and table.painted_generation == table.generation
                )
            )
            await until(lambda: table.counted_generation == table.generation)
            done = await until(lambda: table.is_settled)  # every id read
            await press
            timings[(key, text)] = (table.painted_at - t0, table.counted_at - t0, done - t0)
            await pilot.press("escape", "C")
            await settled()
        results["filters"] = timings
        # End: to the last row of everyone, painted.
        await settled()
        last = table.row_count - 1
        t0 = time.perf_counter()
        press = asyncio.create_task(pilot.press("end"))

        def last_row_painted() -> bool:
            lines = table.visible_text()
            return table.cursor_row == last and not any(line.strip() == "…" for line in lines)

        results["end"] = await until(last_row_painted) - t0
        await press
        await pilot.press("home")
    results["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def one_size(db: Path) -> None:
    from retention_tui import clock

    clock.set_today(TODAY)
    raw = raw_sqlite(db)
    results = asyncio.run(in_app(db))
    timings: dict = results["filters"]  # type: ignore[assignment]
    print(f"open (first page painted)        {ms(results['open'])}")  # type: ignore[arg-type]
    print(
        f"{'filter':<34}{'first page':>12}{'count shown':>13}{'every id':>12}"
        "   raw SQLite: page   count"
    )
    for (key, text), (first, counted, done) in timings.items():
        raw_first, raw_count = raw[(key, text)]
        label = f"{key or 'search'}: {text}"
        print(
            f"{label:<34}{ms(first):>12}{ms(counted):>13}{ms(done):>12}"
            f"   {ms(raw_first)} {ms(raw_count)}"
        )
    firsts = [t[0] for t in timings.values()]
    counts = [t[1] for t in timings.values()]
    raw_firsts = [raw[k][0] for k in timings]
    print(
        f"first page: median {ms(statistics.median(firsts))}  p95 {ms(p95(firsts))}"
        f"   (raw SQLite median {ms(statistics.median(raw_firsts))}, p95 {ms(p95(raw_firsts))})"
    )
    print(f"count shown: median {ms(statistics.median(counts))}  p95 {ms(p95(counts))}")
    dones = [t[2] for t in timings.values()]
    print(f"every id read: median {ms(statistics.median(dones))}  p95 {ms(p95(dones))}")
    print(f"end -> last row painted          {ms(results['end'])}")  # type: ignore[arg-type]
    print(f"peak RSS                         {results['rss_mb']:7.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    if args.one:
        one_size(args.one)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, RETENTION_TUI_TODAY=TODAY.isoformat())
    for size in args.sizes:
        db = args.dir / f"demo-{size}.db"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "retention_tui",
                "--db",
                str(db),
                "demo",
                "--customers",
                str(size),
                "--no-open",
            ],
            check=True,
            env=env,
        )
        print(f"== {size:,} customers (database ready in {time.perf_counter() - started:.0f} s)")
        subprocess.run([sys.executable, __file__, "--one", str(db)], check=True, env=env)


if __name__ == "__main__":
    main()
