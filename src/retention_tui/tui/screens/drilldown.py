"""The customers behind a loyalty figure: a month's new and lapsed customers.

The desktop's list, filters and keys, limited to the month's new and/or lapsed customers,
with their contact state; calls and departures are logged from here.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.binding import Binding

from ... import calls, churn
from ...customer_list import DRILLDOWN_COLUMNS, CustomerQuery
from ...i18n import _
from ...months import Month
from ..saving import SavesChanges
from .desktop import DESKTOP_ONLY, DesktopScreen

KIND_TITLES = {
    "new": "new customers",
    "lapsed": "lapsed customers",
    "both": "new and lapsed customers",
}


class DrilldownScreen(SavesChanges, DesktopScreen):
    """A month's new and/or lapsed customers (window N)."""

    BINDING_GROUP_TITLE = _("Drilldown")
    table_columns = DRILLDOWN_COLUMNS
    BINDINGS = [
        Binding("c", "call", _("Log call"), id="drilldown.call",
                tooltip=_("Log a call with the customer under the cursor")),
        Binding("d", "departure", _("Departure"), id="drilldown.departure",
                tooltip=_("Record that the customer under the cursor left, and why")),
        Binding("1", "kind('new')", _("New"), id="drilldown.new",
                tooltip=_("Only the month's new customers")),
        Binding("2", "kind('lapsed')", _("Lapsed"), id="drilldown.lapsed",
                tooltip=_("Only the month's lapsed customers")),
        Binding("3", "kind('both')", _("Both"), id="drilldown.both",
                tooltip=_("New and lapsed customers")),
        Binding("q", "back", _("Back"), id="drilldown.back",
                tooltip=_("Back to the loyalty table")),
    ]  # fmt: skip

    def __init__(self, db_path: Path, month: Month, window: int, kind: str = "both") -> None:
        self.month = month
        self.window = window
        self.kind = kind
        super().__init__(db_path, CustomerQuery(scope=(kind, month.index, window)))

    @property
    def title_text(self) -> str:
        return _("{month}: {what} (window {window} months)").format(
            month=self.month, what=_(KIND_TITLES[self.kind]), window=self.window
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = self.title_text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in DESKTOP_ONLY

    def action_kind(self, kind: str) -> None:
        self.kind = kind
        self.sub_title = self.title_text
        self.apply(replace(self.customer_query, scope=(kind, self.month.index, self.window)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_clear_one(self) -> None:
        query = self.customer_query
        if self.focused is self.table and not query.filters and not query.search:
            self.app.pop_screen()
            return
        super().action_clear_one()

    # -- calls and departures, saved at once ----------------------------------------------------

    def _current(self) -> tuple[int, str] | None:
        row = self.table.current_row
        if row is None:
            self.notify(_("No customer under the cursor."), severity="warning", markup=False)
            return None
        return row.id, str(row.values.get("name") or "")

    def action_call(self) -> None:
        from .card_forms import CallForm

        current = self._current()
        if current is None:
            return
        customer_id, _name = current

        def chosen(result: tuple[str, str, Any] | None) -> None:
            if result is not None:
                outcome, note, callback = result
                self.save_change(
                    lambda conn: calls.log_call(conn, customer_id, outcome, note, callback),
                    _("Call logged: {outcome}.").format(outcome=_(outcome)),
                )

        self.app.push_screen(CallForm(), chosen)

    def action_departure(self) -> None:
        from .departure import DepartureForm

        current = self._current()
        if current is None:
            return
        customer_id, name = current

        def chosen(result: tuple[Any, str, str, str] | None) -> None:
            if result is not None:
                day, reason, note, status = result
                self.save_change(
                    lambda conn: churn.record_departure(
                        conn, customer_id, day, reason, note, status
                    ),
                    _("Departure recorded: {reason}.").format(reason=reason),
                )

        self.app.push_screen(DepartureForm(self.db_path, name), chosen)

    def after_save(self) -> None:
        self.table.reload()
