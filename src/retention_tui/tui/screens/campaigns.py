"""Campaigns: the list with each queue, a new campaign from a template, activate and close,
save as a template, the effectiveness report; the picker other screens add members with."""

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
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ... import campaigns, i18n
from ...campaigns import Campaign, EffectRow, Template
from ...cells import printable
from ...customer_list import CustomerQuery
from ...errors import RetentionError
from ...i18n import _, pgettext
from ..errors import ReportsWorkerErrors
from ..saving import SavesChanges, read_db, write_db
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input, TextArea
from .card_forms import FORM_CSS, ConfirmForm, _Form, field_row
from .desktop import ScopedListScreen


class CampaignPicker(_Form):
    """Choose a campaign that is not closed; returns its id, or None."""

    DEFAULT_CSS = FORM_CSS.format(name="CampaignPicker")

    class Loaded(Message):
        def __init__(self, found: list[Campaign]) -> None:
            super().__init__()
            self.found = found

    def __init__(self, db_path: Path, what: str) -> None:
        super().__init__()
        self.db_path = db_path
        self.what = what
        self.found: list[Campaign] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Add to which campaign? {what}").format(what=self.what),
                        classes="form-title", markup=False)  # fmt: skip
            yield OptionList(id="campaign-choice")
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter adds (customers already in it stay as they are); escape "
                          "cancels. New campaigns are made on the campaigns screen (K)."),
                        classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        found = read_db(self.db_path, lambda c: campaigns.campaigns(c, include_closed=False))
        self.post_message(self.Loaded(found))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.found = message.found
        choice = self.query_one(OptionList)
        choice.clear_options()
        for c in message.found:
            choice.add_option(
                Option(
                    Text(
                        f"{printable(c.name)}  ·  {_(c.kind)}  ·  {pgettext('campaign', c.status)}"
                    ),
                    id=str(c.id),
                )
            )
        if not message.found:
            self.show_error(_("There is no open campaign yet: make one on the campaigns screen."))
        else:
            choice.highlighted = 0
            choice.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))


