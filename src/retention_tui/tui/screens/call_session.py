"""The call session: work a campaign's queue one customer at a time, by keys alone.

Each outcome, NPS, departure and note is written the moment it is entered (in a worker);
taking the next customer claims it in the database for this session. A session that ends
gives its claim back; one that crashed is found again by its session file, and its customer
comes back while the claim lives.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label, Static

from ... import campaigns, churn, customers, tags
from ...campaigns import Campaign, Claim, Membership
from ...cells import printable
from ...customer_list import ListContext
from ...customers import CustomerCard
from ...db import connect
from ...errors import RETRYABLE
from ...i18n import _, ngettext
from ...paths import user_data_dir
from ...tags import Tagging
from ..errors import ReportsWorkerErrors
from ..saving import offer_retry
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input
from .card_forms import FORM_CSS, NpsForm, _Form

# One key per outcome; the footer shows them, the help screen explains them.
OUTCOME_KEYS = (
    ("b", "appointment booked", _("Booked")),
    ("r", "reached", _("Reached")),
    ("n", "no answer", _("No answer")),
    ("v", "voicemail", _("Voicemail")),
    ("c", "callback", _("Callback")),
    ("i", "not interested", _("Not interested")),
    ("a", "already booked", _("Already booked")),
    ("e", "done elsewhere", _("Done elsewhere")),
    ("w", "wrong number", _("Wrong number")),
    ("s", "vehicle sold", _("Vehicle sold")),
    ("m", "moved away", _("Moved away")),
    ("x", "do not call", _("Do not call")),
)


# The footer has room for the common ones; the legend beside the script lists them all.
FOOTER_OUTCOMES = ("appointment booked", "reached", "no answer", "voicemail", "callback")


def _legend() -> Text:
    """Every entry key, grouped by what the outcome does to the member."""
    text = Text(_("Keys") + "\n", style="bold")
    classes = (
        (_("completed"), campaigns.COMPLETED),
        (_("follow-up"), campaigns.FOLLOW_UP),
        (_("no further action"), campaigns.NO_FURTHER_ACTION),
        (_("never again"), campaigns.NEVER_AGAIN),
    )
    for title, members in classes:
        text.append(f"{title}: ", style="dim")
        text.append("  ".join(f"{key} {_(outcome)}" for key, outcome, _label in OUTCOME_KEYS
                              if outcome in members))  # fmt: skip
        text.append("\n")
    text.append(_("p NPS  d departure  g tag  M message  o note  space next  esc end"),
                style="dim")  # fmt: skip
    return text


def _session_file(db_path: Path, campaign_id: int) -> Path:
    digest = hashlib.sha1(str(Path(db_path).resolve()).encode()).hexdigest()[:12]
    return user_data_dir() / "sessions" / f"{digest}-{campaign_id}.json"


def end_session(db_path: Path, campaign_id: int, session: str) -> None:
    """Give the session's claims back and forget its session file."""
    conn = connect(db_path)
    try:
        campaigns.release(conn, session)
    finally:
        conn.close()
    with contextlib.suppress(OSError):
        _session_file(db_path, campaign_id).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resume_or_start(db_path: Path, campaign_id: int) -> str:
    """The session id: the one a crashed session of this terminal's user left, else new."""
    path = _session_file(db_path, campaign_id)
    try:
        saved = json.loads(path.read_text())
        if not _alive(int(saved["pid"])):
            session = str(saved["session"])
            path.write_text(json.dumps({"session": session, "pid": os.getpid()}))
            return session
    except (OSError, ValueError, KeyError, TypeError):
        pass
    session = campaigns.new_session()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"session": session, "pid": os.getpid()}))
    except OSError:
        pass  # no resume after a crash, but the session works
    return session


@dataclass
class Current:
    """The customer on screen."""

    claim: Claim
    card: CustomerCard
    script: str
    offer: str
    history: list[Membership]
    logged: str | None = None  # the outcome logged for this customer, if any
    call_id: int | None = None


