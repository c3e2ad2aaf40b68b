"""Derived per-customer facts: first and last visit, visit count, distinct visit months,
usual interval between visits and main vehicle.

Screens and reports read these columns from ``customers`` instead of aggregating visits per
screen, so every write that adds, moves or removes visits or vehicles calls
:func:`refresh_customer_facts` for the customers it touched, inside its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

_AFFECTED = "temp._facts_affected"

_UPDATE_FROM_VISITS = f"""
UPDATE customers SET
    first_visit = agg.first_visit,
    last_visit = agg.last_visit,
    visit_count = agg.visit_count,
    visit_months = agg.visit_months,
    usual_interval_days = CASE WHEN agg.visit_days > 1
        THEN round((julianday(agg.last_visit) - julianday(agg.first_visit))
                   / (agg.visit_days - 1), 1) END
FROM (
    SELECT customer_id,
           min(date) AS first_visit,
           max(date) AS last_visit,
           count(*) AS visit_count,
           count(DISTINCT substr(date, 1, 7)) AS visit_months,
           count(DISTINCT date) AS visit_days
    FROM visits
    WHERE customer_id IN (SELECT id FROM {_AFFECTED})
    GROUP BY customer_id
) AS agg
WHERE customers.id = agg.customer_id
"""

_RESET_WITHOUT_VISITS = f"""
UPDATE customers SET first_visit = NULL, last_visit = NULL, visit_count = 0, visit_months = 0,
    usual_interval_days = NULL
WHERE id IN (SELECT id FROM {_AFFECTED})
  AND NOT EXISTS (SELECT 1 FROM visits WHERE visits.customer_id = customers.id)
  AND visit_count != 0
"""

# The main vehicle is the customer's own vehicle seen most often in the workshop (ties: the
# one seen last); a customer without visits gets their most recently registered vehicle.
_MAIN_VEHICLE = f"""
UPDATE customers SET main_vehicle_id = COALESCE(
    (SELECT ranked.vehicle_id FROM (
        SELECT v.vehicle_id, count(*) AS n, max(v.date) AS last
        FROM visits v JOIN vehicles vh ON vh.id = v.vehicle_id AND vh.customer_id = customers.id
        WHERE v.customer_id = customers.id
        GROUP BY v.vehicle_id
        ORDER BY n DESC, last DESC, v.vehicle_id DESC
        LIMIT 1) AS ranked),
    (SELECT id FROM vehicles WHERE vehicles.customer_id = customers.id
     ORDER BY id DESC LIMIT 1))
WHERE id IN (SELECT id FROM {_AFFECTED})
"""


def refresh_customer_facts(
    conn: sqlite3.Connection, customer_ids: Iterable[int] | None = None
) -> int:
    """Recompute the derived facts of ``customer_ids`` (all customers when ``None``).

    Call inside the write transaction that changed the visits or vehicles. Returns how many
    customers were refreshed.
    """
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_AFFECTED.split('.')[1]} "
                 "(id INTEGER PRIMARY KEY)")
    conn.execute(f"DELETE FROM {_AFFECTED}")
    if customer_ids is None:
        conn.execute(f"INSERT INTO {_AFFECTED} (id) SELECT id FROM customers")
    else:
        conn.executemany(
            f"INSERT OR IGNORE INTO {_AFFECTED} (id) VALUES (?)", ((i,) for i in customer_ids)
        )
    count = conn.execute(f"SELECT count(*) FROM {_AFFECTED}").fetchone()[0]
    if count:
        conn.execute(_UPDATE_FROM_VISITS)
        conn.execute(_RESET_WITHOUT_VISITS)
        conn.execute(_MAIN_VEHICLE)
    conn.execute(f"DELETE FROM {_AFFECTED}")
    return int(count)
