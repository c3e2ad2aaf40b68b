"""Tag filters on the desktop at 1,000,000 customers and 3,000,000 tags on customers.

Builds (or reuses) a demo database of 1,000,000 customers, tops its ``customer_tags`` up to
3,000,000 rows in bulk (every built-in code, days over the last four years, validity from the
catalogue so many are expired, grades where the tag is graded, a few follow-ups about now),
then opens the real app headless with Pilot at 120x36 and, for each tag filter (every form of
the tag filter language, common and rare, some combined with other columns, and the four
ready-made views), measures from the last keystroke (debounce included) to the first page
painted and to the exact count shown. Beside each figure: the raw SQLite time of the same
first page (ids and their rows, as the desktop reads them), count and full id list, on a
fresh connection. Filters over the thresholds get their query plans printed.

    python bench/bench_tags.py [--customers 1000000] [--tag-rows 3000000] [--dir bench/.data]
                               [--explain] [--with-index "CREATE INDEX ..."]

``--with-index`` measures again on a copy of the database with the index created ad hoc
(repeatable), to test a fix without touching the schema. Like bench_desktop, the app opens
the file as it is: the app never runs ANALYZE, so neither does this benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_desktop import SIZE, TODAY, ms, p95

SEED = 1
# The desktop's latency targets at 1,000,000 customers (issue 4): keystroke to first page on
# screen, median <= 100 ms and p95 <= 200 ms, debounce included; the exact count shown within
# 300 ms (taken here as its p95; the worst is printed beside it).
TARGET_PAGE = (0.100, 0.200)
TARGET_COUNT = 0.300
# What the desktop itself reached for filters without tags (README, Speed): printed as a
# second, stricter yardstick.
DESKTOP_PAGE = (0.069, 0.110)
DESKTOP_COUNT = (0.071, 0.148)
# A filter over either of these gets its query plan printed.
SLOW_PAGE = 0.150
SLOW_COUNT = 0.300

# Tags on customers per customer, per code, once topped up (scaled to --tag-rows): the
# contact tags are booked at every message, so most of them are expired repeats.
TAG_RATES = {
    "inspection": 0.30,
    "tyre-storage": 0.15,
    "winter-storage": 0.04,
    "conversion": 0.01,
    "tyre-service": 0.12,
    "service-contract": 0.05,
    "warranty": 0.03,
    "bodywork": 0.04,
    "test-ride": 0.10,
    "purchase-interest": 0.08,
    "accessories": 0.06,
    "bought-here": 0.08,
    "club-member": 0.03,
    "touring": 0.03,
    "key-customer": 0.01,
    "referral": 0.02,
    "complaint": 0.05,
    "fleet": 0.015,
    "leasing": 0.02,
    "dunned": 0.08,
    "newsletter": 0.15,
    "sms-sent": 0.85,
    "email-sent": 0.50,
    "letter-sent": 0.25,
    "do-not-contact": 0.01,
}
GRADES = {
    "inspection": (1, 2, 2, 3, 3, 4),
    "test-ride": (1, 2, 3, 4),
    "purchase-interest": (1, 2, 3),
    "key-customer": (1, 2),
    "complaint": (2, 3, 4, 5),
}
YEARS_BACK = 4 * 365 + 1
ENDED = 0.08  # share of open-ended tags someone ended
FOLLOW_UPS = 0.02  # share of valid tags with a follow-up about now

# (label, steps): each step is (column key, or "" for the search box, text); the earlier
# steps are typed and settled first, the last one is timed. ("view", name): a ready-made
# view recalled from the views screen (v, the view, enter), the enter timed.
Step = tuple[str, str]
FILTERS: list[tuple[str, list[Step]]] = [
    ("inspection", [("tags", "inspection")]),
    ("!tyre-storage", [("tags", "!tyre-storage")]),
    ("complaint,dunned", [("tags", "complaint,dunned")]),
    ("test-ride set:2026-01..2026-06", [("tags", "test-ride set:2026-01..2026-06")]),
    ("test-ride set:-6m..", [("tags", "test-ride set:-6m..")]),
    ("purchase-interest grade:1..2", [("tags", "purchase-interest grade:1..2")]),
    ("inspection follow-up", [("tags", "inspection follow-up")]),
    ("bought-here unseen", [("tags", "bought-here unseen")]),
    ("club-member & touring", [("tags", "club-member & touring")]),
    ("sms-sent", [("tags", "sms-sent")]),
    ("conversion", [("tags", "conversion")]),
    ('"" (no valid tag)', [("tags", '""')]),
    ("city utrecht + inspection", [("city", "utrecht"), ("tags", "inspection")]),
    ("last_visit <-1y + tyre-storage", [("last_visit", "<-1y"), ("tags", "tyre-storage")]),
    ("nps <7 + complaint", [("nps", "<7"), ("tags", "complaint")]),
]
# The same harness on filters without tags, for comparison (not in the tag figures).
REFERENCE: list[tuple[str, list[Step]]] = [
    ("(ref) city utrecht", [("city", "utrecht")]),
    ("(ref) nps <7", [("nps", "<7")]),
]
VIEW_PREFIX = "Tags: "  # the ready-made views (schema v8)
# A view without tags, saved by the benchmark: recalling any view closes the views screen.
REFERENCE_VIEW = ("Bench: city utrecht", "city", "utrecht")


# -- the database -------------------------------------------------------------------------------


def _marker(customers: int, tag_rows: int) -> dict:
    return {"customers": customers, "tag_rows": tag_rows, "seed": SEED, "rates": TAG_RATES}


def _is_topped_up(db: Path, customers: int, tag_rows: int) -> bool:
    from retention_tui.demo import is_current_demo

    if not is_current_demo(db, customers=customers, seed=SEED):
        return False
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = 'bench_tags'").fetchone()
    finally:
        conn.close()
    return row is not None and json.loads(row[0]) == json.loads(
        json.dumps(_marker(customers, tag_rows))
    )


def _copy_db(source: Path, target: Path) -> None:
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def top_up(db: Path, customers: int, tag_rows: int) -> tuple[int, int]:
    """Add tags on customers until ``customer_tags`` holds ``tag_rows``; (before, added)."""
    from retention_tui import tags
    from retention_tui.db import open_database, write
    from retention_tui.db.connection import bulk_load
    from retention_tui.demo import OPERATOR, VEHICLES

    rng = random.Random(SEED)
    conn = open_database(db)
    try:
        catalogue = {t.code: t for t in tags.catalogue(conn)}
        today = TODAY.isoformat()
        before = conn.execute("SELECT count(*) FROM customer_tags").fetchone()[0]
        existing = dict(
            conn.execute("SELECT tag_id, count(*) FROM customer_tags GROUP BY tag_id").fetchall()
        )
        # The (customer, tag) pairs held valid today: a customer holds a code once while valid.
        held = {
            cid * 64 + tid
            for cid, tid in conn.execute(
                "SELECT customer_id, tag_id FROM customer_tags WHERE coalesce(valid_until, ?) >= ?",
                (tags.NO_END, today),
            )
        }
        everyone = [r[0] for r in conn.execute("SELECT id FROM customers")]
        regulars = [r[0] for r in conn.execute("SELECT id FROM customers WHERE visit_count >= 2")]
        wanted = {
            code: max(0, round(rate * customers) - existing.get(catalogue[code].id, 0))
            for code, rate in TAG_RATES.items()
        }
        scale = (tag_rows - before) / max(1, sum(wanted.values()))
        wanted = {code: round(n * scale) for code, n in wanted.items()}
        wanted["sms-sent"] += tag_rows - before - sum(wanted.values())
        days = [(TODAY - dt.timedelta(days=d)).isoformat() for d in range(YEARS_BACK + 800)]
        ahead = [(TODAY + dt.timedelta(days=d)).isoformat() for d in range(400)]

        def day(offset: int) -> str:  # days from today: negative back, positive ahead
            return days[-offset] if offset <= 0 else ahead[offset]

        wishes = [
            json.dumps({"brand": brand, "model": series}, sort_keys=True)
            for brand, series, _model, _moto, _w in VEHICLES
        ]
        rows: list[tuple] = []
        for code, count in wanted.items():
            found = catalogue[code]
            grades = GRADES.get(code, ())
            valid_days = found.valid_days
            for _ in range(count):
                cid = rng.choice(regulars if rng.random() < 0.85 else everyone)
                back = rng.randrange(YEARS_BACK)
                key = cid * 64 + found.id
                if valid_days:
                    if back <= valid_days and key in held:
                        # Held already: this one is an older, expired booking.
                        back = valid_days + 1 + rng.randrange(YEARS_BACK - valid_days)
                    until = day(valid_days - back)
                    valid = back <= valid_days
                else:
                    ended = rng.random() < ENDED or key in held
                    if ended:
                        back = max(back, 2)
                        until = day(-back + rng.randrange(1, back))
                    else:
                        until = None
                    valid = not ended
                follow_up = None
                if valid:
                    held.add(key)
                    if rng.random() < FOLLOW_UPS:
                        follow_up = day(rng.randrange(-10, 15))
                rows.append(
                    (
                        cid,
                        found.id,
                        rng.choice(grades) if grades else None,
                        days[back],
                        until,
                        follow_up,
                        rng.choice(wishes) if code == "purchase-interest" else None,
                        OPERATOR,
                        f"{days[back]} 09:00:00",
                    )
                )
        rows.sort(key=lambda r: r[3])  # booked over the years: ids grow with the day
        with write(conn), bulk_load(conn, "customer_tags", len(rows)):
            conn.executemany(
                "INSERT INTO customer_tags (customer_id, tag_id, grade, set_on, valid_until,"
                " follow_up_on, wishes, operator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('bench_tags', ?)",
                (json.dumps(_marker(customers, tag_rows)),),
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return before, len(rows)


def prepare(folder: Path, customers: int, tag_rows: int) -> Path:
    """The topped-up database, built or reused."""
    from retention_tui.demo import build_demo, is_current_demo

    db = folder / f"tags-{customers}.db"
    _migrate_kept(db)
    if _is_topped_up(db, customers, tag_rows):
        print(f"reusing {db}")
        save_reference_view(db)
        return db
    started = time.perf_counter()
    plain = folder / f"demo-{customers}.db"  # bench_desktop's, when it is there
    if is_current_demo(plain, customers=customers, seed=SEED):
        _copy_db(plain, db)
        print(f"copied {plain} ({time.perf_counter() - started:.0f} s)")
    else:
        summary = build_demo(db, customers=customers, seed=SEED)
        print(f"demo of {customers:,} customers built in {summary.seconds:.0f} s")
    started = time.perf_counter()
    before, added = top_up(db, customers, tag_rows)
    print(
        f"customer_tags topped up from {before:,} to {before + added:,} rows"
        f" in {time.perf_counter() - started:.0f} s"
    )
    save_reference_view(db)
    return db


def _migrate_kept(db: Path) -> None:
    """Bring a kept database from an older schema up to date, as the app does when it opens
    one (done here so the raw SQLite figures see the current indexes too); its demo marker
    follows, since migrations keep the demo's data."""
    from retention_tui.db import SCHEMA_VERSION, open_database, write

    if not db.exists():
        return
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if version >= SCHEMA_VERSION:
        return
    started = time.perf_counter()
    conn = open_database(db)
    try:
        with write(conn):
            conn.execute(
                "UPDATE settings SET value = json_set(value, '$.version', ?) WHERE key = 'demo'",
                (SCHEMA_VERSION,),
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    print(
        f"migrated {db} from schema version {version} to {SCHEMA_VERSION}"
        f" in {time.perf_counter() - started:.0f} s"
    )


def save_reference_view(db: Path) -> None:
    from retention_tui import customer_list as cl
    from retention_tui.db import connect

    name, key, text = REFERENCE_VIEW
    conn = connect(db)
    try:
        cl.save_view(conn, name, cl.CustomerQuery().with_filter(key, text))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def describe_tags(db: Path) -> None:
    from retention_tui.db import connect

    conn = connect(db, readonly=True)
    today = TODAY.isoformat()
    total, valid, follow = conn.execute(
        "SELECT count(*), sum(coalesce(valid_until, '9999-12-31') >= ?),"
        " sum(follow_up_on IS NOT NULL) FROM customer_tags",
        (today,),
    ).fetchone()
    holders = conn.execute(
        "SELECT count(DISTINCT customer_id) FROM customer_tags"
        " WHERE coalesce(valid_until, '9999-12-31') >= ?",
        (today,),
    ).fetchone()[0]
    customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    size = db.stat().st_size / 2**30
    print(
        f"{customers:,} customers, {total:,} tags on customers ({valid:,} valid today,"
        f" {follow:,} with a follow-up), {holders:,} customers hold a valid tag; {size:.1f} GB"
    )
    per_code = conn.execute(
        "SELECT t.code, count(*), sum(coalesce(ct.valid_until, '9999-12-31') >= ?)"
        " FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id GROUP BY t.code"
        " ORDER BY count(*) DESC",
        (today,),
    ).fetchall()
    print("rows (valid) per code: " + ", ".join(f"{c} {n:,} ({v:,})" for c, n, v in per_code))
    conn.close()


# -- the measurements -------------------------------------------------------------------------


def queries(db: Path) -> list[tuple[str, list[Step] | None, object]]:
    """(label, steps or None for a view, CustomerQuery) for every measured filter."""
    from retention_tui import customer_list as cl
    from retention_tui.db import connect

    out: list[tuple[str, list[Step] | None, object]] = []
    for label, steps in FILTERS + REFERENCE:
        query = cl.CustomerQuery()
        for key, text in steps:
            query = query.searching(text) if not key else query.with_filter(key, text)
        out.append((label, steps, query))
    conn = connect(db, readonly=True)
    views = dict(cl.saved_views(conn))
    for name, query in views.items():
        if name.startswith(VIEW_PREFIX):
            out.append((f"view: {name[len(VIEW_PREFIX) :]}", None, query))
    # Last: it sorts by name again, as the typed filters of the next round expect.
    out.append(("(ref) view: city utrecht", None, views[REFERENCE_VIEW[0]]))
    conn.close()
    return out


def raw_sqlite(db: Path, measured: list) -> dict[str, tuple[float, float, float, int]]:
    """First page (ids and rows, as the desktop reads it), count and every id of each filter,
    straight on SQLite, each filter on a fresh connection: (page, count, ids, matches)."""
    from retention_tui import customer_list as cl
    from retention_tui.db import connect
    from retention_tui.tui.widgets.customer_table import PAGE

    out = {}
    for label, _steps, query in measured:
        conn = connect(db, readonly=True)
        ctx = cl.ListContext.load(conn)
        started = time.perf_counter()
        ids = cl.first_page(conn, query, ctx, 2 * PAGE)
        cl.fetch_rows(conn, ids, ctx)
        first = time.perf_counter() - started
        started = time.perf_counter()
        matches = cl.count(conn, query, ctx)
        counted = time.perf_counter() - started
        started = time.perf_counter()
        cl.snapshot(conn, query, ctx)
        every = time.perf_counter() - started
        conn.close()
        out[label] = (first, counted, every, matches)
    return out


def explain(db: Path, label: str, query: object) -> None:
    """The plans of the first page (as first_page runs it first) and of the count."""
    from retention_tui import customer_list as cl
    from retention_tui.db import connect
    from retention_tui.tui.widgets.customer_table import PAGE

    conn = connect(db, readonly=True)
    ctx = cl.ListContext.load(conn)
    page_sql = cl._select(conn, query, ctx, "c.id", ordered=True, limit=2 * PAGE)[:2]  # type: ignore[arg-type]
    count_sql = cl._select(conn, query, ctx, "count(*)", ordered=False)[:2]  # type: ignore[arg-type]
    print(f"\n-- {label}")
    for what, (sql, params) in (("first page", page_sql), ("count", count_sql)):
        print(f"{what}: {sql}")
        print(f"   params: {params}")
        for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params):
            print(f"   {row[0]:>3} {row[1]:>3}  {row[3]}")
    conn.close()


