"""Saving a change from a screen: the write runs in a thread worker, then the screen says
so and reads its data again. Errors reach the advisor through ``ReportsWorkerErrors``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual.message import Message

from ..db import connect


def read_db(db_path: Path, read: Callable[[sqlite3.Connection], Any]) -> Any:
    """``read(conn)`` on a read-only connection of its own (call it from a thread worker)."""
    conn = connect(db_path, readonly=True)
    try:
        return read(conn)
    finally:
        conn.close()


def write_db(db_path: Path, change: Callable[[sqlite3.Connection], Any]) -> Any:
    """``change(conn)`` on a connection of its own (call it from a thread worker)."""
    conn = connect(db_path)
    try:
        return change(conn)
    finally:
        conn.close()


class ChangeSaved(Message):
    """A change was written; ``text`` tells the advisor what."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SavesChanges:
    """Mixin for screens with a ``db_path``: ``save_change`` writes off the UI thread, then
    notifies and calls ``after_save`` (read the data again)."""

    db_path: Path

    def save_change(
        self, change: Callable[[sqlite3.Connection], object], done: str | Callable[[object], str]
    ) -> None:
        """Write ``change`` in a worker; ``done`` is what to say after, or makes it from what
        ``change`` returned."""
        self.run_worker(  # type: ignore[attr-defined]
            partial(self._write_change, change, done),
            thread=True,
            group="save-change",
            exit_on_error=False,
            name="save-change",
        )

    def _write_change(
        self, change: Callable[[sqlite3.Connection], object], done: str | Callable[[object], str]
    ) -> None:
        result = write_db(self.db_path, change)
        text = done if isinstance(done, str) else done(result)
        self.post_message(ChangeSaved(text))  # type: ignore[attr-defined]

    def on_change_saved(self, message: ChangeSaved) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]
        self.after_save()

    def after_save(self) -> None:
        """Read the screen's data again."""
