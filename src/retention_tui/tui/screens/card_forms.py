"""Small forms on the customer card: NPS, traffic light with a reason, an ad-hoc call."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ... import calls
from ...customers import LIGHTS
from ...errors import RetentionError
from ...i18n import _, pgettext
from ..widgets.inputs import Input

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; height: auto; border: round $accent; background: $panel; padding: 1 2;
}}
{name} .form-title {{ text-style: bold; margin-bottom: 1; width: 100%; }}
{name} .form-error {{ color: $error; height: auto; }}
{name} .form-hint {{ color: $text-muted; width: 100%; }}
{name} OptionList {{ height: auto; max-height: 10; border: none; margin-bottom: 1; }}
{name} Input {{ border: none; height: 1; padding: 0 1; margin-bottom: 1; background: $boost; }}
{name} Input:focus {{ border: none; background: $accent 25%; }}
{name} .field-row {{ height: 1; margin-bottom: 1; }}
{name} .field-row > Label {{ width: auto; min-width: 10; padding-right: 2; color: $text-muted; }}
{name} .field-row > Input {{ width: 1fr; margin-bottom: 0; }}
"""


def field_row(label: str, field: Widget) -> Horizontal:
    """A box with its name beside it, so a filled-in box still says what it holds."""
    return Horizontal(Label(label, markup=False), field, classes="field-row")


class _Form(ModalScreen):
    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="form.cancel", tooltip=_("Close, save nothing"))
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, text: str) -> None:
        self.query_one(".form-error", Static).update(Text(text))


class ConfirmForm(_Form):
    """A question with its consequence; enter or y answers yes (True), escape or n no."""

    DEFAULT_CSS = FORM_CSS.format(name="ConfirmForm")
    BINDINGS = [
        Binding("enter,y", "yes", _("Yes"), id="confirm.yes", tooltip=_("Do it")),
        Binding("n", "cancel", _("No"), id="confirm.no", tooltip=_("Keep everything as it is")),
    ]

    def __init__(self, question: str, hint: str) -> None:
        super().__init__()
        self.question = question
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, classes="form-title", markup=False)
            yield Label(self.hint, classes="form-hint", markup=False)

    def action_yes(self) -> None:
        self.dismiss(True)


class NpsForm(_Form):
    """Ask for a score 0-10; returns it, or None."""

    DEFAULT_CSS = FORM_CSS.format(name="NpsForm")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("NPS: how likely is this customer to recommend us? (0-10)"),
                        classes="form-title", markup=False)  # fmt: skip
            yield Input(placeholder="0-10", id="nps-score", max_length=2)
            yield Static("", classes="form-error", markup=False)
            yield Label(
                _(
                    "0-6 detractor (red), 7-8 passive (yellow), 9-10 promoter (green). "
                    "Enter saves, escape cancels."
                ),
                classes="form-hint",
                markup=False,
            )

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value.isdigit() and 0 <= int(value) <= 10:
            self.dismiss(int(value))
        else:
            self.show_error(_("Type a whole number from 0 to 10."))


class TrafficLightForm(_Form):
    """Choose a light and give a reason; returns (light, reason), or None."""

    DEFAULT_CSS = FORM_CSS.format(name="TrafficLightForm")

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Traffic light"), classes="form-title", markup=False)
            yield OptionList(
                *(Option(Text(_(light)), id=light) for light in LIGHTS), id="light-choice"
            )
            yield Input(placeholder=_("Reason (required)"), id="light-reason")
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter on the reason saves, escape cancels."), classes="form-hint",
                        markup=False)  # fmt: skip

    def on_mount(self) -> None:
        choice = self.query_one(OptionList)
        choice.highlighted = LIGHTS.index(self.current) if self.current in LIGHTS else 0
        choice.focus()

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.query_one("#light-reason", Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        choice = self.query_one(OptionList)
        if choice.highlighted is None:
            self.show_error(_("Choose a light."))
            return
        reason = event.value.strip()
        if not reason:
            self.show_error(_("Say why the traffic light changes: a reason is required."))
            return
        self.dismiss((LIGHTS[choice.highlighted], reason))


class CallForm(_Form):
    """Outcome, note and (for a callback) when; returns (outcome, note, callback), or None."""

    DEFAULT_CSS = FORM_CSS.format(name="CallForm")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Log a call"), classes="form-title", markup=False)
            yield OptionList(
                *(Option(Text(f"{i + 1}  {_(o)}"), id=o) for i, o in enumerate(calls.OUTCOMES)),
                id="call-outcome",
            )
            yield Input(placeholder=_("Note"), id="call-note")
            yield Input(
                placeholder=_("Callback: t, w, +days or YYYY-MM-DD HH:MM (for a callback)"),
                id="call-callback",
            )
            yield Static("", classes="form-error", markup=False)
            yield Label(
                _("Pick the outcome (enter or its digit), type a note, enter saves."),
                classes="form-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        choice = self.query_one(OptionList)
        choice.highlighted = 0
        choice.focus()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        choice = self.query_one(OptionList)
        if choice.has_focus and event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(calls.OUTCOMES):
                choice.highlighted = index
                self.query_one("#call-note", Input).focus()
                event.stop()

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.query_one("#call-note", Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        choice = self.query_one(OptionList)
        outcome = calls.OUTCOMES[choice.highlighted or 0]
        note = self.query_one("#call-note", Input).value
        when_text = self.query_one("#call-callback", Input).value.strip()
        callback: dt.datetime | None = None
        if when_text:
            try:
                callback = calls.parse_callback(when_text)
            except RetentionError as error:
                self.show_error(error.message)
                return
        if outcome == "callback" and callback is None:
            if event.input.id == "call-note":
                self.query_one("#call-callback", Input).focus()
                return
            self.show_error(_("A callback needs a date (and time) to call back."))
            return
        self.dismiss((outcome, note, callback))


class ContactBlockForm(_Form):
    """Block a channel with a reason, or lift a block; returns (channel, reason or None)."""

    DEFAULT_CSS = FORM_CSS.format(name="ContactBlockForm")
    CHANNELS = ("phone", "email", "sms", "letter")

    def __init__(self, blocked: dict[str, str]) -> None:
        super().__init__()
        self.blocked = blocked

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Do not contact"), classes="form-title", markup=False)
            yield OptionList(
                *(
                    Option(Text(f"{_(c)}  ·  " + (_("blocked: {reason}").format(
                        reason=self.blocked[c]) if c in self.blocked
                        else pgettext("channel", "open"))), id=c)
                    for c in self.CHANNELS
                ),
                id="block-channel",
            )  # fmt: skip
            yield Input(placeholder=_("Why (required to block)"), id="block-reason")
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Pick the channel, give the reason, enter saves. On a blocked "
                          "channel, enter with no reason lifts the block. Escape cancels."),
                        classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        choice = self.query_one(OptionList)
        choice.highlighted = 0
        choice.focus()

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.query_one("#block-reason", Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        channel = self.CHANNELS[self.query_one(OptionList).highlighted or 0]
        reason = event.value.strip()
        if reason:
            self.dismiss((channel, reason))
        elif channel in self.blocked:
            self.dismiss((channel, None))
        else:
            self.show_error(_("Say why this customer is not to be contacted this way."))
