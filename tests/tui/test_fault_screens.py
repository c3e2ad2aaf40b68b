"""Faults on screen: a database locked by another process past the busy timeout, and a disk
that is really full (a small tmpfs). Each gives a clear sentence, keeps what the advisor
entered, and the same entry goes in once the fault has passed; nothing is saved twice."""

from __future__ import annotations

import asyncio
import errno
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from retention_tui import campaigns
from retention_tui.db import connection, open_database
from retention_tui.tui.app import RetentionApp
from retention_tui.tui.screens.call_session import CallSessionScreen, NoteForm
from retention_tui.tui.screens.card_forms import ConfirmForm

from .test_card import open_card, settle

SIZE = (120, 40)


async def until(pilot: Pilot, condition: Callable[[], bool], limit: float = 20.0) -> None:
    waited = 0.0
    while not condition():
        assert waited < limit, "the screen never got there"
        await pilot.pause(0.05)
        waited += 0.05


def one(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app waits 15 s for a lock; the tests wait 0.3 s (the same path, sooner)."""
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 300)


@pytest.fixture
def lock_holder(desk_db: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction, held until the test lets go."""
    holder = sqlite3.connect(desk_db, isolation_level=None)
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def text_of(screen: object) -> str:
    """Every label of a form, as the advisor reads it."""
    return " ".join(str(label.content) for label in screen.query(Static))  # type: ignore[attr-defined]


async def confirm_form(pilot: Pilot, before: object = None) -> ConfirmForm:
    """The question once it is on screen with its words: a form just pushed has not composed its
    labels yet, and the form answered a moment ago may still be on top (``before``)."""
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, ConfirmForm)
            and app.screen is not before
            and bool(text_of(app.screen).strip())
        ),
    )
    return app.screen  # type: ignore[return-value]


def notes(app: RetentionApp) -> str:
    return " ".join(str(n.message) for n in list(app._notifications))


@pytest.mark.usefixtures("short_busy_timeout")
async def test_a_locked_database_offers_the_entry_again_and_saves_it_once(
    desk_db: Path, lock_holder: sqlite3.Connection
) -> None:
    app = RetentionApp(db_path=desk_db)
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)  # Jan de Vries, NPS 3
        lock_holder.execute("BEGIN IMMEDIATE")  # an import elsewhere holds the write lock
        await pilot.press("n", "8", "enter")
        asked = await confirm_form(pilot)
        shown = text_of(asked)
        assert "is busy: another advisor or an import holds it" in shown
        assert "tries the same entry again" in shown
        assert one(desk_db, "SELECT nps FROM customers WHERE id = 2") == [(3,)]
        await pilot.press("enter")  # still locked: asked again, nothing lost
        await confirm_form(pilot, before=asked)
        lock_holder.execute("ROLLBACK")  # the import is done
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is card)
        await until(pilot, lambda: "NPS 8 saved." in notes(app))
        assert one(desk_db, "SELECT nps FROM customers WHERE id = 2") == [(8,)]
        assert one(desk_db, "SELECT score FROM nps_scores WHERE customer_id = 2") == [(8,)]


@pytest.mark.usefixtures("short_busy_timeout")
async def test_giving_up_on_a_locked_database_saves_nothing(
    desk_db: Path, lock_holder: sqlite3.Connection
) -> None:
    app = RetentionApp(db_path=desk_db)
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        lock_holder.execute("BEGIN IMMEDIATE")
        await pilot.press("n", "8", "enter")
        await confirm_form(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is card)
        assert "Nothing was saved." in notes(app)
        lock_holder.execute("ROLLBACK")
        await settle(pilot)
        assert one(desk_db, "SELECT count(*) FROM nps_scores WHERE customer_id = 2") == [(0,)]


@pytest.mark.usefixtures("short_busy_timeout")
async def test_a_call_outcome_with_its_note_survives_a_locked_database(
    desk_db: Path, lock_holder: sqlite3.Connection
) -> None:
    conn = open_database(desk_db)
    campaign_id = campaigns.new_campaign(conn, "win-back", "Calls today")
    campaigns.add_members(conn, campaign_id, [2, 3], "test")
    campaigns.set_status(conn, campaign_id, "active")
    conn.close()
    app = RetentionApp(db_path=desk_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CallSessionScreen))
        session = app.screen
        await until(pilot, lambda: session.current is not None)
        customer = session.current.claim.customer_id
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, NoteForm))
        await pilot.press(*"rang twice, busy line", "enter")
        await until(pilot, lambda: app.screen is session)
        lock_holder.execute("BEGIN IMMEDIATE")
        await pilot.press("n")  # no answer
        assert "is busy" in text_of(await confirm_form(pilot))
        lock_holder.execute("ROLLBACK")
        await pilot.press("y")
        await until(pilot, lambda: app.screen is session and session.current.call_id is not None)
        assert one(
            desk_db,
            f"SELECT outcome, note FROM calls WHERE campaign_id = {campaign_id}"
            f" AND customer_id = {customer}",
        ) == [("no answer", "rang twice, busy line")]


def _mount_small_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 24 MB file system (tmpfs; mounting needs root, as CI has)."""
    if shutil.which("mount") is None or not _mount_small_tmpfs(tmp_path / "disk", "24m"):
        pytest.skip("cannot mount a small tmpfs here (needs root): the full-disk test needs one")
    yield tmp_path / "disk"
    subprocess.run(["umount", "-l", str(tmp_path / "disk")], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system until it refuses another byte."""
    filler = folder / "filler"
    try:
        with filler.open("wb") as out:
            while True:
                out.write(b"\0" * 4096)
                out.flush()
    except OSError as error:
        assert error.errno == errno.ENOSPC
    return filler


async def test_a_full_disk_says_so_keeps_what_was_saved_and_saves_after_space_is_freed(
    desk_db: Path, small_disk: Path
) -> None:
    db = small_disk / "desk.db"
    shutil.copy(desk_db, db)
    app = RetentionApp(db_path=db)
    async with app.run_test(size=SIZE) as pilot:
        card = await open_card(pilot, 2)
        await pilot.press("n", "7", "enter")  # saved while there is room
        await until(pilot, lambda: "NPS 7 saved." in notes(app))
        filler = await asyncio.to_thread(fill, small_disk)
        # Enough entries that the WAL must grow into the full disk.
        for _ in range(40):
            await pilot.press("n", "9", "enter")
            await until(
                pilot, lambda: isinstance(app.screen, ConfirmForm) or "NPS 9 saved." in notes(app)
            )
            if isinstance(app.screen, ConfirmForm):
                break
            app.clear_notifications()
        assert isinstance(app.screen, ConfirmForm), "the disk never filled up"
        shown = text_of(await confirm_form(pilot))
        assert "is full; nothing was saved. Free some space and try again." in shown
        saved = one(db, "SELECT count(*) FROM nps_scores WHERE customer_id = 2")[0][0]
        assert one(db, "PRAGMA integrity_check") == [("ok",)]
        filler.unlink()  # the administrator frees some space
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is card)
        await until(pilot, lambda: "NPS 9 saved." in notes(app))
        assert one(db, "SELECT count(*) FROM nps_scores WHERE customer_id = 2") == [(saved + 1,)]
        assert one(db, "SELECT nps FROM customers WHERE id = 2") == [(9,)]
