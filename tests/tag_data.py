"""Tags on the desk's six customers for the seed examples, with the expected sets worked out
by hand (today is 2026-11-23)."""

from __future__ import annotations

import datetime as dt
import sqlite3

from retention_tui import tags
from retention_tui.db import write

D = dt.date.fromisoformat

# customer id, code, set on, valid until (None: the catalogue's default), grade, follow-up
BOOKINGS = [
    (1, "inspection", "2025-01-01", None, 2, None),
    (2, "inspection", "2024-05-01", None, None, "2026-11-20"),
    (3, "inspection", "2024-05-01", "2026-11-22", None, "2026-11-01"),  # expired yesterday
    (4, "complaint", "2026-05-01", None, 2, None),  # the default: valid until 2027-05-01
    (6, "complaint", "2025-06-01", None, 4, None),  # ended 2026-06-01
    (1, "test-ride", "2026-02-10", None, 1, None),
    (3, "test-ride", "2026-09-05", None, 3, "2026-11-23"),
    (6, "test-ride", "2025-12-01", None, None, None),
    (2, "bought-here", "2025-03-01", None, None, None),  # came to the workshop after
    (4, "bought-here", "2026-01-10", None, None, None),  # never came
    (6, "bought-here", "2026-09-30", None, None, "2026-12-01"),  # not since the day it bought
    (5, "tyre-storage", "2023-10-01", "2026-11-23", None, None),  # its last valid day is today
]

# Each seed example as one filter line, and who it finds (customer ids).
SEED_FILTERS = {
    "inspection customers not seen since 2026": (
        (("tags", "inspection"), ("last_visit", "<2026")),
        {2},
    ),
    "customers with a complaint": ((("tags", "complaint"),), {4}),
    "a test ride in the first half of 2026": ((("tags", "test-ride set:2026-01..2026-06"),), {1}),
    "bought a vehicle here but no workshop visit since": (
        (("tags", "bought-here unseen"),),
        {4, 6},
    ),
}


def book(conn: sqlite3.Connection) -> None:
    with write(conn):
        for customer_id, code, set_on, until, grade, follow_up in BOOKINGS:
            found = tags.bookable(conn, code)
            values = tags.details(
                found, grade, D(set_on), D(until) if until else None,
                D(follow_up) if follow_up else None,
            )  # fmt: skip
            tags.book_rows(conn, found, [(customer_id, values)])
