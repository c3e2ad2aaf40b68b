"""The desktop's customer table: a virtual ``ScrollView`` over SQLite pages.

Only the rows on screen are drawn. A query runs in two thread workers on their own connections,
each result posted as soon as it is ready: one reads the first page and then the snapshot of
every matching id (an ``array('q')``, 8 MB per million customers), the other the exact count.
The count starts once the first page is read, or after ``COUNT_HEAD_START`` if that page is
slow: on two cores the page, the count and the painting thread would otherwise share them.
Further pages are fetched by id in workers around the visible window and kept in a small LRU;
a generation counter drops results of a query the user has already replaced. ``render_line``
never queries and never parses markup: cells are plain segments, so a name like ``[bold]x[/]``
shows as typed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from ... import customer_list
from ...cells import fit
from ...customer_list import COLUMNS, CustomerQuery, ListColumn, ListContext, ListRow
from ...db import connect
from ...i18n import _
from ..errors import ReportsWorkerErrors, error_text, was_interrupted

PAGE = 50
HEADER_ROWS = 1
GAP = 1
# The badges, the number and the name stay put when the other columns scroll sideways.
FIXED_COLUMNS = 6
# How long the count lets the first page read alone (seconds); SQLite lets go of the GIL
# while counting, so after that both run at once.
COUNT_HEAD_START = 0.05


@dataclass
class _Shown:
    """What the table currently shows (one generation)."""

    generation: int
    ctx: ListContext
    query: CustomerQuery
    ids: array | None = None
    first_ids: list[int] | None = None
    matches: int | None = None
    total: int | None = None


class CustomerTable(ReportsWorkerErrors, ScrollView, can_focus=True):
    """Every customer matching a :class:`CustomerQuery`, one line each."""

    COMPONENT_CLASSES = {
        "customer-table--header",
        "customer-table--header-current",
        "customer-table--cursor",
        "customer-table--cursor-cell",
        "customer-table--placeholder",
        "customer-table--green",
        "customer-table--yellow",
        "customer-table--red",
        "customer-table--on",
    }
    DEFAULT_CSS = """
    CustomerTable {
        height: 1fr;
        background: $surface;
        & > .customer-table--header { text-style: bold; background: $panel; }
        & > .customer-table--header-current { text-style: bold reverse; background: $panel; }
        & > .customer-table--cursor { background: $accent 40%; }
        & > .customer-table--cursor-cell { background: $accent; color: $text; }
        & > .customer-table--placeholder { color: $text-muted; }
        & > .customer-table--green { color: $success; text-style: bold; }
        & > .customer-table--yellow { color: $warning; text-style: bold; }
        & > .customer-table--red { color: $error; text-style: bold; }
        & > .customer-table--on { color: $accent; text-style: bold; }
        &:focus > .customer-table--cursor { background: $accent 60%; }
    }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", _("Up"), show=False),
        Binding("down,j", "move(1)", _("Down"), show=False),
        Binding("pageup", "page(-1)", _("Page up"), show=False),
        Binding("pagedown", "page(1)", _("Page down"), show=False),
        Binding("home", "first", _("First row"), show=False),
        Binding("end,G", "last", _("Last row"), show=False),
        Binding("left,h", "column(-1)", _("Column left"), show=False),
        Binding("right,l", "column(1)", _("Column right"), show=False),
        Binding("enter", "open", _("Open"), id="table.open", tooltip=_("Open the customer card")),
    ]

    cursor_row: reactive[int] = reactive(0, repaint=False)
    cursor_column: reactive[int] = reactive(5, repaint=False)

    class Chosen(Message):
        """The advisor pressed enter (or clicked twice) on a customer."""

        def __init__(self, customer_id: int) -> None:
            super().__init__()
            self.customer_id = customer_id

    class Counted(Message):
        """The number of matching customers changed (``matches`` None while counting)."""

        def __init__(self, matches: int | None, total: int | None) -> None:
            super().__init__()
            self.matches = matches
            self.total = total

    class Painted(Message):
        """The first page of a query is on screen (benchmarks wait for it)."""

        def __init__(self, generation: int) -> None:
            super().__init__()
            self.generation = generation

    # Worker results, posted from threads to the table itself.
    class _FirstPage(Message):
        def __init__(self, generation: int, ctx: ListContext, ids: list[int], rows: list) -> None:
            super().__init__()
            self.generation, self.ctx, self.ids, self.rows = generation, ctx, ids, rows

    class _Counted(Message):
        def __init__(self, generation: int, matches: int, total: int) -> None:
            super().__init__()
            self.generation, self.matches, self.total = generation, matches, total

    class _Snapshot(Message):
        def __init__(self, generation: int, ids: array) -> None:
            super().__init__()
            self.generation, self.ids = generation, ids

    class _Page(Message):
        def __init__(self, generation: int, page: int, rows: list[ListRow] | None) -> None:
            super().__init__()
            self.generation, self.page, self.rows = generation, page, rows

    class _Failed(Message):
        def __init__(self, generation: int, text: str) -> None:
            super().__init__()
            self.generation, self.text = generation, text

    def __init__(
        self,
        db_path: Path,
        *,
        query: CustomerQuery | None = None,
        columns: tuple[ListColumn, ...] = COLUMNS,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.db_path = db_path
        self.query_in_use = query or CustomerQuery()
        self._generation = 0
        self._shown: _Shown | None = None
        self._query_conn: sqlite3.Connection | None = None
        self._count_conn: sqlite3.Connection | None = None
        self._early_count: CustomerTable._Counted | None = None
        """A count that arrived before its first page (applied when the page comes)."""
        # The latest query's steps, for its two workers (a new query sets the old ones).
        self._page_read = threading.Event()
        self._count_read = threading.Event()
        self._restore_row: int | None = None
        self._painted_events: dict[int, threading.Event] = {}
        self.painted_generation = 0
        """The latest query whose first page is on screen."""
        self.counted_generation = 0
        """The latest query whose exact count is shown."""
        self.painted_at = self.counted_at = 0.0
        """When those were shown (``time.perf_counter``), for the benchmark."""
        self._pages: LRUCache[int, list[ListRow]] = LRUCache(64)
        self._in_flight: set[int] = set()
        self._strips: LRUCache[tuple, Strip] = LRUCache(512)
        self._scope_totals: dict[tuple, int] = {}
        self._base: Style | None = None
        self.columns = columns
        self._widths = [c.width for c in columns]
        self._offsets: list[int] = []
        x = 0
        for width in self._widths:
            self._offsets.append(x)
            x += width + GAP
        self._total_width = x
        self._fixed_columns = FIXED_COLUMNS
        self._fixed_width = self._offsets[FIXED_COLUMNS]

    # -- public API ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        shown = self._shown
        if shown is None:
            return 0
        if shown.ids is not None:
            return len(shown.ids)
        if shown.matches is not None:
            return shown.matches
        return len(shown.first_ids or [])

    @property
    def current_column(self) -> customer_list.ListColumn:
        return self.columns[self.cursor_column]

    @property
    def current_row(self) -> ListRow | None:
        """The row under the cursor (None while its page is being read)."""
        return self._row(self.cursor_row)

    @property
    def current_customer_id(self) -> int | None:
        row = self.current_row
        return row.id if row else None

    @property
    def generation(self) -> int:
        """The latest query asked for (``show`` returns it too)."""
        return self._generation

    def matches_of(self, query: CustomerQuery) -> int | None:
        """How many customers ``query`` matches, when it is the query on screen and counted
        (None while it is being read or counted)."""
        shown = self._shown
        if shown is None or shown.generation != self._generation or shown.query != query:
            return None
        return shown.matches

    @property
    def is_settled(self) -> bool:
        """True when the latest query's id snapshot is shown (nothing left to read)."""
        return (
            self._shown is not None
            and self._shown.generation == self._generation
            and self._shown.ids is not None
        )

    def show(self, query: CustomerQuery) -> int:
        """Start showing ``query``; the old rows stay until its first page arrives.

        Showing the same query again (a reload) keeps the cursor on its row number.
        """
        self._generation += 1
        self._restore_row = self.cursor_row if query == self.query_in_use else None
        self.query_in_use = query
        painted = self._painted_events[self._generation] = threading.Event()
        for stale in (self._page_read, self._count_read):
            stale.set()  # wakes a replaced query's worker, which then sees it is cancelled
        page_read = self._page_read = threading.Event()
        counted = self._count_read = threading.Event()
        for running in (self._query_conn, self._count_conn):
            if running is not None:
                # A thread cannot be killed, but its SQLite statement can be stopped.
                running.interrupt()
        self.run_worker(
            lambda g=self._generation, r=page_read, p=painted, c=counted: self._read_query(
                g, query, r, p, c
            ),
            thread=True,
            exclusive=True,
            group="customer-query",
            exit_on_error=False,
            name="customer-query",
        )
        self.run_worker(
            lambda g=self._generation, r=page_read, c=counted: self._count_query(g, query, r, c),
            thread=True,
            exclusive=True,
            group="customer-count",
            exit_on_error=False,
            name="customer-count",
        )
        return self._generation

    def refresh_header(self) -> None:
        """Draw the column titles again (sort arrow, filter marks), not the rows."""
        self.refresh(Region(0, 0, self.size.width, HEADER_ROWS))

    def reload(self) -> int:
        """Read the current query again (after a change to the data)."""
        self._scope_totals = {}  # a count still running fills the old one
        return self.show(self.query_in_use)

    def visible_text(self) -> list[str]:
        """The text of the lines on screen (for tests and the benchmark)."""
        return [self.render_line(y).text for y in range(self.size.height)]

    # -- workers (threads: no widget state is read here) -------------------------------------

    def _connect(self) -> sqlite3.Connection:
        return connect(self.db_path, readonly=True)

    def _read_query(
        self,
        generation: int,
        query: CustomerQuery,
        page_read: threading.Event,
        painted: threading.Event,
        counted: threading.Event,
    ) -> None:
        worker = get_current_worker()
        try:
            conn = self._connect()
            self._query_conn = conn
            try:
                ctx = ListContext.load(conn)
                try:
                    ids = customer_list.first_page(conn, query, ctx, 2 * PAGE)
                finally:
                    page_read.set()
                rows = customer_list.fetch_rows(conn, ids, ctx, query.scope)
                if worker.is_cancelled:
                    return
                self.post_message(self._FirstPage(generation, ctx, ids, rows))
                # Reading every id holds the GIL for a while: let the first page paint and
                # the count finish first.
                painted.wait(0.5)
                counted.wait(1.0)
                if worker.is_cancelled:
                    return
                snapshot = customer_list.snapshot(
                    conn, query, ctx, cancelled=lambda: worker.is_cancelled
                )
                if snapshot is not None and not worker.is_cancelled:
                    self.post_message(self._Snapshot(generation, snapshot))
            finally:
                if self._query_conn is conn:
                    self._query_conn = None
                conn.close()
        except Exception as error:
            if not was_interrupted(error):
                self.post_message(self._Failed(generation, error_text(error, self.db_path)))

    @staticmethod
    def _total_of(
        conn: sqlite3.Connection,
        query: CustomerQuery,
        matches: int,
        ctx: ListContext,
        totals: dict[tuple, int],
    ) -> int:
        """What ``matches`` is out of: every customer, or a scoped list's own customers (a
        campaign's 131 members), counted once per scope until the next reload."""
        if not query.is_filtered:
            return matches
        if query.scope is None:
            return customer_list.total(conn)
        if not (query.search.strip() or query.filters):
            return matches  # the scope itself
        found = totals.get(query.scope)
        if found is None:
            found = customer_list.count(conn, CustomerQuery(scope=query.scope), ctx)
            totals[query.scope] = found
        return found

    def _count_query(
        self,
        generation: int,
        query: CustomerQuery,
        page_read: threading.Event,
        counted: threading.Event,
    ) -> None:
        worker = get_current_worker()
        totals = self._scope_totals  # the reload that started this count, not a later one
        try:
            page_read.wait(COUNT_HEAD_START)
            if worker.is_cancelled:
                return
            conn = self._connect()
            self._count_conn = conn
            try:
                ctx = ListContext.load(conn)
                matches = customer_list.count(conn, query, ctx)
                total = self._total_of(conn, query, matches, ctx, totals)
                if not worker.is_cancelled:
                    self.post_message(self._Counted(generation, matches, total))
            finally:
                if self._count_conn is conn:
                    self._count_conn = None
                conn.close()
        except Exception:
            # Not reported twice: the page worker reads the same query and says what failed,
            # and its snapshot of every id brings the count anyway.
            pass
        finally:
            counted.set()

    def _read_page(
        self,
        generation: int,
        ctx: ListContext,
        scope: tuple[str, int, int] | None,
        page: int,
        ids: list[int],
    ) -> None:
        try:
            conn = self._connect()
            try:
                rows = customer_list.fetch_rows(conn, ids, ctx, scope)
            finally:
                conn.close()
        except Exception:
            self.post_message(self._Page(generation, page, None))  # may be asked for again
            raise
        self.post_message(self._Page(generation, page, rows))

    # -- results ---------------------------------------------------------------------------

    @on(_FirstPage)
    def _first_page_arrived(self, message: _FirstPage) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self._shown = _Shown(message.generation, message.ctx, self.query_in_use)
        self._shown.first_ids = message.ids
        self._pages.clear()
        self._in_flight.clear()
        self._strips.clear()
        for start in range(0, len(message.rows), PAGE):
            self._pages.set(start // PAGE, message.rows[start : start + PAGE])
        restore = self._restore_row
        if restore is not None and restore < len(message.ids):
            self._restore_row = None
            self._resize()
            self.cursor_row = restore
        else:
            self.cursor_row = 0
            self._resize()
            if restore is None:
                self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()
        early, self._early_count = self._early_count, None
        if early is not None and early.generation == message.generation:
            self._apply_count(early)
        else:
            self.post_message(self.Counted(None, None))
        self.call_after_refresh(self._painted, message.generation)

    def _painted(self, generation: int) -> None:
        self.painted_generation = generation
        self.painted_at = time.perf_counter()
        if self.counted_generation == generation:
            # A count that came first is on screen with the page, not before it.
            self.counted_at = max(self.counted_at, self.painted_at)
        for old in [g for g in self._painted_events if g <= generation]:
            self._painted_events.pop(old).set()
        self.post_message(self.Painted(generation))

    @on(_Counted)
    def _count_arrived(self, message: _Counted) -> None:
        message.stop()
        shown = self._shown
        if message.generation != self._generation:
            return
        if shown is None or message.generation != shown.generation:
            self._early_count = message  # quicker than the first page: shown with it
            return
        self._apply_count(message)

    def _apply_count(self, message: _Counted) -> None:
        shown = self._shown
        assert shown is not None
        shown.total = message.total
        if shown.ids is None:  # else the snapshot came first and counted every id
            shown.matches = message.matches
            self._counted(message.generation)
            self._resize()
        self.post_message(self.Counted(shown.matches, shown.total))

    def _counted(self, generation: int) -> None:
        if self.counted_generation != generation:
            self.counted_generation = generation
            self.counted_at = time.perf_counter()

    @on(_Snapshot)
    def _snapshot_arrived(self, message: _Snapshot) -> None:
        message.stop()
        shown = self._shown
        if shown is None or message.generation != shown.generation:
            return
        shown.ids = message.ids
        shown.matches = len(message.ids)
        self._counted(message.generation)
        self._resize()
        if self._restore_row is not None:
            # A reload of a long list: back to the row the advisor was on.
            self.cursor_row = self._restore_row
            self._restore_row = None
        self.refresh()
        self.post_message(self.Counted(shown.matches, shown.total))

    @on(_Page)
    def _page_arrived(self, message: _Page) -> None:
        message.stop()
        self._in_flight.discard(message.page)
        shown = self._shown
        if shown is None or message.generation != shown.generation or message.rows is None:
            return
        self._pages.set(message.page, message.rows)
        self.refresh_lines(message.page * PAGE + HEADER_ROWS, PAGE)

    @on(_Failed)
    def _query_failed(self, message: _Failed) -> None:
        message.stop()
        if message.generation == self._generation:
            self.app.notify(
                message.text,
                title=_("Could not read the customers"),
                severity="error",
                markup=False,
                timeout=10,
            )

    # -- drawing ---------------------------------------------------------------------------

    def _resize(self) -> None:
        self.virtual_size = Size(self._total_width, self.row_count + HEADER_ROWS)
        self.cursor_row = self.validate_cursor_row(self.cursor_row)

    def _row(self, index: int) -> ListRow | None:
        page = self._pages.get(index // PAGE)
        if page is None:
            return None
        offset = index % PAGE
        return page[offset] if offset < len(page) else None

    def render_lines(self, crop: Region) -> list[Strip]:
        self._request_pages()
        return super().render_lines(crop)

    @property
    def _base_style(self) -> Style:
        """``rich_style`` (it walks every ancestor's background) once per style change."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _request_pages(self) -> None:
        shown = self._shown
        if shown is None or shown.ids is None:
            return
        height = max(1, self.size.height)
        top = int(self.scroll_y)
        first = max(0, top - height) // PAGE
        last = min(len(shown.ids) - 1, top + 2 * height) // PAGE
        for page in range(first, last + 1):
            if page in self._in_flight or self._pages.get(page) is not None:
                continue
            ids = list(shown.ids[page * PAGE : (page + 1) * PAGE])
            if not ids:
                continue
            self._in_flight.add(page)
            self.run_worker(
                lambda g=shown.generation, c=shown.ctx, s=shown.query.scope, p=page, i=ids: (
                    self._read_page(g, c, s, p, i)
                ),
                thread=True,
                group="customer-pages",
                exit_on_error=False,
                name="customer-page",
            )

    def render_line(self, y: int) -> Strip:
        # Not size.width: that runs under the vertical scrollbar, and a cut value's "…" with it.
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        if y < HEADER_ROWS:
            return self._place(self._header_strip(), scroll_x, width)
        index = int(self.scroll_y) + y - HEADER_ROWS
        if index >= self.row_count:
            return Strip.blank(width, self._base_style)
        is_cursor = index == self.cursor_row
        row = self._row(index)
        generation = self._shown.generation if self._shown else 0
        key = (generation, index, is_cursor, self.cursor_column if is_cursor else -1, row is None)
        strip = self._strips.get(key) if row is not None else None
        if strip is None:
            strip = self._row_strip(row, is_cursor)
            if row is not None:
                self._strips.set(key, strip)
        return self._place(strip, scroll_x, width)

    def _place(self, strip: Strip, scroll_x: int, width: int) -> Strip:
        """The fixed columns, then the others scrolled sideways by ``scroll_x``."""
        fixed = min(self._fixed_width, width)
        head = strip.crop_extend(0, fixed, self._base_style)
        if fixed >= width:
            return head
        start = self._fixed_width + scroll_x
        end = start + width - fixed
        rest = strip.crop_extend(start, end, self._base_style)
        if end < strip.cell_length and width - fixed > 1 and self._cut_at(strip, end):
            # A value goes on past the right edge: say so, as a cut column does ("Anke de B…").
            segments = list(rest)
            style = segments[-1].style if segments else None
            rest = Strip.join([rest.crop(0, width - fixed - 1), Strip([Segment("…", style)], 1)])
        return Strip.join([head, rest])

    def _cut_at(self, strip: Strip, end: int) -> bool:
        """Whether the right edge at ``end`` cuts a value short (text of the same column goes
        on past it)."""
        i = bisect_right(self._offsets, end - 1) - 1
        if i < 0 or i >= len(self.columns):
            return False
        column_end = self._offsets[i] + self.columns[i].width
        if end >= column_end:  # the edge is at the gap after the column
            return False
        if strip.crop(end, column_end).text.strip():
            return True
        # A wide character split by the edge shows as a blank half: cut as well.
        split = strip.crop(end - 1, end + 1).text
        return len(split) == 1 and cell_len(split) == 2

    def _header_strip(self) -> Strip:
        base = self.get_component_rich_style("customer-table--header")
        current = self.get_component_rich_style("customer-table--header-current")
        query = self.query_in_use
        filtered = {key for key, _text in query.filters}
        segments: list[Segment] = []
        for i, col in enumerate(self.columns):
            label, arrow = col.title, ""
            if col.key == query.sort and col.width > 3:
                arrow = " ▼" if query.descending else " ▲"
            if col.key in filtered and col.width > 3:
                label = "⚑" + label
            if arrow and cell_len(label + arrow) > col.width:
                # The arrow is what says how the list is sorted: the title gives way.
                text = fit(label, col.width - len(arrow)) + arrow
            else:
                text = fit(label + arrow, col.width, col.align)
            style = current if i == self.cursor_column else base
            segments.append(Segment(text, style))
            segments.append(Segment(" " * GAP, base))
        return Strip(segments, self._total_width)

    def _row_strip(self, row: ListRow | None, is_cursor: bool) -> Strip:
        base = self._base_style
        if is_cursor:
            base = base + self.get_component_rich_style("customer-table--cursor")
        if row is None:
            muted = base + self.get_component_rich_style("customer-table--placeholder")
            return Strip([Segment(fit("…", self._total_width), muted)], self._total_width)
        segments: list[Segment] = []
        cell_cursor = self.get_component_rich_style("customer-table--cursor-cell")
        for i, col in enumerate(self.columns):
            style: Style = base
            tone = row.tone(col.key)
            if tone:
                style = style + self.get_component_rich_style(f"customer-table--{tone}")
            if is_cursor and i == self.cursor_column:
                style = style + cell_cursor
            segments.append(Segment(fit(row.cell(col.key), col.width, col.align), style))
            segments.append(Segment(" " * GAP, base))
        return Strip(segments, self._total_width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._strips.clear()

    # -- cursor ----------------------------------------------------------------------------

    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, self.row_count - 1))

    def validate_cursor_column(self, value: int) -> int:
        return max(0, min(value, len(self.columns) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        # Virtual lines: a row's line is its index below the header.
        self.refresh_lines(old + HEADER_ROWS)
        self.refresh_lines(new + HEADER_ROWS)
        self._keep_cursor_visible()

    def watch_cursor_column(self, old: int, new: int) -> None:
        self.refresh()
        if new < self._fixed_columns:
            return
        # Positions in the scrolling part, right of the fixed columns.
        left = self._offsets[new] - self._fixed_width
        right = left + self.columns[new].width
        width = self.scrollable_content_region.width - self._fixed_width
        if left < self.scroll_x:
            self.scroll_to(x=left, animate=False)
        elif right > self.scroll_x + width:
            self.scroll_to(x=right - width, animate=False)

    def _keep_cursor_visible(self) -> None:
        visible = max(1, self.size.height - HEADER_ROWS)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_move(self, delta: int) -> None:
        self.cursor_row += delta

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * max(1, self.size.height - HEADER_ROWS - 1)

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = self.row_count - 1

    def action_column(self, delta: int) -> None:
        self.cursor_column += delta

    def action_open(self) -> None:
        customer_id = self.current_customer_id
        if customer_id is not None:
            self.post_message(self.Chosen(customer_id))

    def on_click(self, event: events.Click) -> None:
        y = event.y
        x = event.x if event.x < self._fixed_width else event.x + int(self.scroll_x)
        for i, left in enumerate(self._offsets):
            if left <= x < left + self.columns[i].width + GAP:
                self.cursor_column = i
                break
        if y < HEADER_ROWS:
            return
        index = int(self.scroll_y) + y - HEADER_ROWS
        if index < self.row_count:
            self.cursor_row = index
            if event.chain >= 2:
                self.action_open()
