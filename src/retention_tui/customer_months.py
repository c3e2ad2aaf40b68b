"""Customer-months: the derived tables the loyalty figures are read from.

``customer_months`` holds one row per customer and calendar month with a visit, with the gap
in months to the customer's previous and next visit month. Every loyalty figure for any
window N follows from those gaps:

* the customer is **new** in month M when the previous visit month is more than N back
  (or there is none);
* the customer **lapses** in month L + N when the next visit after month L is more than N
  months later (or there is none yet).

``loyalty_counts`` keeps how many customer-months each month has per gap (a few thousand
rows in all), and ``month_totals`` the visits, MOTs and MOT samples per month, so the whole
loyalty table for any window is one small aggregate. Every write that adds, moves or
removes visits calls :func:`refresh` for the customers it touched, inside its own
transaction; the counts are adjusted by the difference, never recounted. A big import that
only adds visits has its changes worked out beside it instead, in a helper thread
(:func:`start_plan`, :func:`apply_plan`; see "planned beside an import" below).

Months are integers here: ``year * 12 + month - 1`` (``Month.index``).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from .db.connection import database_path

MONTH_OF_DATE = "(CAST(substr({d}, 1, 4) AS INTEGER) * 12 + CAST(substr({d}, 6, 2) AS INTEGER) - 1)"

# Rebuild instead of writing differences once this share of all customers is touched (with
# every customer touched, the differences cost about 1.5x the rebuild; see bench_loyalty).
REBUILD_AT = 0.25

_MONTH_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_months_month ON customer_months(month, prev_gap, next_gap)"
)

Row = tuple[int, int, int, int, int, "int | None", "int | None"]
"""customer_id, month, visits, mots, mot_samples, prev_gap, next_gap"""

NewVisit = tuple[int, str, int, int]
"""customer_id, ISO date, mot, mot_sample of a visit an import adds"""

_SELECT_ROWS = (
    "SELECT customer_id, month, visits, mots, mot_samples, prev_gap, next_gap FROM customer_months"
)
_SELECT_STORED = _SELECT_ROWS.replace("FROM customer_months", "FROM stored.customer_months")

_VISITS_IN_ORDER = (
    f"SELECT customer_id, {MONTH_OF_DATE.format(d='date')}, mot, mot_sample FROM visits"
    " {where} ORDER BY customer_id, date"
)
_INSERT_ROW = (
    "INSERT INTO customer_months (customer_id, month, visits, mots, mot_samples, prev_gap,"
    " next_gap) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _rows_of(cid: int, months: list[list[int]]) -> Iterator[Row]:
    """A customer's rows from their visit months ``[month, visits, mots, samples]`` in order."""
    previous = None
    last = len(months) - 1
    for i, (month, count, mots, samples) in enumerate(months):
        yield (
            cid,
            month,
            count,
            mots,
            samples,
            month - previous if previous is not None else None,
            months[i + 1][0] - month if i < last else None,
        )
        previous = month


def _months_of(visits: Iterable[tuple[int, int, int, int]]) -> Iterator[Row]:
    """Customer-month rows from visits in customer and date order, gaps included."""
    current: int | None = None
    months: list[list[int]] = []
    for cid, month, mot, sample in visits:
        if cid != current:
            if current is not None:
                yield from _rows_of(current, months)
            current, months = cid, []
        if months and months[-1][0] == month:
            entry = months[-1]
            entry[1] += 1
            entry[2] += mot
            entry[3] += sample
        else:
            months.append([month, 1, mot, sample])
    if current is not None:
        yield from _rows_of(current, months)


def _fetch_all(cursor: sqlite3.Cursor) -> Iterator[tuple]:
    while chunk := cursor.fetchmany(50_000):
        yield from chunk


