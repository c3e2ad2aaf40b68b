"""Customers: the writes that change a customer's state, each audited with the operator.

The desktop's filtering and paging live here too once the desktop arrives; every function
takes an open connection and does its own short write transaction.
"""

from __future__ import annotations

import sqlite3

from . import audit, clock
from .db import write
from .errors import RetentionError
from .i18n import _

LIGHTS = ("green", "yellow", "red", "unknown")
RECORDED_STATUSES = ("confirmed lost", "not our customer", "moved away", "vehicle sold", "deceased")


def _current(conn: sqlite3.Connection, customer_id: int, columns: str) -> tuple:
    row = conn.execute(f"SELECT {columns} FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        raise RetentionError(
            _("Customer {id} does not exist (deleted meanwhile?).").format(id=customer_id)
        )
    return tuple(row)


def set_traffic_light(conn: sqlite3.Connection, customer_id: int, light: str, reason: str) -> None:
    """Set the traffic light by hand; a manual change needs a reason and keeps history."""
    if light not in LIGHTS:
        raise RetentionError(
            _("'{light}' is not a traffic light (green, yellow, red, unknown).").format(light=light)
        )
    if not reason.strip():
        raise RetentionError(_("Say why the traffic light changes: a reason is required."))
    with write(conn):
        (old,) = _current(conn, customer_id, "traffic_light")
        today = clock.today().isoformat()
        conn.execute(
            "UPDATE customers SET traffic_light = ?, traffic_light_reason = ?,"
            " traffic_light_on = ? WHERE id = ?",
            (light, reason.strip(), today, customer_id),
        )
        conn.execute(
            "INSERT INTO traffic_light_history (customer_id, light, reason, assessed_on, source,"
            " operator, recorded_at) VALUES (?, ?, ?, ?, 'manual', ?, ?)",
            (
                customer_id,
                light,
                reason.strip(),
                today,
                audit.current_operator(),
                clock.now().isoformat(sep=" "),
            ),
        )
        audit.record(
            conn,
            "set traffic light",
            "customers",
            customer_id,
            customer_id=customer_id,
            old=old,
            new=light,
        )


def set_nps(
    conn: sqlite3.Connection, customer_id: int, score: int, call_id: int | None = None
) -> None:
    """Record the operator's NPS score (0-10) of the relationship; the latest counts."""
    if not isinstance(score, int) or not 0 <= score <= 10:
        raise RetentionError(_("An NPS score is a whole number from 0 to 10."))
    with write(conn):
        (old,) = _current(conn, customer_id, "nps")
        now = clock.now().isoformat(sep=" ")
        conn.execute(
            "INSERT INTO nps_scores (customer_id, score, call_id, operator, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (customer_id, score, call_id, audit.current_operator(), now),
        )
        conn.execute(
            "UPDATE customers SET nps = ?, nps_on = ? WHERE id = ?",
            (score, clock.today().isoformat(), customer_id),
        )
        audit.record(
            conn, "set NPS", "customers", customer_id, customer_id=customer_id, old=old, new=score
        )


def set_recorded_status(conn: sqlite3.Connection, customer_id: int, status: str | None) -> None:
    """Record the status learned by contact (``None`` returns to the derived status)."""
    if status is not None and status not in RECORDED_STATUSES:
        raise RetentionError(
            _("'{status}' is not a status that can be recorded.").format(status=status)
        )
    with write(conn):
        (old,) = _current(conn, customer_id, "recorded_status")
        if old == status:
            return
        conn.execute(
            "UPDATE customers SET recorded_status = ?, recorded_status_on = ? WHERE id = ?",
            (status, clock.today().isoformat() if status else None, customer_id),
        )
        audit.record(
            conn,
            "set status",
            "customers",
            customer_id,
            customer_id=customer_id,
            old=old,
            new=status,
        )


def customer_id_by_number(conn: sqlite3.Connection, customer_no: str) -> int | None:
    """The internal id of the customer with the DMS number ``customer_no``."""
    row = conn.execute("SELECT id FROM customers WHERE customer_no = ?", (customer_no,)).fetchone()
    return int(row[0]) if row else None