def work_around_missing_example() -> None:
    """Pressing f on the Tags column raised KeyError: 'tags' (the filter box's placeholder
    has no example for the tags kind); give it one in this process so the filter can be typed.
    Inert once the desktop has its own example."""
    from retention_tui.tui.screens import desktop

    try:
        desktop._example("tags")
    except KeyError:
        original = desktop._example

        def example(kind: str) -> str:
            return (
                "inspection   !tyre-storage   test-ride set:-6m.."
                if kind == "tags"
                else (original(kind))
            )

        desktop._example = example  # type: ignore[assignment]
        print(
            "NOTE: f on the Tags column raises KeyError: 'tags' in desktop._example;"
            " worked around in this process to measure"
        )


async def in_app(db: Path, measured: list, rounds: int) -> dict[str, object]:
    from textual.widgets import OptionList

    from retention_tui.customer_list import COLUMNS
    from retention_tui.tui.app import RetentionApp
    from retention_tui.tui.screens.views import ViewsScreen
    from retention_tui.tui.widgets.customer_table import CustomerTable

    app = RetentionApp(db_path=db)
    results: dict[str, object] = {}
    async with app.run_test(size=SIZE) as pilot:
        desktop = app.screen
        table = desktop.query_one(CustomerTable)

        async def until(predicate, limit: float = 120.0) -> float:
            started = time.perf_counter()
            while not predicate():
                if time.perf_counter() - started > limit:
                    raise TimeoutError(f"{label}: {table.query_in_use}")
                await asyncio.sleep(0.001)
            return time.perf_counter()

        async def settled() -> None:
            await until(lambda: table.is_settled)
            await app.workers.wait_for_complete()
            await pilot.pause()

        async def type_into(key: str, text: str) -> None:
            if key:
                table.cursor_column = keys.index(key)
                await pilot.press("f", *text)
            else:
                await pilot.press("slash", *text)

        label = "open"
        started = time.perf_counter()
        await until(lambda: table.painted_generation >= 1)
        results["open"] = time.perf_counter() - started
        await settled()
        keys = [c.key for c in COLUMNS]
        timings: dict[str, list[tuple[float, float]]] = {}
        for label, steps, query in [m for _round in range(rounds) for m in measured]:
            if steps is not None:
                for key, text in steps[:-1]:
                    await type_into(key, text)
                    await pilot.press("escape")
                    await settled()
                key, text = steps[-1]
                await type_into(key, text[:-1])
                last = text[-1]
            else:
                await pilot.press("v")
                await until(lambda: isinstance(app.screen, ViewsScreen) and app.screen.views)
                views = app.screen.views  # type: ignore[attr-defined]
                index = [q for _name, q in views].index(query)
                app.screen.query_one(OptionList).highlighted = index
                await pilot.pause()
                last = "enter"
            before = table.generation
            t0 = time.perf_counter()
            # Pilot's press returns only once the app is idle: time what the table saw.
            press = asyncio.create_task(pilot.press(last))
            # The first page of exactly this query (not of a half-typed one) on screen.
            await until(
                lambda b=before, q=query: (
                    table.generation > b
                    and table.query_in_use == q
                    and table.painted_generation == table.generation
                )
            )
            await until(lambda: table.counted_generation == table.generation)
            await press
            timings.setdefault(label, []).append((table.painted_at - t0, table.counted_at - t0))
            if steps is not None:
                await pilot.press("escape")
            await settled()
            results.setdefault("settle", {}).setdefault(label, []).append(  # type: ignore[union-attr]
                time.perf_counter() - t0
            )
            await pilot.press("C")
            await settled()
        results["filters"] = timings
    return results


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER"