@dataclass
class _Tally:
    """Customer-months per month, kind and gap, and totals per month, row by row."""

    counts: dict[tuple[int, str, int], int] = field(default_factory=dict)
    totals: dict[int, list[int]] = field(default_factory=dict)

    def add(self, row: Row, sign: int = 1) -> None:
        _cid, month, visits, mots, samples, prev_gap, next_gap = row
        counts = self.counts
        for key in ((month, "prev", prev_gap or 0), (month, "next", next_gap or 0)):
            counts[key] = counts.get(key, 0) + sign
        total = self.totals.get(month)
        if total is None:
            total = self.totals[month] = [0, 0, 0, 0]
        total[0] += sign
        total[1] += sign * visits
        total[2] += sign * mots
        total[3] += sign * samples

    def write(self, conn: sqlite3.Connection, *, differences: bool) -> None:
        """Store the counts: as differences to the stored ones, or as the whole of them."""
        if not differences:
            conn.execute("DELETE FROM loyalty_counts")
            conn.execute("DELETE FROM month_totals")
        conn.executemany(
            "INSERT INTO loyalty_counts (month, kind, gap, customers) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (month, kind, gap) DO UPDATE"
            " SET customers = customers + excluded.customers",
            ((m, k, g, n) for (m, k, g), n in self.counts.items() if n),
        )
        conn.executemany(
            "INSERT INTO month_totals (month, customers, visits, mots, mot_samples)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (month) DO UPDATE SET"
            " customers = customers + excluded.customers, visits = visits + excluded.visits,"
            " mots = mots + excluded.mots, mot_samples = mot_samples + excluded.mot_samples",
            ((m, *t) for m, t in self.totals.items() if any(t)),
        )
        if differences:
            conn.execute("DELETE FROM loyalty_counts WHERE customers = 0")
            conn.execute("DELETE FROM month_totals WHERE customers = 0")


def _recreate(conn: sqlite3.Connection) -> None:
    """An empty customer-months table without its month index (built once at the end)."""
    # Dropping and re-creating the table (from its own definition) is far quicker than
    # deleting a million rows one by one.
    (definition,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'customer_months'"
    ).fetchone()
    conn.execute("DROP TABLE customer_months")
    conn.execute(definition)


def _write_differences(conn: sqlite3.Connection, gone: list[Row], added: list[Row]) -> None:
    """Delete and insert rows, each list in key order so the writes walk the table."""
    conn.executemany(
        "DELETE FROM customer_months WHERE customer_id = ? AND month = ?",
        ((row[0], row[1]) for row in gone),
    )
    conn.executemany(_INSERT_ROW, added)


def rebuild(conn: sqlite3.Connection) -> None:
    """Compute every customer-month and count from the visits (inside a write).

    One pass over the visits in customer and date order (the covering index
    ``visits_customer_date``): the gaps to the previous and next month fall out of the order
    without a sort. The month index is dropped meanwhile and built once at the end; the
    counts are then read from it.
    """
    _recreate(conn)
    conn.execute("DELETE FROM loyalty_counts")
    conn.execute("DELETE FROM month_totals")
    totals: dict[int, list[int]] = {}
    batch: list[Row] = []
    cursor = conn.execute(_VISITS_IN_ORDER.format(where=""))
    for row in _months_of(_fetch_all(cursor)):
        batch.append(row)
        total = totals.setdefault(row[1], [0, 0, 0, 0])
        total[0] += 1
        total[1] += row[2]
        total[2] += row[3]
        total[3] += row[4]
        if len(batch) >= 100_000:
            conn.executemany(_INSERT_ROW, batch)
            batch.clear()
    conn.executemany(_INSERT_ROW, batch)
    conn.execute(_MONTH_INDEX)
    # Counted through the month index, which holds both gaps: no table rows are read.
    for kind in ("prev", "next"):
        conn.execute(
            "INSERT INTO loyalty_counts (month, kind, gap, customers)"
            f" SELECT month, '{kind}', coalesce({kind}_gap, 0), count(*) FROM customer_months"
            f" GROUP BY month, {kind}_gap"
        )
    conn.executemany(
        "INSERT INTO month_totals (month, customers, visits, mots, mot_samples)"
        " VALUES (?, ?, ?, ?, ?)",
        ((m, *t) for m, t in totals.items()),
    )


