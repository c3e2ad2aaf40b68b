"""The desktop's search index (``customer_search``): folded text per customer.

Every write that changes a searchable column (name, phone, email, city, advisor, customer
number) or a customer's main vehicle calls :func:`refresh` for the customers it touched,
inside its own transaction, so a search never misses a customer or finds a stale one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

# The same columns and folding as migration 2 (db/schema.py), which built the first index.
_ROWS = """
SELECT c.id, fold(c.customer_no), fold(c.name), digits(c.phone, c.mobile), fold(c.email),
       fold(c.city),
       fold(coalesce(v.brand, '') || ' ' || coalesce(v.series, '') || ' '
            || coalesce(v.model, '') || ' ' || coalesce(v.plate, '') || ' '
            || coalesce(v.plate_key, '')),
       fold(c.advisor)
FROM customers c LEFT JOIN vehicles v ON v.id = c.main_vehicle_id
"""
_INSERT = (
    "INSERT INTO customer_search (rowid, customer_no, name, phone, email, city, vehicle, advisor)"
)


def refresh(conn: sqlite3.Connection, customer_ids: Iterable[int] | None = None) -> None:
    """Re-index ``customer_ids`` (every customer when ``None``) inside the caller's write."""
    if customer_ids is None:
        conn.execute("DELETE FROM customer_search")
        conn.execute(f"{_INSERT} {_ROWS}")
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _search_affected (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp._search_affected")
    conn.executemany(
        "INSERT OR IGNORE INTO temp._search_affected (id) VALUES (?)",
        ((i,) for i in customer_ids),
    )
    refresh_listed(conn, "temp._search_affected")
    conn.execute("DELETE FROM temp._search_affected")


def refresh_listed(conn: sqlite3.Connection, id_table: str) -> None:
    """Re-index the customers whose ids are in the table ``id_table`` (column ``id``)."""
    conn.execute(f"DELETE FROM customer_search WHERE rowid IN (SELECT id FROM {id_table})")
    conn.execute(f"{_INSERT} {_ROWS} WHERE c.id IN (SELECT id FROM {id_table})")
