"""The App: screens, global keys, the command palette and worker error handling.

Database work runs only in thread workers that open their own connection and post a
message back; handlers on the UI thread own every state change.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..db import connect
from ..i18n import _
from ..overview import database_overview
from .commands import CustomerCommands
from .errors import error_text, was_interrupted
from .messages import OverviewLoaded
from .screens.desktop import DesktopScreen
from .screens.help import HelpScreen
from .screens.home import HomeScreen
from .scrollbars import install as lean_scroll_bars

# How long a thread may hold the GIL while another waits for it (Python's default is 5 ms).
# Database workers hand the GIL back at every SQLite call; while the screen paints, each
# call then waited up to 5 ms for the painter's slice, so a first page of a few calls took
# 100 ms instead of 15. Half a millisecond keeps the painter going and the readers moving.
SWITCH_INTERVAL = 0.0005


class RetentionApp(App[None]):
    """retention-tui: who is drifting away, and what to do about it."""

    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {CustomerCommands}
    TITLE = "retention-tui"
    BINDINGS = [
        Binding(
            "question_mark,f1",
            "help",
            _("Help"),
            id="app.help",
            tooltip=_("Every key of this screen"),
        ),
        Binding("q,ctrl+q", "quit", _("Quit"), id="app.quit", tooltip=_("Leave retention-tui")),
        Binding(
            "ctrl+p",
            "command_palette",
            _("Commands"),
            id="app.palette",
            tooltip=_("Every action by name"),
        ),
    ]

    def __init__(self, db_path: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        lean_scroll_bars()  # fewer bytes per repaint over SSH
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.db_path = Path(db_path)
        self.sub_title = self.db_path.name

    def get_default_screen(self) -> Screen:
        return DesktopScreen(self.db_path)

    # -- reading the overview ------------------------------------------------------------

    def action_refresh_overview(self) -> None:
        self.refresh_overview()

    def refresh_overview(self) -> None:
        """Read the database overview again, off the UI thread."""
        self._load_overview(self.db_path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="overview", name="overview")
    def _load_overview(self, path: Path) -> None:
        conn = connect(path)
        try:
            overview = database_overview(conn)
        finally:
            conn.close()
        self.post_message(OverviewLoaded(overview))

    @on(OverviewLoaded)
    def _show_overview(self, message: OverviewLoaded) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.show_overview(message.overview)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The app's own workers; screens and widgets forward theirs (ReportsWorkerErrors)."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    def report_error(self, error: BaseException) -> None:
        """Every worker error ends here: one sentence on screen, never a traceback."""
        if was_interrupted(error):
            return
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.query_one("#home-figures").loading = False
        self.notify(
            error_text(error, self.db_path),
            title=_("Something went wrong"),
            severity="error",
            markup=False,
            timeout=10,
        )

    # -- the background sender -----------------------------------------------------------

    def start_sender(self) -> None:
        """Send what is due in the outbox, in a thread worker (one at a time; another
        process running ``outbox send --watch`` shares the work safely)."""
        if any(w.group == "outbox-sender" and not w.is_finished for w in self.workers):
            return
        self.run_worker(self._send_outbox, thread=True, exit_on_error=False,
                        group="outbox-sender", name="outbox-sender")  # fmt: skip

    def _send_outbox(self) -> None:
        from textual.worker import get_current_worker

        from .. import outbox

        worker = get_current_worker()
        conn = connect(self.db_path)
        report = outbox.SendReport()
        channels: dict = {}
        try:
            outbox.recover(conn)
            channels = outbox.open_channels(conn, report)
            outbox.send_due(conn, channels, report=report, stop=lambda: worker.is_cancelled)
        finally:
            for channel in channels.values():
                channel.close()
            conn.close()
        if report.sent or report.failed or report.unknown or report.retrying or report.not_set_up:
            severity = (
                "warning" if report.not_set_up or report.failed or report.unknown else "information"
            )
            self.call_from_thread(
                self.notify, report.describe(), title=_("Outbox"), severity=severity,
                markup=False, timeout=8,
            )  # fmt: skip
        if report.sent or report.failed or report.unknown or report.retrying:
            self.call_from_thread(self._outbox_changed)

    def _outbox_changed(self) -> None:
        """Cards on the stack show their messages' new state."""
        from .screens.customer_card import CustomerCardScreen

        for screen in self.screen_stack:
            if isinstance(screen, CustomerCardScreen):
                screen.reload()

    def open_customer(self, customer_id: int) -> None:
        """Open a customer's card on top of the current screen."""
        from .screens.customer_card import CustomerCardScreen

        self.push_screen(CustomerCardScreen(self.db_path, customer_id))

    # -- help and commands ---------------------------------------------------------------

    def action_command_palette(self) -> None:
        """Textual's palette, its placeholder in the advisor's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=_("Search for commands…"))
            )

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keys: dict[str, tuple[list[str], str, str]] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description:
                continue
            shown = self.get_key_display(Binding(key, binding.action))
            entry = keys.setdefault(
                binding.action, ([], binding.description, binding.tooltip or active.tooltip)
            )
            entry[0].append(shown)
        rows = [
            (", ".join(shown), description, tooltip)
            for shown, description, tooltip in keys.values()
        ]
        title = getattr(self.screen, "title_text", self.screen.__class__.__name__)
        notes = getattr(self.screen, "help_notes", [])
        self.push_screen(HelpScreen(rows, title, notes))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own commands in the advisor's language (their words are in words.py).
        for command in super().get_system_commands(screen):
            yield command._replace(title=_(command.title), help=_(command.help))
        yield SystemCommand(_("help: Keys"), _("Every key of this screen"), self.action_help)
        # Every key of the screen with an id is a command too, named after its screen.
        group = getattr(screen, "BINDING_GROUP_TITLE", None) or _("screen")
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.id or binding.id.startswith("app.") or binding.id in seen:
                continue
            seen.add(binding.id)
            shown = self.get_key_display(Binding(key, binding.action))
            yield SystemCommand(
                f"{group.lower()}: {binding.description}  ({shown})",
                binding.tooltip or binding.description,
                partial(self._run_binding, active.node, binding.action),
            )

    async def _run_binding(self, node: object, action: str) -> None:
        await self.run_action(action, node)  # type: ignore[arg-type]