def refresh(conn: sqlite3.Connection, id_table: str) -> None:
    """Recompute the customer-months of the customers listed in ``id_table`` (column ``id``).

    Call inside the write transaction that changed their visits. Only the rows that differ
    are written (a new visit month usually changes one or two of a customer's rows), and the
    counts are adjusted by the difference.
    """
    ids = [row[0] for row in conn.execute(f"SELECT id FROM {id_table} ORDER BY id")]
    customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    if len(ids) > 10_000 and len(ids) >= REBUILD_AT * customers:
        rebuild(conn)  # a quarter of all customers or more: one pass over all is quicker
        return
    tally = _Tally()
    for start in range(0, len(ids), 20_000):
        low, high = ids[start], ids[min(start + 20_000, len(ids)) - 1]
        within = (
            f"customer_id BETWEEN {low} AND {high} AND customer_id IN (SELECT id FROM {id_table})"
        )
        old = set(conn.execute(f"{_SELECT_ROWS} WHERE {within}"))
        new = set(_months_of(conn.execute(_VISITS_IN_ORDER.format(where=f"WHERE {within}"))))
        gone, added = sorted(old - new), sorted(new - old, key=itemgetter(0, 1))
        _write_differences(conn, gone, added)
        for row in gone:
            tally.add(row, -1)
        for row in added:
            tally.add(row)
    tally.write(conn, differences=True)


# -- planned beside an import -----------------------------------------------------------------
#
# An import that only adds visits knows them all in memory. Their effect on the customer-months
# follows from the stored rows alone (a new visit only adds to a month's counts and changes the
# gaps around it), so a helper thread works it out from a second connection, which sees the
# state before the import, while the import's own connection rebuilds the visit indexes. The
# helper writes the rows into a scratch database file, which the import attaches (see
# ``write(attach=...)``); the import's transaction then only copies them, set-wise:
#
# * a rewrite (a quarter of all customers or more gain visits) is a whole new table with its
#   month index, put in place by one ``INSERT ... SELECT *`` that SQLite does by copying pages;
# * otherwise the rows that go (``gone``) and come (``added``) are deleted and inserted.

SCRATCH = "months_scratch"
"""The schema name an import attaches the helper's scratch file as."""


@dataclass
class Plan:
    """How added visits change the customer-months, the rows waiting in the scratch file;
    written by :func:`apply_plan`."""

    rewrite: bool
    tally: _Tally


def _by_customer(visits: Iterable[NewVisit]) -> dict[int, dict[int, list[int]]]:
    """The added visits per customer and month: [visits, mots, samples]."""
    months_of: dict[int, dict[int, list[int]]] = {}
    month_of: dict[str, int] = {}  # per date: a few thousand distinct ones
    for cid, day, mot, sample in visits:
        month = month_of.get(day)
        if month is None:
            month = month_of[day] = int(day[:4]) * 12 + int(day[5:7]) - 1
        months = months_of.get(cid)
        if months is None:
            months_of[cid] = {month: [1, mot, sample]}
            continue
        entry = months.get(month)
        if entry is None:
            months[month] = [1, mot, sample]
        else:
            entry[0] += 1
            entry[1] += mot
            entry[2] += sample
    return months_of


def _merged(
    cid: int, old: Sequence[Row], added: dict[int, list[int]], new_months: list[int] | None = None
) -> list[Row]:
    """A customer's rows once ``added`` ({month: [visits, mots, samples]}) joins ``old``;
    the months the customer had no visit in before are appended to ``new_months``."""
    months = {row[1]: [row[2], row[3], row[4]] for row in old}
    for month, (visits, mots, samples) in added.items():
        entry = months.get(month)
        if entry is None:
            months[month] = [visits, mots, samples]
            if new_months is not None:
                new_months.append(month)
        else:
            entry[0] += visits
            entry[1] += mots
            entry[2] += samples
    return list(_rows_of(cid, [[m, *months[m]] for m in sorted(months)]))


