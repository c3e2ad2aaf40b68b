"""The reason catalogue (managers): uses, likely duplicates, merge, rename, retire."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Header, Label, Static

from ... import i18n, reasons, roles
from ...cells import printable
from ...db import connect
from ...i18n import _
from ...reasons import ReasonUse
from ..errors import ReportsWorkerErrors
from ..saving import SavesChanges
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input
from .card_forms import FORM_CSS


class RenameForm(ModalScreen[str | None]):
    DEFAULT_CSS = FORM_CSS.format(name="RenameForm")
    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="rename.cancel")]

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Rename the reason"), classes="form-title", markup=False)
            yield Input(self.label, id="rename-label")
            yield Static("", classes="form-error", markup=False)

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonsScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """Every reason with its uses; c shows the likely duplicates, grouped."""

    BINDING_GROUP_TITLE = _("Reasons")
    DEFAULT_CSS = """
    ReasonsScreen #reasons-info { height: auto; padding: 0 1; color: $text-muted; }
    ReasonsScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("c", "clusters", _("Duplicates"), id="reasons.clusters",
                tooltip=_("Show the groups of likely duplicates (or every reason)")),
        Binding("space", "leave_out", _("Leave out"), id="reasons.leave_out",
                tooltip=_("Leave the reason under the cursor out of its group's merge")),
        Binding("m", "merge", _("Merge group"), id="reasons.merge",
                tooltip=_("Merge the group under the cursor into its survivor (★)")),
        Binding("e", "rename", _("Rename"), id="reasons.rename",
                tooltip=_("Give the reason under the cursor a new name")),
        Binding("t", "retire", _("Retire"), id="reasons.retire",
                tooltip=_("Hide the reason from suggestions (or offer it again)")),
        Binding("escape,q", "back", _("Back"), id="reasons.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(
            self, uses: list[ReasonUse], groups: list[list[ReasonUse]], refusal: str | None
        ) -> None:
            super().__init__()
            self.uses, self.groups, self.refusal = uses, groups, refusal

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.showing_clusters = False
        self.uses: list[ReasonUse] = []
        self.groups: list[list[ReasonUse]] = []
        self.left_out: set[int] = set()
        self.refusal: str | None = _("The reasons are still loading.")
        self._rows: list[tuple[int | None, ReasonUse]] = []
        """Per table row: (group number or None, reason)."""

    @property
    def title_text(self) -> str:
        return _("Reasons")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="reasons-info", markup=False)
        yield DataTable(id="reasons-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = _("Reasons")
        self.query_one(DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="reasons", name="reasons")
    def _load(self) -> None:
        conn = connect(self.db_path, readonly=True)
        try:
            uses = reasons.reason_uses(conn)
            groups = reasons.clusters(conn)
            refusal = roles.refusal_for(conn, _("Changing the reasons is a manager's task."))
        finally:
            conn.close()
        self.post_message(self.Loaded(uses, groups, refusal))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.uses, self.groups = message.uses, message.groups
        self.refusal = message.refusal
        self.left_out &= {u.reason_id for group in self.groups for u in group}
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(_("Group"), _("Reason"), _("Uses"), _("First"), _("Last"))
        self._rows = []
        if self.showing_clusters:
            for n, group in enumerate(self.groups, 1):
                for i, use in enumerate(group):
                    self._rows.append((n, use))
                    mark = "★" if i == 0 else ("–" if use.reason_id in self.left_out else "")
                    self._add(table, f"{n} {mark}", use)
            info = _(
                "{n} groups of likely duplicates. ★ survives; space leaves a reason out; "
                "m merges the group under the cursor."
            ).format(n=len(self.groups))
        else:
            for use in self.uses:
                self._rows.append((None, use))
                self._add(table, "", use)
            info = _("{n} reasons in use. c shows the likely duplicates.").format(n=len(self.uses))
        self.query_one("#reasons-info", Static).update(Text(info))

    @staticmethod
    def _add(table: DataTable, group: str, use: ReasonUse) -> None:
        table.add_row(
            Text(group),
            Text(printable(use.label)),
            Text(i18n.number(use.uses), justify="right"),
            Text(use.first_used or ""),
            Text(use.last_used or ""),
        )

    def _current(self) -> tuple[int | None, ReasonUse] | None:
        table = self.query_one(DataTable)
        if not self._rows:
            return None
        return self._rows[table.cursor_row]

    def action_clusters(self) -> None:
        self.showing_clusters = not self.showing_clusters
        self._fill()

    def action_leave_out(self) -> None:
        current = self._current()
        if current is None or current[0] is None:
            return
        group, use = current
        if self.groups[group - 1][0].reason_id == use.reason_id:
            self.notify(_("The survivor stays in its group."), markup=False)
            return
        self.left_out ^= {use.reason_id}
        row = self.query_one(DataTable).cursor_row
        self._fill()
        self.query_one(DataTable).move_cursor(row=row)

    def action_merge(self) -> None:
        current = self._current()
        if current is None or current[0] is None:
            self.notify(_("Press c to see the groups, then m on one."), markup=False)
            return
        group = self.groups[current[0] - 1]
        survivor = group[0]
        members = [u.reason_id for u in group[1:] if u.reason_id not in self.left_out]
        if not members:
            self.notify(_("Nothing left to merge in this group."), markup=False)
            return
        self._write(
            lambda conn: reasons.merge(conn, survivor.reason_id, members),
            _("Merged into '{label}'.").format(label=printable(survivor.label)),
        )

    def action_rename(self) -> None:
        current = self._current()
        if current is None:
            return
        use = current[1]

        def chosen(label: str | None) -> None:
            if label is not None and label.strip() and label.strip() != use.label:
                self._write(
                    lambda conn: reasons.rename(conn, use.reason_id, label),
                    _("Renamed to '{label}'.").format(label=printable(label.strip())),
                )

        self.app.push_screen(RenameForm(use.label), chosen)

    def action_retire(self) -> None:
        current = self._current()
        if current is None:
            return
        use = current[1]
        self._write(
            lambda conn: reasons.retire(conn, use.reason_id),
            _("'{label}' is retired: no longer suggested, kept in history.").format(
                label=printable(use.label)
            ),
        )

    def _write(self, change: Callable[[Any], object], done: str) -> None:
        if self.refusal:
            self.notify(
                self.refusal,
                severity="warning",
                markup=False,
            )
            return
        self.save_change(change, done)

    def after_save(self) -> None:
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()
