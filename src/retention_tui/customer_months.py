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
transaction; the counts are adjusted by the difference, never recounted.

Months are integers here: ``year * 12 + month - 1`` (``Month.index``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

MONTH_OF_DATE = "(CAST(substr({d}, 1, 4) AS INTEGER) * 12 + CAST(substr({d}, 6, 2) AS INTEGER) - 1)"

# Rebuild instead of writing differences once this share of all customers is touched (with
# every customer touched, the differences cost about 1.5x the rebuild; see bench_loyalty).
REBUILD_AT = 0.25

_MONTH_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_months_month ON customer_months(month, prev_gap, next_gap)"
)

Row = tuple[int, int, int, int, int, "int | None", "int | None"]
"""customer_id, month, visits, mots, mot_samples, prev_gap, next_gap"""

_VISITS_IN_ORDER = (
    f"SELECT customer_id, {MONTH_OF_DATE.format(d='date')}, mot, mot_sample FROM visits"
    " {where} ORDER BY customer_id, date"
)
_INSERT_ROW = (
    "INSERT INTO customer_months (customer_id, month, visits, mots, mot_samples, prev_gap,"
    " next_gap) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _months_of(visits: Iterable[tuple[int, int, int, int]]) -> Iterator[Row]:
    """Customer-month rows from visits in customer and date order, gaps included."""
    current: int | None = None
    months: list[list[int]] = []

    def rows_of(cid: int) -> Iterator[Row]:
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

    for cid, month, mot, sample in visits:
        if cid != current:
            if current is not None:
                yield from rows_of(current)
            current, months = cid, []
        if months and months[-1][0] == month:
            entry = months[-1]
            entry[1] += 1
            entry[2] += mot
            entry[3] += sample
        else:
            months.append([month, 1, mot, sample])
    if current is not None:
        yield from rows_of(current)


def _fetch_all(cursor: sqlite3.Cursor) -> Iterator[tuple]:
    while chunk := cursor.fetchmany(50_000):
        yield from chunk


def rebuild(conn: sqlite3.Connection) -> None:
    """Compute every customer-month and count from the visits (inside a write).

    One pass over the visits in customer and date order (the covering index
    ``visits_customer_date``): the gaps to the previous and next month fall out of the order
    without a sort. The month index is dropped meanwhile and built once at the end; the
    counts are then read from it.
    """
    # Dropping and re-creating the table (from its own definition) is far quicker than
    # deleting a million rows one by one.
    (definition,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'customer_months'"
    ).fetchone()
    conn.execute("DROP TABLE customer_months")
    conn.execute(definition)
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
    counts: dict[tuple[int, str, int], int] = {}
    totals: dict[int, list[int]] = {}

    def tally(row: Row, sign: int) -> None:
        _cid, month, visits, mots, samples, prev_gap, next_gap = row
        for key in ((month, "prev", prev_gap or 0), (month, "next", next_gap or 0)):
            counts[key] = counts.get(key, 0) + sign
        total = totals.setdefault(month, [0, 0, 0, 0])
        total[0] += sign
        total[1] += sign * visits
        total[2] += sign * mots
        total[3] += sign * samples

    for start in range(0, len(ids), 20_000):
        low, high = ids[start], ids[min(start + 20_000, len(ids)) - 1]
        within = (
            f"customer_id BETWEEN {low} AND {high} AND customer_id IN (SELECT id FROM {id_table})"
        )
        old = set(conn.execute(
            "SELECT customer_id, month, visits, mots, mot_samples, prev_gap, next_gap"
            f" FROM customer_months WHERE {within}"
        ))  # fmt: skip
        new = set(_months_of(conn.execute(_VISITS_IN_ORDER.format(where=f"WHERE {within}"))))
        # In key order, so the writes walk the table instead of jumping around it.
        gone, added = sorted(old - new), sorted(new - old, key=lambda row: row[:2])
        conn.executemany(
            "DELETE FROM customer_months WHERE customer_id = ? AND month = ?",
            ((row[0], row[1]) for row in gone),
        )
        conn.executemany(_INSERT_ROW, added)
        for row in gone:
            tally(row, -1)
        for row in added:
            tally(row, +1)
    conn.executemany(
        "INSERT INTO loyalty_counts (month, kind, gap, customers) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (month, kind, gap) DO UPDATE SET customers = customers + excluded.customers",
        ((m, k, g, n) for (m, k, g), n in counts.items() if n),
    )
    conn.executemany(
        "INSERT INTO month_totals (month, customers, visits, mots, mot_samples)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (month) DO UPDATE SET"
        " customers = customers + excluded.customers, visits = visits + excluded.visits,"
        " mots = mots + excluded.mots, mot_samples = mot_samples + excluded.mot_samples",
        ((m, *t) for m, t in totals.items() if any(t)),
    )
    conn.execute("DELETE FROM loyalty_counts WHERE customers = 0")
    conn.execute("DELETE FROM month_totals WHERE customers = 0")
