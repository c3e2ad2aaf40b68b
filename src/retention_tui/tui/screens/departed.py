"""The departed report: departures per reason (or advisor, brand, model, month, quarter),
their share and trend; enter lists the customers behind a row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Header, Label, Sparkline, Static

from ... import churn, clock, i18n
from ...cells import printable
from ...churn import DepartedRow
from ...customer_list import CustomerQuery
from ...db import connect
from ...i18n import _
from ...months import Month
from ..errors import ReportsWorkerErrors
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input
from .card_forms import FORM_CSS
from .desktop import ScopedListScreen

GROUPINGS = ("reason", "advisor", "brand", "model", "month", "quarter")
# Periods: months back from this month (0: every departure).
PERIODS = (12, 24, 0)


@dataclass(frozen=True)
class DepartedData:
    rows: list[DepartedRow]
    trend: list[DepartedRow]
    """Departures per month over the period, oldest first."""


class DepartedScreen(ReportsWorkerErrors, Screen[None]):
    """Why customers left, and how many."""

    BINDING_GROUP_TITLE = _("Departed")
    DEFAULT_CSS = """
    DepartedScreen #departed-info { height: auto; padding: 0 1; color: $text-muted; }
    DepartedScreen DataTable { height: 1fr; }
    DepartedScreen #departed-trend { height: 4; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "customers", _("Customers"), id="departed.customers",
                tooltip=_("The customers behind the row under the cursor")),
        Binding("b", "group", _("Group by"), id="departed.group",
                tooltip=_("Per reason, advisor, brand, model, month or quarter")),
        Binding("p", "period", _("Period"), id="departed.period",
                tooltip=_("The last 12 months, 24 months, or every departure")),
        Binding("f", "filter", _("Filter"), id="departed.filter",
                tooltip=_("Only one advisor's customers, or one brand or model")),
        Binding("escape,q", "back", _("Back"), id="departed.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, data: DepartedData) -> None:
            super().__init__()
            self.data = data

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.by = GROUPINGS[0]
        self.period = PERIODS[0]
        self.rows: list[DepartedRow] = []
        self.segment: dict[str, str] = {"advisor": "", "brand": "", "model": ""}

    @property
    def title_text(self) -> str:
        return _("Departed")

    @property
    def span(self) -> tuple[Month | None, Month | None]:
        if not self.period:
            return None, None
        current = Month.of(clock.today())
        return current - (self.period - 1), current

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="departed-info", markup=False)
        yield DataTable(id="departed-table", cursor_type="row", zebra_stripes=True)
        yield Sparkline([], id="departed-trend")
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = _("Departed")
        self.query_one(DataTable).focus()
        self.reload()

    def reload(self) -> None:
        first, last = self.span
        self._read(self.by, first, last, dict(self.segment))

    @work(thread=True, exclusive=True, exit_on_error=False, group="departed", name="departed")
    def _read(
        self, by: str, first: Month | None, last: Month | None, segment: dict[str, str]
    ) -> None:
        only = {key: value or None for key, value in segment.items()}
        conn = connect(self.db_path, readonly=True)
        try:
            data = DepartedData(
                churn.departed_report(conn, first, last, by, **only),
                churn.departed_report(conn, first, last, "month", **only),
            )
        finally:
            conn.close()
        self.post_message(self.Loaded(data))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.rows = message.data.rows
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(_(self.by.capitalize()), _("Departures"), _("Share"), "")
        for row in self.rows:
            bar = "█" * max(1, round(row.share * 30)) if row.departures else ""
            table.add_row(
                Text(printable(row.group) if row.group else _("(none)")),
                Text(i18n.number(row.departures), justify="right"),
                Text(i18n.percent(row.share, 1), justify="right"),
                Text(bar, style="red"),
            )
        self.query_one("#departed-trend", Sparkline).data = [
            r.departures for r in message.data.trend
        ] or [0]
        total = sum(r.departures for r in self.rows)
        first, last = self.span
        period = _("every departure") if first is None else f"{first} – {last}"
        only = ", ".join(f"{_(k)} {v}" for k, v in self.segment.items() if v)
        if only:
            period += " · " + _("only {segment}").format(segment=printable(only))
        info = _(
            "{total} departures · {period} · grouped by {by} · the trend below is per month"
        ).format(total=i18n.number(total), period=period, by=_(self.by))
        self.query_one("#departed-info", Static).update(Text(info))

    def action_group(self) -> None:
        self.by = GROUPINGS[(GROUPINGS.index(self.by) + 1) % len(GROUPINGS)]
        self.reload()

    def action_filter(self) -> None:
        def chosen(segment: dict[str, str] | None) -> None:
            if segment is not None:
                self.segment = segment
                self.reload()

        self.app.push_screen(SegmentForm(self.segment), chosen)

    def action_period(self) -> None:
        self.period = PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)]
        self.reload()

    def action_customers(self) -> None:
        if not self.rows:
            return
        row = self.rows[self.query_one(DataTable).cursor_row]
        first, last = self.span
        scope = (
            "departed",
            self.by,
            row.group,
            first.index if first else None,
            last.index if last else None,
        )
        title = _("Departed: {group} ({by})").format(group=printable(row.group), by=_(self.by))
        self.app.push_screen(ScopedListScreen(self.db_path, CustomerQuery(scope=scope), title))

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_customers()

    def action_back(self) -> None:
        self.app.pop_screen()


class SegmentForm(ModalScreen[dict[str, str] | None]):
    """Advisor, brand and model to limit the departed report to (empty: all)."""

    DEFAULT_CSS = FORM_CSS.format(name="SegmentForm")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="segment.cancel")]

    def __init__(self, segment: dict[str, str]) -> None:
        super().__init__()
        self.segment = segment

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Only departures of …"), classes="form-title", markup=False)
            for key, label in (("advisor", _("Advisor")), ("brand", _("Brand")),
                               ("model", _("Model"))):  # fmt: skip
                yield Input(self.segment.get(key, ""), placeholder=label, id=f"segment-{key}")
            yield Label(_("Enter on the last box applies, escape cancels; empty means all."),
                        classes="form-hint", markup=False)  # fmt: skip

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id != "segment-model":
            self.focus_next()
            return
        self.dismiss(
            {
                key: self.query_one(f"#segment-{key}", Input).value.strip()
                for key in ("advisor", "brand", "model")
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
