"""Messages on screen: the send form (one customer or a whole list: which template, who gets
it and who does not, a preview with a real customer), the outbox, and the templates with
their editor (live SMS length, preview). Sending itself runs in the app's background sender
(:meth:`RetentionApp.start_sender`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from ... import i18n, messages, outbox
from ...cells import printable
from ...errors import RetentionError
from ...i18n import _, pgettext
from ...messages import Audience, Template
from ..errors import ReportsWorkerErrors
from ..saving import SavesChanges, read_db, write_db
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input, TextArea
from .card_forms import FORM_CSS, _Form


def length_text(channel: str, subject: str | None, body: str) -> str:
    """The live count under a text: SMS parts and encoding, or characters."""
    if channel == "sms":
        size = messages.sms_length(body)
        return _("{units} characters, {encoding}: {parts} SMS ({left} left in the last)").format(
            units=size.units, encoding=size.encoding, parts=size.segments, left=size.left
        )
    return _("{n} characters").format(n=i18n.number(len(body)))


# -- sending ---------------------------------------------------------------------------------


class SendForm(_Form):
    """Choose a template for one customer or a list; shows who gets it, who does not and
    why, and the message as the first of them reads it. Returns (template id, offer, batch),
    or None."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="SendForm")
        + """
    SendForm > Vertical { width: 90; max-width: 100%; max-height: 100%; overflow-y: auto; }
    SendForm #send-who { height: auto; margin-bottom: 1; }
    SendForm #send-preview { height: auto; max-height: 14; border: round $primary;
                             padding: 0 1; margin-bottom: 1; }
    SendForm #send-length { color: $text-muted; height: 1; }
    """
    )
    BINDINGS = [
        Binding("ctrl+s", "send", _("Send"), id="send_form.send",
                tooltip=_("Queue the message for everyone who may get it")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, found: list[Template]) -> None:
            super().__init__()
            self.found = found

    class Judged(Message):
        def __init__(self, template_id: int, offer: str, who: Audience,
                     preview: tuple[str | None, str] | None,
                     parts: tuple[int, int, int] | None = None) -> None:  # fmt: skip
            super().__init__()
            self.template_id = template_id
            self.offer = offer
            self.who = who
            self.preview = preview
            self.parts = parts

    def __init__(self, db_path: Path, what: str, ids: Callable[[Any], list[int]]) -> None:
        super().__init__()
        self.db_path = db_path
        self.what = what
        self.ids = ids
        self.found: list[Template] = []
        self.judged: SendForm.Judged | None = None
        self.batch = messages.new_batch()  # one send, however often it is confirmed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Send a message: {what}").format(what=self.what),
                        classes="form-title", markup=False)  # fmt: skip
            yield OptionList(id="send-template")
            yield Input(placeholder=_("The offer, for templates that speak of {offer}"),
                        id="send-offer")  # fmt: skip
            yield Static("", classes="form-error", markup=False)
            yield Static(_("Choose a template …"), id="send-who", markup=False)
            yield Static("", id="send-preview", markup=False)
            yield Static("", id="send-length", markup=False)
            yield Label(_("up/down choose the template; ctrl+s sends to everyone who may get "
                          "it; escape cancels."), classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._load()

    @work(thread=True, exit_on_error=False, group="send-load")
    def _load(self) -> None:
        self.post_message(self.Loaded(read_db(self.db_path, messages.templates)))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.found = message.found
        choice = self.query_one(OptionList)
        choice.clear_options()
        choice.add_options(
            Option(
                Text(f"{messages.channel_label(t.channel):7} {printable(t.shown_name)}"),
                id=str(t.id),
            )
            for t in self.found
        )
        if self.found:
            choice.highlighted = 0

    @on(OptionList.OptionHighlighted)
    def _template_moved(self, event: OptionList.OptionHighlighted) -> None:
        self._judge()

    @on(Input.Changed, "#send-offer")
    def _offer_changed(self) -> None:
        self._judge()

    @on(OptionList.OptionSelected)
    def _template_chosen(self) -> None:
        self.query_one("#send-offer", Input).focus()

    @on(Input.Submitted, "#send-offer")
    def _offer_done(self) -> None:
        self.action_send()

    def _chosen(self) -> Template | None:
        index = self.query_one(OptionList).highlighted
        return self.found[index] if index is not None and index < len(self.found) else None

    def _judge(self) -> None:
        found = self._chosen()
        if found is None:
            return
        self.query_one("#send-who", Static).update(_("Counting who may get it …"))
        self._count(found, self.query_one("#send-offer", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="send-judge")
    def _count(self, found: Template, offer: str) -> None:
        def read(conn: Any) -> SendForm.Judged:
            who = messages.audience(conn, self.ids(conn), found.channel, found.id)
            shown = messages.preview(conn, found.id, who.ready[0][0], offer) if who.ready else None
            parts = None
            if found.channel == "sms" and len(who.ready) > 1:
                ready = [cid for cid, _to in who.ready]
                parts = messages.sms_parts(conn, found.id, ready, offer)
            return self.Judged(found.id, offer, who, shown, parts)

        self.post_message(read_db(self.db_path, read))

    @on(Judged)
    def _judged(self, message: Judged) -> None:
        found = self._chosen()
        if found is None or found.id != message.template_id:
            return  # an answer for a template no longer highlighted
        self.judged = message
        self.query_one("#send-who", Static).update(Text(message.who.describe()))
        preview = self.query_one("#send-preview", Static)
        length = self.query_one("#send-length", Static)
        if message.preview is None:
            preview.update(Text(_("None of them may get it ({what}).").format(what=self.what)))
            length.update("")
            return
        subject, body = message.preview
        shown = _("Subject: {subject}").format(subject=subject) + "\n\n" if subject else ""
        preview.update(Text(printable(shown + body, keep_newlines=True)))
        preview.border_title = _("As {recipient} reads it").format(
            recipient=message.who.ready[0][1]
        )
        text = length_text(found.channel, subject, body)
        if message.parts is not None:
            fewest, most, total = message.parts
            text += "; " + _("{fewest}–{most} SMS per customer, {total} in all").format(
                fewest=fewest, most=most, total=i18n.number(total)
            )
        length.update(Text(text))

    def action_send(self) -> None:
        found = self._chosen()
        judged = self.judged
        if found is None or judged is None or judged.template_id != found.id:
            self.show_error(_("Wait a moment: still counting who may get it."))
            return
        if not judged.who.ready:
            self.show_error(_("None of them may get it ({what}).").format(what=self.what))
            return
        if messages.needs_offer(found, self.query_one("#send-offer", Input).value):
            self.show_error(_("This template speaks of {offer}: type the offer first."))
            self.query_one("#send-offer", Input).focus()
            return
        self.dismiss((found.id, self.query_one("#send-offer", Input).value, self.batch))


class MessagesQueued(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def send_message(screen: Any, db_path: Path, what: str, ids: Callable[[Any], list[int]]) -> None:
    """Ask for a template and queue it for the customers ``ids(conn)`` gives; the app's
    sender then sends them. ``screen`` gets :class:`MessagesQueued` (or a notification)."""

    def chosen(answer: tuple[int, str, str] | None) -> None:
        if answer is None:
            return
        template_id, offer, batch = answer

        def change() -> None:
            done = write_db(db_path, lambda conn: messages.queue(
                conn, template_id, ids(conn), batch=batch, offer=offer))  # fmt: skip
            text = _("{queued} messages queued; they go out in the background.").format(
                queued=i18n.number(done.queued)
            )
            if done.audience.skipped_total:
                text += " " + _("{n} left out (no consent, blocked or no address).").format(
                    n=i18n.number(done.audience.skipped_total)
                )
            screen.app.call_from_thread(screen.app.notify, text, markup=False)
            screen.app.call_from_thread(screen.app.start_sender)
            if callable(getattr(screen, "reload", None)):  # the card shows it at once
                screen.app.call_from_thread(screen.reload)

        screen.run_worker(change, thread=True, exit_on_error=False, group="queue-messages",
                          name="queue-messages")  # fmt: skip

    screen.app.push_screen(SendForm(db_path, what, ids), chosen)


# -- the outbox ------------------------------------------------------------------------------


class MessageView(_Form):
    """One message whole: recipient, state, last error and text."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="MessageView")
        + """
    MessageView > Vertical { width: 90; max-width: 100%; max-height: 100%; }
    MessageView VerticalScroll { height: auto; max-height: 20; }
    """
    )

    def __init__(self, shown: outbox.Message) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        m = self.shown
        head = [
            _("To: {recipient} ({channel}), customer {no} {name}").format(
                recipient=m.recipient, channel=messages.channel_label(m.channel),
                no=m.customer_no, name=m.name),
            _("State: {state}, tries {tries}; queued {created} by {operator}").format(
                state=outbox.status_label(m.status), tries=m.attempts, created=m.created_at,
                operator=m.operator),
            _("Message key (Message-ID / reference): {key}").format(key=m.key),
        ]  # fmt: skip
        if m.sent_at:
            head.append(_("Sent: {at}").format(at=m.sent_at))
        if m.last_error:
            head.append(_("Last error: {error}").format(error=m.last_error))
        with Vertical():
            yield Label(m.subject or m.template or _("Message"), classes="form-title",
                        markup=False)  # fmt: skip
            yield Static(Text(printable("\n".join(head), keep_newlines=True)), markup=False,
                         id="message-head")  # fmt: skip
            with VerticalScroll():
                yield Static(Text(printable(m.body, keep_newlines=True)), markup=False)
            yield Label(_("Escape closes."), classes="form-hint", markup=False)


class LettersForm(_Form):
    """Where the mail-merge file of the queued letters goes; returns the path, or None."""

    DEFAULT_CSS = FORM_CSS.format(name="LettersForm")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Write the queued letters to a mail-merge file"), classes="form-title",
                        markup=False)  # fmt: skip
            yield Input(value=str(Path.cwd() / "letters.csv"), id="letters-path")
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter writes the file (CSV, one row per letter) and marks the "
                          "letters sent; escape cancels."), classes="form-hint",
                        markup=False)  # fmt: skip

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.show_error(_("Give a file name."))
            return
        self.dismiss(Path(event.value.strip()).expanduser())


class OutboxScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """Every message with its state; retry, cancel, send now, letters, templates."""

    BINDING_GROUP_TITLE = _("Outbox")
    DEFAULT_CSS = """
    OutboxScreen #outbox-info { height: auto; padding: 0 1; color: $text-muted; }
    OutboxScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "show", _("Show"), id="outbox.show", tooltip=_("The whole message")),
        Binding("f", "filter", _("State"), id="outbox.filter",
                tooltip=_("Show one state after the other: all, queued, failed, unknown, …")),
        Binding("r", "retry", _("Retry"), id="outbox.retry",
                tooltip=_("Queue the message under the cursor again (same Message-ID)")),
        Binding("R", "retry_all", _("Retry all failed"), id="outbox.retry_all",
                tooltip=_("Queue every failed message again")),
        Binding("delete,c", "cancel", _("Cancel"), id="outbox.cancel",
                tooltip=_("Cancel the message under the cursor (not sent yet)")),
        Binding("s", "send", _("Send now"), id="outbox.send",
                tooltip=_("Send what is due now, in the background")),
        Binding("l", "letters", _("Letters"), id="outbox.letters",
                tooltip=_("Write the queued letters to a mail-merge file")),
        Binding("t", "templates", _("Templates"), id="outbox.templates",
                tooltip=_("The message templates")),
        Binding("escape,q", "back", _("Back"), id="outbox.back", tooltip=_("Back")),
    ]  # fmt: skip

    FILTERS = (None, "queued", "sending", "sent", "failed", "unknown", "cancelled")

    class Loaded(Message):
        def __init__(self, rows: list[outbox.Message], counts: dict[str, int]) -> None:
            super().__init__()
            self.rows = rows
            self.counts = counts

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.rows: list[outbox.Message] = []
        self.status: str | None = None
        self._shown: tuple[object, ...] | None = None

    @property
    def title_text(self) -> str:
        return _("Outbox")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Reading the outbox …"), id="outbox-info", markup=False)
        yield DataTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in (_("Id"), _("State"), _("Channel"), _("No."), _("Customer"), _("To"),
                      _("Template"), _("Tries"), _("Queued"), _("Sent / next try"),
                      _("Last error")):  # fmt: skip
            table.add_column(Text(title))
        self.reload()
        self.set_interval(2.0, self.reload)

    def after_save(self) -> None:
        self.reload()

    def reload(self) -> None:
        if self.is_attached and self.app.screen is self:
            self._load(self.status)

    @work(thread=True, exclusive=True, exit_on_error=False, group="outbox-load")
    def _load(self, status: str | None) -> None:
        rows, found = read_db(
            self.db_path, lambda conn: (outbox.messages(conn, status), outbox.counts(conn))
        )
        self.post_message(self.Loaded(rows, found))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        # Read every 2 s: repaint only what changed (over SSH a repainted table is ~20 KB).
        shown = (message.rows, message.counts, self.status)
        if shown == self._shown:
            return
        self._shown = shown
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.rows = message.rows
        table.clear()
        styles = {"failed": "red", "unknown": "yellow", "sent": "green", "cancelled": "dim"}
        for m in message.rows:
            when = m.sent_at or m.next_attempt_at or ""
            state = Text(outbox.status_label(m.status), style=styles.get(m.status, ""))
            table.add_row(
                Text(str(m.id)), state,
                Text(messages.channel_label(m.channel)), Text(printable(m.customer_no)),
                Text(printable(m.name)), Text(printable(m.recipient)), Text(printable(m.template)),
                Text(str(m.attempts)), Text(m.created_at), Text(when),
                Text(printable(m.last_error or "")),
            )  # fmt: skip
        if message.rows:
            table.move_cursor(row=min(keep, len(message.rows) - 1))
        shown = ", ".join(
            f"{outbox.status_label(k)} {v:,}" for k, v in message.counts.items() if v
        ) or _("The outbox is empty")
        state = _("all") if self.status is None else outbox.status_label(self.status)
        self.query_one("#outbox-info", Static).update(
            Text(_("{counts}. Showing: {state} (f). r retry · c cancel · s send now · l letters "
                   "· t templates").format(counts=shown, state=state))
        )  # fmt: skip

    def _selected(self) -> outbox.Message | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if self.rows and 0 <= row < len(self.rows) else None

    def action_show(self) -> None:
        found = self._selected()
        if found is not None:
            self.app.push_screen(MessageView(found))

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_show()

    def action_filter(self) -> None:
        position = self.FILTERS.index(self.status)
        self.status = self.FILTERS[(position + 1) % len(self.FILTERS)]
        self._load(self.status)

    def action_retry(self) -> None:
        found = self._selected()
        if found is None:
            return
        self.save_change(
            lambda conn: outbox.retry(conn, [found.id]),
            lambda n: (
                _("Queued again.")
                if n
                else _("Only failed, unknown or cancelled messages can be retried.")
            ),
        )
        self.app.start_sender()  # type: ignore[attr-defined]

    def action_retry_all(self) -> None:
        self.save_change(
            lambda conn: outbox.retry(conn, outbox.ids_in(conn, "failed")),
            lambda n: _("{n} failed messages queued again.").format(n=i18n.number(n)),  # type: ignore[str-format]
        )
        self.app.start_sender()  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        found = self._selected()
        if found is None:
            return
        self.save_change(
            lambda conn: outbox.cancel(conn, [found.id]),
            lambda n: _("Cancelled.") if n else _("Only messages not sent yet can be cancelled."),
        )

    def action_send(self) -> None:
        self.app.start_sender()  # type: ignore[attr-defined]

    def action_letters(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self.save_change(
                    lambda conn: messages.export_letters(conn, path),
                    lambda n: (
                        _("{n} letters written to {path}.").format(n=n, path=path)
                        if n
                        else _("No letters are queued.")
                    ),
                )

        self.app.push_screen(LettersForm(), chosen)

    def action_templates(self) -> None:
        self.app.push_screen(TemplatesScreen(self.db_path))

    def action_back(self) -> None:
        self.app.pop_screen()


# -- templates -------------------------------------------------------------------------------


class TemplateEditor(Screen[dict[str, Any] | None]):
    """A template's name, channel, subject and text, with the live length and a preview
    with a real customer; returns the fields, or None."""

    BINDING_GROUP_TITLE = _("Template")
    DEFAULT_CSS = """
    TemplateEditor #editor { padding: 0 1; height: 1fr; }
    TemplateEditor .editor-field { height: 1; margin-bottom: 1; }
    TemplateEditor .editor-field Label { width: 12; color: $text-muted; }
    TemplateEditor .editor-field Input { border: none; height: 1; width: 1fr; background: $boost; }
    TemplateEditor .editor-field Input:focus { border: none; background: $accent 25%; }
    TemplateEditor #editor-columns { height: 1fr; }
    TemplateEditor TextArea { width: 1fr; height: 1fr; }
    TemplateEditor #editor-preview { width: 1fr; height: 1fr; border: round $primary;
                                     padding: 0 1; }
    TemplateEditor #editor-length { height: 1; color: $text-muted; }
    TemplateEditor #editor-error { height: auto; color: $error; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="editor.save", tooltip=_("Save the template")),
        Binding("escape", "cancel", _("Cancel"), id="editor.cancel",
                tooltip=_("Close, save nothing")),
    ]  # fmt: skip

    class Values(Message):
        def __init__(self, values: dict[int, dict[str, str]]) -> None:
            super().__init__()
            self.values = values

    def __init__(self, db_path: Path, found: Template | None = None) -> None:
        super().__init__()
        self.db_path = db_path
        self.found = found
        self.values: dict[str, str] | None = None

    @property
    def title_text(self) -> str:
        return _("Message template")

    def compose(self) -> ComposeResult:
        t = self.found
        yield Header()
        with Vertical(id="editor"):
            for label, name, value, hint in (
                (_("Name"), "editor-name", t.name if t else "", _("e.g. Spring check (SMS)")),
                (_("Channel"), "editor-channel", t.channel if t else "sms",
                 _("email, sms or letter")),
                (_("Subject"), "editor-subject", (t.subject or "") if t else "",
                 _("email and letter only")),
                (_("Preview"), "editor-customer", "",
                 _("a customer number to preview with (empty: the first customer)")),
            ):  # fmt: skip
                with Horizontal(classes="editor-field"):
                    yield Label(label, markup=False)
                    yield Input(value=value, placeholder=hint, id=name)
            with Horizontal(id="editor-columns"):
                yield TextArea(t.body if t else "", id="editor-body", soft_wrap=True)
                yield Static("", id="editor-preview", markup=False)
            yield Static("", id="editor-length", markup=False)
            yield Static(
                _("Placeholders: {names}").format(
                    names=" ".join(f"{{{p}}}" for p in messages.PLACEHOLDERS)
                ),
                markup=False,
            )
            yield Static("", id="editor-error", markup=False)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#editor-preview", Static).border_title = _("Preview")
        self.query_one("#editor-name", Input).focus()
        self._load_customer("")

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "editor-customer":
            self._load_customer(event.value)
        self.focus_next()

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._show_preview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="editor-values")
    def _load_customer(self, number: str) -> None:
        def read(conn: Any) -> dict[int, dict[str, str]]:
            from ...customers import customer_id_by_number

            if number.strip():
                found = customer_id_by_number(conn, number.strip())
                if found is None:
                    raise RetentionError(_("There is no customer {no}.").format(no=number))
            else:
                row = conn.execute("SELECT min(id) FROM customers").fetchone()
                found = row[0] if row and row[0] is not None else None
            if found is None:
                return {}
            return messages.customer_values(conn, [found], _("20% off the next service"))

        self.post_message(self.Values(read_db(self.db_path, read)))

    @on(Values)
    def _values(self, message: Values) -> None:
        self.values = next(iter(message.values.values()), None)
        self._show_preview()

    def _fields(self) -> dict[str, Any]:
        return {
            "name": self.query_one("#editor-name", Input).value,
            "channel": self.query_one("#editor-channel", Input).value.strip().lower(),
            "subject": self.query_one("#editor-subject", Input).value,
            "body": self.query_one("#editor-body", TextArea).text,
        }

    def _show_preview(self) -> None:
        fields = self._fields()
        channel = fields["channel"] if fields["channel"] in messages.CHANNELS else "sms"
        subject = fields["subject"] if channel != "sms" else None
        body = fields["body"]
        if self.values is not None:
            values = {**self.values, "voucher": messages.voucher_code("preview")}
            shown = messages.Template(0, None, "", channel, subject, body, False, False)
            subject, body = messages.render(shown, values)
        head = _("Subject: {subject}").format(subject=subject) + "\n\n" if subject else ""
        self.query_one("#editor-preview", Static).update(
            Text(printable(head + body, keep_newlines=True))
        )
        self.query_one("#editor-length", Static).update(Text(length_text(channel, subject, body)))
        wrong = messages.unknown_placeholders(fields["subject"], fields["body"])
        self.query_one("#editor-error", Static).update(
            Text(_("{{{name}}} is not a placeholder.").format(name=wrong[0]) if wrong else "")
        )

    def action_save(self) -> None:
        self.dismiss(self._fields())

    def action_cancel(self) -> None:
        self.dismiss(None)


class TemplatesScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """The templates: built-in ones (copy to change) and the workshop's own."""

    BINDING_GROUP_TITLE = _("Templates")
    DEFAULT_CSS = """
    TemplatesScreen #templates-info { height: auto; padding: 0 1; color: $text-muted; }
    TemplatesScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter,e", "edit", _("Change"), id="templates.edit",
                tooltip=_("Change the template (a built-in one: its copy)")),
        Binding("n", "new", pgettext("action", "New"), id="templates.new",
                tooltip=_("A new template")),
        Binding("c", "copy", _("Copy"), id="templates.copy", tooltip=_("Copy the template")),
        Binding("delete", "retire", _("Retire"), id="templates.retire",
                tooltip=_("No longer offer the template")),
        Binding("escape,q", "back", _("Back"), id="templates.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, rows: list[Template]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.rows: list[Template] = []

    @property
    def title_text(self) -> str:
        return _("Message templates")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Built-in templates are copied (c) to be changed; your own change with "
                       "enter."), id="templates-info", markup=False)  # fmt: skip
        yield DataTable(id="templates-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in (_("Name"), _("Channel"), _("Subject"), _("Text"), _("Kind")):
            table.add_column(Text(title))
        self.after_save()

    def after_save(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="templates-load")
    def _load(self) -> None:
        self.post_message(self.Loaded(read_db(self.db_path, messages.templates)))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.rows = message.rows
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for t in message.rows:
            first = t.body.splitlines()[0] if t.body else ""
            table.add_row(
                Text(printable(t.shown_name)), Text(messages.channel_label(t.channel)),
                Text(printable(t.subject or "")), Text(printable(first[:60])),
                Text(_("built in") if t.builtin else _("own")),
            )  # fmt: skip
        if message.rows:
            table.move_cursor(row=min(keep, len(message.rows) - 1))

    def _selected(self) -> Template | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if self.rows and 0 <= row < len(self.rows) else None

    def _edit(self, found: Template | None) -> None:
        def chosen(fields: dict[str, Any] | None) -> None:
            if fields is None:
                return
            self.save_change(
                lambda conn: messages.save_template(
                    conn, template_id=found.id if found else None, **fields),
                _("Template saved."),
            )  # fmt: skip

        self.app.push_screen(TemplateEditor(self.db_path, found), chosen)

    def action_edit(self) -> None:
        found = self._selected()
        if found is None:
            return
        if found.builtin:
            self.notify(_("'{name}' is built in: copy it (c) and change the copy.").format(
                name=printable(found.shown_name)), severity="warning", markup=False)  # fmt: skip
            return
        self._edit(found)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_edit()

    def action_new(self) -> None:
        self._edit(None)

    def action_copy(self) -> None:
        found = self._selected()
        if found is not None:
            self.save_change(lambda conn: messages.copy_template(conn, found.id),
                             _("Copied: change the copy with enter."))  # fmt: skip

    def action_retire(self) -> None:
        found = self._selected()
        if found is not None:
            self.save_change(lambda conn: messages.retire_template(conn, found.id),
                             _("Retired: it is no longer offered."))  # fmt: skip

    def action_back(self) -> None:
        self.app.pop_screen()
