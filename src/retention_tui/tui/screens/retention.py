"""Retention per advisor and the average invoice: how well each advisor keeps customers."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ... import churn, i18n, loyalty
from ...cells import printable
from ...churn import AdvisorRetention, InvoiceRow
from ...customer_list import CustomerQuery
from ...db import connect
from ...i18n import _
from ..errors import ReportsWorkerErrors
from ..widgets.footer import KeysFooter
from .desktop import ScopedListScreen


class RetentionScreen(ReportsWorkerErrors, Screen[None]):
    """Per advisor: customers served, how many came back; and the average invoice per year."""

    BINDING_GROUP_TITLE = _("Retention per advisor")
    DEFAULT_CSS = """
    RetentionScreen .report-info { height: auto; padding: 0 1; color: $text-muted; }
    RetentionScreen #retention-table { height: 1fr; }
    RetentionScreen #invoice-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "customers", _("Customers"), id="retention.customers",
                tooltip=_("The customers the advisor under the cursor served")),
        Binding("escape,q", "back", _("Back"), id="retention.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(
            self, window: int, rows: list[AdvisorRetention], invoices: list[InvoiceRow]
        ) -> None:
            super().__init__()
            self.window, self.rows, self.invoices = window, rows, invoices

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.window = 12
        self.rows: list[AdvisorRetention] = []

    @property
    def title_text(self) -> str:
        return _("Retention")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="retention-info", classes="report-info", markup=False)
        yield DataTable(id="retention-table", cursor_type="row", zebra_stripes=True)
        yield Static(_("Average invoice per year"), classes="report-info", markup=False)
        yield DataTable(id="invoice-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = _("Retention")
        self.query_one("#retention-table", DataTable).focus()
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="retention", name="retention")
    def _read(self) -> None:
        conn = connect(self.db_path, readonly=True)
        try:
            window = loyalty.default_window(conn)
            rows = churn.retention_per_advisor(conn, window)
            invoices = churn.average_invoice(conn, "year")
        finally:
            conn.close()
        self.post_message(self.Loaded(window, rows, invoices))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.window, self.rows = message.window, message.rows
        table = self.query_one("#retention-table", DataTable)
        table.clear(columns=True)
        table.add_columns(_("Advisor"), _("Served"), _("Came back"), _("Share"))
        for row in self.rows:
            table.add_row(
                Text(printable(row.advisor)),
                Text(i18n.number(row.served), justify="right"),
                Text(i18n.number(row.came_back), justify="right"),
                Text(i18n.percent(row.share, 1), justify="right"),
            )
        info = _(
            "Of the customers each advisor served in the twelve months that ended {window} "
            "months ago, the share who came back within {window} months. enter lists them."
        ).format(window=self.window)
        self.query_one("#retention-info", Static).update(Text(info))
        invoices = self.query_one("#invoice-table", DataTable)
        invoices.clear(columns=True)
        invoices.add_columns(_("Year"), _("Invoices"), _("Average"))
        for row in reversed(message.invoices):
            invoices.add_row(
                Text(row.period),
                Text(i18n.number(row.invoices), justify="right"),
                Text(i18n.decimal(row.average, 2), justify="right"),
            )

    def action_customers(self) -> None:
        if not self.rows:
            return
        row = self.rows[self.query_one("#retention-table", DataTable).cursor_row]
        query = CustomerQuery(scope=("served", row.advisor, self.window))
        title = _("Served by {advisor}").format(advisor=printable(row.advisor))
        self.app.push_screen(ScopedListScreen(self.db_path, query, title))

    @on(DataTable.RowSelected, "#retention-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_customers()

    @on(DataTable.RowSelected, "#invoice-table")
    def _year_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        year = str(event.data_table.get_row_at(event.cursor_row)[0])
        query = CustomerQuery(scope=("invoiced", year))
        title = _("Invoiced in {year}").format(year=year)
        self.app.push_screen(ScopedListScreen(self.db_path, query, title))

    def action_back(self) -> None:
        self.app.pop_screen()
