"""SVG snapshots of the desktop and the loyalty table in Dutch and in Chinese (wide
characters: every column still lines up). Each runs only in its own language's run."""

from __future__ import annotations

from pathlib import Path

import pytest

from retention_tui.i18n import current_language
from retention_tui.tui.app import RetentionApp

SIZE = (120, 36)


async def _settle(pilot) -> None:
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)


async def _loyalty(pilot) -> None:
    await _settle(pilot)
    await pilot.press("m")
    await _settle(pilot)


@pytest.fixture
def desk(desk_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(desk_db.parent)
    return Path("desk.db")


def _only_in(language: str) -> None:
    if current_language() != language:
        pytest.skip(f"runs in the {language} run of tests/test_languages.py")


def test_desktop_in_dutch(snap_compare, desk: Path) -> None:
    _only_in("nl")
    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=_settle)


def test_loyalty_in_dutch(snap_compare, desk: Path) -> None:
    _only_in("nl")
    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=_loyalty)


def test_desktop_in_chinese(snap_compare, desk: Path) -> None:
    _only_in("zh")
    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=_settle)


def test_loyalty_in_chinese(snap_compare, desk: Path) -> None:
    _only_in("zh")
    assert snap_compare(RetentionApp(db_path=desk), terminal_size=SIZE, run_before=_loyalty)
