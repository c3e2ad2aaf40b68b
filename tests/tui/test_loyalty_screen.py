"""The loyalty table and its drilldown driven by Pilot."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static

from retention_tui import campaigns
from retention_tui.customer_list import DRILLDOWN_COLUMNS
from retention_tui.db import open_database, write
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.campaigns import CampaignPicker
from retention_tui.tui.screens.card_forms import CallForm
from retention_tui.tui.screens.customer_card import CustomerCardScreen
from retention_tui.tui.screens.departure import DepartureForm
from retention_tui.tui.screens.desktop import DesktopScreen
from retention_tui.tui.screens.drilldown import DrilldownScreen
from retention_tui.tui.screens.loyalty import COLUMNS, LoyaltyScreen
from retention_tui.tui.widgets.customer_table import CustomerTable

SIZE = (150, 40)


async def settle(pilot: Pilot) -> None:
    await pilot.pause(0.08)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(pilot: Pilot) -> dict[str, dict[str, str]]:
    """The loyalty table as the advisor reads it: month -> column -> text."""
    table = pilot.app.screen.query_one(DataTable)
    out = {}
    for r in range(table.row_count):
        cells = [str(c).strip() for c in table.get_row_at(r)]
        month = cells[0].split()[0]
        out[month] = {key: cells[i] for i, (key, _h, _k) in enumerate(COLUMNS)}
    return out


def listed(pilot: Pilot) -> list[str]:
    table = pilot.app.screen.query_one(CustomerTable)
    start = sum(c.width + 1 for c in DRILLDOWN_COLUMNS[:4])
    return [line[start : start + 8].strip() for line in table.visible_text()[1:] if line.strip()]


async def open_loyalty(pilot: Pilot) -> LoyaltyScreen:
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LoyaltyScreen)
    return screen


async def go_to(pilot: Pilot, month: str, column: str) -> None:
    table = pilot.app.screen.query_one(DataTable)
    months = list(rows(pilot))
    table.cursor_coordinate = (months.index(month), [k for k, _h, _w in COLUMNS].index(column))
    await pilot.pause()


@pytest.fixture
def app(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(desk_db.parent)
    return RetentionApp(db_path=Path("desk.db"))


async def test_table_newest_first_with_open_months(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        table = rows(pilot)
        months = list(table)
        assert months[0] == "2026-11" and months[1] == "2026-10"
        # Jan de Vries visited 2025-06 only: new then, lapsed twelve months later.
        assert table["2025-06"]["new"] == "1"
        assert table["2026-06"]["lapsed"] == "1"
        assert table["2026-11"]["active"] == "3"  # C001, C003, C006 visited since 2025-12
        info = str(app.screen.query_one("#loyalty-info", Static).content)
        assert "values are open" in info and "Window 12 months" in info
        first_cell = str(app.screen.query_one(DataTable).get_row_at(0)[0])
        assert "◔" in first_cell


async def test_window_change_is_remembered(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        await pilot.press("minus", "minus", "minus", "minus", "minus", "minus")
        await settle(pilot)
        assert app.screen.window == 6
        assert rows(pilot)["2025-12"]["lapsed"] == "1"  # Jan's 2025-06 visit, window 6
        await pilot.press("plus")
        await settle(pilot)
        assert app.screen.window == 7
    conn = sqlite3.connect(desk_db)
    stored = conn.execute("SELECT value FROM settings WHERE key = 'loyalty_window_months'")
    assert json.loads(stored.fetchone()[0]) == 7
    conn.close()


async def test_refresh_shows_a_visit_added_by_another_advisor(
    app: RetentionApp, desk_db: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        assert rows(pilot)["2026-11"]["visits"] == "1"
        from retention_tui.facts import refresh_customer_facts

        other = open_database(desk_db)
        with write(other):
            other.execute(
                "INSERT INTO visits (invoice_no, customer_id, date) VALUES ('X1', 2, '2026-11-20')"
            )
            refresh_customer_facts(other, [2])
        other.close()
        await pilot.press("r")
        await settle(pilot)
        table = rows(pilot)
        assert table["2026-11"]["visits"] == "2"
        assert table["2026-11"]["new"] == "1"  # Jan de Vries is back
        assert table["2026-06"]["came_back"] == "1"


@pytest.mark.parametrize(
    ("month", "column", "kind", "expected"),
    [
        ("2026-06", "lapsed", "lapsed", ["C002"]),
        ("2025-06", "new", "new", ["C002"]),
        ("2025-01", "active", "both", ["C005"]),
        ("2025-11", "new", "new", ["C001"]),
    ],
)
async def test_each_kind_of_cell_opens_its_customers(
    app: RetentionApp, month: str, column: str, kind: str, expected: list[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        await go_to(pilot, month, column)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrilldownScreen)
        assert (str(screen.month), screen.kind) == (month, kind)
        assert listed(pilot) == expected


async def test_drilldown_sorts_filters_and_opens_the_card(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        await pilot.press("m", "m")  # every month
        await settle(pilot)
        await go_to(pilot, "2024-01", "active")
        await pilot.press("enter")
        await settle(pilot)
        assert listed(pilot) == ["C005"]
        await pilot.press("3")  # both kinds (already), then filter on name
        await pilot.press("f", *"zzz", "enter")
        await settle(pilot)
        assert listed(pilot) == []
        await pilot.press("escape")
        await settle(pilot)
        assert listed(pilot) == ["C005"]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen) and app.screen.customer_id == 5
        await pilot.press("q")
        await pilot.press("q")
        assert isinstance(app.screen, LoyaltyScreen)
        await pilot.press("q")
        assert isinstance(app.screen, DesktopScreen)


async def test_call_and_departure_from_the_drilldown(app: RetentionApp, desk_db: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        await go_to(pilot, "2026-06", "lapsed")
        await pilot.press("enter")
        await settle(pilot)
        assert listed(pilot) == ["C002"]
        await pilot.press("c")
        assert isinstance(app.screen, CallForm)
        await pilot.press("1", *"Moved to Zwolle", "enter")
        await settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, DepartureForm)
        await pilot.press(*"Moved away!")
        await settle(pilot)
        await pilot.press("enter")  # nothing like it yet: enter does not create it
        assert "ctrl+n" in str(app.screen.query_one("#reason-state", Static).content)
        await pilot.press("ctrl+n")  # no suggestions to ask about: added at once
        await pilot.press("enter")  # the note
        await pilot.press("down", "down", "enter")  # status: moved away
        await settle(pilot)
        assert isinstance(app.screen, DrilldownScreen)
        line = app.screen.query_one(CustomerTable).visible_text()[1]
        assert "confirmed lost 2026-11-" in line
    conn = sqlite3.connect(desk_db)
    assert conn.execute("SELECT outcome, note FROM calls").fetchall() == [
        ("reached", "Moved to Zwolle")
    ]
    assert conn.execute(
        "SELECT d.departed_on, r.label, r.normalized FROM departures d"
        " JOIN churn_reasons r ON r.id = d.reason_id"
    ).fetchall() == [("2026-11-23", "Moved away!", "moved away")]
    assert conn.execute("SELECT recorded_status FROM customers WHERE id = 2").fetchone() == (
        "moved away",
    )
    actions = [a for (a,) in conn.execute("SELECT action FROM audit ORDER BY id")]
    assert {"log call", "record departure", "add reason", "set status"} <= set(actions)
    conn.close()


async def test_months_key_changes_the_range(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loyalty(pilot)
        assert len(rows(pilot)) == 24
        await pilot.press("m")  # 60 months: all 35 of the data
        await settle(pilot)
        assert len(rows(pilot)) == 35 == len(screen.data.rows)  # type: ignore[union-attr]
        assert list(rows(pilot))[-1] == "2024-01"
        await pilot.press("m", "m")  # all, then 12
        await settle(pilot)
        assert len(rows(pilot)) == 12


async def test_a_drilldown_goes_into_a_campaign(app: RetentionApp, desk_db: Path) -> None:
    conn = open_database(desk_db)
    campaign_id = campaigns.new_campaign(conn, "lapsed-check-in", "Lapsed in June")
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await open_loyalty(pilot)
        await go_to(pilot, "2026-06", "lapsed")
        await pilot.press("enter")
        await settle(pilot)
        assert listed(pilot) == ["C002"]
        await pilot.press("plus")
        await settle(pilot)
        assert isinstance(app.screen, CampaignPicker)
        title = str(app.screen.query_one(".form-title", Label).render())
        assert title == "Add to which campaign? the 1 customer of this list"
        await pilot.press("enter")  # the newest open campaign
        await settle(pilot)
        assert isinstance(app.screen, DrilldownScreen)
    conn = sqlite3.connect(desk_db)
    assert conn.execute(
        "SELECT c.customer_no, m.source FROM campaign_members m"
        " JOIN customers c ON c.id = m.customer_id WHERE m.campaign_id = ?",
        (campaign_id,),
    ).fetchall() == [("C002", "list: 2026-06: lapsed customers (window 12 months)")]
    conn.close()