class CallbackForm(_Form):
    """When to call back: t tomorrow, w next week, or a typed date and time."""

    DEFAULT_CSS = FORM_CSS.format(name="CallbackForm")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Call back when?"), classes="form-title", markup=False)
            yield Input(placeholder=_("t tomorrow · w next week · +days · YYYY-MM-DD HH:MM"),
                        id="callback-when")  # fmt: skip
            yield Input(placeholder=_("Note (optional)"), id="callback-note")
            yield Static("", classes="form-error", markup=False)
            yield Label(
                _("t: tomorrow 09:00, w: a week from now 09:00, +3: in three days at 09:00, "
                  "or a date (and time). Enter saves, escape cancels."),
                classes="form-hint", markup=False,
            )  # fmt: skip

    @on(Input.Submitted, "#callback-when")
    def _when(self) -> None:
        self.query_one("#callback-note", Input).focus()

    @on(Input.Submitted, "#callback-note")
    def _submit(self) -> None:
        from ...calls import parse_callback
        from ...errors import RetentionError

        try:
            when = parse_callback(self.query_one("#callback-when", Input).value)
        except RetentionError as error:
            self.show_error(error.message)
            self.query_one("#callback-when", Input).focus()
            return
        self.dismiss((when, self.query_one("#callback-note", Input).value))