class _Batches:
    """Rows inserted into a scratch table in batches, in the order they come."""

    def __init__(self, out: sqlite3.Connection, table: str) -> None:
        self.out = out
        self.table = table
        self.rows: list[Row] = []

    def extend(self, rows: Iterable[Row]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= 50_000:
            self.flush()

    def flush(self) -> None:
        self.out.executemany(f"INSERT INTO {self.table} VALUES (?, ?, ?, ?, ?, ?, ?)", self.rows)
        self.rows.clear()


def _plan_rewrite(out: sqlite3.Connection, added: dict[int, dict[int, list[int]]]) -> _Tally:
    """The whole new table into the scratch ``customer_months``; returns its counts.

    One pass over the stored rows in key order: a customer without new visits keeps their
    rows as they are, the others are merged. The month index and the counts are then built
    by SQLite on the scratch file (set-wise, without holding the interpreter).
    """
    new_totals: dict[int, list[int]] = {}  # what the new visits add to each month's totals
    for months in added.values():
        for month, (visits_in_month, mots, samples) in months.items():
            total = new_totals.get(month)
            if total is None:
                total = new_totals[month] = [0, 0, 0, 0]
            total[1] += visits_in_month
            total[2] += mots
            total[3] += samples
    batches = _Batches(out, "main.customer_months")

    def merge(cid: int, old: Sequence[Row]) -> None:
        new_months: list[int] = []
        batches.extend(_merged(cid, old, added[cid], new_months))
        for month in new_months:
            new_totals[month][0] += 1  # one more customer in that month

    pending = sorted(added)
    i = 0
    cursor = out.execute(f"{_SELECT_STORED} ORDER BY customer_id, month")
    for cid, group in itertools.groupby(_fetch_all(cursor), key=itemgetter(0)):
        while i < len(pending) and pending[i] < cid:
            merge(pending[i], ())
            i += 1
        if i < len(pending) and pending[i] == cid:
            merge(cid, list(group))
            i += 1
        else:
            batches.extend(group)
    for cid in pending[i:]:
        merge(cid, ())
    batches.flush()
    out.execute(_MONTH_INDEX)
    # The counts per gap through the month index; the totals per month are the stored ones
    # plus what the new visits add.
    tally = _Tally()
    for kind in ("prev", "next"):
        for month, gap, n in out.execute(
            f"SELECT month, coalesce({kind}_gap, 0), count(*) FROM main.customer_months"
            f" GROUP BY month, {kind}_gap"
        ):
            tally.counts[(month, kind, gap)] = n
    for month, *total in out.execute(
        "SELECT month, customers, visits, mots, mot_samples FROM stored.month_totals"
    ):
        tally.totals[month] = total
    for month, total in new_totals.items():
        tally.totals[month] = [
            a + b for a, b in zip(tally.totals.get(month, (0,) * 4), total, strict=True)
        ]
    return tally


def _plan_differences(out: sqlite3.Connection, added: dict[int, dict[int, list[int]]]) -> _Tally:
    """The rows that go into ``out.gone`` and those that come into ``out.added``, in key
    order; returns the change of the counts."""
    tally = _Tally()
    gone, inserted = _Batches(out, "gone"), _Batches(out, "added")
    ids = sorted(added)
    for start in range(0, len(ids), 20_000):
        chunk = ids[start : start + 20_000]
        old: dict[int, list[Row]] = {}
        for row in out.execute(
            f"{_SELECT_STORED} WHERE customer_id IN (SELECT value FROM json_each(?))"
            " ORDER BY customer_id, month",
            (json.dumps(chunk),),
        ):
            old.setdefault(row[0], []).append(row)
        for cid in chunk:
            before = old.get(cid, [])
            after = _merged(cid, before, added[cid])
            kept = set(before) & set(after)
            went = [row for row in before if row not in kept]
            came = [row for row in after if row not in kept]
            for row in went:
                tally.add(row, -1)
            for row in came:
                tally.add(row)
            gone.extend(went)
            inserted.extend(came)
    gone.flush()
    inserted.flush()
    return tally


def plan_additions(
    path: str, scratch: str, visits: Iterable[NewVisit], *, rewrite: bool | None = None
) -> Plan:
    """Work out how ``visits`` (not yet committed) change the customer-months stored in the
    database at ``path``, and write the rows into the empty database file ``scratch``.

    Safe to run in a helper thread: it has its own connection, on which the stored database
    is attached and shows its last committed state; the import holds the write lock
    meanwhile, so that state cannot move. ``rewrite`` forces the kind of plan (tests); by
    default the whole table is rewritten once a quarter of all customers gain visits.
    """
    added = _by_customer(visits)
    out = sqlite3.connect(scratch, isolation_level=None)
    try:
        out.execute("PRAGMA journal_mode = OFF")  # a throwaway file: no journal, no syncs
        out.execute("PRAGMA synchronous = OFF")
        out.execute("PRAGMA temp_store = MEMORY")
        out.execute("PRAGMA cache_size = -131072")
        out.execute("ATTACH DATABASE ? AS stored", (path,))
        out.execute("BEGIN")
        if rewrite is None:
            customers = out.execute("SELECT count(*) FROM stored.customers").fetchone()[0]
            rewrite = len(added) > 10_000 and len(added) >= REBUILD_AT * customers
        # The scratch table is the stored one to the letter, so the copy can be a transfer.
        (definition,) = out.execute(
            "SELECT sql FROM stored.sqlite_master WHERE type = 'table' AND name = 'customer_months'"
        ).fetchone()
        if rewrite:
            out.execute(definition)
            tally = _plan_rewrite(out, added)
        else:
            for table in ("gone", "added"):
                out.execute(
                    f"CREATE TABLE {table} (customer_id, month, visits, mots, mot_samples,"
                    " prev_gap, next_gap)"
                )
            tally = _plan_differences(out, added)
        out.execute("COMMIT")
        return Plan(rewrite=rewrite, tally=tally)
    finally:
        out.close()


def start_plan(conn: sqlite3.Connection, scratch: str, visits: Iterable[NewVisit]) -> Future[Plan]:
    """Start :func:`plan_additions` in a helper thread for the database behind ``conn``.

    While the plan runs, ``conn`` should only run statements that work on many rows each
    (index builds, set-wise updates): row-by-row calls would wait for the helper's hold on
    the interpreter.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="customer-months")
    try:
        return pool.submit(plan_additions, database_path(conn), scratch, visits)
    finally:
        pool.shutdown(wait=False)


def apply_plan(conn: sqlite3.Connection, plan: Plan) -> None:
    """Copy a plan's rows from the attached scratch file inside the import's transaction."""
    if plan.rewrite:
        _recreate(conn)
        conn.execute(_MONTH_INDEX)
        # An empty table without foreign keys, the same indexes on both sides: SQLite copies
        # the pages of the table and its index instead of inserting row by row.
        conn.execute(f"INSERT INTO main.customer_months SELECT * FROM {SCRATCH}.customer_months")
    else:
        conn.execute(
            "DELETE FROM main.customer_months WHERE (customer_id, month) IN"
            f" (SELECT customer_id, month FROM {SCRATCH}.gone)"
        )
        conn.execute(f"INSERT INTO main.customer_months SELECT * FROM {SCRATCH}.added")
    plan.tally.write(conn, differences=not plan.rewrite)


def scratch_file(conn: sqlite3.Connection) -> Path | None:
    """An empty file beside the database for a helper's rows; ``None`` when there is no
    database file (in memory) or its folder cannot be written."""
    path = database_path(conn)
    if not path:
        return None
    folder = Path(path).parent
    try:
        handle, name = tempfile.mkstemp(prefix=f".{Path(path).name}-months-", dir=folder)
    except OSError:
        return None
    os.close(handle)
    return Path(name)
