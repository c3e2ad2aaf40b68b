"""The departure form: date, a reason steered to the existing ones, note, status learned.

The reason box suggests existing reasons on every keystroke (best first). Enter takes the
top suggestion when it surely is the same reason; a new reason needs ctrl+n, twice: the
first press shows the closest existing reasons once more.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ... import clock, reasons
from ...cells import printable
from ...customers import RECORDED_STATUSES
from ...db import connect
from ...errors import RetentionError
from ...i18n import _
from ..errors import ReportsWorkerErrors
from ..widgets.inputs import Input
from .card_forms import FORM_CSS, _Form


class DepartureForm(ReportsWorkerErrors, _Form):
    """Returns (date, reason, note, status), or None."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="DepartureForm")
        + """
    DepartureForm #reason-suggestions { max-height: 6; margin-bottom: 1; }
    DepartureForm #reason-state { color: $warning; height: auto; }
    """
    )
    BINDINGS = [
        Binding("ctrl+n", "new_reason", _("New reason"), id="departure.new_reason",
                tooltip=_("Add what is typed as a new reason (asks once more)")),
    ]  # fmt: skip

    class Suggested(Message):
        def __init__(self, typed: str, found: list[reasons.Suggestion]) -> None:
            super().__init__()
            self.typed, self.found = typed, found

    def __init__(self, db_path: Path, customer_name: str = "") -> None:
        super().__init__()
        self.db_path = db_path
        self.customer_name = customer_name
        self.suggestions: list[reasons.Suggestion] = []
        self.chosen: str | None = None
        """The reason taken (an existing label, or a confirmed new text)."""
        self._new_asked_for: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                _("Record a departure: {name}").format(name=printable(self.customer_name)),
                classes="form-title",
                markup=False,
            )
            yield Input(clock.today().isoformat(), id="departure-date")
            yield Input(placeholder=_("Reason, e.g. too expensive"), id="departure-reason")
            yield OptionList(id="reason-suggestions")
            yield Static("", id="reason-state", markup=False)
            yield Input(placeholder=_("Note"), id="departure-note")
            yield OptionList(
                *(Option(Text(_(s)), id=s) for s in RECORDED_STATUSES), id="departure-status"
            )
            yield Static("", classes="form-error", markup=False)
            yield Label(
                _(
                    "Enter takes the first suggestion; ↓ picks another; ctrl+n adds a new "
                    "reason; enter on the status saves; escape cancels."
                ),
                classes="form-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#departure-status", OptionList).highlighted = 0
        self.query_one("#departure-reason", Input).focus()

    # -- suggestions on every keystroke ---------------------------------------------------------

    @on(Input.Changed, "#departure-reason")
    def _typed(self, event: Input.Changed) -> None:
        self.chosen = None
        self._new_asked_for = None
        self.query_one("#reason-state", Static).update("")
        self.run_worker(
            lambda text=event.value: self._suggest(text),
            thread=True,
            exclusive=True,
            group="reason-suggestions",
            exit_on_error=False,
        )

    def _suggest(self, text: str) -> None:
        worker = get_current_worker()
        conn = connect(self.db_path, readonly=True)
        try:
            found = reasons.suggest(conn, text, 5, typing=True)
        finally:
            conn.close()
        if not worker.is_cancelled:
            self.post_message(self.Suggested(text, found))

    @on(Suggested)
    def _show_suggestions(self, message: Suggested) -> None:
        if message.typed != self.query_one("#departure-reason", Input).value:
            return  # typed on meanwhile
        self.suggestions = message.found
        options = self.query_one("#reason-suggestions", OptionList)
        options.clear_options()
        for suggestion in message.found:
            label = Text(printable(suggestion.label), style="bold" if suggestion.takes else "")
            label.append(f"  {suggestion.score:.0f}", style="dim")
            if suggestion.takes:
                label.append("  " + _("(enter)"), style="dim")
            options.add_option(Option(label))
        if message.found:
            options.highlighted = 0

    # -- taking a reason ------------------------------------------------------------------------

    @on(Input.Submitted, "#departure-reason")
    def _reason_entered(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        if not typed:
            self.show_error(_("Give a reason (a few words)."))
            return
        current = self.suggestions if self._current(typed) else []
        if current and current[0].takes:
            self._take(current[0].label)
            return
        state = self.query_one("#reason-state", Static)
        if current:
            message = _(
                "Not sure this is an existing reason: pick one with ↓ and enter, or press "
                "ctrl+n to add '{text}' as a new reason."
            ).format(text=typed)
            state.update(Text(message))
        else:
            message = _(
                "No existing reason is like '{text}'. Press ctrl+n to add it as a new reason."
            ).format(text=typed)
            state.update(Text(message))

    def _current(self, typed: str) -> bool:
        """Whether the suggestions shown belong to ``typed`` (not to an earlier text)."""
        return self.query_one("#departure-reason", Input).value.strip() == typed

    @on(OptionList.OptionSelected, "#reason-suggestions")
    def _suggestion_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._take(self.suggestions[event.option_index].label)

    def _take(self, label: str) -> None:
        self.chosen = label
        box = self.query_one("#departure-reason", Input)
        with box.prevent(Input.Changed):
            box.value = label
        self.query_one("#reason-state", Static).update(
            Text(_("Reason: {label}").format(label=label))
        )
        self.query_one("#departure-note", Input).focus()

    def action_new_reason(self) -> None:
        typed = self.query_one("#departure-reason", Input).value.strip()
        if not typed:
            self.show_error(_("Give a reason (a few words)."))
            return
        state = self.query_one("#reason-state", Static)
        if self._new_asked_for != typed and self.suggestions:
            self._new_asked_for = typed
            closest = ", ".join(f"'{s.label}'" for s in self.suggestions[:3])
            message = _(
                "Did you mean {closest}? Press ctrl+n again to add '{text}' as a new reason."
            ).format(closest=closest, text=typed)
            state.update(Text(message))
            return
        self.chosen = typed
        state.update(Text(_("New reason: {text}").format(text=typed)))
        self.query_one("#departure-note", Input).focus()

    # -- the other fields -----------------------------------------------------------------------

    @on(Input.Submitted, "#departure-date")
    def _date_entered(self) -> None:
        self.query_one("#departure-reason", Input).focus()

    @on(Input.Submitted, "#departure-note")
    def _note_entered(self) -> None:
        self.query_one("#departure-status", OptionList).focus()

    @on(OptionList.OptionSelected, "#departure-status")
    def _save(self, event: OptionList.OptionSelected) -> None:
        try:
            day = clock.parse_iso_date(self.query_one("#departure-date", Input).value.strip())
        except RetentionError as error:
            self.show_error(error.message)
            self.query_one("#departure-date", Input).focus()
            return
        if self.chosen is None:
            self.show_error(_("Choose a reason first: enter on the reason box."))
            self.query_one("#departure-reason", Input).focus()
            return
        note = self.query_one("#departure-note", Input).value
        self.dismiss((day, self.chosen, note, RECORDED_STATUSES[event.option_index]))
