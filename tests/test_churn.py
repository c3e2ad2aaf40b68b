"""Departures: one reason per normalised text, the recorded status, the audit trail."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from retention_tui import churn
from retention_tui.db import open_database
from retention_tui.errors import RetentionError


@pytest.fixture
def desk(desk_db: Path) -> sqlite3.Connection:
    conn = open_database(desk_db)
    yield conn
    conn.close()


def test_variants_of_one_reason_are_one_reason(desk: sqlite3.Connection) -> None:
    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive!")
    churn.record_departure(desk, 2, dt.date(2026, 11, 2), "  too   EXPENSIVE ")
    churn.record_departure(desk, 3, dt.date(2026, 11, 3), "Moved away", status="moved away")
    reasons = desk.execute("SELECT label, normalized FROM churn_reasons ORDER BY id").fetchall()
    assert reasons == [("Too expensive!", "too expensive"), ("Moved away", "moved away")]
    statuses = desk.execute("SELECT id, recorded_status FROM customers WHERE id <= 3").fetchall()
    assert statuses == [(1, "confirmed lost"), (2, "confirmed lost"), (3, "moved away")]
    actions = [a for (a,) in desk.execute("SELECT action FROM audit ORDER BY id")]
    assert actions.count("record departure") == 3 and actions.count("add reason") == 2


def test_bad_departures_are_sentences_and_change_nothing(desk: sqlite3.Connection) -> None:
    with pytest.raises(RetentionError, match="future"):
        churn.record_departure(desk, 1, dt.date(2026, 12, 1), "Too expensive")
    with pytest.raises(RetentionError, match="reason"):
        churn.record_departure(desk, 1, dt.date(2026, 11, 1), " !? ")
    with pytest.raises(RetentionError, match="does not exist"):
        churn.record_departure(desk, 99, dt.date(2026, 11, 1), "Too expensive")
    churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Too expensive")
    with pytest.raises(RetentionError, match="already recorded"):
        churn.record_departure(desk, 1, dt.date(2026, 11, 1), "Other reason")
    assert desk.execute("SELECT count(*) FROM departures").fetchone() == (1,)
    assert desk.execute("SELECT count(*) FROM churn_reasons").fetchone() == (1,)
