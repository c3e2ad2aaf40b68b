"""Churn statistics: lapsed customers, their share and the value they took, per segment;
enter lists the lapsed customers behind a row."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ... import churn, i18n, settings
from ...cells import printable
from ...churn import CHURN_BY, ChurnRow
from ...customer_list import CustomerQuery
from ...db import connect
from ...i18n import _
from ..errors import ReportsWorkerErrors
from ..widgets.footer import KeysFooter
from .desktop import ScopedListScreen


class ChurnScreen(ReportsWorkerErrors, Screen[None]):
    """Who lapsed, per brand, series, model, vehicle age, advisor, churn month, outcome."""

    BINDING_GROUP_TITLE = _("Churn")
    DEFAULT_CSS = """
    ChurnScreen #churn-info { height: auto; padding: 0 1; color: $text-muted; }
    ChurnScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "customers", _("Customers"), id="churn.customers",
                tooltip=_("The lapsed customers behind the row under the cursor")),
        Binding("b", "group", _("Group by"), id="churn.group",
                tooltip=_("Brand, series, model, vehicle age, advisor, churn month, outcome")),
        Binding("escape,q", "back", _("Back"), id="churn.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, rows: list[ChurnRow], months: int) -> None:
            super().__init__()
            self.rows, self.months = rows, months

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.by = CHURN_BY[0]
        self.rows: list[ChurnRow] = []
        self.months = 6

    @property
    def title_text(self) -> str:
        return _("Churn")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="churn-info", markup=False)
        yield DataTable(id="churn-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = _("Churn")
        self.query_one(DataTable).focus()
        self._read(self.by)

    @work(thread=True, exclusive=True, exit_on_error=False, group="churn", name="churn")
    def _read(self, by: str) -> None:
        conn = connect(self.db_path, readonly=True)
        try:
            months = int(settings.get(conn, "short_term_lapsed_months"))
            rows = churn.churn_statistics(conn, by, months)
        finally:
            conn.close()
        self.post_message(self.Loaded(rows, months))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.rows, self.months = message.rows, message.months
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(
            _(self.by.replace("-", " ").capitalize()),
            _("Customers"),
            _("Lapsed"),
            _("Share"),
            _("Value lost (12 months)"),
        )
        for row in self.rows:
            table.add_row(
                Text(printable(row.group) if row.group else _("(none)")),
                Text(i18n.number(row.customers), justify="right"),
                Text(i18n.number(row.lapsed), justify="right"),
                Text(i18n.percent(row.share, 1), justify="right"),
                Text(i18n.decimal(row.value_lost, 2), justify="right"),
            )
        lapsed = sum(r.lapsed for r in self.rows)
        info = _(
            "{lapsed} lapsed customers (away {months} months or more, or confirmed lost) · "
            "grouped by {by} · b changes the grouping, enter lists the customers"
        ).format(lapsed=i18n.number(lapsed), months=self.months, by=_(self.by))
        self.query_one("#churn-info", Static).update(Text(info))

    def action_group(self) -> None:
        self.by = CHURN_BY[(CHURN_BY.index(self.by) + 1) % len(CHURN_BY)]
        self._read(self.by)

    def action_customers(self) -> None:
        if not self.rows:
            return
        row = self.rows[self.query_one(DataTable).cursor_row]
        query = CustomerQuery(scope=("churn", self.by, row.group, self.months))
        title = _("Lapsed: {group} ({by})").format(
            group=printable(row.group) if row.group else _("(none)"), by=_(self.by)
        )
        self.app.push_screen(ScopedListScreen(self.db_path, query, title))

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_customers()

    def action_back(self) -> None:
        self.app.pop_screen()
