"""The operator desktop: every customer, searched and filtered by any column, with badges."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Header, Label, Static

from ... import clock, i18n
from ...cells import printable
from ...customer_list import (
    COLUMN_BY_KEY,
    COLUMNS,
    CustomerQuery,
    FilterError,
    ListContext,
    filter_forms,
)
from ...i18n import _, ngettext
from ..errors import ReportsWorkerErrors
from ..widgets.customer_table import CustomerTable
from ..widgets.footer import KeysFooter
from ..widgets.inputs import Input

# The desktop's own keys, off on the lists that reuse the desktop (drilldowns, reports).
DESKTOP_ONLY = (
    "save_view", "views", "overview", "loyalty", "reasons", "departed", "churn", "retention",
    "campaigns", "tag_catalogue", "trade_in", "outbox",
)  # fmt: skip

# Typing pauses shorter than this are one edit: the query runs once, after the last key. The
# first key after a longer pause runs at once (a slow typist, or one key changed, waits for
# nothing).
DEBOUNCE = 0.025


class Chip(Static):
    """One active filter above the table; a click removes it."""

    class Removed(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, key: str, text: str) -> None:
        label = _("Search") if key == "" else _(COLUMN_BY_KEY[key].label)
        super().__init__(Text(f"{label}: {printable(text)} ✕"), classes="chip", markup=False)
        self.filter_key = key
        self.tooltip = _("Click to remove this filter")

    def on_click(self) -> None:
        self.post_message(self.Removed(self.filter_key))


class BoxInput(Input):
    """The search and filter boxes: enter hands the keys back to the table at once."""

    async def action_submit(self) -> None:
        await super().action_submit()
        self.screen.set_focus(self.screen.query_one(CustomerTable))


class DesktopScreen(ReportsWorkerErrors, Screen[None]):
    """The screen an advisor lives in."""

    BINDING_GROUP_TITLE = _("Desktop")
    DEFAULT_CSS = """
    DesktopScreen #desktop-top { height: auto; }
    DesktopScreen Input { border: none; height: 1; padding: 0 1; background: $boost; }
    DesktopScreen Input:focus { border: none; background: $accent 25%; }
    DesktopScreen #chips { height: auto; padding: 0 1; }
    DesktopScreen #chips.-empty { display: none; }
    DesktopScreen .chip {
        width: auto; height: 1; margin-right: 1; padding: 0 1;
        background: $accent 30%; color: $text;
    }
    DesktopScreen .chip:hover { background: $error 40%; }
    DesktopScreen #filter-bar { height: 1; display: none; margin-top: 1; }
    DesktopScreen #filter-bar.-open { display: block; }
    DesktopScreen #filter-label { width: auto; padding: 0 1; text-style: bold; }
    DesktopScreen #filter-input { width: 1fr; }
    DesktopScreen #filter-error { color: $error; height: auto; padding: 0 1; display: none; }
    DesktopScreen #filter-error.-shown { display: block; }
    DesktopScreen #desktop-count { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        # Priority: the app moves the focus to the box before it routes the next key, so
        # letters typed right behind / or f (one packet over SSH) land in the box instead
        # of the table. In a box, / and f are letters (the actions skip).
        Binding(
            "slash", "search", _("Search"), id="desktop.search", priority=True,
            tooltip=_("Search every text column at once"),
        ),
        Binding(
            "f", "filter_column", _("Filter"), id="desktop.filter", priority=True,
            tooltip=_("Filter the column under the cursor (see the filter language below)"),
        ),
        Binding(
            "escape", "clear_one", _("Clear"), id="desktop.clear",
            tooltip=_("Leave the filter box, or remove the last filter"),
        ),
        Binding(
            "C", "clear_all", _("Clear all"), id="desktop.clear_all",
            tooltip=_("Remove the search and every filter"),
        ),
        Binding(
            "left_square_bracket", "sort(False)", _("Sort▲"), id="desktop.sort_up",
            tooltip=_("Sort by the column under the cursor, ascending"),
        ),
        Binding(
            "right_square_bracket", "sort(True)", _("Sort▼"), id="desktop.sort_down",
            tooltip=_("Sort by the column under the cursor, descending"),
        ),
        Binding(
            "x", "export", _("Export"), id="desktop.export",
            tooltip=_("Write the filtered, sorted list to a CSV file"),
        ),
        Binding(
            "s", "save_view", _("Save view"), id="desktop.save_view",
            tooltip=_("Save the search, filters and sort under a name"),
        ),
        Binding(
            "v", "views", _("Views"), id="desktop.views",
            tooltip=_("Recall a saved view"),
        ),
        Binding(
            "r", "reload", _("Reload"), id="desktop.reload",
            tooltip=_("Read the list again (after an import or another advisor's change)"),
        ),
        Binding(
            "o", "overview", _("Overview"), id="desktop.overview",
            tooltip=_("The database at a glance"),
        ),
        Binding(
            "m", "loyalty", _("Loyalty"), id="desktop.loyalty",
            tooltip=_("Active, new and lapsed customers month by month"),
        ),
        Binding(
            "D", "departed", _("Departed"), id="desktop.departed",
            tooltip=_("Why customers left: departures per reason, advisor, brand, month"),
        ),
        Binding(
            "L", "churn", _("Churn"), id="desktop.churn",
            tooltip=_("Lapsed customers per brand, model, vehicle age, advisor, outcome"),
        ),
        Binding(
            "A", "retention", _("Advisors"), id="desktop.retention",
            tooltip=_("Retention per advisor and the average invoice"),
        ),
        Binding(
            "R", "reasons", _("Reasons"), id="desktop.reasons",
            tooltip=_("The departure reasons: uses, duplicates, merge, rename, retire"),
        ),
        Binding(
            "K", "campaigns", _("Campaigns"), id="desktop.campaigns",
            tooltip=_("Campaigns: new from a template, activate, call sessions, effect"),
        ),
        Binding(
            "plus", "add_to_campaign", _("+Campaign"), id="desktop.add_to_campaign",
            tooltip=_("Add every customer of this list to a campaign"),
        ),
        Binding(
            "g", "tag_list", _("Tag list"), id="desktop.tag_list",
            tooltip=_("Book a tag on every customer of this list"),
        ),
        Binding(
            "T", "tag_catalogue", _("Tags"), id="desktop.tag_catalogue",
            tooltip=_("The tag catalogue: customers per tag, new tags, retire (managers)"),
        ),
        Binding(
            "I", "trade_in", _("Trade-in"), id="desktop.trade_in",
            tooltip=_("Record a vehicle taken in trade and see who wants one like it"),
        ),
        Binding(
            "M", "message_list", _("Message"), id="desktop.message_list",
            tooltip=_("Send an email, SMS or letter to every customer of this list"),
        ),
        Binding(
            "O", "outbox", _("Outbox"), id="desktop.outbox",
            tooltip=_("Every message with its state: retry, cancel, letters, templates"),
        ),
    ]  # fmt: skip

    table_columns = COLUMNS

    # Textual's Screen repaints the whole screen when focus moves (its ``focused`` reactive
    # repaints); the widgets that gain and lose focus repaint themselves anyway. Over SSH a
    # whole screen is ~20 KB at 80x24 for /, f, escape or enter in a box: not repainting
    # it here saves that on every such key (bench/bench_terminal.py).
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, db_path: Path, query: CustomerQuery | None = None) -> None:
        super().__init__()
        self.db_path = db_path
        self.customer_query = query or CustomerQuery()
        self.tag_codes: tuple[tuple[str, str], ...] = ()
        self._filter_key: str | None = None
        self._timer: Timer | None = None
        self._pending: CustomerQuery | None = None
        self._last_typed = 0.0

    @property
    def title_text(self) -> str:
        return _("Desktop")

    @property
    def help_notes(self) -> list[tuple[str, str]]:
        return filter_forms()

    @property
    def table(self) -> CustomerTable:
        return self.query_one(CustomerTable)

    @property
    def search_input(self) -> Input:
        return self.query_one("#search", Input)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="desktop-top"):
            yield BoxInput(
                placeholder=_("Search name, number, phone, email, city, vehicle, advisor  ( / )"),
                id="search",
            )
            yield Horizontal(id="chips", classes="-empty")
            with Horizontal(id="filter-bar"):
                yield Label("", id="filter-label", markup=False)
                yield BoxInput(id="filter-input")
            yield Static("", id="filter-error", markup=False)
            yield Static(_("Reading customers …"), id="desktop-count", markup=False)
        yield CustomerTable(
            self.db_path, query=self.customer_query, columns=self.table_columns, id="customers"
        )
        yield KeysFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.search_input.can_focus = True
        self.set_focus(self.table)
        self.table.show(self.customer_query)
        self._load_tag_codes()

    def on_screen_resume(self) -> None:
        self._load_tag_codes()  # a manager may have changed the catalogue meanwhile

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-codes")
    def _load_tag_codes(self) -> None:
        """The catalogue's codes, so that a half-typed tag is explained under the box
        instead of starting a query that fails."""
        from ... import tags
        from ...db import connect

        conn = connect(self.db_path, readonly=True)
        try:
            codes = tags.codes(conn)
        finally:
            conn.close()
        self.app.call_from_thread(setattr, self, "tag_codes", codes)

    # -- applying a query ------------------------------------------------------------------

    def apply(self, query: CustomerQuery) -> bool:
        """Show ``query`` if it can be read; otherwise say why and keep the last good one."""
        error = self.query_one("#filter-error", Static)
        try:
            query.check(ListContext(clock.today(), tag_codes=self.tag_codes))
        except FilterError as problem:
            error.update(Text(problem.message))
            error.add_class("-shown")
            return False
        error.remove_class("-shown")
        self.customer_query = query
        self.table.show(query)
        self._show_chips()
        self.table.refresh_header()  # its filter marks; the rows change with the first page
        return True

    def apply_soon(self, query: CustomerQuery) -> None:
        """Apply ``query`` after a short typing pause."""
        self._pending = query
        now = time.monotonic()
        since, self._last_typed = now - self._last_typed, now
        if self._timer is not None:
            self._timer.stop()
        elif since >= DEBOUNCE:
            self._apply_pending()
            return
        self._timer = self.set_timer(DEBOUNCE, self._apply_pending)

    def _apply_pending(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._pending is not None:
            query, self._pending = self._pending, None
            self.apply(query)

    def _show_chips(self) -> None:
        chips = self.query_one("#chips", Horizontal)
        chips.remove_children()
        query = self.customer_query
        new = [Chip("", query.search)] if query.search.strip() else []
        new += [Chip(key, text) for key, text in self._own_filters()]
        chips.set_class(not new, "-empty")
        if new:
            chips.mount_all(new)

    def _own_filters(self) -> list[tuple[str, str]]:
        """The filters shown as chips, the ones the advisor may take away."""
        return list(self.customer_query.filters)

    @on(Chip.Removed)
    def _chip_removed(self, message: Chip.Removed) -> None:
        if message.key == "":
            self.search_input.value = ""
            self.apply(self.customer_query.searching(""))
        else:
            self.apply(self.customer_query.without_filter(message.key))

    @on(CustomerTable.Counted)
    def _count_changed(self, message: CustomerTable.Counted) -> None:
        query = self.customer_query
        sort = _(COLUMN_BY_KEY[query.sort].label) + (" ▼" if query.descending else " ▲")
        if message.matches is None:
            figure = _("counting …")
        elif message.total is None or not (query.search.strip() or query.filters):
            figure = _("{count} customers").format(count=i18n.number(message.matches))
        else:
            figure = _("{count} of {total} customers").format(
                count=i18n.number(message.matches), total=i18n.number(message.total)
            )
        text = _("{figure} · sorted by {sort}").format(figure=figure, sort=sort)
        if message.total == 0:
            text = _(
                "No customers yet. Import them with: retention-tui import customers FILE "
                "(or try: retention-tui demo)"
            )
        self.query_one("#desktop-count", Static).update(Text(text))

    @on(CustomerTable.Chosen)
    def _open_customer(self, message: CustomerTable.Chosen) -> None:
        from .customer_card import CustomerCardScreen

        self.app.push_screen(CustomerCardScreen(self.db_path, message.customer_id))

    # -- search and filter boxes -----------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_typed(self, event: Input.Changed) -> None:
        self.apply_soon(self.customer_query.searching(event.value))

    @on(Input.Changed, "#filter-input")
    def _filter_typed(self, event: Input.Changed) -> None:
        if self._filter_key is not None:
            self.apply_soon(self.customer_query.with_filter(self._filter_key, event.value))

    @on(Input.Submitted)
    def _box_done(self, event: Input.Submitted) -> None:
        self._apply_pending()
        self._close_filter_bar()
        self.set_focus(self.table)

    def _close_filter_bar(self) -> None:
        self.query_one("#filter-bar").remove_class("-open")
        self._filter_key = None
        # The list shows the last filter that could be read (its chip says which): an error
        # about text that is no longer in any box would only puzzle.
        self.query_one("#filter-error", Static).remove_class("-shown")

    def _typing_in_a_box(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction()  # the key is a letter for the box

    def action_search(self) -> None:
        self._typing_in_a_box()
        self.set_focus(self.search_input)

    def action_filter_column(self) -> None:
        self._typing_in_a_box()
        column = self.table.current_column
        if column.computed:
            self.notify(
                _("The column {column} cannot be filtered.").format(column=column.title),
                severity="warning",
                markup=False,
            )
            return
        self._filter_key = column.key
        current = dict(self.customer_query.filters).get(column.key, "")
        self.query_one("#filter-label", Label).update(
            Text(_("Filter {column}:").format(column=_(column.label)))
        )
        box = self.filter_input
        with box.prevent(Input.Changed):
            box.value = current
        box.placeholder = _("e.g. {examples}").format(examples=_example(column.kind))
        self.query_one("#filter-bar").add_class("-open")
        self.set_focus(box)

    def action_clear_one(self) -> None:
        focused = self.focused
        if focused in (self.search_input, self.filter_input):
            self._apply_pending()
            self._close_filter_bar()
            self.set_focus(self.table)
            return
        query = self.customer_query
        if query.filters:
            self.apply(query.without_filter(query.filters[-1][0]))
        elif query.search:
            self.search_input.value = ""
            self.apply(query.searching(""))

    def action_clear_all(self) -> None:
        with self.search_input.prevent(Input.Changed):
            self.search_input.value = ""
        self.apply(self.customer_query.cleared())

    def action_sort(self, descending: bool) -> None:
        try:
            query = self.customer_query.sorted_by(self.table.current_column.key, descending)
        except FilterError as problem:
            self.notify(problem.message, severity="warning", markup=False)
            return
        self.apply(query)

    def action_reload(self) -> None:
        self.table.reload()

    def action_overview(self) -> None:
        from .home import HomeScreen

        self.app.push_screen(HomeScreen(self.db_path))

    def action_departed(self) -> None:
        from .departed import DepartedScreen

        self.app.push_screen(DepartedScreen(self.db_path))

    def action_churn(self) -> None:
        from .churn_stats import ChurnScreen

        self.app.push_screen(ChurnScreen(self.db_path))

    def action_retention(self) -> None:
        from .retention import RetentionScreen

        self.app.push_screen(RetentionScreen(self.db_path))

    def action_campaigns(self) -> None:
        from .campaigns import CampaignsScreen

        self.app.push_screen(CampaignsScreen(self.db_path))

    def _list_ids(self) -> Callable[[Any], list[int]]:
        """The customers of the list as shown, read again when the change is written."""
        from ...customer_list import snapshot

        query = self.customer_query

        def ids(conn: Any) -> list[int]:
            return list(snapshot(conn, query, ListContext.load(conn)) or [])

        return ids

    def _list_words(self) -> str:
        """The list a bulk action acts on, with its number once it is counted, so the form
        says how many customers it will change."""
        matches = self.query_one(CustomerTable).matches_of(self.customer_query)
        if not matches:
            return _("every customer of this list")
        return ngettext(
            "the {count} customer of this list", "all {count} customers of this list", matches
        ).format(count=i18n.number(matches))

    def action_add_to_campaign(self) -> None:
        from .campaigns import add_to_campaign

        source = _("list: {query}").format(query=self.sub_title or _("desktop"))
        add_to_campaign(self, self.db_path, self._list_words(), self._list_ids(), source)

    def on_added_to_campaign(self, message: Message) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]

    def action_tag_list(self) -> None:
        from .tags import tag_customers

        tag_customers(self, self.db_path, self._list_words(), self._list_ids())

    def on_tags_booked(self, message: Message) -> None:
        message.stop()
        self.notify(message.text, markup=False)  # type: ignore[attr-defined]
        self.action_reload()

    def action_message_list(self) -> None:
        from .messages import send_message

        send_message(self, self.db_path, self._list_words(), self._list_ids())

    def action_outbox(self) -> None:
        from .messages import OutboxScreen

        self.app.push_screen(OutboxScreen(self.db_path))

    def action_tag_catalogue(self) -> None:
        from .tags import TagCatalogueScreen

        self.app.push_screen(TagCatalogueScreen(self.db_path))

    def action_trade_in(self) -> None:
        from .tags import TradeInScreen

        self.app.push_screen(TradeInScreen(self.db_path))

    def action_reasons(self) -> None:
        from .reasons import ReasonsScreen

        self.app.push_screen(ReasonsScreen(self.db_path))

    def action_loyalty(self) -> None:
        from .loyalty import LoyaltyScreen

        self.app.push_screen(LoyaltyScreen(self.db_path))

    def action_export(self) -> None:
        from .export import ExportScreen

        self.app.push_screen(ExportScreen(self.db_path, self.customer_query))

    def action_save_view(self) -> None:
        from .views import SaveViewScreen

        self.app.push_screen(SaveViewScreen(self.db_path, self.customer_query))

    def action_views(self) -> None:
        from .views import ViewsScreen

        def chosen(query: CustomerQuery | None) -> None:
            if query is not None:
                self.recall(query)

        self.app.push_screen(ViewsScreen(self.db_path), chosen)

    def recall(self, query: CustomerQuery) -> None:
        """Show a saved view: its search, filters and sort."""
        with self.search_input.prevent(Input.Changed):
            self.search_input.value = query.search
        self.apply(query)


def _example(kind: str) -> str:
    return {
        "text": 'jan   ^van   =Utrecht   !golf   ""',
        "number": ">12   <=3   6..12",
        "date": "<=2025-06   2024-01..2024-06   2026",
        "light": "red   !green   y",
        "nps": '<7   red   9..10   ""',
        "flag": "on   off",
        "status": "lapsed   =active   !lost",
        "tags": "inspection   !tyre-storage   test-ride set:-6m..   bought-here unseen",
    }.get(kind, "")


class ScopedListScreen(DesktopScreen):
    """The desktop's list limited to the customers behind a report row (departed, churn,
    retention) or holding a tag, with the desktop's search, filters, sort, card and export.

    The filters it opens with are what the list is (a tag's customers): they stay, whatever
    is cleared, so a bulk action never reaches beyond the list its title names. Escape with
    nothing left to clear goes back."""

    BINDINGS = [Binding("q", "back", _("Back"), id="scoped_list.back", tooltip=_("Back"))]

    def __init__(self, db_path: Path, query: CustomerQuery, title: str) -> None:
        super().__init__(db_path, query)
        self.list_title = title
        self.fixed_filters = query.filters

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = printable(self.list_title)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in DESKTOP_ONLY

    def action_back(self) -> None:
        self.app.pop_screen()

    def _own_filters(self) -> list[tuple[str, str]]:
        """The filters added on this screen (not the ones the list is made of)."""
        return [f for f in self.customer_query.filters if f not in self.fixed_filters]

    def action_filter_column(self) -> None:
        self._typing_in_a_box()  # an f typed in the search box is a letter
        column = self.table.current_column
        if column.key in dict(self.fixed_filters):
            self.notify(
                _("This list is '{title}': its {column} filter stays as it is.").format(
                    title=printable(self.list_title), column=_(column.label)
                ),
                severity="warning",
                markup=False,
            )
            return
        super().action_filter_column()

    def action_clear_one(self) -> None:
        if self.focused in (self.search_input, self.filter_input):
            super().action_clear_one()  # closes the box
            return
        own = self._own_filters()
        if own:
            self.apply(self.customer_query.without_filter(own[-1][0]))
        elif self.customer_query.search:
            self.search_input.value = ""
            self.apply(self.customer_query.searching(""))
        else:
            self.app.pop_screen()

    def action_clear_all(self) -> None:
        with self.search_input.prevent(Input.Changed):
            self.search_input.value = ""
        self.apply(replace(self.customer_query.cleared(), filters=self.fixed_filters))
