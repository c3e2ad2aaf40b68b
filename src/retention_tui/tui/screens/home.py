"""The home screen: the database at a glance."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ...cells import printable
from ...i18n import _
from ...overview import Overview

AGENDA_ROWS = 8


def _date(value: object) -> str:
    return str(value) if value else "—"


class HomeScreen(Screen[None]):
    """Customers, vehicles, visits and their date range, read in a worker."""

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

    @property
    def title_text(self) -> str:
        return _("Home")

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(Text(self.db_path.name, style="bold"), id="home-db")
            yield Static(Text(str(self.db_path.parent)), id="home-path")
            yield Static(Text(_("Reading the database …")), id="home-figures")
            yield Static("", id="home-agenda")
            yield Static("", id="home-hint")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        figures = self.query_one("#home-figures")
        figures.border_title = _("The database at a glance")
        figures.loading = True
        self.app.refresh_overview()  # type: ignore[attr-defined]

    def show_overview(self, ov: Overview) -> None:
        """Fill in the figures (called by the app when the worker has read them)."""
        figures = self.query_one("#home-figures", Static)
        figures.loading = False
        table = Table(box=None, show_header=False, padding=(0, 3, 0, 0))
        table.add_column(justify="left", style="dim", no_wrap=True)
        table.add_column(justify="right", style="bold", no_wrap=True)
        rows = [
            (_("Customers"), f"{ov.customers:,}"),
            (_("Active customers (last 12 months)"), f"{ov.active_customers:,}"),
            (_("Vehicles"), f"{ov.vehicles:,}"),
            (_("Visits"), f"{ov.visits:,}"),
            (_("First visit"), _date(ov.first_visit)),
            (_("Last visit"), _date(ov.last_visit)),
            (_("Departures recorded"), f"{ov.departures:,}"),
            (_("Campaigns"), f"{ov.campaigns:,}"),
            (_("Today"), ov.today.isoformat()),
            (_("Schema version"), str(ov.schema_version)),
        ]
        for label, value in rows:
            table.add_row(Text(label), Text(value))
        figures.update(table)
        agenda = self.query_one("#home-agenda", Static)
        agenda.border_title = _("Callbacks due today")
        if ov.callbacks:
            calls = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
            for when, campaign, number, name in ov.callbacks[:AGENDA_ROWS]:
                overdue = when[:10] < ov.today.isoformat()
                calls.add_row(Text(when, style="bold red" if overdue else "bold"),
                              Text(printable(name)), Text(printable(number), style="dim"),
                              Text(printable(campaign), style="dim"))  # fmt: skip
            if len(ov.callbacks) > AGENDA_ROWS:
                calls.add_row(Text(_("and {n} more").format(n=len(ov.callbacks) - AGENDA_ROWS)))
            agenda.update(calls)
        else:
            agenda.update(Text(_("No callbacks due today."), style="dim"))
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
