"""Derived per-customer facts: first and last visit, visit count, distinct visit months,
usual interval between visits and main vehicle.

Screens and reports read these columns from ``customers`` instead of aggregating visits per
screen, so every write that adds, moves or removes visits or vehicles calls
:func:`refresh_customer_facts` for the customers it touched, inside its own transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from concurrent.futures import Future

from . import customer_months, search_index
from .errors import RetentionError

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
  AND (customers.first_visit IS NOT agg.first_visit OR customers.last_visit IS NOT agg.last_visit
       OR customers.visit_count != agg.visit_count OR customers.visit_months != agg.visit_months
       OR customers.usual_interval_days IS NOT (CASE WHEN agg.visit_days > 1
           THEN round((julianday(agg.last_visit) - julianday(agg.first_visit))
                      / (agg.visit_days - 1), 1) END))
"""

_RESET_WITHOUT_VISITS = f"""
UPDATE customers SET first_visit = NULL, last_visit = NULL, visit_count = 0, visit_months = 0,
    usual_interval_days = NULL
WHERE id IN (SELECT id FROM {_AFFECTED})
  AND NOT EXISTS (SELECT 1 FROM visits WHERE visits.customer_id = customers.id)
  AND visit_count != 0
"""

# The main vehicle is the customer's own vehicle seen most often in the workshop (ties: the
# one seen last); a customer without such visits gets their most recently registered vehicle.
# Chosen once for all affected customers into a keyed temp table, then applied by key.
_MAIN_VEHICLE = [
    "CREATE TEMP TABLE IF NOT EXISTS _facts_main (customer_id INTEGER PRIMARY KEY, vehicle_id)",
    "DELETE FROM temp._facts_main",
    f"""INSERT INTO temp._facts_main (customer_id, vehicle_id)
    SELECT customer_id, vehicle_id FROM (
        SELECT customer_id, vehicle_id,
               row_number() OVER (PARTITION BY customer_id
                                  ORDER BY n DESC, last DESC, vehicle_id DESC) AS rank
        FROM (
            -- Joined to its owner, a vehicle has one customer: grouping by the vehicle
            -- alone walks the visits_vehicle index without a sort.
            SELECT vh.customer_id, v.vehicle_id, count(*) AS n, max(v.date) AS last
            FROM visits v JOIN vehicles vh ON vh.id = v.vehicle_id
            WHERE vh.customer_id = v.customer_id
              AND vh.customer_id IN (SELECT id FROM {_AFFECTED})
            GROUP BY v.vehicle_id))
    WHERE rank = 1""",
    f"""INSERT OR IGNORE INTO temp._facts_main (customer_id, vehicle_id)
    SELECT customer_id, max(id) FROM vehicles
    WHERE customer_id IN (SELECT id FROM {_AFFECTED}) GROUP BY customer_id""",
    f"INSERT OR IGNORE INTO temp._facts_main (customer_id, vehicle_id) SELECT id, NULL"
    f" FROM {_AFFECTED}",
    # Whose main vehicle changes: their search text changes with it.
    "CREATE TEMP TABLE IF NOT EXISTS _facts_new_main (id INTEGER PRIMARY KEY)",
    "DELETE FROM temp._facts_new_main",
    """INSERT INTO temp._facts_new_main (id) SELECT m.customer_id FROM temp._facts_main m
    JOIN customers c ON c.id = m.customer_id WHERE c.main_vehicle_id IS NOT m.vehicle_id""",
    """UPDATE customers SET main_vehicle_id = m.vehicle_id FROM temp._facts_main m
    WHERE customers.id = m.customer_id AND customers.main_vehicle_id IS NOT m.vehicle_id""",
    "DELETE FROM temp._facts_main",
]


def refresh_customer_facts(
    conn: sqlite3.Connection,
    customer_ids: Iterable[int] | None = None,
    *,
    vehicles_changed: bool = True,
    visits_changed: bool = True,
    months_plan: Future[customer_months.Plan] | None = None,
) -> int:
    """Recompute the derived facts of ``customer_ids`` (all customers when ``None``).

    Call inside the write transaction that changed the visits or vehicles. The search index
    is refreshed for all of them when their vehicles may have changed, else only for those
    whose main vehicle changed; their customer-months (the loyalty figures) when their
    visits may have changed, from ``months_plan`` when an import worked them out beside it
    (:func:`customer_months.start_plan`). Returns how many customers were refreshed.
    """
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_AFFECTED.split('.')[1]} (id INTEGER PRIMARY KEY)"
    )
    conn.execute(f"DELETE FROM {_AFFECTED}")
    if customer_ids is None:
        conn.execute(f"INSERT INTO {_AFFECTED} (id) SELECT id FROM customers")
    else:
        # One statement, not one per id: a planning helper thread may be running meanwhile.
        conn.execute(
            f"INSERT OR IGNORE INTO {_AFFECTED} (id) SELECT value FROM json_each(?)",
            (json.dumps(list(customer_ids)),),
        )
    count = conn.execute(f"SELECT count(*) FROM {_AFFECTED}").fetchone()[0]
    if count:
        conn.execute(_UPDATE_FROM_VISITS)
        conn.execute(_RESET_WITHOUT_VISITS)
        for statement in _MAIN_VEHICLE:
            conn.execute(statement)
        # Row-by-row work (the search text is folded in Python) only once the plan is done.
        plan = _planned(months_plan)
        # The main vehicle is searchable on the desktop.
        if customer_ids is None:
            search_index.refresh(conn)
        elif vehicles_changed:
            search_index.refresh_listed(conn, _AFFECTED)
        else:
            search_index.refresh_listed(conn, "temp._facts_new_main")
        conn.execute("DELETE FROM temp._facts_new_main")
        if plan is not None:
            customer_months.apply_plan(conn, plan)
        elif customer_ids is None:
            customer_months.rebuild(conn)
        elif visits_changed:
            customer_months.refresh(conn, _AFFECTED)
    elif months_plan is not None:
        months_plan.cancel()
    conn.execute(f"DELETE FROM {_AFFECTED}")
    return int(count)


def _planned(months_plan: Future[customer_months.Plan] | None) -> customer_months.Plan | None:
    """The helper's plan; ``None`` (recompute here instead) if it could not read the file."""
    if months_plan is None:
        return None
    try:
        return months_plan.result()
    except (sqlite3.Error, RetentionError):
        return None
