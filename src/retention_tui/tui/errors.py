"""One sentence for any error a worker meets; tracebacks go to the log, never the screen."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from textual.worker import Worker, WorkerState

from ..db.connection import _explain
from ..errors import RetentionError
from ..i18n import _

log = logging.getLogger("retention_tui")


def error_text(error: BaseException, db_path: Path) -> str:
    """What to tell the advisor about ``error``."""
    if isinstance(error, RetentionError):
        return error.message
    if isinstance(error, sqlite3.Error):
        return _explain(error, db_path).message
    log.error("unexpected error", exc_info=error)
    return _("Something unexpected went wrong: {error}").format(error=error)


def was_interrupted(error: BaseException) -> bool:
    """True for a query stopped on purpose because a newer one replaced it."""
    return isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error)


class ReportsWorkerErrors:
    """Mixin for widgets and screens that run workers: a failed worker becomes one
    sentence on screen (``Worker.StateChanged`` does not bubble, so each node forwards it)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        report = getattr(self.app, "report_error", None)  # type: ignore[attr-defined]
        if report is not None:
            report(event.worker.error)
