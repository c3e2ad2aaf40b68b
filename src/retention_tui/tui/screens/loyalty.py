"""The loyalty table: active, new and lapsed customers month by month, with drilldown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Sparkline, Static

from ... import i18n, loyalty, settings
from ...db import connect
from ...i18n import _
from ...loyalty import LapseFollowUp, LoyaltyMonth
from ...months import Month
from ..errors import ReportsWorkerErrors
from ..widgets.footer import KeysFooter

# How many months the table shows; m steps through these (0: every month with data).
SPANS = (24, 60, 0, 12)

# Column key -> (heading, which customers a selected cell opens).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("month", "Month", "both"),
    ("active", "Active", "both"),
    ("new", "New", "new"),
    ("lapsed", "Lapsed", "lapsed"),
    ("net", "Net", "both"),
    ("visits", "Visits", "both"),
    ("mot", "MOT", "both"),
    ("mot_samples", "Samples", "both"),
    ("came_back", "Came back", "lapsed"),
    ("contacted", "Contacted", "lapsed"),
    ("confirmed_lost", "Lost", "lapsed"),
)


@dataclass(frozen=True)
class LoyaltyData:
    window: int
    rows: list[LoyaltyMonth]
    """Oldest first."""
    follow_up: dict[Month, LapseFollowUp]


class LoyaltyScreen(ReportsWorkerErrors, Screen[None]):
    """One row per month, newest first; enter on a cell opens its customers."""

    BINDING_GROUP_TITLE = _("Loyalty")
    DEFAULT_CSS = """
    LoyaltyScreen #loyalty-info { height: auto; padding: 0 1; color: $text-muted; }
    LoyaltyScreen #loyalty-table { height: 1fr; }
    LoyaltyScreen #loyalty-trend { height: 5; padding: 0 1; }
    LoyaltyScreen #loyalty-trend Vertical { width: 1fr; }
    LoyaltyScreen #loyalty-trend Sparkline { height: 3; }
    LoyaltyScreen .trend-label { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "drill", _("Customers"), id="loyalty.drill",
                tooltip=_("The customers behind the selected figure")),
        Binding("plus,equals_sign", "window(1)", _("Window +1"), id="loyalty.window_up",
                tooltip=_("A longer loyalty window (remembered)")),
        Binding("minus", "window(-1)", _("Window −1"), id="loyalty.window_down",
                tooltip=_("A shorter loyalty window (remembered)")),
        Binding("m", "span", _("Months"), id="loyalty.span",
                tooltip=_("Show 24, 60, all or 12 months")),
        Binding("r", "reload", _("Reload"), id="loyalty.reload",
                tooltip=_("Compute the figures again from the data as it is now")),
        Binding("escape,q", "back", _("Back"), id="loyalty.back",
                tooltip=_("Back to the desktop")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, data: LoyaltyData) -> None:
            super().__init__()
            self.data = data

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.window: int | None = None
        self.span = SPANS[0]
        self.data: LoyaltyData | None = None
        self._shown: list[LoyaltyMonth] = []

    @property
    def title_text(self) -> str:
        return _("Loyalty")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Reading the figures …"), id="loyalty-info", markup=False)
        yield DataTable(id="loyalty-table", cursor_type="cell", zebra_stripes=True)
        with Horizontal(id="loyalty-trend"):
            with Vertical():
                yield Static(_("Active customers"), classes="trend-label", markup=False)
                yield Sparkline([], id="trend-active")
            with Vertical():
                yield Static(_("Net change (new − lapsed)"), classes="trend-label", markup=False)
                yield Sparkline([], id="trend-net")
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = _("Loyalty")
        table = self.query_one(DataTable)
        table.add_columns(*(Text(_(heading), justify="right") for _k, heading, _w in COLUMNS))
        table.focus()
        self.reload()

    def reload(self, window: int | None = None) -> None:
        self._read(window)

    @work(thread=True, exclusive=True, exit_on_error=False, group="loyalty", name="loyalty")
    def _read(self, window: int | None) -> None:
        conn = connect(self.db_path)
        try:
            if window is None:
                window = loyalty.default_window(conn)
            else:
                loyalty.check_window(window)
                settings.put(conn, "loyalty_window_months", window)  # remembered, audited
            data = LoyaltyData(
                window,
                loyalty.loyalty_table(conn, window),
                loyalty.lapse_follow_up(conn, window),
            )
        finally:
            conn.close()
        self.post_message(self.Loaded(data))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        data = self.data = message.data
        self.window = data.window
        rows = data.rows if not self.span else data.rows[-self.span :]
        self._shown = list(reversed(rows))
        table = self.query_one(DataTable)
        cursor = table.cursor_coordinate
        table.clear()
        for row in self._shown:
            follow = data.follow_up.get(row.month)
            mark = " ◔" if row.in_window else "  "
            cells = [
                Text(f"{i18n.month_label(row.month.year, row.month.month)}{mark}"),
                row.active,
                row.new,
                row.lapsed,
                Text(
                    ("+" if row.net > 0 else "") + i18n.number(row.net),
                    style="green" if row.net > 0 else "red" if row.net else "",
                ),
                row.visits,
                row.mot,
                row.mot_samples,
                row.came_back,
                follow.contacted if follow else 0,
                follow.confirmed_lost if follow else 0,
            ]
            table.add_row(
                *(
                    c if isinstance(c, Text) else Text(i18n.number(c), justify="right")
                    for c in cells
                )
            )
        if self._shown:
            table.cursor_coordinate = table.validate_cursor_coordinate(cursor)
        self.query_one("#trend-active", Sparkline).data = [r.active for r in rows] or [0]
        self.query_one("#trend-net", Sparkline).data = [r.net for r in rows] or [0]
        span = _("all months") if not self.span else _("{n} months").format(n=self.span)
        info = _(
            "Window {window} months · {span} · values are open: computed from the data as it "
            "is now, so a late import or a returning customer changes the months it touches. "
            "◔ marks months inside the window of today: their customers can still come back."
        ).format(window=data.window, span=span)
        self.query_one("#loyalty-info", Static).update(Text(info))

    def action_window(self, delta: int) -> None:
        if self.window is None:
            return
        window = self.window + delta
        if 1 <= window <= 120:
            self.reload(window)

    def action_span(self) -> None:
        self.span = SPANS[(SPANS.index(self.span) + 1) % len(SPANS)]
        if self.data is not None:
            self.post_message(self.Loaded(self.data))

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_drill(self) -> None:
        table = self.query_one(DataTable)
        if not self._shown or self.window is None:
            return
        row = self._shown[table.cursor_coordinate.row]
        kind = COLUMNS[table.cursor_coordinate.column][2]
        from .drilldown import DrilldownScreen

        self.app.push_screen(DrilldownScreen(self.db_path, row.month, self.window, kind))

    @on(DataTable.CellSelected)
    def _cell_chosen(self, event: DataTable.CellSelected) -> None:
        event.stop()
        self.action_drill()