class NewCampaignForm(_Form):
    """Template, name, offer, cool-down and attempts; returns the fields, or None."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="NewCampaignForm")
        + "NewCampaignForm .field-row > Label { min-width: 19; }\n"
    )

    def __init__(self, templates: list[Template]) -> None:
        super().__init__()
        self.templates = templates

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("New campaign from a template"), classes="form-title", markup=False)
            yield OptionList(
                *(Option(Text(f"{printable(t.shown_name)}  ·  {_(t.kind)}"), id=t.key)
                  for t in self.templates),
                id="template-choice",
            )  # fmt: skip
            yield field_row(_("Name"), Input(placeholder=_("Name"), id="campaign-name"))
            yield field_row(_("Offer"), Input(placeholder=_("Offer"), id="campaign-offer"))
            yield field_row(
                _("Cool-down days"),
                Input(placeholder=_("Cool-down days"), id="campaign-cooldown", max_length=3),
            )
            yield field_row(
                _("Maximum attempts"),
                Input(placeholder=_("Maximum attempts"), id="campaign-attempts", max_length=2),
            )
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Pick a template (enter), then the fields; enter on the last one "
                          "makes a draft. Escape cancels."),
                        classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        choice = self.query_one(OptionList)
        choice.highlighted = 0
        choice.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        template = next(t for t in self.templates if t.key == event.option.id)
        self.query_one("#campaign-name", Input).value = template.shown_name
        self.query_one("#campaign-offer", Input).value = template.offer
        self.query_one("#campaign-cooldown", Input).value = str(template.cooldown_days)
        self.query_one("#campaign-attempts", Input).value = str(template.max_attempts)
        self.query_one("#campaign-name", Input).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        order = ["campaign-name", "campaign-offer", "campaign-cooldown", "campaign-attempts"]
        position = order.index(event.input.id or "")
        if position < len(order) - 1:
            self.query_one(f"#{order[position + 1]}", Input).focus()
            return
        choice = self.query_one(OptionList)
        key = self.templates[choice.highlighted or 0].key
        name = self.query_one("#campaign-name", Input).value.strip()
        numbers = []
        for field in ("campaign-cooldown", "campaign-attempts"):
            text = self.query_one(f"#{field}", Input).value.strip()
            if not text.isdigit():
                self.show_error(_("Cool-down and attempts are whole numbers."))
                self.query_one(f"#{field}", Input).focus()
                return
            numbers.append(int(text))
        if not name:
            self.show_error(_("A campaign needs a name."))
            self.query_one("#campaign-name", Input).focus()
            return
        offer = self.query_one("#campaign-offer", Input).value
        self.dismiss({"template_key": key, "name": name, "offer": offer,
                      "cooldown_days": numbers[0], "max_attempts": numbers[1]})  # fmt: skip


class EditCampaignForm(_Form):
    """Name, offer, script, period and queue rules of a campaign; ctrl+s returns them."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="EditCampaignForm")
        + """
    EditCampaignForm > Vertical { width: 84; max-width: 100%; }
    EditCampaignForm TextArea { height: 8; margin-bottom: 1; }
    EditCampaignForm .field { color: $text-muted; }
    """
    )
    BINDINGS = [
        *_Form.BINDINGS,
        Binding("ctrl+s", "save", _("Save"), id="edit_campaign.save",
                tooltip=_("Save the changes")),
    ]  # fmt: skip
    FIELDS = (
        ("name", "Name"), ("offer", "Offer"), ("starts_on", "From (YYYY-MM-DD)"),
        ("ends_on", "To (YYYY-MM-DD, empty: open)"), ("cooldown_days", "Cool-down days"),
        ("max_attempts", "Maximum attempts"),
    )  # fmt: skip

    def __init__(self, found: Campaign) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Edit the campaign"), classes="form-title", markup=False)
            for key, label in self.FIELDS:
                yield Label(_(label), classes="field", markup=False)
                value = getattr(self.found, key)
                yield Input(value="" if value is None else str(value), id=f"edit-{key}")
            yield Label(_("Script ({placeholders})").format(
                placeholders=" ".join(f"{{{p}}}" for p in campaigns.PLACEHOLDERS)),
                classes="field", markup=False)  # fmt: skip
            yield TextArea(self.found.script, id="edit-script", soft_wrap=True)
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter goes to the next field; ctrl+s saves, escape cancels."),
                        classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self.query_one("#edit-name", Input).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        from ...clock import parse_iso_date

        def value(key: str) -> str:
            return self.query_one(f"#edit-{key}", Input).value.strip()

        try:
            starts = parse_iso_date(value("starts_on"))
            ends = parse_iso_date(value("ends_on")) if value("ends_on") else None
        except RetentionError as error:
            self.show_error(error.message)
            return
        numbers = []
        for key in ("cooldown_days", "max_attempts"):
            if not value(key).isdigit():
                self.show_error(_("Cool-down and attempts are whole numbers."))
                return
            numbers.append(int(value(key)))
        self.dismiss({
            "name": value("name"), "offer": value("offer"),
            "script": self.query_one("#edit-script", TextArea).text,
            "starts_on": starts, "ends_on": ends,
            "cooldown_days": numbers[0], "max_attempts": numbers[1],
        })  # fmt: skip


class TemplateNameForm(_Form):
    DEFAULT_CSS = FORM_CSS.format(name="TemplateNameForm")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Save the campaign as a template named"), classes="form-title",
                        markup=False)  # fmt: skip
            yield Input(placeholder=_("Template name"), id="template-name")
            yield Static("", classes="form-error", markup=False)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.show_error(_("A template needs a name."))


class CampaignsScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """Every campaign with its queue; enter starts a call session on the one under the cursor."""

    BINDING_GROUP_TITLE = _("Campaigns")
    DEFAULT_CSS = """
    CampaignsScreen #campaigns-info { height: auto; padding: 0 1; color: $text-muted; }
    CampaignsScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "session", _("Call session"), id="campaigns.session",
                tooltip=_("Work the queue of the campaign under the cursor")),
        Binding("n", "new", pgettext("action", "New"), id="campaigns.new",
                tooltip=_("A draft campaign from a template")),
        Binding("a", "activate", _("Activate"), id="campaigns.activate",
                tooltip=_("Start the campaign: its queue opens, its members get the badge")),
        Binding("x", "close", _("Close"), id="campaigns.close",
                tooltip=_("End the campaign; its history stays")),
        Binding("E", "edit", _("Edit"), id="campaigns.edit",
                tooltip=_("Name, offer, script, period, cool-down and attempts")),
        Binding("m", "members", _("Members"), id="campaigns.members",
                tooltip=_("The campaign's customers: search, filter, open a card, remove")),
        Binding("t", "save_template", _("As template"), id="campaigns.template",
                tooltip=_("Save the campaign as a template of your own")),
        Binding("e", "report", _("Effect"), id="campaigns.report",
                tooltip=_("Called, reached, appointments, who came back, beside the uncalled")),
        Binding("r", "reload", _("Reload"), id="campaigns.reload", tooltip=_("Read again")),
        Binding("escape,q", "back", _("Back"), id="campaigns.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, rows: list[tuple[Campaign, dict[str, int]]]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.rows: list[tuple[Campaign, dict[str, int]]] = []

    @property
    def title_text(self) -> str:
        return _("Campaigns")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Reading the campaigns …"), id="campaigns-info", markup=False)
        yield DataTable(id="campaigns-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_screen_resume(self) -> None:
        # Shown, or back from a call session or a member list: the figures may have moved.
        self.reload()

    def after_save(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaigns")
    def _load(self) -> None:
        def read(conn: Any) -> list[tuple[Campaign, dict[str, int]]]:
            return [(c, campaigns.queue_state(conn, c.id)) for c in campaigns.campaigns(conn)]

        found = read_db(self.db_path, read)
        if not get_current_worker().is_cancelled:  # a later read (after a save) is on its way
            self.post_message(self.Loaded(found))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.rows = message.rows
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        if not table.columns:
            # The figures an advisor works by come first: at 80 columns they stay in view.
            for title in (_("Name"), _("Status"), _("Members"), _("Ready"), _("Callbacks"),
                          _("Cool-down"), _("Done"), _("Kind"), pgettext("period", "From"),
                          pgettext("period", "To")):  # fmt: skip
                table.add_column(Text(title))
        for c, queue in message.rows:
            table.add_row(
                Text(printable(c.name)), Text(pgettext("campaign", c.status)),
                Text(i18n.number(sum(queue.values())), justify="right"),
                Text(i18n.number(queue['ready now']), justify="right"),
                Text(i18n.number(queue['callback later']), justify="right"),
                Text(i18n.number(queue['on cool-down']), justify="right"),
                Text(i18n.number(queue['done']), justify="right"),
                Text(_(c.kind)), Text(c.starts_on), Text(c.ends_on or ""),
            )  # fmt: skip
        if message.rows:
            table.move_cursor(row=min(keep, len(message.rows) - 1))
        self.query_one("#campaigns-info", Static).update(
            _("{n} campaigns. Enter: call session · n: new from a template · a: activate · "
              "m: members · x: close · e: effect").format(n=len(message.rows))
        )  # fmt: skip
        table.focus()

    def _selected(self) -> Campaign | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0:
            self.notify(_("There is no campaign yet: n makes one."), markup=False)
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)][0]

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_session()

    def action_session(self) -> None:
        from .call_session import CallSessionScreen

        found = self._selected()
        if found is None:
            return
        if found.status != "active":
            self.notify(
                _("'{name}' is {status}: activate it (a) to work its queue.").format(
                    name=printable(found.name), status=pgettext("campaign", found.status)
                ),
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(CallSessionScreen(self.db_path, found.id), lambda _r: self.reload())

    def action_new(self) -> None:
        templates = read_db(self.db_path, campaigns.templates)

        def chosen(fields: dict[str, Any] | None) -> None:
            if fields is not None:
                self.save_change(
                    lambda conn: campaigns.new_campaign(conn, **fields),
                    _("Draft campaign '{name}' made; add members from any list (+), then "
                      "activate it (a).").format(name=fields["name"]),
                )  # fmt: skip

        self.app.push_screen(NewCampaignForm(templates), chosen)

    def _status(self, status: str, done: str) -> None:
        found = self._selected()
        if found is not None:
            self.save_change(
                lambda conn: campaigns.set_status(conn, found.id, status),
                done.format(name=found.name),
            )

    def action_activate(self) -> None:
        self._status("active", _("'{name}' is active."))

    def action_close(self) -> None:
        self._status("closed", _("'{name}' is closed."))

    def action_members(self) -> None:
        found = self._selected()
        if found is not None:
            self.app.push_screen(CampaignMembersScreen(self.db_path, found),
                                 lambda _r: self.reload())  # fmt: skip

    def action_edit(self) -> None:
        found = self._selected()
        if found is None:
            return

        def chosen(fields: dict[str, Any] | None) -> None:
            if fields is not None:
                self.save_change(
                    lambda conn: campaigns.update_campaign(conn, found.id, **fields),
                    _("'{name}' saved.").format(name=fields["name"]),
                )

        self.app.push_screen(EditCampaignForm(found), chosen)

    def action_save_template(self) -> None:
        found = self._selected()
        if found is None:
            return

        def chosen(name: str | None) -> None:
            if name:
                self.save_change(
                    lambda conn: campaigns.save_as_template(conn, found.id, name),
                    _("Saved as the template '{name}'.").format(name=name),
                )

        self.app.push_screen(TemplateNameForm(), chosen)

    def action_report(self) -> None:
        found = self._selected()
        if found is not None:
            self.app.push_screen(CampaignReportScreen(self.db_path, found))

    def action_back(self) -> None:
        self.app.pop_screen()


class CampaignReportScreen(ReportsWorkerErrors, Screen[None]):
    """A campaign's effectiveness, per outcome and advisor, beside the comparable uncalled."""

    BINDING_GROUP_TITLE = _("Campaign effect")
    DEFAULT_CSS = """
    CampaignReportScreen #report-info { height: auto; padding: 0 1; color: $text-muted; }
    CampaignReportScreen DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "back", _("Back"), id="campaign_report.back",
                        tooltip=_("Back"))]  # fmt: skip

    class Loaded(Message):
        def __init__(self, rows: list[EffectRow]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self, db_path: Path, found: Campaign) -> None:
        super().__init__()
        self.db_path = db_path
        self.found = found

    @property
    def title_text(self) -> str:
        return _("Campaign effect")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Counting …"), id="report-info", markup=False)
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = printable(self.found.name)
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        rows = read_db(self.db_path, lambda c: campaigns.effectiveness(c, self.found.id))
        self.post_message(self.Loaded(rows))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for title in ("", "", _("Members"), _("Called"), _("Reached"), _("Booked"),
                      _("Back ≤30d"), _("≤60d"), _("≤90d"), _("Conv.")):  # fmt: skip
            table.add_column(Text(title))
        sections = {"campaign": _("campaign"), "outcome": _("outcome"), "advisor": _("advisor"),
                    "comparable": _("comparable")}  # fmt: skip
        for r in message.rows:
            name = _(r.name) if r.section == "outcome" else r.name
            numbers = (r.members, r.called, r.reached, r.appointments, *r.came_back)
            table.add_row(
                Text(sections[r.section], style="dim"), Text(printable(name)),
                *(Text(i18n.number(n), justify="right") for n in numbers),
                Text("" if r.conversion is None else i18n.percent(r.conversion, 1),
                     justify="right"),
            )  # fmt: skip
        self.query_one("#report-info", Static).update(
            _("Back ≤30d / ≤60d / ≤90d: came back for a visit within so many days of the "
              "first call; conversion: of the called, back within 90 days. The "
              "comparable customers were last seen in the same months as the members, are in "
              "no campaign, and count from the campaign's start.")
        )  # fmt: skip

    def action_back(self) -> None:
        self.app.pop_screen()


class CampaignMembersScreen(SavesChanges, ScopedListScreen):
    """A campaign's members in the desktop's list (search, filters, sort, card, export), with
    keys to take the customer under the cursor, or the whole list shown, out of it."""

    BINDING_GROUP_TITLE = _("Members")
    BINDINGS = [
        Binding("delete", "remove", _("Remove"), id="members.remove",
                tooltip=_("Take the customer under the cursor out of the campaign")),
        Binding("X", "remove_list", _("Remove list"), id="members.remove_list",
                tooltip=_("Take every customer of this list out of the campaign")),
    ]  # fmt: skip

    def __init__(self, db_path: Path, campaign: Campaign) -> None:
        super().__init__(
            db_path,
            CustomerQuery(scope=("campaign", campaign.id)),
            _("Members of '{name}'").format(name=printable(campaign.name)),
        )
        self.campaign = campaign

    def action_remove(self) -> None:
        row = self.table.current_row
        if row is None:
            self.notify(_("No customer under the cursor."), severity="warning", markup=False)
            return
        customer_id, name = row.id, str(row.values.get("name") or "")
        self.save_change(
            lambda conn: campaigns.remove_members(conn, self.campaign.id, [customer_id]),
            _("{name} is out of '{campaign}'; the calls stay in the history.").format(
                name=name, campaign=self.campaign.name
            ),
        )

    def action_remove_list(self) -> None:
        query = self.customer_query
        if not (query.search.strip() or query.filters):
            what = _("every member")
        elif self.table.matches_of(query) == 0:
            self.notify(_("The list is empty: nobody to take out."), severity="warning",
                        markup=False)  # fmt: skip
            return
        else:
            what = self._list_words()

        def remove(conn: Any) -> None:
            from ...customer_list import ListContext, snapshot

            found = list(snapshot(conn, query, ListContext.load(conn)) or [])
            campaigns.remove_members(conn, self.campaign.id, found)

        def answered(yes: bool | None) -> None:
            if yes:
                self.save_change(
                    remove,
                    _("Removed from '{campaign}': {what}.").format(
                        what=what, campaign=self.campaign.name
                    ),
                )

        self.app.push_screen(
            ConfirmForm(
                _("Take out of '{campaign}'? {what}").format(what=what,
                                                            campaign=self.campaign.name),
                _("Their calls stay in the history; + adds them again. "
                  "Enter or y removes, escape or n keeps them."),
            ),
            answered,
        )  # fmt: skip

    def after_save(self) -> None:
        self.table.reload()


def add_to_campaign(screen: Any, db_path: Path, what: str, ids: Callable[[Any], list[int]],
                    source: str) -> None:  # fmt: skip
    """Ask for a campaign and add the customers ``ids(conn)`` gives, in a worker."""

    def chosen(campaign_id: int | None) -> None:
        if campaign_id is None:
            return

        def change(conn: Any) -> None:
            found = ids(conn)
            added = campaigns.add_members(conn, campaign_id, found, source)
            if not found:
                raise RetentionError(_("The list is empty: nobody was added."))
            screen.post_message(
                AddedToCampaign(
                    _("{added} added to the campaign ({already} were members already).").format(
                        added=i18n.number(added), already=i18n.number(len(set(found)) - added)
                    )
                )
            )

        screen.run_worker(lambda: write_db(db_path, change), thread=True, exit_on_error=False,
                          group="add-members", name="add-members")  # fmt: skip

    screen.app.push_screen(CampaignPicker(db_path, what), chosen)


class AddedToCampaign(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
