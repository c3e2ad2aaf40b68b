"""The app shell driven by Pilot as an advisor would: overview, help, refresh, palette, quit."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Static
from textual.worker import WorkerFailed

from retention_tui.db import open_database, write
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.desktop import DesktopScreen
from retention_tui.tui.screens.help import HelpScreen
from retention_tui.tui.screens.home import HomeScreen

SIZE = (120, 36)


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text (tables rendered as a terminal would)."""
    console = Console(width=110, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def figures_of(app: RetentionApp) -> dict[str, str]:
    """The home screen's figures by label."""
    text = text_of(app.screen.query_one("#home-figures", Static))
    return dict(line.rsplit(None, 1) for line in text.splitlines() if line.strip())


def figure(app: RetentionApp, label: str) -> str:
    return figures_of(app)[label]


async def settle(app: RetentionApp, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_overview(app: RetentionApp, pilot) -> None:
    """From the desktop, o opens the overview."""
    await settle(app, pilot)
    await pilot.press("o")
    await settle(app, pilot)
    assert isinstance(app.screen, HomeScreen)


async def test_home_shows_the_database_at_a_glance(small_db: Path) -> None:
    app = RetentionApp(db_path=small_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(app, pilot)
        figures = app.screen.query_one("#home-figures", Static)
        assert not figures.loading
        assert text_of(app.screen.query_one("#home-db", Static)).strip() == "workshop.db"
        lines = figures_of(app)
        assert lines["Customers"] == "4"
        # A visit in this month or the 11 before: C1 (2026-10) and C3 (2026-01).
        assert lines["Active customers (last 12 months)"] == "2"
        assert lines["Vehicles"] == "3" and lines["Visits"] == "6"
        assert lines["First visit"] == "2015-03-01" and lines["Last visit"] == "2026-10-01"
        assert lines["Today"] == "2026-11-23"


async def test_help_lists_every_key_and_closes(small_db: Path) -> None:
    app = RetentionApp(db_path=small_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {row[1]: row[0] for row in app.screen._keys}
        assert keys["Reload"] == "r"
        assert keys["Search"] == "/"
        assert keys["Filter"] == "f"
        assert "q" in keys["Quit"] and "^q" in keys["Quit"]
        assert keys["Help"].startswith("?")
        # The filter language is on the help screen too.
        assert any(example == "^van" for example, _meaning in app.screen._notes)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DesktopScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, DesktopScreen)


async def test_refresh_shows_what_another_advisor_added(small_db: Path) -> None:
    app = RetentionApp(db_path=small_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(app, pilot)
        other = open_database(small_db)
        with write(other):
            other.execute(
                "INSERT INTO customers (customer_no, name, created_at, updated_at)"
                " VALUES ('C99', 'New', '', '')"
            )
        other.close()
        assert figure(app, "Customers") == "4"
        await pilot.press("r")
        await settle(app, pilot)
        assert figure(app, "Customers") == "5"


async def test_command_palette_runs_a_command(small_db: Path) -> None:
    app = RetentionApp(db_path=small_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"help: keys")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_q_quits(small_db: Path) -> None:
    app = RetentionApp(db_path=small_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_empty_database_shows_how_to_start(empty_db: Path) -> None:
    app = RetentionApp(db_path=empty_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(app, pilot)
        hint = app.screen.query_one("#home-hint", Static)
        assert "retention-tui import customers FILE" in text_of(hint)
        assert "retention-tui demo" in text_of(hint)


async def test_markup_in_paths_is_shown_literally(tmp_path: Path) -> None:
    folder = tmp_path / "we[ir]d [bold]x"
    folder.mkdir()
    db = folder / "[bold]db.db"
    open_database(db).close()
    app = RetentionApp(db_path=db)
    async with app.run_test(size=SIZE) as pilot:
        await open_overview(app, pilot)
        assert text_of(app.screen.query_one("#home-db", Static)).strip() == "[bold]db.db"
        assert "we[ir]d [bold]x" in text_of(app.screen.query_one("#home-path", Static))


async def test_broken_database_shows_an_error_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"garbage " * 500)
    app = RetentionApp(db_path=db)
    async with app.run_test(size=SIZE) as pilot:
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        notes = list(app._notifications)
        assert notes and notes[0].severity == "error"
        assert "not a retention-tui database" in notes[0].message
        assert isinstance(app.screen, DesktopScreen)
