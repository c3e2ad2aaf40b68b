"""Customers: the writes that change a customer's state, each audited with the operator.

The desktop's filtering and paging live in ``customer_list``; the card is read here. Every
function takes an open connection and does its own short transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from . import audit, clock, roles, tags
from .customer_list import ListContext, ListRow, fetch_rows
from .db import read_only, write
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
    roles.require_manager(conn, _("Setting the traffic light by hand is a manager's task."))
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
        if light in ("yellow", "red"):  # money owed books "dunned", a complaint "complaint"
            for code in tags.automatic_for_reason(reason):
                tags.book_automatic(conn, [customer_id], code, reason.strip())


def set_nps(
    conn: sqlite3.Connection, customer_id: int, score: int, call_id: int | None = None
) -> None:
    """Record the operator's NPS score (0-10) of the relationship; the latest counts."""
    with write(conn):
        record_nps_in(conn, customer_id, score, call_id)


def record_nps_in(
    conn: sqlite3.Connection, customer_id: int, score: int, call_id: int | None = None
) -> None:
    """:func:`set_nps` inside the caller's write transaction."""
    if not isinstance(score, int) or not 0 <= score <= 10:
        raise RetentionError(_("An NPS score is a whole number from 0 to 10."))
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
    with write(conn):
        record_status_in(conn, customer_id, status)


def record_status_in(conn: sqlite3.Connection, customer_id: int, status: str | None) -> None:
    """:func:`set_recorded_status` inside the caller's write transaction."""
    if status is not None and status not in RECORDED_STATUSES:
        raise RetentionError(
            _("'{status}' is not a status that can be recorded.").format(status=status)
        )
    (old,) = _current(conn, customer_id, "recorded_status")
    if old == status:
        return
    conn.execute(
        "UPDATE customers SET recorded_status = ?, recorded_status_on = ? WHERE id = ?",
        (status, clock.today().isoformat() if status else None, customer_id),
    )
    audit.record(
        conn, "set status", "customers", customer_id, customer_id=customer_id, old=old, new=status
    )


def customer_id_by_number(conn: sqlite3.Connection, customer_no: str) -> int | None:
    """The internal id of the customer with the DMS number ``customer_no``."""
    row = conn.execute("SELECT id FROM customers WHERE customer_no = ?", (customer_no,)).fetchone()
    return int(row[0]) if row else None


@dataclass(frozen=True)
class CustomerCard:
    """Everything the customer card shows, read in one snapshot."""

    row: ListRow
    """The list row: badges, derived or recorded status, months away, main vehicle."""
    details: dict[str, Any]
    """Every column of ``customers``."""
    vehicles: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    nps_history: list[dict[str, Any]]
    light_history: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    departures: list[dict[str, Any]]
    blocks: list[dict[str, Any]]


def _dicts(conn: sqlite3.Connection, sql: str, params: tuple) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def customer_card(conn: sqlite3.Connection, customer_id: int, ctx: ListContext) -> CustomerCard:
    """Read one customer's card, or raise if the customer no longer exists."""
    with read_only(conn):
        rows = fetch_rows(conn, [customer_id], ctx)
        if not rows:
            raise RetentionError(
                _("Customer {id} does not exist (deleted meanwhile?).").format(id=customer_id)
            )
        details = _dicts(conn, "SELECT * FROM customers WHERE id = ?", (customer_id,))[0]
        return CustomerCard(
            row=rows[0],
            details=details,
            vehicles=_dicts(
                conn,
                "SELECT id, plate, vin, brand, series, model, year FROM vehicles"
                " WHERE customer_id = ? ORDER BY id",
                (customer_id,),
            ),
            visits=_dicts(
                conn,
                "SELECT date, invoice_no, plate, amount, advisor, mileage, mot, mot_sample"
                " FROM visits WHERE customer_id = ? ORDER BY date DESC, id DESC",
                (customer_id,),
            ),
            nps_history=_dicts(
                conn,
                "SELECT score, operator, recorded_at FROM nps_scores WHERE customer_id = ?"
                " ORDER BY recorded_at DESC, id DESC",
                (customer_id,),
            ),
            light_history=_dicts(
                conn,
                "SELECT light, reason, assessed_on, source, operator, recorded_at"
                " FROM traffic_light_history WHERE customer_id = ?"
                " ORDER BY recorded_at DESC, id DESC",
                (customer_id,),
            ),
            calls=_dicts(
                conn,
                "SELECT k.called_at, k.outcome, k.note, k.callback_at, k.operator,"
                " c.name AS campaign FROM calls k LEFT JOIN campaigns c ON c.id = k.campaign_id"
                " WHERE k.customer_id = ? ORDER BY k.called_at DESC, k.id DESC",
                (customer_id,),
            ),
            departures=_dicts(
                conn,
                "SELECT d.departed_on, r.label AS reason, d.note, d.operator"
                " FROM departures d LEFT JOIN churn_reasons r ON r.id = d.reason_id"
                " WHERE d.customer_id = ? ORDER BY d.departed_on DESC",
                (customer_id,),
            ),
            blocks=_dicts(
                conn,
                "SELECT channel, reason, operator, set_at FROM contact_blocks"
                " WHERE customer_id = ? ORDER BY channel",
                (customer_id,),
            ),
        )
