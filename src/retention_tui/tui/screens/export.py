"""Export the desktop's filtered, sorted list to a CSV file, with progress."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from ... import clock, customer_list, i18n
from ...customer_list import CustomerQuery, ListContext
from ...db import connect
from ...errors import RetentionError
from ...i18n import _
from ..errors import ReportsWorkerErrors
from ..widgets.inputs import Input
from .card_forms import FORM_CSS


class ExportScreen(ReportsWorkerErrors, ModalScreen[int | None]):
    """Ask for a file name, write the list, show progress; returns the number of rows."""

    DEFAULT_CSS = FORM_CSS.format(name="ExportScreen")
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="export.cancel", tooltip=_("Export nothing"))
    ]

    class Progressed(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done, self.total = done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ExportScreen.Progressed)

    class Finished(Message):
        def __init__(self, rows: int, path: Path) -> None:
            super().__init__()
            self.rows, self.path = rows, path

    class Failed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, db_path: Path, query: CustomerQuery) -> None:
        super().__init__()
        self.db_path = db_path
        self.customer_query = query
        self.running = False

    def compose(self) -> ComposeResult:
        default = Path.cwd() / f"customers-{clock.today().isoformat()}.csv"
        with Vertical():
            yield Label(_("Export the list to CSV"), classes="form-title", markup=False)
            yield Input(str(default), id="export-path")
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter writes the file, escape cancels."), classes="form-hint",
                        markup=False)  # fmt: skip

    @on(Input.Submitted)
    def _start(self, event: Input.Submitted) -> None:
        if self.running:
            return
        text = event.value.strip()
        if not text:
            self.query_one(".form-error", Static).update(Text(_("Give a file name.")))
            return
        self.running = True
        self.query_one(".form-error", Static).update("")
        self._export(Path(text).expanduser())

    @work(thread=True, exclusive=True, exit_on_error=False, group="export", name="export")
    def _export(self, path: Path) -> None:
        try:
            conn = connect(self.db_path, readonly=True)
            try:
                rows = customer_list.export_to_path(
                    conn,
                    self.customer_query,
                    ListContext.load(conn),
                    path,
                    lambda done, total: self.post_message(self.Progressed(done, total)),
                )
            finally:
                conn.close()
        except RetentionError as error:
            self.post_message(self.Failed(error.message))
            return
        self.post_message(self.Finished(rows, path))

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        self.query_one(ProgressBar).update(total=message.total, progress=message.done)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.running = False
        self.query_one(".form-error", Static).update(Text(message.text))

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.app.notify(
            _("Exported {rows} customers to {path}.").format(
                rows=i18n.number(message.rows), path=message.path
            ),
            markup=False,
        )
        self.dismiss(message.rows)

    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(None)
