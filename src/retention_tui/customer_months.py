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

MONTH_OF_DATE = "(CAST(substr({d}, 1, 4) AS INTEGER) * 12 + CAST(substr({d}, 6, 2) AS INTEGER) - 1)"

_ROWS = f"""
SELECT customer_id, month, visits, mots, mot_samples,
       month - lag(month) OVER w AS prev_gap,
       lead(month) OVER w - month AS next_gap
FROM (
    SELECT customer_id, {MONTH_OF_DATE.format(d="date")} AS month,
           count(*) AS visits, sum(mot) AS mots, sum(mot_sample) AS mot_samples
    FROM visits {{where}}
    GROUP BY customer_id, month
)
WINDOW w AS (PARTITION BY customer_id ORDER BY month)
"""

_INSERT = (
    "INSERT INTO customer_months (customer_id, month, visits, mots, mot_samples, prev_gap,"
    " next_gap) "
)

# How many customer-months each month has per gap (0: no previous / no next visit month),
# and the month's totals; 'sign' is +1 to add rows, -1 to take them away.
_COUNTS = """
INSERT INTO loyalty_counts (month, kind, gap, customers)
SELECT month, kind, gap, {sign} * count(*) FROM (
    SELECT month, 'prev' AS kind, coalesce(prev_gap, 0) AS gap FROM {source}
    UNION ALL
    SELECT month, 'next' AS kind, coalesce(next_gap, 0) AS gap FROM {source}
)
GROUP BY month, kind, gap
ON CONFLICT (month, kind, gap) DO UPDATE SET customers = customers + excluded.customers
"""
_TOTALS = """
INSERT INTO month_totals (month, customers, visits, mots, mot_samples)
SELECT month, {sign} * count(*), {sign} * sum(visits), {sign} * sum(mots),
       {sign} * sum(mot_samples)
FROM {source} GROUP BY month
ON CONFLICT (month) DO UPDATE SET customers = customers + excluded.customers,
    visits = visits + excluded.visits, mots = mots + excluded.mots,
    mot_samples = mot_samples + excluded.mot_samples
"""


def rebuild(conn: sqlite3.Connection) -> None:
    """Compute every customer-month and count from the visits (inside a write)."""
    conn.execute("DELETE FROM customer_months")
    conn.execute("DELETE FROM loyalty_counts")
    conn.execute("DELETE FROM month_totals")
    conn.execute(_INSERT + _ROWS.format(where=""))
    _add_counts(conn, "customer_months", +1)


def refresh(conn: sqlite3.Connection, id_table: str) -> None:
    """Recompute the customer-months of the customers listed in ``id_table`` (column ``id``).

    Call inside the write transaction that changed their visits.
    """
    affected = f"SELECT id FROM {id_table}"
    conn.execute("DROP TABLE IF EXISTS temp._months_old")
    conn.execute(
        "CREATE TEMP TABLE _months_old AS SELECT * FROM customer_months"
        f" WHERE customer_id IN ({affected})"
    )
    _add_counts(conn, "temp._months_old", -1)
    conn.execute(f"DELETE FROM customer_months WHERE customer_id IN ({affected})")
    conn.execute(_INSERT + _ROWS.format(where=f"WHERE customer_id IN ({affected})"))
    conn.execute("DROP TABLE IF EXISTS temp._months_new")
    conn.execute(
        "CREATE TEMP TABLE _months_new AS SELECT * FROM customer_months"
        f" WHERE customer_id IN ({affected})"
    )
    _add_counts(conn, "temp._months_new", +1)
    conn.execute("DELETE FROM loyalty_counts WHERE customers = 0")
    conn.execute("DELETE FROM month_totals WHERE customers = 0")
    conn.execute("DROP TABLE temp._months_old")
    conn.execute("DROP TABLE temp._months_new")


def _add_counts(conn: sqlite3.Connection, source: str, sign: int) -> None:
    conn.execute(_COUNTS.format(source=source, sign=sign))
    conn.execute(_TOTALS.format(source=source, sign=sign))
