"""Writes that change a customer's state are audited with the operator's login name."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from retention_tui import audit, settings
from retention_tui.customers import (
    customer_id_by_number,
    set_nps,
    set_recorded_status,
    set_traffic_light,
)
from retention_tui.errors import RetentionError
from retention_tui.importer import import_file


@pytest.fixture
def customer(conn: sqlite3.Connection, data_dir: Path) -> int:
    import_file(conn, "customers", data_dir / "customers.csv")
    found = customer_id_by_number(conn, "C1001")
    assert found is not None
    return found


def test_state_changes_leave_an_audit_trail(
    conn: sqlite3.Connection, customer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_traffic_light(conn, customer, "red", "3 invoices overdue")
    monkeypatch.setattr(audit, "_login_name", lambda: "anke")
    set_nps(conn, customer, 9)
    set_nps(conn, customer, 4)
    set_recorded_status(conn, customer, "moved away")
    set_recorded_status(conn, customer, "moved away")  # no change, no audit row
    trail = [
        (e.operator, e.action, e.old_value, e.new_value[:24] if e.new_value else None)
        for e in reversed(audit.entries_for_customer(conn, customer))
    ]
    assert trail == [
        ("tester", "set traffic light", "unknown", "red"),
        ("tester", "add tag", None, '{"code":"dunned","grade"'),  # money owed books "dunned"
        ("anke", "set NPS", None, "9"),
        ("anke", "set NPS", "9", "4"),
        ("anke", "set status", None, "moved away"),
    ]
    assert conn.execute(
        "SELECT traffic_light, nps, recorded_status FROM customers WHERE id = ?", (customer,)
    ).fetchone() == ("red", 4, "moved away")
    assert (
        conn.execute(
            "SELECT count(*) FROM nps_scores WHERE customer_id = ?", (customer,)
        ).fetchone()[0]
        == 2
    )
    assert conn.execute("SELECT source, operator FROM traffic_light_history").fetchall() == [
        ("manual", "tester")
    ]


def test_the_operator_is_the_os_account_and_no_variable_changes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pwd

    monkeypatch.undo()  # the real login, not the tests' stand-in
    account = pwd.getpwuid(os.getuid()).pw_name
    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME", "RETENTION_TUI_OPERATOR"):
        monkeypatch.setenv(variable, "somebody-else")
    assert audit.current_operator() == account


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda c, i: set_traffic_light(c, i, "blue", "x"), "not a traffic light"),
        (lambda c, i: set_traffic_light(c, i, "red", "  "), "reason is required"),
        (lambda c, i: set_nps(c, i, 11), "0 to 10"),
        (lambda c, i: set_recorded_status(c, i, "on holiday"), "not a status that can be recorded"),
        (lambda c, i: set_nps(c, 99999, 5), "does not exist"),
    ],
)
def test_bad_state_changes_are_refused_and_not_audited(
    conn: sqlite3.Connection, customer: int, call, needle: str
) -> None:
    with pytest.raises(RetentionError, match=needle):
        call(conn, customer)
    assert conn.execute("SELECT count(*) FROM audit WHERE entity = 'customers'").fetchone()[0] == 0


def test_settings_have_defaults_and_changes_are_audited(conn: sqlite3.Connection) -> None:
    assert settings.get(conn, "loyalty_window_months") == 12
    settings.put(conn, "loyalty_window_months", 18)
    assert settings.get(conn, "loyalty_window_months") == 18
    row = conn.execute("SELECT operator, old_value, new_value FROM audit").fetchone()
    assert row == ("tester", '{"loyalty_window_months": 12}', '{"loyalty_window_months": 18}')
