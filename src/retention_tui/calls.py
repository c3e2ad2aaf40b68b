"""Calls: one logged contact attempt each, with its outcome, note and callback time.

The call sessions of a campaign build on :func:`log_call`; the customer card uses it for an
ad-hoc call. Every call is audited with the operator.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from . import audit, clock
from .db import write
from .errors import RetentionError
from .i18n import _

OUTCOMES = (
    "reached",
    "no answer",
    "voicemail",
    "wrong number",
    "callback",
    "not interested",
    "appointment booked",
)


def outcome_label(outcome: str) -> str:
    return _(outcome)


def parse_callback(text: str, today: dt.date | None = None) -> dt.datetime:
    """A callback time as an advisor types it, wherever it is typed: ``t`` (tomorrow) or ``w``
    (a week from now) at 09:00, ``+N`` days at 09:00, ``YYYY-MM-DD`` (09:00) or
    ``YYYY-MM-DD HH:MM`` (a ``T`` between them as well)."""
    value = " ".join(text.split())
    day = today or clock.today()
    nine = dt.time(9)
    if value.lower() in ("t", _("tomorrow")):
        return dt.datetime.combine(day + dt.timedelta(days=1), nine)
    if value.lower() in ("w", _("next week")):
        return dt.datetime.combine(day + dt.timedelta(days=7), nine)
    days = re.fullmatch(r"\+(\d{1,4})", value, re.ASCII)
    if days:
        return dt.datetime.combine(day + dt.timedelta(days=int(days[1])), nine)
    parts = re.fullmatch(
        r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{1,2}))?", value, re.ASCII
    )
    if parts:
        year, month, on = (int(p) for p in parts.groups()[:3])
        hour, minute = (int(parts[4]), int(parts[5])) if parts[4] else (9, 0)
        try:
            return dt.datetime(year, month, on, hour, minute)
        except ValueError:
            pass  # no such day or time: said below
    raise RetentionError(
        _(
            "'{text}' is not a callback time; use t (tomorrow), w (next week), +days, "
            "YYYY-MM-DD or YYYY-MM-DD HH:MM."
        ).format(text=text)
    )


def log_call(
    conn: sqlite3.Connection,
    customer_id: int,
    outcome: str,
    note: str = "",
    callback_at: dt.datetime | None = None,
    campaign_id: int | None = None,
) -> int:
    """Record a call the moment it is made; returns the call's id."""
    if outcome not in OUTCOMES:
        raise RetentionError(
            _("'{outcome}' is not a call outcome ({known}).").format(
                outcome=outcome, known=", ".join(_(o) for o in OUTCOMES)
            )
        )
    if outcome == "callback" and callback_at is None:
        raise RetentionError(_("A callback needs a date (and time) to call back."))
    if callback_at is not None and callback_at < clock.now():
        raise RetentionError(_("The callback time {when} has passed.").format(when=callback_at))
    with write(conn):
        exists = conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone()
        if exists is None:
            raise RetentionError(
                _("Customer {id} does not exist (deleted meanwhile?).").format(id=customer_id)
            )
        cursor = conn.execute(
            "INSERT INTO calls (customer_id, campaign_id, operator, called_at, outcome, note,"
            " callback_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id,
                campaign_id,
                audit.current_operator(),
                clock.now().isoformat(sep=" ", timespec="seconds"),
                outcome,
                note.strip() or None,
                callback_at.isoformat(sep=" ", timespec="minutes") if callback_at else None,
            ),
        )
        call_id = int(cursor.lastrowid or 0)
        audit.record(
            conn,
            "log call",
            "calls",
            call_id,
            customer_id=customer_id,
            new={"outcome": outcome, "note": note.strip() or None},
        )
    return call_id
