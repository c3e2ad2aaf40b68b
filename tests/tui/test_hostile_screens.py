"""Hostile text on every screen: a database of customers whose every imported field holds
markup, escape sequences, control, wide, combining and right-to-left characters or 10,000
characters, opened on the desktop, the card, the reports and a call session. Nothing
crashes, markup shows as typed, no control character reaches the terminal and every line
is exactly as wide as the screen (wide characters do not push the columns).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import DataTable, TabbedContent

from hostile_data import PIECES, import_hostile, is_terminal_safe
from retention_tui import calls, campaigns
from retention_tui.db import open_database
from retention_tui.months import Month
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.call_session import CallSessionScreen
from retention_tui.tui.screens.campaigns import CampaignReportScreen, CampaignsScreen
from retention_tui.tui.screens.churn_stats import ChurnScreen
from retention_tui.tui.screens.customer_card import CustomerCardScreen
from retention_tui.tui.screens.departed import DepartedScreen
from retention_tui.tui.screens.desktop import ScopedListScreen
from retention_tui.tui.screens.drilldown import DrilldownScreen
from retention_tui.tui.screens.home import HomeScreen
from retention_tui.tui.screens.reasons import ReasonsScreen
from retention_tui.tui.screens.retention import RetentionScreen
from retention_tui.tui.widgets.customer_table import CustomerTable

SIZE = (140, 40)
LONG = ("x" * 10_000, ("王\u0301 " * 4000)[:10_000], ("[bold]\x1b[2J" * 1000)[:10_000])
TEXTS = [*PIECES, *LONG]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database for the module: a customer per hostile text, a campaign of them all."""
    folder = tmp_path_factory.mktemp("hostile-screens")
    conn = open_database(folder / "hostile.db")
    try:
        import_hostile(conn, folder, TEXTS)
        campaign_id = campaigns.new_campaign(conn, "win-back", "Win [bold]back[/] \x1b[2J 王")
        ids = [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id")]
        campaigns.add_members(conn, campaign_id, ids, "test")
        campaigns.set_status(conn, campaign_id, "active")
        for cid, text in zip(ids, TEXTS, strict=True):
            calls.log_call(conn, cid, "no answer", note=f"note {text}")
    finally:
        conn.close()
    return folder / "hostile.db"


@pytest.fixture
def app(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> RetentionApp:
    monkeypatch.chdir(hostile_db.parent)
    return RetentionApp(db_path=Path(hostile_db.name))


async def settle(pilot: Pilot) -> None:
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_lines(app: RetentionApp) -> list[str]:
    """The whole screen as the terminal gets it, checked line by line."""
    strips = app.screen._compositor.render_strips()
    lines = [strip.text for strip in strips]
    width = app.size.width
    for strip, line in zip(strips, lines, strict=True):
        assert is_terminal_safe(line), [ch for ch in line if not is_terminal_safe(ch)][:5]
        assert strip.cell_length == width and cell_len(line) == width, line
    for toast in app._notifications:  # notifications name customers, reasons, campaigns
        assert is_terminal_safe(toast.message) and is_terminal_safe(toast.title)
    return lines


def table_lines(pilot: Pilot) -> list[str]:
    grid = pilot.app.screen.query_one(CustomerTable)
    lines = grid.visible_text()
    for y, line in enumerate(lines):
        assert is_terminal_safe(line)
        assert cell_len(line) == grid.scrollable_content_region.width, (y, line)
    return lines


def screenshot_is_clean(app: RetentionApp) -> str:
    svg = app.export_screenshot()
    assert is_terminal_safe(svg.replace("\t", " "))
    return svg


async def test_desktop_shows_every_hostile_row_literally_and_aligned(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = pilot.app.screen.query_one(CustomerTable)
        assert grid.row_count == len(TEXTS)
        seen = "\n".join(table_lines(pilot))
        screen_lines(app)
        # Page through every row and scroll sideways through every column.
        started = time.perf_counter()
        for _page in range(len(TEXTS) // 10 + 1):
            await pilot.press("pagedown")
            await settle(pilot)
            seen += "\n".join(table_lines(pilot))
            screen_lines(app)
        for _column in range(len(grid.columns)):
            await pilot.press("right")
            await pilot.pause()
            seen += "\n".join(table_lines(pilot))
            screen_lines(app)
        assert time.perf_counter() - started < 30
        for shown in ("N[bold]", "N[/]", "N[@click=app.quit]", "N␛[2J", "N王小明", "Nxxxxxxxx"):
            assert shown in seen, shown
        assert "\x1b" not in seen
        svg = screenshot_is_clean(app)
        assert "[" in svg


async def test_card_of_each_hostile_customer(app: RetentionApp, hostile_db: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(hostile_db)
    ids = [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id")]
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The markup, escape, right-to-left and 10,000-character customers, every tab.
        pieces = ("[@click=app.quit]", "\x1b[2J", "\x9b31m", "\x00", "\u202eevil\u202c",
                  "👨\u200d👩\u200d👧")  # fmt: skip
        chosen = [*(PIECES.index(piece) for piece in pieces), *range(len(PIECES), len(TEXTS))]
        for index in chosen:
            started = time.perf_counter()
            await app.push_screen(CustomerCardScreen(app.db_path, ids[index]))
            await settle(pilot)
            card = app.screen
            assert isinstance(card, CustomerCardScreen) and card.card is not None
            lines = screen_lines(app)
            if TEXTS[index] == "[@click=app.quit]":
                assert any("N[@click=app.quit]" in line for line in lines)
            # The name line never takes more than one line, however long the name.
            assert card.query_one("#card-title").size.height == 1
            tabs = card.query_one(TabbedContent)
            for pane in ("visits", "vehicles", "calls", "lights", "departures", "tags"):
                tabs.active = f"tab-{pane}"
                await pilot.pause()
                table = card.query_one(f"#table-{pane}", DataTable)
                for row in range(table.row_count):
                    for cell in table.get_row_at(row):
                        assert is_terminal_safe(str(cell))
                screen_lines(app)
            screenshot_is_clean(app)
            assert time.perf_counter() - started < 10
            await pilot.press("escape")
            await settle(pilot)


async def test_reports_with_hostile_groups(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for screen in (DepartedScreen(app.db_path), ChurnScreen(app.db_path),
                       RetentionScreen(app.db_path), ReasonsScreen(app.db_path),
                       CampaignsScreen(app.db_path)):  # fmt: skip
            await app.push_screen(screen)
            await settle(pilot)
            # Every grouping of the departed and churn reports.
            groupings = 6 if isinstance(screen, DepartedScreen | ChurnScreen) else 1
            for _grouping in range(groupings):
                screen_lines(app)
                table = screen.query(DataTable).first()
                for row in range(table.row_count):
                    for cell in table.get_row_at(row):
                        assert is_terminal_safe(str(cell))
                # The customers behind a hostile row, titled by it.
                hostile = [r for r in range(table.row_count)
                           if "␛" in str(table.get_row_at(r)[0])]  # fmt: skip
                if hostile and not isinstance(screen, ReasonsScreen | CampaignsScreen):
                    table.move_cursor(row=hostile[0])
                    await pilot.press("enter")
                    await settle(pilot)
                    assert isinstance(app.screen, ScopedListScreen)
                    assert app.screen.query_one(CustomerTable).row_count > 0
                    assert "␛" in app.screen.sub_title
                    table_lines(pilot)
                    screen_lines(app)
                    await pilot.press("q")
                    await settle(pilot)
                    assert app.screen is screen
                if groupings > 1:
                    await pilot.press("b")
                    await settle(pilot)
            screenshot_is_clean(app)
            await pilot.press("escape")
            await settle(pilot)


async def test_loyalty_drilldown_and_campaign_report(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.push_screen(DrilldownScreen(app.db_path, Month.parse("2024-05"), 12, "new"))
        await settle(pilot)
        assert pilot.app.screen.query_one(CustomerTable).row_count == len(TEXTS)
        table_lines(pilot)
        screen_lines(app)
        await pilot.press("end")
        await settle(pilot)
        table_lines(pilot)
        screen_lines(app)
        found = _campaign(app)
        await app.push_screen(CampaignReportScreen(app.db_path, found))
        await settle(pilot)
        screen_lines(app)
        screenshot_is_clean(app)


async def test_a_call_session_through_hostile_customers(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        found = _campaign(app)
        await app.push_screen(CallSessionScreen(app.db_path, found.id))
        await settle(pilot)
        for _customer in range(8):
            screen_lines(app)
            screenshot_is_clean(app)
            await pilot.press("n", "space")  # no answer, the next customer
            await settle(pilot)


def _campaign(app: RetentionApp) -> campaigns.Campaign:
    conn = open_database(app.db_path)
    try:
        (found,) = campaigns.campaigns(conn)
    finally:
        conn.close()
    return found


async def test_home_agenda_and_command_palette(app: RetentionApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        agenda = app.screen.query_one("#home-agenda", DataTable)
        assert agenda.row_count == len(TEXTS)  # every tag follow-up is due
        for row in range(agenda.row_count):
            for cell in agenda.get_row_at(row):
                assert is_terminal_safe(str(cell))
        screen_lines(app)
        # Mark an escape's follow-up done: the notification names the customer.
        names = [str(agenda.get_row_at(row)[2]) for row in range(agenda.row_count)]
        agenda.move_cursor(row=next(i for i, name in enumerate(names) if "␛[2J" in name))
        await pilot.press("d")
        await settle(pilot)
        toasts = [n.message for n in app._notifications]
        assert "Follow-up done: N␛[2J." in toasts
        await pilot.press("escape")
        await settle(pilot)
        # The palette searches customers by name; its hits show the names as typed.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"N[b")
        await pilot.pause(0.5)
        await settle(pilot)
        lines = screen_lines(app)
        assert any("N[bold]" in line for line in lines)
        screenshot_is_clean(app)


async def test_search_and_export_from_the_desktop(
    app: RetentionApp, hostile_db: Path, tmp_path: Path
) -> None:
    import csv
    import sqlite3

    conn = sqlite3.connect(hostile_db)
    expected = dict(conn.execute("SELECT customer_no, name FROM customers"))
    conn.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#export-path").value = str(tmp_path / "all.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        screen_lines(app)
        # The file holds every value exactly as imported, control characters and all.
        with (tmp_path / "all.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {r["customer_no"]: r["name"] for r in rows} == expected
        # Searching for markup finds it as text.
        await pilot.press("slash", *"[@click")
        await settle(pilot)
        lines = table_lines(pilot)
        assert app.screen.query_one(CustomerTable).row_count >= 1
        assert any("N[@click=app.quit]" in line for line in lines)
        screen_lines(app)
