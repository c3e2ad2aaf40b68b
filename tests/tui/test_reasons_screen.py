"""The reason catalogue driven by Pilot: duplicates, leave one out, merge, rename, retire."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from retention_tui import churn
from retention_tui.db import open_database
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.reasons import ReasonsScreen, RenameForm

SIZE = (120, 36)


async def settle(pilot: Pilot) -> None:
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def labels(pilot: Pilot) -> list[str]:
    table = pilot.app.screen.query_one(DataTable)
    return [str(table.get_row_at(r)[1]) for r in range(table.row_count)]


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    conn = open_database(desk_db)
    for cid, day, reason in [
        (1, "2026-11-01", "Too expensive"),
        (2, "2026-11-02", "Too expensive"),
        (3, "2026-11-03", "too expensiv"),
        (4, "2026-11-04", "expensive, too"),
        (5, "2026-11-05", "Moved away"),
    ]:
        churn.record_departure(conn, cid, dt.date.fromisoformat(day), reason)
    conn.close()
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


async def open_reasons(pilot: Pilot) -> ReasonsScreen:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReasonsScreen)
    return screen


async def test_merge_a_group_leaving_one_out(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_reasons(pilot)
        assert labels(pilot)[0] == "Too expensive"
        await pilot.press("c")
        assert labels(pilot) == ["Too expensive", "too expensiv", "expensive, too"]
        await pilot.press("down", "down", "space")  # leave "expensive, too" out
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("c")  # back to every reason
        await settle(pilot)
        assert sorted(labels(pilot)) == ["Moved away", "Too expensive", "expensive, too"]
    conn = sqlite3.connect(desk_db)
    assert conn.execute(
        "SELECT count(*) FROM departures d JOIN churn_reasons r ON r.id = d.reason_id"
        " WHERE r.label = 'Too expensive'"
    ).fetchone() == (3,)
    assert conn.execute("SELECT alias FROM churn_reason_aliases").fetchall() == [("too expensiv",)]
    assert conn.execute("SELECT count(*) FROM audit WHERE action = 'merge reasons'").fetchone() == (
        1,
    )
    conn.close()


async def test_rename_and_retire(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_reasons(pilot)
        last = len(labels(pilot)) - 1
        pilot.app.screen.query_one(DataTable).move_cursor(row=last)
        assert labels(pilot)[last] == "too expensiv"
        await pilot.press("t")
        await settle(pilot)
        assert "too expensiv" not in labels(pilot)
        await pilot.press("home", "e")
        assert isinstance(app.screen, RenameForm)
        field = app.screen.query_one("#rename-label")
        field.value = "Too expensive (price)"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert labels(pilot)[0] == "Too expensive (price)"
    conn = sqlite3.connect(desk_db)
    actions = {a for (a,) in conn.execute("SELECT action FROM audit")}
    assert {"rename reason", "retire reason"} <= actions
    conn.close()


async def test_only_managers_change_reasons(app: RetentionApp, desk_db: Path) -> None:
    from retention_tui import settings

    conn = open_database(desk_db)
    settings.put(conn, "managers", ["boss"])
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await open_reasons(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert "too expensiv" in labels(pilot)
        assert any("is a manager's task" in n.message for n in app._notifications)
