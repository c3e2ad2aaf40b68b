"""Saved views of the desktop: save the current search, filters and sort; recall one."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ... import customer_list
from ...cells import printable
from ...customer_list import COLUMN_BY_KEY, CustomerQuery
from ...db import connect
from ...errors import RetentionError
from ...i18n import _
from ..errors import ReportsWorkerErrors
from ..widgets.inputs import Input
from .card_forms import FORM_CSS


def describe(query: CustomerQuery) -> str:
    """A view in one line: search, filters, sort."""
    parts = [f"/{query.search}"] if query.search else []
    parts += [f"{_(COLUMN_BY_KEY[k].label)}: {t}" for k, t in query.filters if k in COLUMN_BY_KEY]
    sort = _(COLUMN_BY_KEY[query.sort].label) + (" ▼" if query.descending else " ▲")
    return "  ".join([*parts, sort])


class SaveViewScreen(ReportsWorkerErrors, ModalScreen[str | None]):
    """Ask for a name and save the desktop's query under it."""

    DEFAULT_CSS = FORM_CSS.format(name="SaveViewScreen")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="views.cancel")]

    class Done(Message):
        def __init__(self, name: str, error: str | None) -> None:
            super().__init__()
            self.name, self.error = name, error

    def __init__(self, db_path: Path, query: CustomerQuery) -> None:
        super().__init__()
        self.db_path = db_path
        self.customer_query = query

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Save this view"), classes="form-title", markup=False)
            yield Static(Text(describe(self.customer_query)), classes="form-hint")
            yield Input(placeholder=_("Name, e.g. Lapsed in Utrecht"), id="view-name")
            yield Static("", classes="form-error", markup=False)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self._save(event.value)

    @work(thread=True, exit_on_error=False, group="views", name="save-view")
    def _save(self, name: str) -> None:
        conn = connect(self.db_path)
        try:
            customer_list.save_view(conn, name, self.customer_query)
        except RetentionError as error:
            self.post_message(self.Done(name, error.message))
            return
        finally:
            conn.close()
        self.post_message(self.Done(name.strip(), None))

    @on(Done)
    def _done(self, message: Done) -> None:
        if message.error:
            self.query_one(".form-error", Static).update(Text(message.error))
            return
        self.app.notify(
            _("View '{name}' saved.").format(name=printable(message.name)), markup=False
        )
        self.dismiss(message.name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ViewsScreen(ReportsWorkerErrors, ModalScreen[CustomerQuery | None]):
    """Pick a saved view (enter), or delete one (delete)."""

    DEFAULT_CSS = FORM_CSS.format(name="ViewsScreen")
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="views.close"),
        Binding("delete", "delete", _("Delete view"), id="views.delete"),
    ]

    class Loaded(Message):
        def __init__(self, views: list[tuple[str, CustomerQuery]]) -> None:
            super().__init__()
            self.views = views

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.views: list[tuple[str, CustomerQuery]] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Saved views"), classes="form-title", markup=False)
            yield OptionList(id="views-list")
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter shows a view, delete removes it, escape closes."),
                        classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="views", name="views")
    def _load(self, delete: str | None = None) -> None:
        conn = connect(self.db_path)
        try:
            if delete is not None:
                customer_list.delete_view(conn, delete)
            views = customer_list.saved_views(conn)
        finally:
            conn.close()
        self.post_message(self.Loaded(views))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.views = message.views
        options = self.query_one(OptionList)
        options.clear_options()
        if not self.views:
            self.query_one(".form-error", Static).update(
                Text(_("No saved views yet: press s on the desktop to save one."))
            )
            return
        for name, query in self.views:
            label = Text(printable(name), style="bold")
            label.append("   " + printable(describe(query)), style="dim")
            options.add_option(Option(label))
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.views[event.option_index][1])

    def action_delete(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and self.views:
            self._load(self.views[index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
