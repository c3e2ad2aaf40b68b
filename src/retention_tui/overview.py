"""The database at a glance: what the home screen and ``report summary`` show."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from . import clock
from .agenda import AgendaItem, agenda
from .audit import current_operator
from .db import read_only
from .months import Month


@dataclass(frozen=True)
class Overview:
    """Counts and date range of one database, as of ``today``."""

    customers: int
    vehicles: int
    visits: int
    first_visit: dt.date | None
    last_visit: dt.date | None
    active_customers: int  # a visit in this calendar month or the 11 before it
    departures: int
    campaigns: int
    today: dt.date
    schema_version: int
    agenda: list[AgendaItem]  # callbacks and tag follow-ups due, the operator's own first


def database_overview(conn: sqlite3.Connection) -> Overview:
    """Count what the database holds; every query uses an index or a table's row count."""
    today = clock.today()
    since = (Month.of(today) - 11).first_day.isoformat()
    with read_only(conn):
        customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
        vehicles = conn.execute("SELECT count(*) FROM vehicles").fetchone()[0]
        visits = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
        first, last = conn.execute("SELECT min(date), max(date) FROM visits").fetchone()
        active = conn.execute(
            "SELECT count(*) FROM customers WHERE last_visit >= ? AND last_visit <= ?",
            (since, today.isoformat()),
        ).fetchone()[0]
        departures = conn.execute("SELECT count(*) FROM departures").fetchone()[0]
        campaigns = conn.execute("SELECT count(*) FROM campaigns").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        due = agenda(conn, today, current_operator())
    return Overview(
        customers=customers,
        vehicles=vehicles,
        visits=visits,
        first_visit=dt.date.fromisoformat(first) if first else None,
        last_visit=dt.date.fromisoformat(last) if last else None,
        active_customers=active,
        departures=departures,
        campaigns=campaigns,
        today=today,
        schema_version=version,
        agenda=due,
    )
