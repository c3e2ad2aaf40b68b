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
from ..errors import RETRYABLE, RetentionError
from ..i18n import _


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


class SaveFailed(Message):
    """A change could not be written for a passing reason (busy, disk full): offer it again."""

    def __init__(self, error: RetentionError, again: Callable[[], None]) -> None:
        super().__init__()
        self.error = error
        self.again = again


def offer_retry(
    node: Any,
    error: RetentionError,
    again: Callable[[], None],
    gave_up: Callable[[], None] | None = None,
) -> None:
    """Tell the advisor why nothing was saved and let them try the same entry again (what
    they typed is kept in ``again``), or give up."""
    from .screens.card_forms import ConfirmForm

    def chosen(retry: bool | None) -> None:
        if retry:
            again()
            return
        if gave_up is not None:
            gave_up()
        node.notify(_("Nothing was saved."), severity="warning", markup=False)

    node.app.push_screen(
        ConfirmForm(
            error.message,
            _("Enter or y tries the same entry again; n or escape gives up (nothing is saved)."),
        ),
        chosen,
    )


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
        try:
            result = write_db(self.db_path, change)
        except RETRYABLE as error:
            again = partial(self.save_change, change, done)
            self.post_message(SaveFailed(error, again))  # type: ignore[attr-defined]
            return
        text = done if isinstance(done, str) else done(result)
        self.post_message(ChangeSaved(text))  # type: ignore[attr-defined]

    def on_save_failed(self, message: SaveFailed) -> None:
        message.stop()
        offer_retry(self, message.error, message.again)

    def on_change_saved(self, message: ChangeSaved) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]
        self.after_save()

    def after_save(self) -> None:
        """Read the screen's data again."""
