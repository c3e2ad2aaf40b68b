"""The home screen: the database at a glance."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ... import i18n, tags
from ...agenda import CALLBACK, AgendaItem
from ...cells import printable
from ...i18n import _, pgettext
from ...overview import Overview
from ..errors import ReportsWorkerErrors
from ..saving import SavesChanges
from ..widgets.footer import KeysFooter


def _date(value: object) -> str:
    return str(value) if value else "—"


class HomeScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """Customers, vehicles, visits and their date range, read in a worker; below, the
    agenda: callbacks and tag follow-ups due, the advisor's own first."""

    BINDING_GROUP_TITLE = _("Home")
    BINDINGS = [
        Binding(
            "r",
            "app.refresh_overview",
            _("Refresh"),
            id="home.refresh",
            tooltip=_("Read the figures again (after an import, say)"),
        ),
        Binding(
            "enter",
            "open_card",
            _("Card"),
            id="home.card",
            tooltip=_("Open the card of the customer under the cursor in the agenda"),
        ),
        Binding(
            "d",
            "follow_up_done",
            pgettext("action", "Done"),
            id="home.follow_up_done",
            tooltip=_("The follow-up under the cursor is done"),
        ),
        Binding(
            "a",
            "toggle_mine",
            _("Mine / all"),
            id="home.mine",
            tooltip=_("Show only your own agenda items, or everybody's"),
        ),
        Binding(
            "escape,q",
            "back",
            _("Back"),
            id="home.back",
            tooltip=_("Back to the desktop"),
        ),
    ]

    def action_back(self) -> None:
        self.app.pop_screen()

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.items: list[AgendaItem] = []
        self.shown: list[AgendaItem] = []
        self.only_mine = False
        self.overview: Overview | None = None

    @property
    def title_text(self) -> str:
        return _("Home")

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(Text(self.db_path.name, style="bold"), id="home-db")
            yield Static(Text(str(self.db_path.parent)), id="home-path")
            yield Static("", id="home-hint")
            yield DataTable(id="home-agenda", cursor_type="row", zebra_stripes=True)
            yield Static(Text(_("Reading the database …")), id="home-figures")
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        figures = self.query_one("#home-figures")
        figures.border_title = _("The database at a glance")
        figures.loading = True
        table = self.query_one("#home-agenda", DataTable)
        for title in (_("Due"), _("What"), _("Customer"), _("No."), _("Phone"), _("Note")):
            table.add_column(Text(title))
        self.app.refresh_overview()  # type: ignore[attr-defined]

    def after_save(self) -> None:
        self.app.refresh_overview()  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        if self.overview is not None:  # back from a card: the agenda may have changed
            self.app.refresh_overview()  # type: ignore[attr-defined]

    def show_overview(self, ov: Overview) -> None:
        """Fill in the figures (called by the app when the worker has read them)."""
        figures = self.query_one("#home-figures", Static)
        figures.loading = False
        table = Table(box=None, show_header=False, padding=(0, 3, 0, 0))
        table.add_column(justify="left", style="dim", no_wrap=True)
        table.add_column(justify="right", style="bold", no_wrap=True)
        rows = [
            (_("Customers"), i18n.number(ov.customers)),
            (_("Active customers (last 12 months)"), i18n.number(ov.active_customers)),
            (_("Vehicles"), i18n.number(ov.vehicles)),
            (_("Visits"), i18n.number(ov.visits)),
            (_("First visit"), _date(ov.first_visit)),
            (_("Last visit"), _date(ov.last_visit)),
            (_("Departures recorded"), i18n.number(ov.departures)),
            (_("Campaigns"), i18n.number(ov.campaigns)),
            (_("Today"), ov.today.isoformat()),
            (_("Schema version"), str(ov.schema_version)),
        ]
        for label, value in rows:
            table.add_row(Text(label), Text(value))
        figures.update(table)
        self.overview = ov
        self.items = ov.agenda
        self._show_agenda()
        hint = self.query_one("#home-hint", Static)
        if ov.customers == 0:
            hint.update(
                Text(
                    _(
                        "No customers yet. Import them from your dealer system with\n"
                        "  retention-tui import customers FILE   (then vehicles, visits, "
                        "traffic-lights)\nor build a demo database with\n  retention-tui demo"
                    )
                )
            )
            hint.add_class("-empty")
        else:
            hint.update(Text(_("Press ? for the keys, ctrl+p for every action by name.")))
            hint.remove_class("-empty")

    def _show_agenda(self) -> None:
        ov = self.overview
        if ov is None:
            return
        table = self.query_one("#home-agenda", DataTable)
        keep = table.cursor_row
        table.clear()
        self.shown = [i for i in self.items if i.mine or not self.only_mine]
        mine = sum(1 for i in self.items if i.mine)
        for item in self.shown:
            overdue = item.overdue(ov.today)
            style = "bold red" if overdue else ("bold" if item.mine else "")
            what = (
                _("Callback: {campaign}") if item.kind == CALLBACK else _("Follow-up: {tag}")
            ).format(campaign=printable(item.what), tag=printable(_(item.what)))
            table.add_row(
                Text(item.when, style=style), Text(what), Text(printable(item.name)),
                Text(printable(item.customer_no), style="dim"), Text(printable(item.phone)),
                Text(printable(item.note), style="dim"),
            )  # fmt: skip
        if self.shown:
            table.move_cursor(row=min(keep, len(self.shown) - 1))
        title = _("Agenda: {n} due, {mine} yours").format(n=len(self.items), mine=mine)
        if self.only_mine:
            title += "  " + _("(only yours: a shows all)")
        table.border_title = title
        table.display = bool(self.shown) or self.only_mine
        if not self.items:
            table.display = True
            table.border_title = _("Agenda: no callbacks or follow-ups due today")

    def _item(self) -> AgendaItem | None:
        table = self.query_one("#home-agenda", DataTable)
        if not self.shown:
            return None
        return self.shown[min(max(table.cursor_row, 0), len(self.shown) - 1)]

    @on(DataTable.RowSelected, "#home-agenda")
    def _row_selected(self) -> None:
        self.action_open_card()

    def action_open_card(self) -> None:
        from .customer_card import CustomerCardScreen

        item = self._item()
        if item is not None:
            self.app.push_screen(CustomerCardScreen(self.db_path, item.customer_id))

    def action_follow_up_done(self) -> None:
        item = self._item()
        if item is None or item.customer_tag_id is None:
            self.notify(
                _("Only a tag follow-up is marked done here; log a callback in its campaign."),
                severity="warning",
                markup=False,
            )
            return
        tag_id = item.customer_tag_id
        self.save_change(
            lambda conn: tags.set_follow_up(conn, tag_id, None),
            _("Follow-up done: {name}.").format(name=printable(item.name)),
        )

    def action_toggle_mine(self) -> None:
        self.only_mine = not self.only_mine
        self._show_agenda()