def summary(name: str, samples: list[tuple[float, float]], raw: list[tuple[float, float]]) -> None:
    """Median, p95 and worst over every sample of a group of filters, against the targets."""
    if not samples:
        return
    firsts = [t[0] for t in samples]
    counts = [t[1] for t in samples]
    page_median, page_p95 = statistics.median(firsts), p95(firsts)
    count_median, count_p95 = statistics.median(counts), p95(counts)
    print(f"{name} ({len(samples)} samples):")
    print(
        f"  first page:  median {ms(page_median)} [{verdict(page_median, TARGET_PAGE[0])}]"
        f"  p95 {ms(page_p95)} [{verdict(page_p95, TARGET_PAGE[1])}]  worst {ms(max(firsts))}"
        f"   (raw SQLite median {ms(statistics.median(r[0] for r in raw))},"
        f" p95 {ms(p95([r[0] for r in raw]))})"
    )
    print(
        f"  count shown: median {ms(count_median)}"
        f"  p95 {ms(count_p95)} [{verdict(count_p95, TARGET_COUNT)}]  worst {ms(max(counts))}"
        f"   (raw SQLite median {ms(statistics.median(r[1] for r in raw))},"
        f" p95 {ms(p95([r[1] for r in raw]))})"
    )
    print(
        "  against the desktop's own figures: first page"
        f" {verdict(page_median, DESKTOP_PAGE[0])}/{verdict(page_p95, DESKTOP_PAGE[1])},"
        f" count {verdict(count_median, DESKTOP_COUNT[0])}/{verdict(count_p95, DESKTOP_COUNT[1])}"
        " (median/p95)"
    )


