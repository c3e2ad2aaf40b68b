"""Workshop settings, stored as JSON in the ``settings`` table; defaults live here in code."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from . import audit
from .db import write

DEFAULTS: dict[str, Any] = {
    "loyalty_window_months": 12,
    "short_term_lapsed_months": 6,
    "long_term_lapsed_months": 12,
    "overdue_factor": 1.5,
    # Postcode prefixes of the workshop's own area (for the passer-by hint).
    "home_postcode_prefixes": [],
    "workshop_name": "",
    # Who does the manager-only actions (traffic lights by hand, merges, catalogues, campaigns,
    # imports, settings): members of the OS group manager_group, and logins named in managers.
    # With neither, everyone may (roles.py).
    "manager_group": "",
    "managers": [],
    "claim_idle_minutes": 15,  # a call session's claim on a customer lapses after this idle time
    # Messages: where email and SMS go (secrets live in the OS keyring, never here), how many
    # per minute at most, and the first wait before a failed message is tried again.
    "smtp": None,
    "sms_gateway": None,
    "rate_per_minute": {"email": 120, "sms": 30},
    "outbox_retry_seconds": 30,
}


def get(conn: sqlite3.Connection, key: str) -> Any:
    """The stored value of ``key``, or its default."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    if row is None:
        return DEFAULTS.get(key)
    return json.loads(row[0])


def put(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` (audited) in its own short transaction."""
    with write(conn):
        put_in_transaction(conn, key, value)


def put_in_transaction(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` inside the caller's write transaction."""
    old = get(conn, key)
    if old == value:
        return
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False)),
    )
    audit.record(conn, "change setting", "settings", old={key: old}, new={key: value})
