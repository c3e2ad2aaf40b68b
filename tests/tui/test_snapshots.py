"""SVG snapshots of the main screens (fixed today, a database at a stable path)."""

from __future__ import annotations

from pathlib import Path

from retention_tui.tui.app import RetentionApp

SIZE = (120, 36)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)


def test_home(snap_compare, small_db: Path) -> None:
    assert snap_compare(RetentionApp(db_path=small_db), terminal_size=SIZE, run_before=_settle)


def test_home_empty(snap_compare, empty_db: Path) -> None:
    assert snap_compare(RetentionApp(db_path=empty_db), terminal_size=SIZE, run_before=_settle)


def test_help(snap_compare, small_db: Path) -> None:
    async def open_help(pilot) -> None:
        await _settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(RetentionApp(db_path=small_db), terminal_size=SIZE, run_before=open_help)