def measure(db: Path, show_plans: bool, rounds: int) -> None:
    from retention_tui import clock

    clock.set_today(TODAY)
    describe_tags(db)
    measured = queries(db)
    raws = [raw_sqlite(db, measured) for _round in range(rounds)]
    raw = {}
    for label, _steps, _query in measured:
        page, counted, every = (statistics.median(r[label][i] for r in raws) for i in range(3))
        raw[label] = (page, counted, every, raws[0][label][3])
    work_around_missing_example()
    results = asyncio.run(in_app(db, measured, rounds))
    timings: dict[str, list[tuple[float, float]]] = results["filters"]  # type: ignore[assignment]
    settle: dict[str, list[float]] = results["settle"]  # type: ignore[assignment]
    print(f"open (first page painted)  {ms(results['open'])}")  # type: ignore[arg-type]
    print(f"medians of {rounds} rounds; raw SQLite on a fresh connection per filter")
    print(
        f"{'filter':<46}{'matches':>9}{'first page':>12}{'count shown':>13}{'settled':>11}"
        f"   raw SQLite: page      count    all ids"
    )
    medians = {}
    for label, samples in timings.items():
        first = statistics.median(t[0] for t in samples)
        counted = statistics.median(t[1] for t in samples)
        medians[label] = (first, counted)
        raw_first, raw_count, raw_all, matches = raw[label]
        print(
            f"{label[:46]:<46}{matches:>9,}{ms(first):>12}{ms(counted):>13}"
            f"{ms(statistics.median(settle[label])):>11}"
            f"   {ms(raw_first):>11}{ms(raw_count):>11}{ms(raw_all):>11}"
        )

    def group(test) -> tuple[list, list]:
        labels = [label for label in timings if test(label)]
        return [t for label in labels for t in timings[label]], [raw[label] for label in labels]

    typed = group(lambda label: not label.startswith(("(ref)", "view:")))
    views = group(lambda label: label.startswith("view:"))
    summary("tag filters typed (keystroke)", *typed)
    summary("ready-made tag views (enter in the views screen)", *views)
    summary("every tag filter", typed[0] + views[0], typed[1] + views[1])
    summary("reference filters without tags, typed", *group(lambda x: x.startswith("(ref) ")
            and not x.startswith("(ref) view")))  # fmt: skip
    summary("reference view without tags", *group(lambda x: x.startswith("(ref) view")))
    print(
        f"targets (issue 4, 1,000,000 customers): first page median {ms(TARGET_PAGE[0])},"
        f" p95 {ms(TARGET_PAGE[1])}; count within {ms(TARGET_COUNT)} (p95). The desktop's own"
        f" figures: first page {ms(DESKTOP_PAGE[0])} / {ms(DESKTOP_PAGE[1])},"
        f" count {ms(DESKTOP_COUNT[0])} / {ms(DESKTOP_COUNT[1])}"
    )
    slow = [
        label
        for label, (first, counted) in medians.items()
        if max(first, raw[label][0]) > SLOW_PAGE or max(counted, raw[label][1]) > SLOW_COUNT
    ]
    print(
        "slow (first page > 150 ms or count > 300 ms, in the app or raw): "
        + (", ".join(slow) or "none")
    )
    for label, _steps, query in measured:
        if show_plans or label in slow:
            explain(db, label, query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--tag-rows", type=int, default=3_000_000)
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data")
    parser.add_argument("--explain", action="store_true", help="print every filter's plans")
    parser.add_argument(
        "--with-index",
        action="append",
        default=[],
        metavar="SQL",
        help="measure again on a copy with this index created (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="measure every filter N times")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child run
    args = parser.parse_args()
    if args.one:
        measure(args.one, args.explain, args.rounds)
        return
    os.environ["RETENTION_TUI_TODAY"] = TODAY.isoformat()
    from retention_tui import clock

    clock.set_today(TODAY)
    args.dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    db = prepare(args.dir, args.customers, args.tag_rows)
    print(f"== database ready in {time.perf_counter() - started:.0f} s")
    child = [sys.executable, __file__, "--rounds", str(args.rounds)]
    child += ["--explain"] if args.explain else []
    subprocess.run([*child, "--one", str(db)], check=True)
    if args.with_index:
        copy = args.dir / f"tags-{args.customers}-indexed.db"
        started = time.perf_counter()
        _copy_db(db, copy)
        conn = sqlite3.connect(copy)
        for sql in args.with_index:
            conn.execute(sql)
        conn.close()
        print(
            f"\n== again with {'; '.join(args.with_index)}"
            f" (copy and index in {time.perf_counter() - started:.0f} s)"
        )
        try:
            subprocess.run([*child, "--one", str(copy)], check=True)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
