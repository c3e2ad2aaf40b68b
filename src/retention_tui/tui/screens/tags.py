"""Tags on screen: the form that books a tag (one customer or a whole list), what to do with a
tag on the card, the catalogue (managers) and the trade-in screen with its matches."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from ... import i18n, tags, trade_ins
from ...cells import printable
from ...errors import RetentionError
from ...i18n import _, pgettext
from ...tags import CustomerTag, Tag, Tagging
from ...textfold import fold
from ..errors import ReportsWorkerErrors
from ..saving import SavesChanges, read_db, write_db
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input
from .card_forms import FORM_CSS, _Form, field_row


def _number(text: str, what: str, whole: bool = True) -> Any:
    """A number as people type it: ``15000``, ``15.000``, ``15,000``, ``15 000``; a price may
    have decimals (``12500,50`` or ``12500.50``)."""
    value = text.strip().replace(" ", "").replace("'", "")
    if not value:
        return None
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", value):  # thousands separated
        value = value.replace(".", "").replace(",", "")
    elif not whole:
        value = value.replace(",", ".")
    try:
        return int(value) if whole else float(value)
    except ValueError:
        raise RetentionError(
            _("{what}: '{value}' is not a number.").format(what=what, value=text.strip())
        ) from None


class TagForm(_Form):
    """Pick a tag from the catalogue (type to narrow), then its details; returns a
    :class:`Tagging`, or None."""

    DEFAULT_CSS = (
        FORM_CSS.format(name="TagForm")
        + """
    TagForm > Vertical { width: 72; max-height: 100%; overflow-y: auto; }
    TagForm #tag-wishes { height: auto; display: none; }
    TagForm #tag-wishes.-shown { display: block; }
    TagForm #tag-details { height: auto; display: none; }
    TagForm #tag-details.-shown { display: block; }
    TagForm #tag-picked { color: $accent; height: auto; margin-bottom: 1; }
    TagForm .tag-field { height: 1; }
    TagForm .tag-field Label { width: 13; color: $text-muted; }
    TagForm .tag-field Input { margin-bottom: 0; width: 1fr; }
    TagForm .tag-wish-title { margin-top: 1; color: $text-muted; text-style: italic; }
    TagForm .form-error { margin-top: 1; }
    """
    )
    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), id="tag_form.save", tooltip=_("Book the tag")),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    FIELDS = ("tag-grade", "tag-until", "tag-follow-up", "tag-note")
    WISHES = ("wish-brand", "wish-model", "wish-year", "wish-mileage", "wish-price", "wish-text")

    def __init__(self, catalogue: list[Tag], what: str) -> None:
        super().__init__()
        self.catalogue = [t for t in catalogue if not t.retired]
        self.what = what
        self.shown: list[Tag] = list(self.catalogue)
        self.picked: Tag | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Book a tag: {what}").format(what=self.what), classes="form-title",
                        markup=False)  # fmt: skip
            yield Input(placeholder=_("Type to find a tag (code or label)"), id="tag-find")
            yield OptionList(*self._options(), id="tag-choice")
            yield Static("", id="tag-picked", markup=False)
            with Vertical(id="tag-details"):
                for label, field in (
                    (_("Grade"), Input(placeholder=_("1-6, 1 is best (empty: none)"),
                                       id="tag-grade", max_length=1)),
                    (_("Valid until"), Input(placeholder="", id="tag-until")),
                    (_("Follow-up"), Input(placeholder=_("YYYY-MM-DD or +days (empty: none)"),
                                           id="tag-follow-up")),
                    (_("Note"), Input(placeholder=_("anything to remember"), id="tag-note")),
                ):  # fmt: skip
                    with Horizontal(classes="tag-field"):
                        yield Label(label, markup=False)
                        yield field
                with Vertical(id="tag-wishes"):
                    yield Label(_("What the customer would like to buy"), classes="tag-wish-title")
                    for label, field in (
                        (_("Brand"), Input(placeholder=_("e.g. BMW"), id="wish-brand")),
                        (_("Model"), Input(placeholder=_("model or series, e.g. R 1250"),
                                           id="wish-model")),
                        (_("Built from"), Input(placeholder=_("year, e.g. 2019"),
                                                id="wish-year", max_length=4)),
                        (_("Mileage"), Input(placeholder=_("km at most"), id="wish-mileage")),
                        (_("Price"), Input(placeholder=_("at most"), id="wish-price")),
                        (_("Else"), Input(placeholder=_("anything else wanted"), id="wish-text")),
                    ):  # fmt: skip
                        with Horizontal(classes="tag-field"):
                            yield Label(label, markup=False)
                            yield field
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Type, then enter picks the highlighted tag (up/down move); enter "
                          "goes from field to field, ctrl+s books. Escape cancels."),
                        classes="form-hint", markup=False)  # fmt: skip

    def _options(self) -> list[Option]:
        return [
            Option(Text(f"{printable(_(t.label))}  ·  {t.code}  ·  {_(t.group)}"), id=t.code)
            for t in self.shown
        ]

    def on_mount(self) -> None:
        choice = self.query_one(OptionList)
        if self.shown:
            choice.highlighted = 0
        self.query_one("#tag-find", Input).focus()

    @on(Input.Changed, "#tag-find")
    def _narrow(self, event: Input.Changed) -> None:
        word = fold(event.value)
        self.shown = [
            t for t in self.catalogue
            if not word or word in t.code or word in fold(_(t.label)) or word in fold(t.label)
        ]  # fmt: skip
        choice = self.query_one(OptionList)
        choice.clear_options()
        choice.add_options(self._options())
        if self.shown:
            choice.highlighted = 0

    def action_move(self, step: int) -> None:
        if self.picked is None:
            choice = self.query_one(OptionList)
            if step > 0:
                choice.action_cursor_down()
            else:
                choice.action_cursor_up()
        else:
            self.focus_next() if step > 0 else self.focus_previous()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._pick(str(event.option.id))

    def _pick(self, code: str) -> None:
        found = next(t for t in self.catalogue if t.code == code)
        self.picked = found
        self.query_one("#tag-find", Input).display = False
        self.query_one(OptionList).display = False
        until = (
            _("YYYY-MM-DD or +days (default: {days} days)").format(days=found.valid_days)
            if found.valid_days
            else _("YYYY-MM-DD or +days (default: no end)")
        )
        self.query_one("#tag-picked", Static).update(
            Text(_("Tag: {label} ({code})").format(label=_(found.label), code=found.code))
        )
        self.query_one("#tag-until", Input).placeholder = until
        grade = self.query_one("#tag-grade", Input)
        assert grade.parent is not None
        grade.parent.display = found.graded
        self.query_one("#tag-details").add_class("-shown")
        self.query_one("#tag-wishes").set_class(found.code == trade_ins.INTEREST, "-shown")
        self._order()[0].focus()

    def _order(self) -> list[Input]:
        assert self.picked is not None
        names = [n for n in self.FIELDS if n != "tag-grade" or self.picked.graded]
        if self.picked.code == trade_ins.INTEREST:
            names += list(self.WISHES)
        return [self.query_one(f"#{n}", Input) for n in names]

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "tag-find":
            choice = self.query_one(OptionList)
            if choice.highlighted is None or not self.shown:
                self.show_error(_("No tag matches; a manager adds tags in the catalogue."))
                return
            self._pick(self.shown[choice.highlighted].code)
            return
        order = self._order()
        position = order.index(event.input)
        if position < len(order) - 1:
            order[position + 1].focus()
        else:
            self.action_save()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def action_save(self) -> None:
        found = self.picked
        if found is None:
            self.show_error(_("Pick a tag first."))
            return
        try:
            grade_text = self._value("tag-grade").strip() if found.graded else ""
            if grade_text and not (grade_text.isdigit() and 1 <= int(grade_text) <= 6):
                raise RetentionError(_("A grade is a school grade from 1 (best) to 6."))
            wishes = None
            if found.code == trade_ins.INTEREST:
                wishes = trade_ins.Wishes(
                    self._value("wish-brand").strip(), self._value("wish-model").strip(),
                    _number(self._value("wish-year"), _("Year")),
                    _number(self._value("wish-mileage"), _("Mileage")),
                    _number(self._value("wish-price"), _("Price"), whole=False),
                    self._value("wish-text").strip(),
                ).to_dict() or None  # fmt: skip
            tagging = Tagging(
                found.code,
                int(grade_text) if grade_text else None,
                tags.parse_day(self._value("tag-until"), _("Valid until")),
                tags.parse_day(self._value("tag-follow-up"), _("Follow-up")),
                self._value("tag-note"),
                wishes=wishes,
            )
            tags.details(found, tagging.grade, None, tagging.valid_until)  # checks the days
        except RetentionError as problem:
            self.show_error(problem.message)
            return
        self.dismiss(tagging)


class TagsBooked(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def ask_tagging(screen: Any, db_path: Path, what: str,
                then: Callable[[Tagging], None]) -> None:  # fmt: skip
    """Open :class:`TagForm` over the catalogue (read in a worker); ``then`` gets what was
    chosen."""

    def chosen(tagging: Tagging | None) -> None:
        if tagging is not None:
            then(tagging)

    def load() -> None:
        catalogue = read_db(db_path, lambda conn: tags.catalogue(conn, include_retired=False))
        screen.app.call_from_thread(
            lambda: screen.app.push_screen(TagForm(catalogue, what), chosen)
        )

    screen.run_worker(load, thread=True, exit_on_error=False, group="tag-form", name="tag-form")


def booked_text(tagging: Tagging, found: list[int], added: int) -> str:
    refreshed = len(set(found)) - added
    if len(set(found)) == 1:
        return (
            _("Tag {code} booked.") if added else _("Tag {code} refreshed (it was valid already).")
        ).format(code=tagging.code)
    return _("Tag {code}: {added} tagged, {refreshed} refreshed.").format(
        code=tagging.code, added=i18n.number(added), refreshed=i18n.number(refreshed)
    )


def tag_customers(screen: Any, db_path: Path, what: str,
                  ids: Callable[[Any], list[int]]) -> None:  # fmt: skip
    """Ask for a tag and its details, then book it on the customers ``ids(conn)`` gives, in a
    worker; the screen gets :class:`TagsBooked`."""

    def book(tagging: Tagging) -> None:
        def book_all(conn: Any) -> str:
            found = ids(conn)
            if not found:
                raise RetentionError(_("The list is empty: nobody was tagged."))
            return booked_text(tagging, found, tags.add(conn, found, tagging))

        def change() -> None:
            screen.post_message(TagsBooked(write_db(db_path, book_all)))

        screen.run_worker(change, thread=True, exit_on_error=False, group="tag-customers",
                          name="tag-customers")  # fmt: skip

    ask_tagging(screen, db_path, what, book)


class TagActionsForm(_Form):
    """What to do with a tag on the card: follow-up done, move the follow-up, end it, remove
    it; returns (action, day or None), or None."""

    DEFAULT_CSS = FORM_CSS.format(name="TagActionsForm")

    def __init__(self, tag: CustomerTag) -> None:
        super().__init__()
        self.tag = tag

    def compose(self) -> ComposeResult:
        t = self.tag
        with Vertical():
            yield Label(_("{label}, set {day}").format(label=printable(_(t.label)), day=t.set_on),
                        classes="form-title", markup=False)  # fmt: skip
            options = []
            if t.follow_up_on:
                options.append(Option(_("Follow-up done"), id="done"))
            options.append(Option(_("Follow up on another day …"), id="move"))
            options.append(Option(_("End it today (stays on the card as expired)"), id="end"))
            options.append(Option(_("Remove it (booked by mistake)"), id="remove"))
            yield OptionList(*options, id="tag-action")
            yield Input(placeholder=_("Follow-up: YYYY-MM-DD or +days"), id="tag-move-day")
            yield Static("", classes="form-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#tag-move-day", Input).display = False
        choice = self.query_one(OptionList)
        choice.highlighted = 0
        choice.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "move":
            day = self.query_one("#tag-move-day", Input)
            day.display = True
            day.focus()
            return
        self.dismiss((str(event.option.id), None))

    @on(Input.Submitted)
    def _day(self, event: Input.Submitted) -> None:
        try:
            day = tags.parse_day(event.value, _("Follow-up"))
        except RetentionError as problem:
            self.show_error(problem.message)
            return
        if day is None:
            self.show_error(_("Type a day, or escape."))
            return
        self.dismiss(("move", day))


def apply_tag_action(conn: Any, customer_tag_id: int, action: str, day: Any) -> None:
    if action == "done":
        tags.set_follow_up(conn, customer_tag_id, None)
    elif action == "move":
        tags.set_follow_up(conn, customer_tag_id, day)
    elif action == "end":
        tags.end(conn, customer_tag_id)
    elif action == "remove":
        tags.remove(conn, customer_tag_id)


TAG_ACTION_DONE = {
    "done": _("Follow-up done."),
    "move": _("Follow-up moved."),
    "end": _("Tag ended."),
    "remove": _("Tag removed."),
}


# -- the catalogue -------------------------------------------------------------------------------


class CatalogueEntryForm(_Form):
    """A new catalogue entry, or a new label for one; returns the fields, or None."""

    DEFAULT_CSS = FORM_CSS.format(name="CatalogueEntryForm")

    def __init__(self, entry: Tag | None = None) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical():
            yield Label(_("New tag") if e is None else _("Change the tag '{code}'").format(
                code=e.code), classes="form-title", markup=False)  # fmt: skip
            yield field_row(_("Code"), Input(
                value=e.code if e else "", placeholder=_("Code, e.g. track-day"),
                id="entry-code", disabled=e is not None))  # fmt: skip
            yield field_row(
                _("Label"),
                Input(value=e.label if e else "", placeholder=_("Label"), id="entry-label"),
            )
            yield field_row(_("Group"), Input(
                value=e.group if e else "", id="entry-group",
                placeholder=_("Group: {groups} (empty: other)").format(
                    groups=", ".join(tags.GROUPS))))  # fmt: skip
            yield field_row(_("Valid"), Input(
                value=str(e.valid_days or "") if e else "", id="entry-days",
                placeholder=_("Valid for days (empty: no end)")))  # fmt: skip
            yield field_row(_("Grade"), Input(
                value=("yes" if e.graded else "no") if e else "no",
                placeholder=_("Takes a grade 1-6? yes / no"), id="entry-graded",
                disabled=e is not None))  # fmt: skip
            yield Static("", classes="form-error", markup=False)
            yield Label(_("Enter goes from field to field and saves on the last."),
                        classes="form-hint", markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self.query_one("#entry-label" if self.entry else "#entry-code", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        order = [i for i in self.query(Input) if not i.disabled]
        position = order.index(event.input)
        if position < len(order) - 1:
            order[position + 1].focus()
            return
        values = {i.id: i.value.strip() for i in self.query(Input)}
        days = values["entry-days"]
        if days and not days.isdigit():
            self.show_error(_("The validity is a number of days, or empty."))
            return
        self.dismiss({
            "code": values["entry-code"], "label": values["entry-label"],
            "group": values["entry-group"] or "other", "valid_days": int(days) if days else None,
            "graded": fold(values["entry-graded"]) in ("yes", "y", "1", fold(_("yes"))),
        })  # fmt: skip


class TagCatalogueScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """The catalogue with the number of customers holding each tag today."""

    BINDING_GROUP_TITLE = _("Tags")
    DEFAULT_CSS = """
    TagCatalogueScreen #catalogue-info { height: auto; padding: 0 1; color: $text-muted; }
    TagCatalogueScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "customers", _("Customers"), id="catalogue.customers",
                tooltip=_("The customers holding the tag under the cursor")),
        Binding("n", "new", pgettext("action", "New"), id="catalogue.new",
                tooltip=_("A new tag (managers)")),
        Binding("e", "edit", _("Change"), id="catalogue.edit",
                tooltip=_("Label, group and validity of the tag under the cursor (managers)")),
        Binding("delete", "retire", _("Retire"), id="catalogue.retire",
                tooltip=_("No longer offer the tag; used ones stay and still filter")),
        Binding("r", "reload", _("Reload"), id="catalogue.reload", tooltip=_("Read again")),
        Binding("escape,q", "back", _("Back"), id="catalogue.back", tooltip=_("Back")),
    ]  # fmt: skip

    class Loaded(Message):
        def __init__(self, rows: list[Tag]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.rows: list[Tag] = []

    @property
    def title_text(self) -> str:
        return _("Tag catalogue")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Reading the catalogue …"), id="catalogue-info", markup=False)
        yield DataTable(id="catalogue-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # How many hold each tag comes right after its name: at 80 columns it stays in view.
        for title in (_("Label"), _("Customers"), _("Code"), _("Group"), _("Valid"), _("Grade"),
                      _("Automatic")):  # fmt: skip
            table.add_column(Text(title))
        self.reload()

    def after_save(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalogue")
    def _load(self) -> None:
        self.post_message(
            self.Loaded(read_db(self.db_path, lambda c: tags.catalogue(c, with_uses=True)))
        )

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.rows = message.rows
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for t in message.rows:
            style = "dim" if t.retired else ""
            valid = _("{days} days").format(days=t.valid_days) if t.valid_days else "—"
            table.add_row(
                Text(printable(_(t.label)) + (f" ({_('retired')})" if t.retired else ""),
                     style=style),
                Text(i18n.number(t.uses), justify="right", style=style),
                Text(t.code, style=style), Text(_(t.group), style=style), Text(valid, style=style),
                Text("1–6" if t.graded else "", style=style),
                Text(_("yes") if t.automatic else "", style=style),
            )  # fmt: skip
        if message.rows:
            table.move_cursor(row=min(keep, len(message.rows) - 1))
        self.query_one("#catalogue-info", Static).update(
            _("{n} tags; customers holding each today. Enter: those customers · n: new · "
              "e: change · delete: retire").format(n=len(message.rows))
        )  # fmt: skip
        table.focus()

    def _selected(self) -> Tag | None:
        table = self.query_one(DataTable)
        if not self.rows:
            return None
        return self.rows[min(max(table.cursor_row, 0), len(self.rows) - 1)]

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_customers()

    def action_customers(self) -> None:
        from ...customer_list import CustomerQuery
        from .desktop import ScopedListScreen

        found = self._selected()
        if found is not None:
            query = CustomerQuery(filters=(("tags", found.code),))
            self.app.push_screen(
                ScopedListScreen(self.db_path, query, _("Tag: {label}").format(
                    label=_(found.label)))
            )  # fmt: skip

    def action_new(self) -> None:
        def chosen(fields: dict[str, Any] | None) -> None:
            if fields is not None:
                self.save_change(
                    lambda conn: tags.add_to_catalogue(
                        conn, fields["code"], fields["label"], group=fields["group"],
                        valid_days=fields["valid_days"], graded=fields["graded"],
                    ),
                    _("Tag '{code}' added.").format(code=fields["code"]),
                )  # fmt: skip

        self.app.push_screen(CatalogueEntryForm(), chosen)

    def action_edit(self) -> None:
        found = self._selected()
        if found is None:
            return

        def chosen(fields: dict[str, Any] | None) -> None:
            if fields is not None:
                self.save_change(
                    lambda conn: tags.change_in_catalogue(
                        conn, found.code, label=fields["label"], group=fields["group"],
                        valid_days=fields["valid_days"],
                    ),
                    _("Tag '{code}' saved.").format(code=found.code),
                )  # fmt: skip

        self.app.push_screen(CatalogueEntryForm(found), chosen)

    def action_retire(self) -> None:
        found = self._selected()
        if found is None:
            return
        done = {
            "deleted": _("Tag '{code}' was never used: deleted."),
            "retired": _("Tag '{code}' retired: no longer offered; what was booked stays."),
            "restored": _("Tag '{code}' is offered again."),
        }
        self.save_change(
            lambda conn: tags.retire(conn, found.code, retired=not found.retired),
            lambda what: done[str(what)].format(code=found.code),
        )

    def action_back(self) -> None:
        self.app.pop_screen()


# -- trade-ins -------------------------------------------------------------------------------


class TradeInScreen(SavesChanges, ReportsWorkerErrors, Screen[None]):
    """Record a vehicle taken in trade and see the purchase interests it matches, best first
    with why; + adds those customers to a campaign, enter opens a card."""

    BINDING_GROUP_TITLE = _("Trade-in")
    DEFAULT_CSS = """
    TradeInScreen #trade-form { height: auto; padding: 0 1; }
    TradeInScreen .trade-field { height: 1; }
    TradeInScreen .trade-field Label { width: 10; color: $text-muted; }
    TradeInScreen #trade-form Input { border: none; height: 1; background: $boost; width: 1fr; }
    TradeInScreen #trade-form Input:focus { border: none; background: $accent 25%; }
    TradeInScreen #trade-info { height: auto; padding: 0 1; color: $text-muted; }
    TradeInScreen DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+s", "record", _("Record"), id="trade_in.record",
                tooltip=_("Record the vehicle and list the matching purchase interests")),
        Binding("plus", "add_to_campaign", _("+Campaign"), id="trade_in.add_to_campaign",
                tooltip=_("Add the matching customers to a campaign")),
        Binding("escape", "back", _("Back"), id="trade_in.back", tooltip=_("Back")),
    ]  # fmt: skip

    FIELDS = ("trade-brand", "trade-model", "trade-year", "trade-mileage", "trade-price")

    class Matched(Message):
        def __init__(self, vehicle: trade_ins.Vehicle, found: list[trade_ins.Match]) -> None:
            super().__init__()
            self.vehicle = vehicle
            self.found = found

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.db_path = db_path
        self.found: list[trade_ins.Match] = []

    @property
    def title_text(self) -> str:
        return _("Trade-in")

    def compose(self) -> ComposeResult:
        yield Header()
        fields = (
            (_("Brand"), _("e.g. BMW Motorrad"), "trade-brand", 0),
            (_("Model"), _("model or series, e.g. R 1250 GS"), "trade-model", 0),
            (_("Year"), _("built in, e.g. 2021"), "trade-year", 4),
            (_("Mileage"), _("km, e.g. 23000"), "trade-mileage", 0),
            (_("Price"), _("asking price, e.g. 15500"), "trade-price", 0),
        )
        with Vertical(id="trade-form"):
            for label, hint, name, length in fields:
                with Horizontal(classes="trade-field"):
                    yield Label(label, markup=False)
                    yield Input(placeholder=hint, id=name, max_length=length)
        yield Static(_("Type the vehicle taken in trade; enter goes from field to field and "
                       "records it on the last (ctrl+s at any time)."),
                     id="trade-info", markup=False)  # fmt: skip
        yield DataTable(id="trade-matches", cursor_type="row", zebra_stripes=True)
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title in (_("No."), _("Name"), _("Phone"), _("Why"), _("Wishes"), _("Grade"),
                      _("Since")):  # fmt: skip
            table.add_column(Text(title))
        self.query_one("#trade-brand", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        position = self.FIELDS.index(event.input.id or "")
        if position < len(self.FIELDS) - 1:
            self.query_one(f"#{self.FIELDS[position + 1]}", Input).focus()
        else:
            self.action_record()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def action_record(self) -> None:
        try:
            vehicle = trade_ins.Vehicle(
                self._value("trade-brand").strip(), self._value("trade-model").strip(),
                _number(self._value("trade-year"), _("Year")),
                _number(self._value("trade-mileage"), _("Mileage")),
                _number(self._value("trade-price"), _("Price"), whole=False),
            )  # fmt: skip
        except RetentionError as problem:
            self.notify(problem.message, severity="warning", markup=False)
            return
        self._record(vehicle)

    @work(thread=True, exclusive=True, exit_on_error=False, group="trade-in")
    def _record(self, vehicle: trade_ins.Vehicle) -> None:
        ((_id, found),) = write_db(self.db_path, lambda conn: trade_ins.add(conn, [vehicle]))
        self.post_message(self.Matched(vehicle, found))

    @on(Matched)
    def _show(self, message: Matched) -> None:
        self.found = message.found
        table = self.query_one(DataTable)
        table.clear()
        for m in message.found:
            table.add_row(
                Text(printable(m.customer_no)), Text(printable(m.name)), Text(printable(m.phone)),
                Text(printable("; ".join(m.why))), Text(printable(m.wishes.describe())),
                Text(str(m.grade or "")), Text(m.set_on),
            )  # fmt: skip
        v = message.vehicle
        self.query_one("#trade-info", Static).update(
            Text(
                _("{brand} {model} recorded: {n} valid purchase interests match, best first. "
                  "Enter: card · +: add them to a campaign.").format(
                    brand=printable(v.brand), model=printable(v.model), n=len(message.found))
                if message.found
                else _("{brand} {model} recorded: no valid purchase interest matches.").format(
                    brand=printable(v.brand), model=printable(v.model))
            )
        )  # fmt: skip
        if message.found:
            table.focus()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from .customer_card import CustomerCardScreen

        if self.found:
            match = self.found[min(event.cursor_row, len(self.found) - 1)]
            self.app.push_screen(CustomerCardScreen(self.db_path, match.customer_id))

    def action_add_to_campaign(self) -> None:
        from .campaigns import add_to_campaign

        if not self.found:
            self.notify(_("No matches to add yet."), severity="warning", markup=False)
            return
        ids = [m.customer_id for m in self.found]
        add_to_campaign(self, self.db_path, _("the matching customers"), lambda _c: ids,
                        _("trade-in matches"))  # fmt: skip

    def on_added_to_campaign(self, message: Message) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