class NoteForm(_Form):
    DEFAULT_CSS = FORM_CSS.format(name="NoteForm")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("A note on this call"), classes="form-title", markup=False)
            yield Input(placeholder=_("Note"), id="note-text")
            yield Static("", classes="form-error", markup=False)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class CallSessionScreen(ReportsWorkerErrors, Screen[None]):
    """Work one campaign's queue: the customer, the script, the offer; a key per entry."""

    BINDING_GROUP_TITLE = _("Call session")
    DEFAULT_CSS = """
    CallSessionScreen #session-queue { height: auto; padding: 0 1; background: $panel; }
    CallSessionScreen #session-body { height: 1fr; }
    CallSessionScreen #session-left { width: 1fr; padding: 0 1; }
    CallSessionScreen #session-right { width: 1fr; padding: 0 1; border-left: vkey $panel; }
    CallSessionScreen #session-name { text-style: bold; }
    CallSessionScreen #session-script { margin-top: 1; }
    CallSessionScreen #session-keys { margin-top: 1; color: $text-muted; }
    CallSessionScreen #session-log { height: auto; padding: 0 1; background: $boost; }
    """
    BINDINGS = [
        *(
            Binding(key, f"outcome('{outcome}')", label, id=f"session.{outcome.replace(' ', '_')}",
                    tooltip=_("Log the outcome: {outcome}").format(outcome=_(outcome)),
                    show=outcome in FOOTER_OUTCOMES)
            for key, outcome, label in OUTCOME_KEYS
        ),
        Binding("p", "nps", _("NPS"), id="session.nps", tooltip=_("The customer's NPS, 0-10")),
        Binding("d", "departure", _("Departure"), id="session.departure",
                tooltip=_("The customer left: when and why")),
        Binding("o", "note", _("Note"), id="session.note", tooltip=_("A note on this call")),
        Binding("g", "tag", _("Tag"), id="session.tag",
                tooltip=_("Book a tag on the customer (test ride, purchase interest, ...)")),
        Binding("M", "message", _("Message"), id="session.message",
                tooltip=_("Send the customer an email, SMS or letter from a template")),
        Binding("space,enter", "next", _("Next"), id="session.next",
                tooltip=_("The next customer of the queue")),
        Binding("escape,q", "end", _("End"), id="session.end",
                tooltip=_("End the session; the customer on screen goes back to the queue")),
    ]  # fmt: skip

    class Shown(Message):
        def __init__(self, campaign: Campaign, current: Current | None) -> None:
            super().__init__()
            self.campaign = campaign
            self.current = current

    class Counted(Message):
        def __init__(self, queue: dict[str, int]) -> None:
            super().__init__()
            self.queue = queue

    class Saved(Message):
        def __init__(self, text: str, outcome: str | None = None, call_id: int | None = None):
            super().__init__()
            self.text = text
            self.outcome = outcome
            self.call_id = call_id

    def __init__(self, db_path: Path, campaign_id: int) -> None:
        super().__init__()
        self.db_path = db_path
        self.campaign_id = campaign_id
        self.session = resume_or_start(db_path, campaign_id)
        self.campaign: Campaign | None = None
        self.current: Current | None = None
        self.pending_note = ""
        self.busy = False
        self.shown_at = 0.0
        self._steps = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-session")

    @property
    def title_text(self) -> str:
        return _("Call session")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Opening the queue …"), id="session-queue", markup=False)
        with Horizontal(id="session-body"):
            with VerticalScroll(id="session-left"):
                yield Static("", id="session-name", markup=False)
                yield Static("", id="session-customer")
                yield Static("", id="session-calls")
                yield Static("", id="session-history")
            with VerticalScroll(id="session-right"):
                yield Static("", id="session-offer")
                yield Static("", id="session-script")
                yield Static(_legend(), id="session-keys")
        yield Static("", id="session-log", markup=False)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self._take(resume=True)

    # -- reading -------------------------------------------------------------------------------

    # Every database step of the session runs on one thread, in the order of the keys: the
    # next customer is claimed only after the outcome before it is written.

    class Failed(Message):
        def __init__(self, error: BaseException, outcome: bool, job: Any) -> None:
            super().__init__()
            self.error = error
            self.outcome = outcome
            self.job = job

    def _submit(self, job: Any, *, outcome: bool = False) -> None:
        def run() -> None:
            try:
                job()
            except Exception as error:
                self.post_message(self.Failed(error, outcome, job))

        self._steps.submit(run)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        """An outcome that could not be written is not logged: its key may be pressed again.
        A passing fault (busy, disk full) offers the same entry again, note and all."""
        self.busy = False

        def not_logged() -> None:
            if message.outcome and self.current is not None and self.current.call_id is None:
                self.current.logged = None
                self.query_one("#session-log", Static).update(_("Nothing was logged."))

        if isinstance(message.error, RETRYABLE):
            offer_retry(
                self,
                message.error,
                lambda: self._submit(message.job, outcome=message.outcome),
                not_logged,
            )
            return
        not_logged()
        self.app.report_error(message.error)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self._steps.shutdown(wait=False)  # what is queued still lands

    def _take(self, resume: bool = False) -> None:
        self._submit(partial(self._take_now, resume))

    def _take_now(self, resume: bool) -> None:
        conn = connect(self.db_path)
        try:
            found = campaigns.campaign(conn, self.campaign_id)
            claim = (
                campaigns.current_claim(conn, self.campaign_id, self.session) if resume else None
            )
            if claim is None:
                claim = campaigns.claim_next(conn, self.campaign_id, self.session)
            current = self._read(conn, found, claim) if claim else None
            # The customer first; the queue's counts (a pass over every member) just after.
            self.post_message(self.Shown(found, current))
            queue = campaigns.queue_state(conn, self.campaign_id, self.session)
        finally:
            conn.close()
        self.post_message(self.Counted(queue))

    def _read(self, conn: Any, found: Campaign, claim: Claim) -> Current:
        card = customers.customer_card(conn, claim.customer_id, ListContext.load(conn))
        values = campaigns.script_values(conn, self.campaign_id, claim.customer_id)
        return Current(
            claim=claim,
            card=card,
            script=campaigns.fill(found.script, values),
            offer=campaigns.fill(found.offer, values),
            history=campaigns.customer_history(conn, claim.customer_id),
        )

    @on(Shown)
    def _show(self, message: Shown) -> None:
        self.shown_at = time.perf_counter()  # bench_calls times the keys to here
        self.busy = False
        self.campaign = message.campaign
        self.current = message.current
        self.sub_title = printable(message.campaign.name)
        log = self.query_one("#session-log", Static)
        if message.current is None:
            for widget in ("#session-name", "#session-customer", "#session-calls",
                           "#session-history", "#session-offer", "#session-script"):  # fmt: skip
                self.query_one(widget, Static).update("")
            self.query_one("#session-name", Static).update(
                _("Nobody is ready to call now: the line above says why.")
            )
            log.update(_("r on the campaigns list reads the queue again; escape ends."))
            return
        self._show_customer(message.current)
        log.update(
            _("{why}. One key logs the outcome; space takes the next customer.").format(
                why=_(message.current.claim.why).capitalize()
            )
        )

    @on(Counted)
    def _counted(self, message: Counted) -> None:
        self.query_one("#session-queue", Static).update(self._queue_text(message.queue))

    def _queue_text(self, queue: dict[str, int]) -> Text:
        parts = [
            f"{_(state)} {queue.get(state, 0):,}"
            for state in campaigns.QUEUE_STATES
            if queue.get(state, 0) or state == "ready now"
        ]
        return Text("  ·  ".join(parts))

    def _show_customer(self, current: Current) -> None:
        d = current.card.details
        row = current.card.row
        self.query_one("#session-name", Static).update(
            f"{printable(d['name'])}  ·  {printable(d['customer_no'])}"
        )
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        phones = " / ".join(printable(p) for p in (d["phone"], d["mobile"]) if p)
        last = row.values.get("last_visit")
        for label, value in (
            (_("Phone"), Text(phones, style="bold")),
            (_("Vehicle"), Text(printable(str(row.values.get("vehicle") or "")))),
            (_("Last visit"), Text(
                ngettext("{date}, {months} month ago", "{date}, {months} months ago",
                         row.values.get("months_away") or 0).format(
                    date=last, months=row.values.get("months_away"))
                if last else _("never"))),
            (_("Advisor"), Text(printable(d["advisor"] or ""))),
            (_("Status"), Text(_(row.values.get("status") or ""))),
            (_("Light · NPS"), Text(f"{_(d['traffic_light'])} · {d['nps'] if d['nps'] is not None else '–'}")),  # noqa: E501
            (_("Tags"), Text(printable(str(row.values.get("tags") or "")))),
            (_("Why now"), Text(_(current.claim.why))),
        ):  # fmt: skip
            table.add_row(Text(label), value)
        self.query_one("#session-customer", Static).update(table)
        calls = Table(title=_("Last calls"), title_justify="left", box=None, expand=True,
                      show_header=False, padding=(0, 1, 0, 0))  # fmt: skip
        for c in current.card.calls[:5]:
            calls.add_row(
                Text(c["called_at"][:16], style="dim"),
                Text(_(c["outcome"])),
                Text(printable(c["note"] or ""), overflow="fold"),
            )
        if not current.card.calls:
            calls.add_row(Text(_("none yet"), style="dim"))
        self.query_one("#session-calls", Static).update(calls)
        history = Table(title=_("Campaigns"), title_justify="left", box=None, expand=True,
                        show_header=False, padding=(0, 1, 0, 0))  # fmt: skip
        for h in current.history:
            result = _(h.last_outcome) if h.last_outcome else _("not called")
            if h.came_back_on:
                result += "  " + _("came back {date}").format(date=h.came_back_on)
            history.add_row(Text(printable(h.campaign)), Text(_(h.state)), Text(result))
        self.query_one("#session-history", Static).update(history)
        offer = Text(_("Offer") + "\n", style="bold")
        offer.append(printable(current.offer) or "–")
        self.query_one("#session-offer", Static).update(offer)
        script = Text(_("Script") + "\n", style="bold")
        script.append(printable(current.script))
        self.query_one("#session-script", Static).update(script)

    # -- entries ---------------------------------------------------------------------------------

    def _write(self, change: Any, done: str, outcome: str | None = None) -> None:
        self._submit(partial(self._write_now, change, done, outcome), outcome=bool(outcome))

    def _write_now(self, change: Any, done: str, outcome: str | None) -> None:
        conn = connect(self.db_path)
        try:
            result = change(conn)
        finally:
            conn.close()
        call_id = result.call_id if isinstance(result, campaigns.Logged) else None
        self.post_message(self.Saved(done or str(result), outcome, call_id))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        if message.outcome and self.current is not None:
            self.current.logged = message.outcome
            self.current.call_id = message.call_id
        self.query_one("#session-log", Static).update(
            message.text + "  " + _("(space: next customer)")
        )

    def action_outcome(self, outcome: str, callback: dt.datetime | None = None) -> None:
        current = self.current
        if current is None:
            self.notify(_("Nobody is on screen."), severity="warning", markup=False)
            return
        if current.logged:
            self.notify(
                _("'{outcome}' is logged for this customer; space takes the next.").format(
                    outcome=_(current.logged)
                ),
                severity="warning",
                markup=False,
            )
            return
        if outcome == "callback" and callback is None:

            def chosen(result: tuple[dt.datetime, str] | None) -> None:
                if result is not None:
                    when, note = result
                    if note.strip():
                        self.pending_note = " · ".join(
                            part for part in (self.pending_note, note.strip()) if part
                        )
                    self.action_outcome("callback", when)

            self.app.push_screen(CallbackForm(), chosen)
            return
        note, self.pending_note = self.pending_note, ""
        customer_id = current.claim.customer_id
        current.logged = outcome  # a second key before the write lands logs nothing twice
        text = _("Logged: {outcome}.").format(outcome=_(outcome))
        if callback is not None:
            text = _("Logged: callback on {when}.").format(
                when=callback.isoformat(sep=" ", timespec="minutes")
            )
        self._write(
            lambda conn: campaigns.log_outcome(
                conn, self.campaign_id, customer_id, outcome, session=self.session,
                note=note, callback_at=callback,
            ),
            text,
            outcome,
        )  # fmt: skip

    def action_nps(self) -> None:
        current = self.current
        if current is None:
            return

        def chosen(score: int | None) -> None:
            if score is not None:
                self._write(
                    lambda conn: customers.set_nps(
                        conn, current.claim.customer_id, score, current.call_id
                    ),
                    _("NPS {score} saved.").format(score=score),
                )

        self.app.push_screen(NpsForm(), chosen)

    def action_departure(self) -> None:
        from .departure import DepartureForm

        current = self.current
        if current is None:
            return

        def chosen(result: tuple[Any, str, str, str] | None) -> None:
            if result is not None:
                day, reason, note, status = result
                self._write(
                    lambda conn: churn.record_departure(
                        conn, current.claim.customer_id, day, reason, note, status
                    ),
                    _("Departure recorded: {reason}.").format(reason=reason),
                )

        self.app.push_screen(DepartureForm(self.db_path, current.card.details["name"]), chosen)

    def action_tag(self) -> None:
        from .tags import ask_tagging, booked_text

        current = self.current
        if current is None:
            return
        customer_id = current.claim.customer_id

        def book(tagging: Tagging) -> None:
            def change(conn: Any) -> str:
                return booked_text(tagging, [customer_id], tags.add(conn, [customer_id], tagging))

            self._write(change, "")

        ask_tagging(self, self.db_path, current.card.details["name"], book)

    def action_message(self) -> None:
        from .messages import send_message

        current = self.current
        if current is not None:
            customer_id = current.claim.customer_id
            send_message(self, self.db_path, printable(current.card.details["name"]),
                         lambda _conn: [customer_id])  # fmt: skip

    def action_note(self) -> None:
        current = self.current
        if current is None:
            return

        def chosen(text: str | None) -> None:
            if not text or not text.strip():
                return
            if current.call_id is not None:
                call_id = current.call_id
                self._write(lambda conn: campaigns.add_note(conn, call_id, text), _("Note saved."))
            else:
                self.pending_note = " · ".join(p for p in (self.pending_note, text.strip()) if p)
                self.query_one("#session-log", Static).update(
                    _("The note goes with the outcome you log next.")
                )

        self.app.push_screen(NoteForm(), chosen)

    def action_next(self) -> None:
        if self.busy:
            return
        if self.current is not None and not self.current.logged:
            self.notify(
                _("Log the outcome of this call first (or escape to end the session)."),
                severity="warning",
                markup=False,
            )
            return
        self.busy = True
        self.query_one("#session-log", Static).update(_("Taking the next customer …"))
        self._take()

    def action_end(self) -> None:
        # After the entries still on their way; the customer on screen, if no outcome was
        # logged, is first in the queue again.
        self._submit(partial(end_session, self.db_path, self.campaign_id, self.session))
        self.app.pop_screen()
