"""The help screen: every key of the screen below it, generated from the bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...i18n import _


class HelpScreen(ModalScreen[None]):
    """Lists each key with what it does; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; max-height: 90%; height: auto;
        border: round $accent; background: $panel; padding: 1 2;
    }
    HelpScreen #help-title { text-style: bold; margin-bottom: 1; }
    HelpScreen #help-footer { color: $text-muted; margin-top: 1; }
    HelpScreen #help-notes-title { text-style: bold; margin-top: 1; }
    """

    BINDINGS = [
        Binding(
            "escape,q,question_mark,f1",
            "dismiss_help",
            _("Close help"),
            id="help.close",
            tooltip=_("Back to the screen you came from"),
        ),
    ]

    def __init__(
        self,
        keys: list[tuple[str, str, str]],
        screen_title: str,
        notes: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self._keys = keys
        self._screen_title = screen_title
        self._notes = notes or []

    def compose(self) -> ComposeResult:
        table = Table(
            box=None, show_header=True, header_style="bold", expand=True, padding=(0, 2, 0, 0)
        )
        table.add_column(_("Key"), no_wrap=True, style="bold")
        table.add_column(_("Action"), no_wrap=True)
        table.add_column(_("What it does"), style="dim")
        for key, description, tooltip in self._keys:
            table.add_row(Text(key), Text(description), Text(tooltip))
        with VerticalScroll():
            yield Static(
                Text(_("Keys on {screen}").format(screen=self._screen_title)), id="help-title"
            )
            yield Static(table, id="help-keys")
            if self._notes:
                notes = Table(
                    box=None, show_header=True, header_style="bold", expand=True,
                    padding=(0, 2, 0, 0),
                )  # fmt: skip
                notes.add_column(_("Filter"), no_wrap=True, style="bold")
                notes.add_column(_("Finds"))
                for example, meaning in self._notes:
                    notes.add_row(Text(example), Text(meaning))
                yield Static(
                    Text(_("The filter language (search box, every column, the CLI)")),
                    id="help-notes-title",
                )
                yield Static(notes, id="help-notes")
            yield Static(
                Text(
                    _(
                        "ctrl+p opens the command palette: every action by name. "
                        "Press escape to close this help."
                    )
                ),
                id="help-footer",
            )

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
