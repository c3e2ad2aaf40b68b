"""Contact data on the desk's six customers for the message tests (tests/desk_data.py)."""

from __future__ import annotations

import sqlite3

from retention_tui.db import write

# C001 email+SMS+letter; C002 a broken email, a mobile; C003 no email consent, SMS blocked;
# C004 nothing to reach; C005 moved away (email yes, letter no); C006 deceased.
CONTACT = [
    (1, "jose@example.nl", 1, 1, "Oudegracht 1", "3511 AB", None),
    (2, "jan@example", 1, 1, "Dorpsstraat 2", "3991 CA", None),
    (3, "anna@example.nl", 0, 1, "Lange Nieuwstraat 3", "3512 PA", None),
    (4, None, 1, 1, None, None, None),
    (5, "info@muller.de", 1, 0, "Hohe Straße 5", "50667", "moved away"),
    (6, "piet@example.nl", 1, 1, "Slotlaan 6", "3701 GA", "deceased"),
]


def add_contacts(conn: sqlite3.Connection) -> None:
    with write(conn):
        conn.executemany(
            "UPDATE customers SET email = ?, consent_email = ?, consent_sms = ?, street = ?,"
            " postcode = ?, recorded_status = ? WHERE id = ?",
            [(*row[1:], row[0]) for row in CONTACT],
        )
        conn.execute(
            "INSERT INTO contact_blocks (customer_id, channel, reason, operator, set_at)"
            " VALUES (3, 'sms', 'asked us to stop', 'tester', '2026-11-01 10:00:00')"
        )
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('workshop_name', '\"Garage Oost\"')"
        )
