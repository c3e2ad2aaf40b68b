"""The customer card: contact data, vehicles, badges, statuses and every history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from ... import (
    calls,
    campaigns,
    churn,
    clock,
    customers,
    i18n,
    messages,
    outbox,
    roles,
    tags,
    trade_ins,
)
from ...campaigns import Membership
from ...cells import printable
from ...customer_list import ListContext, format_cell
from ...customers import CustomerCard
from ...db import connect
from ...i18n import N_, _, ngettext, pgettext
from ...tags import CustomerTag
from ..errors import ReportsWorkerErrors
from ..saving import SavesChanges
from ..widgets.footer import KeysFooter

# The card's tabs in order, as (key, label); a label is translated where it is shown. Keys
# 1-9 show them.
TABS = (
    ("visits", N_("Visits")),
    ("vehicles", N_("Vehicles")),
    ("calls", N_("Calls")),
    ("nps", N_("NPS")),
    ("lights", N_("Traffic light")),
    ("departures", N_("Departures")),
    ("campaigns", N_("Campaigns")),
    ("tags", N_("Tags")),
    ("messages", N_("Messages")),
)

TONE_STYLES = {"green": "bold green", "yellow": "bold yellow", "red": "bold red", "on": "bold cyan"}


def _text(value: Any) -> Text:
    """A cell as plain text: user data never becomes markup or a terminal escape."""
    if value is None:
        return Text("")
    return Text(printable(str(value)))


class CustomerCardScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """One customer; keys set the NPS, the traffic light and log a call."""

    BINDING_GROUP_TITLE = _("Customer card")
    DEFAULT_CSS = """
    CustomerCardScreen #card-title {
        padding: 0 1; text-style: bold; background: $panel;
        height: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    CustomerCardScreen #card-top { height: auto; max-height: 50%; }
    CustomerCardScreen #card-contact { width: 1fr; padding: 0 1; height: auto; }
    CustomerCardScreen #card-state { width: 1fr; padding: 0 1; height: auto; }
    CustomerCardScreen TabbedContent { height: 1fr; }
    CustomerCardScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding(
            "n", "nps", _("NPS"), id="card.nps",
            tooltip=_("Score the relationship after a conversation, 0-10"),
        ),
        Binding(
            "t", "traffic_light", _("Traffic light"), id="card.light",
            tooltip=_("Set the traffic light with a reason (managers)"),
        ),
        Binding(
            "c", "call", _("Log call"), id="card.call",
            tooltip=_("Log a call: outcome, note, callback"),
        ),
        Binding(
            "d", "departure", _("Departure"), id="card.departure",
            tooltip=_("Record that the customer left, and why"),
        ),
        Binding(
            "x", "block", _("Do not contact"), id="card.block",
            tooltip=_("Block a channel (phone, email, SMS, letter) with a reason, or lift it"),
        ),
        Binding(
            "g", "tag", _("Tag"), id="card.tag",
            tooltip=_("Book a tag: grade, valid until, follow-up, note"),
        ),
        Binding(
            "M", "message", _("Message"), id="card.message",
            tooltip=_("Send an email, SMS or letter from a template"),
        ),
        Binding(
            "plus", "add_to_campaign", _("+Campaign"), id="card.add_to_campaign",
            tooltip=_("Add this customer to a campaign"),
        ),
        Binding(
            "escape,q", "back", _("Back"), id="card.back",
            tooltip=_("Back to the list"),
        ),
        # 1-9: straight to a tab (tab and the arrow keys get there too, a step at a time).
        *(
            Binding(str(n), f"show_tab('{key}')", _(label), show=False,
                    tooltip=_("Show this tab of the card"))
            for n, (key, label) in enumerate(TABS, start=1)
        ),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(
            self,
            card: CustomerCard,
            light_refusal: str | None,
            history: list[Membership],
            tags: list[CustomerTag],
            sent: list[outbox.Message],
        ) -> None:
            super().__init__()
            self.card = card
            self.light_refusal = light_refusal
            self.history = history
            self.tags = tags
            self.sent = sent

    def __init__(self, db_path: Path, customer_id: int) -> None:
        super().__init__()
        self.db_path = db_path
        self.customer_id = customer_id
        self.card: CustomerCard | None = None
        self.light_refusal: str | None = _("The card is still loading.")
        self.tags: list[CustomerTag] = []

    @property
    def title_text(self) -> str:
        return _("Customer card")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Reading the customer …"), id="card-title", markup=False)
        with Horizontal(id="card-top"):
            yield Static("", id="card-contact")
            yield Static("", id="card-state")
        with TabbedContent(id="card-tabs"):
            for key, label in TABS:
                with TabPane(_(label), id=f"tab-{key}"):
                    yield DataTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._read_card(self.customer_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="card", name="card")
    def _read_card(self, customer_id: int) -> None:
        conn = connect(self.db_path, readonly=True)
        try:
            card = customers.customer_card(conn, customer_id, ListContext.load(conn))
            refusal = roles.refusal_for(
                conn, _("Setting the traffic light by hand is a manager's task.")
            )
            history = campaigns.customer_history(conn, customer_id)
            booked = tags.of_customer(conn, customer_id)
            sent = outbox.messages(conn, customer_id=customer_id, limit=200)
        finally:
            conn.close()
        self.post_message(self.Loaded(card, refusal, history, booked, sent))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        card = self.card = message.card
        self.light_refusal = message.light_refusal
        d = card.details
        title = Text.assemble(
            (printable(d["name"]), "bold"), ("  ·  ", ""), (printable(d["customer_no"]), "")
        )
        self.query_one("#card-title", Static).update(title)
        self.query_one("#card-contact", Static).update(self._contact_table(card))
        self.query_one("#card-state", Static).update(self._state_table(card))
        self._fill(
            "visits",
            [
                _("Date"),
                _("Invoice"),
                _("Plate"),
                _("Amount"),
                _("Advisor"),
                _("Mileage"),
                _("MOT"),
                _("Sample"),
            ],
            [
                (
                    i18n.shown_date(v["date"]),
                    v["invoice_no"],
                    v["plate"],
                    i18n.decimal(v["amount"], 2) if v["amount"] is not None else "",
                    v["advisor"],
                    i18n.number(v["mileage"]) if v["mileage"] is not None else "",
                    "✓" if v["mot"] else "",
                    "✓" if v["mot_sample"] else "",
                )
                for v in card.visits
            ],
        )
        self._fill(
            "vehicles",
            [_("Plate"), _("Brand"), _("Series"), _("Model"), _("Year"), _("VIN")],
            [
                (v["plate"], v["brand"], v["series"], v["model"], v["year"], v["vin"])
                for v in card.vehicles
            ],
        )
        self._fill(
            "calls",
            [_("When"), _("Outcome"), _("Note"), _("Callback"), _("By"), _("Campaign")],
            [
                (
                    i18n.shown_moment(c["called_at"]),
                    _(c["outcome"]),
                    c["note"],
                    i18n.shown_moment(c["callback_at"]),
                    c["operator"],
                    c["campaign"],
                )
                for c in card.calls
            ],
        )
        self._fill(
            "nps",
            [_("Score"), _("By"), _("When")],
            [
                (n["score"], n["operator"], i18n.shown_moment(n["recorded_at"]))
                for n in card.nps_history
            ],
        )
        self._fill(
            "lights",
            [_("Light"), _("Reason"), _("Assessed"), _("Source"), _("By"), _("When")],
            [
                (
                    _(h["light"]),
                    h["reason"],
                    i18n.shown_date(h["assessed_on"]),
                    _(h["source"]),
                    h["operator"],
                    i18n.shown_moment(h["recorded_at"]),
                )
                for h in card.light_history
            ],
        )
        self._fill(
            "departures",
            [_("Date"), _("Reason"), _("Note"), _("By")],
            [
                (i18n.shown_date(x["departed_on"]), x["reason"], x["note"], x["operator"])
                for x in card.departures
            ],
        )
        self._fill(
            "campaigns",
            [_("Campaign"), _("Kind"), _("Status"), _("Member"), _("Calls"), _("Last outcome"),
             _("Last call"), _("Came back")],
            [
                (h.campaign, _(h.kind), pgettext("campaign", h.status), _(h.state), h.attempts,
                 _(h.last_outcome) if h.last_outcome else "", i18n.shown_moment(h.last_called_at),
                 i18n.shown_date(h.came_back_on))
                for h in message.history
            ],
        )  # fmt: skip
        self._show_tags(message.tags)
        self._fill(
            "messages",
            [_("Queued"), _("Channel"), _("Template"), _("To"), _("State"), _("Sent"),
             _("Last error")],
            [
                (i18n.shown_moment(m.created_at), messages.channel_label(m.channel), m.template,
                 m.recipient, outbox.status_label(m.status), i18n.shown_moment(m.sent_at),
                 m.last_error or "")
                for m in message.sent
            ],
        )  # fmt: skip

    def _show_tags(self, booked: list[CustomerTag]) -> None:
        """Valid tags first; expired ones stay, greyed, and say so."""
        self.tags = booked
        today = clock.today()
        table = self.query_one("#table-tags", DataTable)
        table.clear(columns=True)
        table.add_columns(*(Text(h) for h in (
            _("Tag"), _("Grade"), _("Set"), _("Valid until"), _("Follow-up"), _("Note"),
            _("Wishes"), _("By"))))  # fmt: skip
        for t in booked:
            valid = t.valid_on(today)
            style = "" if valid else "dim"
            until = i18n.shown_date(t.valid_until) if t.valid_until else _("no end")
            if not valid:
                until = _("{day} (expired)").format(day=i18n.shown_date(t.valid_until))
            wishes = trade_ins.Wishes.from_dict(t.wishes).describe() if t.wishes else ""
            cells = (
                _(t.label), t.grade or "", i18n.shown_date(t.set_on), until,
                i18n.shown_date(t.follow_up_on), t.note,
                wishes, t.operator,
            )  # fmt: skip
            table.add_row(*(Text(printable(str(c)), style=style) for c in cells))

    def _fill(self, key: str, headers: list[str], rows: list[tuple]) -> None:
        table = self.query_one(f"#table-{key}", DataTable)
        table.clear(columns=True)
        table.add_columns(*(Text(h) for h in headers))
        for values in rows:
            table.add_row(*(_text(v) for v in values))

    def _contact_table(self, card: CustomerCard) -> Table:
        d = card.details
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        address = ", ".join(
            printable(str(part)) for part in (d["street"], d["postcode"], d["city"]) if part
        )

        def yes(flag: int) -> str:
            return _("yes") if flag else _("no")

        blocked = {b["channel"]: b["reason"] for b in card.blocks}
        consent = ", ".join(
            f"{_(channel)} {yes(d[f'consent_{channel}'])}"
            + (f" ({_('do not contact')})" if channel in blocked else "")
            for channel in ("phone", "email", "sms")
        )
        for label, value in (
            (_("Phone"), d["phone"]),
            (_("Mobile"), d["mobile"]),
            (_("Email"), d["email"]),
            (_("Address"), address),
            (_("Country"), d["country"]),
            (_("Advisor"), d["advisor"]),
            (_("Consent"), consent),
            (_("Vehicle"), card.row.values.get("vehicle")),
        ):
            table.add_row(Text(label), _text(value))
        return table

    def _state_table(self, card: CustomerCard) -> Table:
        row = card.row
        d = card.details
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")

        def badge(key: str, words: str) -> Text:
            text = Text(format_cell(key, row.values.get(key)) + "  ")
            tone = row.tone(key)
            if tone:
                text.stylize(TONE_STYLES[tone])
            text.append(printable(words))
            return text

        status = format_cell("status", row.values["status"])
        if d["recorded_status"]:
            status += "  " + _("(recorded {date})").format(date=d["recorded_status_on"] or "")
        last = row.values["last_visit"]
        away = row.values["months_away"]
        light_reason = d["traffic_light_reason"] or ""
        rows: list[tuple[str, Text]] = [
            (_("Status"), Text(status)),
            (
                _("Last visit"),
                Text(
                    ngettext(
                        "{date}, {months} month ago", "{date}, {months} months ago", away or 0
                    ).format(date=last, months=away)
                    if last
                    else _("never")
                ),
            ),
            (_("Visits"), Text(i18n.number(d["visit_count"]))),
            (_("Traffic light"), badge("light", f"{_(d['traffic_light'])} {light_reason}")),
            (_("NPS"), badge("nps", d["nps_on"] or "")),
            (_("Retention"), badge("retention", "")),
            (_("Caring"), badge("caring", "")),
        ]
        for label, value in rows:
            table.add_row(Text(label), value)
        return table

    # -- changes: each saved at once, in a worker ---------------------------------------------

    def after_save(self) -> None:
        self.reload()

    def action_nps(self) -> None:
        from .card_forms import NpsForm

        def chosen(score: int | None) -> None:
            if score is not None:
                self.save_change(
                    lambda conn: customers.set_nps(conn, self.customer_id, score),
                    _("NPS {score} saved.").format(score=score),
                )

        self.app.push_screen(NpsForm(), chosen)

    def action_traffic_light(self) -> None:
        from .card_forms import TrafficLightForm

        if self.light_refusal:
            self.notify(
                self.light_refusal,
                severity="warning",
                markup=False,
            )
            return

        def chosen(result: tuple[str, str] | None) -> None:
            if result is not None:
                light, reason = result
                self.save_change(
                    lambda conn: customers.set_traffic_light(conn, self.customer_id, light, reason),
                    _("Traffic light set to {light}.").format(light=_(light)),
                )

        current = self.card.details["traffic_light"] if self.card else "unknown"
        self.app.push_screen(TrafficLightForm(current), chosen)

    def action_call(self) -> None:
        from .card_forms import CallForm

        def chosen(result: tuple[str, str, Any] | None) -> None:
            if result is not None:
                outcome, note, callback = result
                self.save_change(
                    lambda conn: calls.log_call(conn, self.customer_id, outcome, note, callback),
                    _("Call logged: {outcome}.").format(outcome=_(outcome)),
                )

        self.app.push_screen(CallForm(), chosen)

    def action_departure(self) -> None:
        from .departure import DepartureForm

        def chosen(result: tuple[Any, str, str, str] | None) -> None:
            if result is not None:
                day, reason, note, status = result
                self.save_change(
                    lambda conn: churn.record_departure(
                        conn, self.customer_id, day, reason, note, status
                    ),
                    _("Departure recorded: {reason}.").format(reason=reason),
                )

        name = self.card.details["name"] if self.card else ""
        self.app.push_screen(DepartureForm(self.db_path, name), chosen)

    def action_block(self) -> None:
        from .card_forms import ContactBlockForm

        blocked = {b["channel"]: b["reason"] for b in self.card.blocks} if self.card else {}

        def chosen(result: tuple[str, str | None] | None) -> None:
            if result is not None:
                channel, reason = result
                done = (
                    _("{channel}: do not contact ({reason}).").format(
                        channel=_(channel), reason=reason
                    )
                    if reason
                    else _("{channel}: may be contacted again.").format(channel=_(channel))
                )
                self.save_change(
                    lambda conn: campaigns.set_do_not_contact(
                        conn, self.customer_id, channel, reason
                    ),
                    done,
                )

        self.app.push_screen(ContactBlockForm(blocked), chosen)

    def action_message(self) -> None:
        from .messages import send_message

        if self.card is not None:
            name = printable(self.card.details["name"])
            send_message(self, self.db_path, name, lambda _conn: [self.customer_id])

    def action_tag(self) -> None:
        from .tags import tag_customers

        name = self.card.details["name"] if self.card else _("this customer")
        customer_id = self.customer_id
        tag_customers(self, self.db_path, name, lambda _conn: [customer_id])

    def on_tags_booked(self, message: Message) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]
        self.reload()

    @on(DataTable.RowSelected, "#table-tags")
    def _tag_chosen(self, event: DataTable.RowSelected) -> None:
        from .tags import TAG_ACTION_DONE, TagActionsForm, apply_tag_action

        if not self.tags:
            return
        chosen_tag = self.tags[min(event.cursor_row, len(self.tags) - 1)]

        def save(action: str, day: Any) -> None:
            self.save_change(
                lambda conn: apply_tag_action(conn, chosen_tag.id, action, day),
                TAG_ACTION_DONE[action],
            )

        def chosen(result: tuple[str, Any] | None) -> None:
            if result is None:
                return
            action, day = result
            if action != "remove":
                save(action, day)
                return
            # Removing undoes the booking everywhere: asked once more, as one wrong key in
            # the menu would otherwise take it.
            from .card_forms import ConfirmForm

            question = _("Remove {label}, set {day}?").format(
                label=printable(_(chosen_tag.label)), day=i18n.shown_date(chosen_tag.set_on)
            )
            self.app.push_screen(
                ConfirmForm(question, _(
                    "It goes from the card and from every filter, as if never booked; the "
                    "audit trail keeps the removal. Enter or y removes, escape or n keeps it."
                )),
                lambda yes: save(action, day) if yes else None,
            )  # fmt: skip

        self.app.push_screen(TagActionsForm(chosen_tag), chosen)

    def action_add_to_campaign(self) -> None:
        from .campaigns import add_to_campaign

        name = self.card.details["name"] if self.card else _("this customer")
        customer_id = self.customer_id
        add_to_campaign(self, self.db_path, name, lambda _conn: [customer_id], _("customer card"))

    def on_added_to_campaign(self, message: Message) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]
        self.reload()

    def action_show_tab(self, key: str) -> None:
        """Show the tab ``key`` and put the cursor in its table."""
        self.query_one("#card-tabs", TabbedContent).active = f"tab-{key}"
        self.query_one(f"#table-{key}", DataTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
