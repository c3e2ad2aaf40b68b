"""Managers and advisors: manager-only actions refused to others, with a sentence; everyone
may while no managers are configured; the manager group is a real OS group."""

from __future__ import annotations

import grp
import os
import pwd
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from cli_run import run
from desk_data import make_desk_db
from retention_tui import audit, campaigns, customers, reasons, roles, settings, tags
from retention_tui.db import open_database
from retention_tui.errors import RetentionError
from retention_tui.importer import import_file

ACCOUNT = pwd.getpwuid(os.getuid())
PRIMARY_GROUP = grp.getgrgid(ACCOUNT.pw_gid).gr_name


@pytest.fixture
def desk(tmp_path: Path) -> sqlite3.Connection:
    conn = open_database(make_desk_db(tmp_path / "desk.db"))
    yield conn
    conn.close()


MANAGER_ONLY: dict[str, Callable[[sqlite3.Connection, Path], object]] = {
    "traffic light by hand": lambda c, _d: customers.set_traffic_light(c, 1, "red", "unpaid"),
    "merge reasons": lambda c, _d: reasons.merge(c, *_reason_pair(c)),
    "rename a reason": lambda c, _d: reasons.rename(c, _reason_pair(c)[0], "Price"),
    "retire a reason": lambda c, _d: reasons.retire(c, _reason_pair(c)[0]),
    "new catalogue tag": lambda c, _d: tags.add_to_catalogue(c, "track-day", "Track day"),
    "retire a catalogue tag": lambda c, _d: tags.retire(c, "touring"),
    "new campaign": lambda c, _d: campaigns.new_campaign(c, "win-back", "Autumn"),
    "campaign status": lambda c, _d: campaigns.set_status(c, 1, "closed"),
    "add members": lambda c, _d: campaigns.add_members(c, 1, [4, 5], "test"),
    "remove members": lambda c, _d: campaigns.remove_members(c, 1, [1]),
    "import": lambda c, d: import_file(c, "customers", d / "customers.csv"),
}


def _reason_pair(conn: sqlite3.Connection) -> tuple[int, list[int]]:
    rows = conn.execute("SELECT id FROM churn_reasons ORDER BY id LIMIT 2").fetchall()
    return rows[0][0], [rows[1][0]]


@pytest.fixture
def with_reasons(desk: sqlite3.Connection) -> sqlite3.Connection:
    from retention_tui.db import write

    with write(desk):
        desk.executemany(
            "INSERT INTO churn_reasons (label, normalized, created_by, created_at)"
            " VALUES (?, ?, 'tester', '2026-11-01')",
            [("Too expensive", "too expensive"), ("Prices too high", "prices too high")],
        )
    return desk


@pytest.mark.parametrize("action", list(MANAGER_ONLY))
def test_an_advisor_is_refused_every_manager_action_with_the_group_named(
    with_reasons: sqlite3.Connection, data_dir: Path, action: str
) -> None:
    desk = with_reasons
    settings.put(desk, "manager_group", PRIMARY_GROUP)  # "tester" is no OS account: not in it
    before = desk.execute("SELECT count(*) FROM audit").fetchone()[0]
    with pytest.raises(roles.NotAllowedError) as refused:
        MANAGER_ONLY[action](desk, data_dir)
    assert f"tester is not in the group {PRIMARY_GROUP}" in refused.value.message
    assert desk.execute("SELECT count(*) FROM audit").fetchone()[0] == before  # nothing written


@pytest.mark.parametrize("action", list(MANAGER_ONLY))
def test_a_member_of_the_manager_group_may(
    with_reasons: sqlite3.Connection,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    settings.put(with_reasons, "manager_group", PRIMARY_GROUP)
    monkeypatch.setattr(audit, "_login_name", lambda: ACCOUNT.pw_name)  # a real account
    assert roles.is_manager(with_reasons)
    MANAGER_ONLY[action](with_reasons, data_dir)


def test_with_no_managers_configured_everyone_may(desk: sqlite3.Connection) -> None:
    assert not roles.managers_configured(desk)
    assert roles.is_manager(desk, "anybody")
    customers.set_traffic_light(desk, 1, "red", "unpaid")


def test_advisors_keep_their_everyday_work(desk: sqlite3.Connection) -> None:
    settings.put(desk, "managers", ["boss"])
    customers.set_nps(desk, 2, 8)
    tags.add(desk, [2], tags.Tagging("touring"))
    session = campaigns.new_session("test")
    campaigns.log_outcome(desk, 1, 1, "reached", session=session, nps=9)
    assert desk.execute("SELECT count(*) FROM nps_scores").fetchone()[0] == 2


def test_a_login_named_in_managers_may_and_a_missing_group_is_explained(
    desk: sqlite3.Connection,
) -> None:
    settings.put(desk, "managers", ["tester"])
    settings.put(desk, "manager_group", "no-such-group-rtui")
    assert roles.is_manager(desk)  # named: no group needed
    settings.put(desk, "managers", [])
    with pytest.raises(RetentionError, match="no-such-group-rtui does not exist on this machine"):
        customers.set_traffic_light(desk, 1, "red", "unpaid")


def test_group_membership_by_the_accounts_own_groups() -> None:
    assert roles._in_group(ACCOUNT.pw_name, PRIMARY_GROUP)  # by its primary group
    assert not roles._in_group("no-such-account-rtui", PRIMARY_GROUP)
    assert not roles._in_group(ACCOUNT.pw_name, "no-such-group-rtui")


def test_settings_from_the_command_line_are_a_managers(
    desk: sqlite3.Connection, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "desk.db")
    code, out, err = run(capsys, "--db", db, "settings", "set", "manager_group", PRIMARY_GROUP)
    assert code == 0 and f'manager_group = "{PRIMARY_GROUP}"' in out  # nobody named yet: allowed
    code, out, err = run(capsys, "--db", db, "settings", "set", "managers", '["tester"]')
    assert (
        code == 1 and "Changing the settings is a manager's task" in err and "Traceback" not in err
    )
    code, out, _err = run(capsys, "--db", db, "settings", "list", "--format", "csv")
    assert f'manager_group,"""{PRIMARY_GROUP}"""' in out and "managers,[]" in out
    code, out, err = run(capsys, "--db", db, "settings", "set", "no_such", "1")
    assert code == 1 and "There is no setting 'no_such'" in err
