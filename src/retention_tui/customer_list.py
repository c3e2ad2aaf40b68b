"""The desktop's customer list: its columns, the filter language, query plans and paging.

One filter language serves every column, the command line and the help screen:

* text: ``abc`` contains, ``^abc`` starts with, ``=abc`` is exactly, ``!abc`` does not contain;
  case- and accent-insensitive (``jose`` finds ``José``); phone numbers compare by digits;
* numbers and dates: ``>12``, ``<=2025-06``, ``2024-01..2024-06``, ``12`` (a date may be a
  year, a month or a day and stands for all of it);
* badges: ``red`` / ``green`` / ``yellow`` / ``unknown``, NPS ``<7`` or ``red`` (detractor),
  Retention / Caring ``on`` / ``off``;
* ``""`` is empty, ``!""`` is not empty.

A list is read in three steps so the screen never waits for the slow part: the first page
(``first_page``), the exact count (``count``) and the id snapshot that scrolling pages through
(``snapshot``); rows are then fetched by id (``fetch_rows``). Text filters go through the
trigram index ``customer_search``; when it matches few customers they are sorted directly,
otherwise the sort index is walked and stops after a page.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from . import audit, clock, csvfile, i18n, loyalty, settings, tags
from .db import write
from .db.connection import Deadline, rows_at_once
from .errors import RetentionError
from .i18n import _
from .months import Month
from .textfold import digits, fold

# Text searches that match at most this many customers are sorted directly; above it the
# sort index is walked, which finds the first page after a few thousand rows at most.
SMALL_MATCH = 5_000
# How long a first page may walk the sort index before collecting and sorting the matches.
WALK_BUDGET = 0.25
# The same when other columns beside the tags leave the share of matches unknown: walking
# is tried for this long (a page of matches spread through the index takes a few ms), and
# given up for the sets when the matches turn out rare. Counting them first cost 100 ms.
WALK_TRY = 0.04
# A tag term with at most this many valid bookings is taken as a set of ids (reading it is
# quicker than testing customer after customer until a page is full); above it, each
# customer met while walking the sort index is tested on its own.
TAG_FEW_ROWS = 20_000
# Tag sizes are counted up to this many bookings (a few milliseconds on the tag index).
TAG_SIZE_BOUND = 100_000
# A first page walks the sort index only if, judging by the tags' sizes, it should meet a
# page of matches within about this many customers.
WALK_CUSTOMERS = 50_000

LIGHTS = ("green", "yellow", "red", "unknown")
STATUSES = (
    "active",
    "overdue",
    "short-term lapsed",
    "long-term lapsed",
    "possible passer-by",
    "no visits",
    "confirmed lost",
    "not our customer",
    "moved away",
    "vehicle sold",
    "deceased",
)


class FilterError(RetentionError):
    """A typed filter that cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class ListColumn:
    """One column of the customer list."""

    key: str
    """Fixed English identifier: CLI ``--filter KEY=...``, CSV header, saved views."""
    label: str
    """Untranslated heading; show ``_(label)``."""
    kind: str
    """text, number, date, light, nps, flag or status: which filter forms apply."""
    width: int
    sort_sql: str
    """The sort terms, separated by ';' (a term ending in DESC runs the other way)."""
    search_column: str | None = None
    """Column of ``customer_search`` holding the folded text (text columns)."""
    empty_sql: str | None = None
    """SQL that is true when the cell is empty."""
    align: str = "left"
    needs_vehicle: bool = False
    heading: str | None = None
    """Untranslated column heading when the label does not fit the width."""
    computed: bool = False
    """Filled in per row (loyalty drilldown); neither sorted nor filtered."""

    @property
    def title(self) -> str:
        """The translated heading."""
        return _(self.heading or self.label)


def _active_campaign_members(kind: str, today: str) -> str:
    return (
        "SELECT m.customer_id FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id"
        f" WHERE k.kind = '{kind}' AND k.status = 'active' AND k.starts_on <= '{today}'"
        f" AND (k.ends_on IS NULL OR k.ends_on >= '{today}')"
    )


COLUMNS: tuple[ListColumn, ...] = (
    # The badges come first, so they show on every row however narrow the terminal.
    ListColumn("light", "Traffic light", "light", 2, "c.traffic_light", heading="TL"),
    ListColumn("nps", "NPS", "nps", 3, "c.nps", None, "c.nps IS NULL", "right"),
    ListColumn("retention", "Retention", "flag", 1, "{retention}", heading="R"),
    ListColumn("caring", "Caring", "flag", 1, "{caring}", heading="C"),
    ListColumn("customer_no", "No.", "text", 8, "c.customer_no", "customer_no", "0"),
    ListColumn("name", "Name", "text", 22, "c.name", "name", "c.name = ''"),
    ListColumn(
        "phone",
        "Phone",
        "text",
        13,
        "coalesce(c.phone, c.mobile)",
        "phone",
        "coalesce(c.phone, c.mobile, '') = ''",
    ),
    ListColumn("city", "City", "text", 12, "c.city", "city", "coalesce(c.city, '') = ''"),
    ListColumn(
        "vehicle",
        "Vehicle",
        "text",
        24,
        "v.brand; v.model; v.plate",
        "vehicle",
        "c.main_vehicle_id IS NULL",
        needs_vehicle=True,
    ),
    ListColumn(
        "advisor", "Advisor", "text", 10, "c.advisor", "advisor", "coalesce(c.advisor, '') = ''"
    ),
    ListColumn(
        "last_visit", "Last visit", "date", 10, "c.last_visit", None, "c.last_visit IS NULL"
    ),
    ListColumn(
        "months_away",
        "Away",
        "number",
        7,
        "c.last_visit DESC",
        None,
        "c.last_visit IS NULL",
        align="right",
    ),
    ListColumn("status", "Status", "status", 17, "{status}"),
    ListColumn("tags", "Tags", "tags", 24, "", None, "{untagged}"),
)
EMAIL = ListColumn("email", "Email", "text", 24, "c.email", "email", "coalesce(c.email, '') = ''")
# The loyalty drilldown's own columns.
KIND = ListColumn("kind", "Kind", "text", 6, "", computed=True)
VISITS_IN_WINDOW = ListColumn(
    "visits_in_window", "Visits in window", "number", 4, "", heading="Vis", computed=True,
    align="right",
)  # fmt: skip
CONTACT = ListColumn("contact", "Contact", "text", 24, "", computed=True)
_BY_KEY = {c.key: c for c in COLUMNS}
DRILLDOWN_COLUMNS: tuple[ListColumn, ...] = (
    *(_BY_KEY[k] for k in ("light", "nps", "retention", "caring", "customer_no", "name")),
    KIND,
    CONTACT,
    _BY_KEY["phone"],
    EMAIL,
    _BY_KEY["vehicle"],
    _BY_KEY["advisor"],
    _BY_KEY["last_visit"],
    VISITS_IN_WINDOW,
    _BY_KEY["status"],
)
COLUMN_BY_KEY = {c.key: c for c in (*COLUMNS, EMAIL, KIND, VISITS_IN_WINDOW, CONTACT)}


def column(key: str) -> ListColumn:
    """The column called ``key``, or a :class:`FilterError` listing the known ones."""
    try:
        return COLUMN_BY_KEY[key]
    except KeyError:
        raise FilterError(
            _("There is no column '{key}'. Columns: {known}.").format(
                key=key, known=", ".join(COLUMN_BY_KEY)
            )
        ) from None


# ---------------------------------------------------------------------------------------------
# Dates, months away and the derived status


def shift_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month."""
    target = Month.of(day) + months
    return dt.date(target.year, target.month, min(day.day, target.last_day.day))


def months_away(last_visit: dt.date, today: dt.date) -> int:
    """Whole months from the last visit to today (a month counts once its day is reached)."""
    months = (today.year - last_visit.year) * 12 + today.month - last_visit.month
    return months - (1 if today.day < last_visit.day else 0)


def _sql_text(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class ListContext:
    """What the derived columns depend on: today and the workshop's churn settings."""

    today: dt.date
    short_months: int = 6
    long_months: int = 12
    overdue_factor: float = 1.5
    home_postcodes: tuple[str, ...] = ()
    """Postcode prefixes of the workshop's own area (the passer-by hint); empty: no hint."""
    tag_codes: tuple[tuple[str, str], ...] = ()
    """The tag catalogue's (code, label) pairs; empty: codes are taken as typed."""

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> ListContext:
        return cls(
            today=clock.today(),
            short_months=int(settings.get(conn, "short_term_lapsed_months")),
            long_months=int(settings.get(conn, "long_term_lapsed_months")),
            overdue_factor=float(settings.get(conn, "overdue_factor")),
            home_postcodes=tuple(str(p) for p in settings.get(conn, "home_postcode_prefixes")),
            tag_codes=tags.codes(conn),
        )

    def away_cut(self, months: int) -> str:
        """The latest last visit that is at least ``months`` months away (ISO date)."""
        return shift_months(self.today, -months).isoformat()

    @property
    def status_sql(self) -> str:
        # Literals, not parameters: every value is computed here, never typed by a user.
        short_cut = self.away_cut(self.short_months)
        passer_by = ""
        if self.home_postcodes:
            # Quoted here: the prefixes come from the settings.
            inside = " OR ".join(
                f"substr(coalesce(c.postcode, ''), 1, {len(p)}) = {_sql_text(p)}"
                for p in self.home_postcodes
            )
            passer_by = (
                f" WHEN c.visit_count = 1 AND c.last_visit <= '{short_cut}'"
                f" AND NOT ({inside}) THEN 'possible passer-by'"
            )
        return (
            "(CASE WHEN c.recorded_status IS NOT NULL THEN c.recorded_status"
            " WHEN c.last_visit IS NULL THEN 'no visits'"
            f"{passer_by}"
            f" WHEN c.last_visit <= '{self.away_cut(self.long_months)}' THEN 'long-term lapsed'"
            f" WHEN c.last_visit <= '{short_cut}' THEN 'short-term lapsed'"
            " WHEN c.visit_count >= 3 AND julianday("
            f"'{self.today.isoformat()}') - julianday(c.last_visit)"
            f" > {float(self.overdue_factor)} * c.usual_interval_days THEN 'overdue'"
            " ELSE 'active' END)"
        )

    def flag_sql(self, kind: str) -> str:
        members = _active_campaign_members(kind, self.today.isoformat())
        return f"(c.id IN ({members}))"

    @property
    def valid_sql(self) -> str:
        # The no-end date as a literal: index customer_tags_valid is on this very expression
        # (SQLite does not use an expression index when a part of it is a parameter).
        return f"coalesce(ct.valid_until, '{tags.NO_END}')"

    def expand(self, sql: str) -> str:
        """Fill the derived-column placeholders of a column's SQL."""
        if "{" not in sql:
            return sql
        return sql.format(
            status=self.status_sql,
            retention=self.flag_sql("retention"),
            caring=self.flag_sql("caring"),
            untagged="NOT EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = c.id"
            f" AND {self.valid_sql} >= '{self.today.isoformat()}')",
        )


# ---------------------------------------------------------------------------------------------
# The filter language


@dataclass(frozen=True, slots=True)
class TextCheck:
    """One text condition on the search index row ``s`` of a customer."""

    sql: str
    """A condition on the index row, its table written ``{t}``: ``{t}.name GLOB ?``."""
    params: tuple[Any, ...]
    negated: bool = False
    match: str | None = None
    """The FTS5 term that finds the same customers through the trigram index, if any."""
    indexed_glob: bool = False
    """The GLOB itself can use the trigram index (three or more known characters)."""

    @property
    def indexed(self) -> bool:
        return not self.negated and (self.match is not None or self.indexed_glob)


@dataclass(frozen=True, slots=True)
class TagTerm:
    """One tag filter term: conditions on the booking row ``ct`` (``u``: its customer)."""

    tests: str
    """Every condition on ``ct``, the tag and its validity first."""
    params: tuple[Any, ...]
    negated: bool = False
    join: str = ""
    rows: tuple[str, tuple[Any, ...]] = ("", ())
    """The valid bookings of the term's tags (tag and validity only), for a bounded count."""
    source: str = "customer_tags ct"
    """Where the bookings are read as a set (a follow-up term: its own partial index)."""

    def exists(self) -> tuple[str, list[Any]]:
        """The term for one customer row: quick while walking a sort index past many hits."""
        test = "NOT EXISTS" if self.negated else "EXISTS"
        return (
            f"{test} (SELECT 1 FROM customer_tags ct{self.join}"
            f" WHERE ct.customer_id = c.id AND {self.tests})",
            list(self.params),
        )

    def members(self) -> tuple[str, list[Any]]:
        """The term for all customers at once: the set of ids with a matching booking."""
        test = "NOT IN" if self.negated else "IN"
        inner = f"SELECT ct.customer_id FROM {self.source}{self.join} WHERE {self.tests}"
        return f"c.id {test} ({inner})", list(self.params)


@dataclass
class Compiled:
    """A filter set turned into SQL pieces (parameters kept beside their SQL)."""

    checks: list[TextCheck] = field(default_factory=list)
    """Text conditions, answered by the search index."""
    where: list[tuple[str, list[Any]]] = field(default_factory=list)
    """Conditions on ``customers c`` (and ``vehicles v`` when ``needs_vehicle``)."""
    needs_vehicle: bool = False
    tag_terms: list[TagTerm] = field(default_factory=list)
    """Tag filter terms: each is tested per customer or as a set, by how many bookings match."""

    @property
    def indexed(self) -> list[TextCheck]:
        """The checks the trigram index answers: every match is among their common hits."""
        return [c for c in self.checks if c.indexed]

    def candidates(self) -> tuple[str, list[Any]]:
        """The ids the indexed checks find together (only when ``indexed`` is not empty)."""
        terms = [c.match for c in self.indexed if c.match]
        where = ["customer_search MATCH ?"] if terms else []
        params: list[Any] = [" AND ".join(terms)] if terms else []
        for check in self.indexed:
            if not check.match:
                where.append(check.sql.format(t="customer_search"))
                params.extend(check.params)
        return f"SELECT rowid FROM customer_search WHERE {' AND '.join(where)}", params


def _glob_literal(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _text_check(col: ListColumn, mode: str, value: str, negated: bool) -> TextCheck:
    """The check for one typed text filter; substrings of 3+ characters use the index."""
    assert col.search_column
    name = col.search_column
    pattern = {
        "contains": f"*{_glob_literal(value)}*",
        "prefix": f"{_glob_literal(value)}*",
        "exact": _glob_literal(value),
    }[mode]
    match = f"{name} : {_phrase(value)}" if mode == "contains" and len(value) >= 3 else None
    known = max((len(run) for run in re.split(r"\[.\]|[*?]", pattern)), default=0)
    return TextCheck(f"{{t}}.{name} GLOB ?", (pattern,), negated, match, known >= 3)


def _compile_text(col: ListColumn, text: str, out: Compiled) -> None:
    raw = text.strip()
    negate = raw.startswith("!")
    if negate:
        raw = raw[1:].strip()
    mode = "contains"
    if raw.startswith("^"):
        mode, raw = "prefix", raw[1:]
    elif raw.startswith("="):
        mode, raw = "exact", raw[1:]
    raw = _unquote(raw.strip())
    value = digits(raw) if col.search_column == "phone" else fold(raw)
    if not value:
        if col.search_column == "phone" and raw:
            raise FilterError(
                _(
                    "{column}: phone numbers are searched by their digits; '{text}' has none."
                ).format(column=_(col.label), text=raw)
            )
        raise FilterError(
            _('{column}: type some text to look for ("" finds empty cells).').format(
                column=_(col.label)
            )
        )
    out.checks.append(_text_check(col, mode, value, negate))


_COMPARISON = re.compile(r"^(>=|<=|>|<|=|!=|!)?\s*(.*)$")


def _number(text: str, col: ListColumn) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise FilterError(
            _("{column}: '{text}' is not a number (try >12, <=3, 2..5).").format(
                column=_(col.label), text=text
            )
        ) from None


_AGO = re.compile(r"^-(\d{1,4})\s*([dwmy])$", re.IGNORECASE)


def days_ago(today: dt.date, count: int, unit: str) -> dt.date:
    """``count`` days, weeks, months or years (``d w m y``) before ``today``; a month or year
    back from a day the shorter month lacks lands on its last day (31 March - 1m: 28 Feb)."""
    unit = unit.lower()
    if unit == "d":
        return today - dt.timedelta(days=count)
    if unit == "w":
        return today - dt.timedelta(weeks=count)
    months = count * (12 if unit == "y" else 1)
    index = today.year * 12 + today.month - 1 - months
    month = Month(index // 12, index % 12 + 1)
    last = month.last_day
    return last.replace(day=min(today.day, last.day))


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[./-](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})\s*[/.年]\s*(\d{1,2})\s*(?:[/.月]\s*(?:(\d{1,2})\s*日?)?)?")


def _local_date_span(value: str) -> tuple[dt.date, dt.date] | None:
    """A date typed the way the advisor's language writes it (23-11-2026, 23.11.2026,
    23/11/2026, 11.2026; 2026/11/23, 2026年11月), beside ISO; English keeps to ISO, where
    23/11 and 11/23 would be ambiguous."""
    order = i18n.date_order() if i18n.current_language() != "en" else ""
    if order.startswith("d"):
        if found := _DAY_MONTH_YEAR.fullmatch(value):
            day_value = dt.date(int(found[3]), int(found[2]), int(found[1]))
            return day_value, day_value
        if found := _MONTH_YEAR.fullmatch(value):
            month = Month(int(found[2]), int(found[1]))
            return month.first_day, month.last_day
    elif order.startswith("y") and (found := _YEAR_MONTH_DAY.fullmatch(value)):
        if found[3]:
            day_value = dt.date(int(found[1]), int(found[2]), int(found[3]))
            return day_value, day_value
        month = Month(int(found[1]), int(found[2]))
        return month.first_day, month.last_day
    return None


def _date_span(text: str, col: ListColumn) -> tuple[dt.date, dt.date]:
    """The first and last day a typed date stands for (a year, a month or a day; ``today``
    or a day counted back from it: ``-30d``, ``-6w``, ``-6m``, ``-2y``)."""
    value = text.strip()
    if fold(value) in ("today", fold(_("today"))):
        return clock.today(), clock.today()
    ago = _AGO.match(value)
    if ago:
        day = days_ago(clock.today(), int(ago[1]), ago[2])
        return day, day
    try:
        if re.fullmatch(r"\d{4}", value):
            year = int(value)
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if re.fullmatch(r"\d{4}-\d{1,2}", value):
            month = Month(int(value[:4]), int(value[5:]))
            return month.first_day, month.last_day
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
            year, month_no, day = (int(part) for part in value.split("-"))
            day_value = dt.date(year, month_no, day)
            return day_value, day_value
        local = _local_date_span(value)
        if local is not None:
            return local
    except ValueError:
        pass
    raise FilterError(
        _(
            "{column}: '{text}' is not a date; use YYYY, YYYY-MM or YYYY-MM-DD, today or a "
            "time back from today: -30d, -6w, -6m, -2y (e.g. <=2025-06, 2024-01..2024-06, "
            "<-1y)."
        ).format(column=_(col.label), text=text)
    )


def _empty_test(col: ListColumn, raw: str, ctx: ListContext, out: Compiled) -> bool:
    """Handle ``""`` and ``!""``; True when ``raw`` was one of them."""
    if raw not in ('""', '!""', "''", "!''"):
        return False
    if col.kind == "tags":
        # No valid tag at all: a tag term over every tag, so it is counted and walked the way
        # a single tag is (the customers holding one, counted at once, taken from the total).
        tests, params = f"{ctx.valid_sql} >= ?", (ctx.today.isoformat(),)
        out.tag_terms.append(
            TagTerm(
                tests,
                params,
                negated=not raw.startswith("!"),
                rows=(f"SELECT 1 FROM customer_tags ct WHERE {tests}", params),
            )
        )
        return True
    sql = ctx.expand(col.empty_sql or "0")
    out.where.append((f"({sql})" if not raw.startswith("!") else f"NOT ({sql})", []))
    if col.needs_vehicle:
        out.needs_vehicle = True
    return True


def _bounds(col: ListColumn, raw: str) -> list[tuple[str, Any]]:
    """Comparisons ``(op, value)`` from a typed number or date filter."""
    parse: Callable[[str], Any]
    if col.kind == "date":

        def parse(text: str) -> tuple[dt.date, dt.date]:
            return _date_span(text, col)
    else:

        def parse(text: str) -> tuple[float, float]:
            number = _number(text, col)
            return number, number

    if ".." in raw:
        outside = raw.startswith("!")
        low_text, high_text = (part.strip() for part in raw.lstrip("!").split("..", 1))
        if not low_text and not high_text:
            raise FilterError(
                _("{column}: a range needs a start or an end, e.g. 2..5.").format(
                    column=_(col.label)
                )
            )
        if outside:
            if not (low_text and high_text):
                raise FilterError(
                    _("{column}: a range to leave out needs both ends, e.g. !2..5.").format(
                        column=_(col.label)
                    )
                )
            return [("not", (parse(low_text)[0], parse(high_text)[1]))]
        result: list[tuple[str, Any]] = []
        if low_text:
            result.append((">=", parse(low_text)[0]))
        if high_text:
            result.append(("<=", parse(high_text)[1]))
        return result
    match = _COMPARISON.match(raw)
    assert match
    op, value_text = match.group(1) or "=", match.group(2).strip()
    if not value_text:
        raise FilterError(
            _("{column}: a comparison needs a value, e.g. >12.").format(column=_(col.label))
        )
    low, high = parse(value_text)
    return {
        ">": [(">", high)],
        ">=": [(">=", low)],
        "<": [("<", low)],
        "<=": [("<=", high)],
        "=": [(">=", low), ("<=", high)],
        "!=": [("not", (low, high))],
        "!": [("not", (low, high))],
    }[op]


def _compile_last_visit(col: ListColumn, raw: str, out: Compiled) -> None:
    tests: list[str] = []
    params: list[Any] = []
    for op, value in _bounds(col, raw):
        if op == "not":
            tests.append("c.last_visit NOT BETWEEN ? AND ?")
            params.extend(day.isoformat() for day in value)
        else:
            tests.append(f"c.last_visit {op} ?")
            params.append(value.isoformat())
    out.where.append((" AND ".join(tests), params))


def _compile_months_away(col: ListColumn, raw: str, ctx: ListContext, out: Compiled) -> None:
    # away >= k  <=>  last_visit <= cut(k), today moved back k months (tested as a property);
    # so every comparison becomes a range of last-visit dates and uses its index.
    def cut(k: int) -> str:
        return ctx.away_cut(max(0, k))

    tests: list[str] = []
    params: list[Any] = []
    for op, value in _bounds(col, raw):
        if op == "not":  # away < low or away > high
            low, high = value
            tests.append("(c.last_visit > ? OR c.last_visit <= ?)")
            params.extend([cut(math.ceil(low)), cut(math.floor(high) + 1)])
        elif op in (">=", ">"):
            tests.append("c.last_visit <= ?")
            params.append(cut(math.ceil(value) if op == ">=" else math.floor(value) + 1))
        else:  # away <= v  <=>  not away >= floor(v) + 1
            tests.append("c.last_visit > ?")
            params.append(cut(math.floor(value) + 1 if op == "<=" else math.ceil(value)))
    out.where.append((" AND ".join(tests) or "1", params))


def _compile_nps(col: ListColumn, raw: str, out: Compiled) -> None:
    word = fold(raw).lstrip("!")
    categories = {
        "red": (0, 6),
        "detractor": (0, 6),
        "yellow": (7, 8),
        "passive": (7, 8),
        "green": (9, 10),
        "promoter": (9, 10),
    }
    categories.update({fold(_(name)): span for name, span in list(categories.items())})
    if word in categories:
        low, high = categories[word]
        test = f"c.nps BETWEEN {low} AND {high}"
        out.where.append((f"NOT coalesce({test}, 0)" if raw.startswith("!") else test, []))
        return
    tests: list[str] = []
    params: list[Any] = []
    for op, value in _bounds(col, raw):
        if op == "not":
            tests.append("coalesce(c.nps NOT BETWEEN ? AND ?, 1)")
            params.extend(value)
        else:
            tests.append(f"c.nps {op} ?")
            params.append(value)
    out.where.append((" AND ".join(tests), params))


def _choices(col: ListColumn, raw: str, values: Sequence[str]) -> tuple[bool, list[str]]:
    """(negated, matching values) for a typed badge or status filter."""
    text = raw.strip()
    negate = text.startswith("!")
    text = _unquote(text.lstrip("!").strip())
    exact = text.startswith("=")
    wanted = [fold(part) for part in text.lstrip("=").split(",") if part.strip()]
    if not wanted:
        raise FilterError(
            _("{column}: type one of {values}.").format(
                column=_(col.label), values=", ".join(_(v) for v in values)
            )
        )
    chosen: list[str] = []
    for word in wanted:
        found = [
            value
            for value in values
            if word in (fold(value), fold(_(value)), fold(value)[:1])
            or (not exact and len(word) > 1 and (word in fold(value) or word in fold(_(value))))
        ]
        if not found:
            raise FilterError(
                _("{column}: '{text}' is not one of {values}.").format(
                    column=_(col.label), text=word, values=", ".join(_(v) for v in values)
                )
            )
        chosen.extend(v for v in found if v not in chosen)
    return negate, chosen


def _compile_choice(col: ListColumn, raw: str, ctx: ListContext, out: Compiled) -> None:
    values = LIGHTS if col.kind == "light" else STATUSES
    if col.kind == "light" and raw.strip().lstrip("!") == "?":
        raw = raw.replace("?", "unknown")
    negate, chosen = _choices(col, raw, values)
    sql = ctx.expand(col.sort_sql)
    marks = ", ".join("?" for _ in chosen)
    out.where.append((f"{sql} {'NOT IN' if negate else 'IN'} ({marks})", list(chosen)))


_ON = {"on", "yes", "y", "1", "true", "x"}
_OFF = {"off", "no", "n", "0", "false", "-"}


def _compile_flag(col: ListColumn, raw: str, ctx: ListContext, out: Compiled) -> None:
    word = fold(raw)
    negate = word.startswith("!")
    word = word.lstrip("!").strip()
    if word in _ON or word == fold(_("on")):
        on = True
    elif word in _OFF or word == fold(_("off")):
        on = False
    else:
        raise FilterError(_("{column}: type on or off.").format(column=_(col.label)))
    sql = ctx.flag_sql(col.key)
    out.where.append((sql if on != negate else f"NOT {sql}", []))


# The parts of a tag filter, for their messages.
TAG_SET = ListColumn("tags", "Tag set on", "date", 0, "")
TAG_GRADE = ListColumn("tags", "Tag grade", "number", 0, "")
TAG_FOLLOW_UP = ListColumn("tags", "Tag follow-up", "date", 0, "")
_GRADE_RANGE = re.compile(r"^(\d)\s*-\s*(\d)$")


def _tag_bounds(part: ListColumn, raw: str, sql: str) -> tuple[str, list[Any]]:
    tests: list[str] = []
    params: list[Any] = []
    for op, value in _bounds(part, raw):
        low_high = value if op == "not" else None
        as_text = (lambda v: v.isoformat()) if part.kind == "date" else (lambda v: v)
        if low_high is not None:
            tests.append(f"{sql} NOT BETWEEN ? AND ?")
            params.extend(as_text(v) for v in low_high)
        else:
            tests.append(f"{sql} {op} ?")
            params.append(as_text(value))
    return " AND ".join(tests), params


_TAG_WORD = re.compile(r"^(grade|set|follow-?up)(:.*)?$|^unseen$", re.IGNORECASE)


def _tag_codes(text: str, ctx: ListContext) -> list[str]:
    wanted: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        if not ctx.tag_codes:
            wanted.append(fold(part))
            continue
        try:
            wanted.append(tags.resolve(ctx.tag_codes, part))
        except RetentionError as problem:
            raise FilterError(problem.message) from None
    return wanted


def _compile_tag_term(term: str, ctx: ListContext) -> TagTerm:
    """One ``[!]code[,code] [grade:..] [set:..] [follow-up[:..]] [unseen]`` term; a label
    (``Test ride``) stands for its code."""
    negate = term.startswith("!")
    words = term.lstrip("!").split()
    if not words:
        raise FilterError(_("Tags: name a tag after '!', e.g. !tyre-storage."))
    name_words = len(words)
    for i, word in enumerate(words):
        if i and _TAG_WORD.match(word):
            name_words = i
            break
    try:
        wanted = _tag_codes(" ".join(words[:name_words]), ctx)
    except FilterError:
        if name_words == 1:
            raise
        _tag_codes(words[0], ctx)  # the first word is a tag: the second is not understood
        wanted, name_words = [], 1
    qualifiers = words[name_words:]
    tests = [
        f"ct.tag_id IN (SELECT id FROM tags WHERE code IN ({', '.join('?' * len(wanted))}))",
        f"{ctx.valid_sql} >= ?",
    ]
    params: list[Any] = [*wanted, ctx.today.isoformat()]
    rows = (f"SELECT 1 FROM customer_tags ct WHERE {' AND '.join(tests)}", tuple(params))
    join = ""
    follow_up = False
    for word in qualifiers:
        name, _colon, value = word.partition(":")
        name = fold(name)
        if name == "grade" and value:
            ranged = _GRADE_RANGE.match(value)
            sql, more = _tag_bounds(
                TAG_GRADE, f"{ranged[1]}..{ranged[2]}" if ranged else value, "ct.grade"
            )
        elif name == "set" and value:
            sql, more = _tag_bounds(TAG_SET, value, "ct.set_on")
        elif name in ("follow-up", "followup"):
            choice = fold(value) or "due"
            follow_up = choice != "none"
            if choice == "due":
                sql, more = "ct.follow_up_on <= ?", [ctx.today.isoformat()]
            elif choice == "none":
                sql, more = "ct.follow_up_on IS NULL", []
            elif choice == "any":
                sql, more = "ct.follow_up_on IS NOT NULL", []
            else:
                sql, more = _tag_bounds(TAG_FOLLOW_UP, value, "ct.follow_up_on")
        elif name == "unseen" and not value:
            # no workshop visit after the day the tag applies from
            join = " JOIN customers u ON u.id = ct.customer_id"
            sql, more = "(u.last_visit IS NULL OR u.last_visit <= ct.set_on)", []
        else:
            raise FilterError(
                _(
                    "Tags: '{word}' is not understood. After the code: grade:1..2, "
                    "set:2026-01..2026-03, follow-up (due), follow-up:none, unseen."
                ).format(word=word)
            )
        tests.append(sql)
        params.extend(more)
    source = "customer_tags ct"
    if follow_up:
        # Few bookings have a follow-up: size and read the term on their partial index.
        source = "customer_tags ct INDEXED BY customer_tags_follow_up"
        rows = (f"SELECT 1 FROM {source}{join} WHERE {' AND '.join(tests)}", tuple(params))
    return TagTerm(" AND ".join(tests), tuple(params), negate, join, rows, source)


def _compile_tags(raw: str, ctx: ListContext, out: Compiled) -> None:
    """``tag & tag ...``: every term must hold (see :func:`_compile_tag_term`)."""
    terms = [term.strip() for term in raw.split("&") if term.strip()]
    if not terms:
        raise FilterError(_("Tags: type a tag code, e.g. inspection or !tyre-storage."))
    for term in terms:
        out.tag_terms.append(_compile_tag_term(term, ctx))


def compile_filter(col: ListColumn, text: str, ctx: ListContext, out: Compiled) -> None:
    """Add the SQL for one typed column filter to ``out``, or raise :class:`FilterError`."""
    raw = text.strip()
    if not raw:
        return
    if col.computed:
        raise FilterError(_("The column {column} cannot be filtered.").format(column=col.title))
    if _empty_test(col, raw, ctx, out):
        return
    if col.kind == "text":
        _compile_text(col, raw, out)
    elif col.kind == "date":
        _compile_last_visit(col, raw, out)
    elif col.kind == "number":
        _compile_months_away(col, raw, ctx, out)
    elif col.kind == "nps":
        _compile_nps(col, raw, out)
    elif col.kind in ("light", "status"):
        _compile_choice(col, raw, ctx, out)
    elif col.kind == "flag":
        _compile_flag(col, raw, ctx, out)
    elif col.kind == "tags":
        _compile_tags(raw, ctx, out)
    if col.needs_vehicle:
        out.needs_vehicle = True


def compile_search(text: str, out: Compiled) -> None:
    """Add the search box: every word must appear in some text column."""
    names = [c.search_column for c in COLUMNS if c.search_column and c.search_column != "phone"]
    for word in text.split():
        folded = fold(_unquote(word))
        if not folded:
            continue
        pattern = f"*{_glob_literal(folded)}*"
        tests = [f"{{t}}.{n} GLOB ?" for n in names]
        params: list[Any] = [pattern] * len(names)
        phone = digits(word)
        # Phone numbers compare by digits: '06-1234' finds 0612345678.
        with_phone = bool(phone) and (phone == folded or len(phone) >= 3)
        if with_phone:
            tests.append("{t}.phone GLOB ?")
            params.append(f"*{phone}*")
        match = None
        if len(folded) >= 3:
            # The index term finds exactly what the GLOB tests find.
            match = f"{{{' '.join(names)}}} : {_phrase(folded)}"
            if with_phone:
                match = f"({match} OR phone : {_phrase(phone)})"
        out.checks.append(TextCheck("(" + " OR ".join(tests) + ")", tuple(params), False, match))


# ---------------------------------------------------------------------------------------------
# The query


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """What the desktop shows: search text, column filters, sort."""

    search: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    """``(column key, typed filter)`` pairs, all required."""
    sort: str = "name"
    descending: bool = False
    scope: tuple | None = None
    """Only the customers behind a figure: a loyalty figure (new / lapsed / both, month
    index, window), a departed-report row ("departed", by, group, first, last) or a churn
    statistics row ("churn", by, group, short-term months)."""

    def with_filter(self, key: str, text: str) -> CustomerQuery:
        rest = tuple((k, t) for k, t in self.filters if k != key)
        return replace(self, filters=(*rest, (key, text)) if text.strip() else rest)

    def without_filter(self, key: str) -> CustomerQuery:
        return self.with_filter(key, "")

    def sorted_by(self, key: str, descending: bool) -> CustomerQuery:
        if column(key).computed or not column(key).sort_sql:
            raise FilterError(_("The column {column} cannot be sorted.").format(
                column=column(key).title))  # fmt: skip
        return replace(self, sort=key, descending=descending)

    def searching(self, text: str) -> CustomerQuery:
        return replace(self, search=text)

    def cleared(self) -> CustomerQuery:
        """Without search and filters; the sort and scope stay."""
        return replace(self, search="", filters=())

    @property
    def is_filtered(self) -> bool:
        return bool(self.search.strip() or self.filters or self.scope)

    def compile(self, ctx: ListContext) -> Compiled:
        """The SQL pieces; raises :class:`FilterError` naming the first unreadable filter."""
        out = Compiled()
        compile_search(self.search, out)
        for key, text in self.filters:
            compile_filter(column(key), text, ctx, out)
        if self.scope is not None:
            out.where.append(scope_condition(self.scope))
        if COLUMN_BY_KEY[self.sort].needs_vehicle:
            out.needs_vehicle = True
        return out

    def check(self, ctx: ListContext) -> None:
        """Raise :class:`FilterError` if any part cannot be read."""
        self.compile(ctx)

    def to_json(self) -> str:
        return json.dumps(
            {
                "search": self.search,
                "filters": [list(pair) for pair in self.filters],
                "sort": self.sort,
                "descending": self.descending,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> CustomerQuery:
        data = json.loads(text)
        sort = data.get("sort", "name")
        return cls(
            search=str(data.get("search", "")),
            filters=tuple((str(k), str(t)) for k, t in data.get("filters", [])),
            sort=sort if COLUMN_BY_KEY.get(sort, KIND).sort_sql else "name",
            descending=bool(data.get("descending", False)),
        )


def is_loyalty_scope(scope: tuple | None) -> bool:
    return scope is not None and scope[0] in ("new", "lapsed", "both")


def scope_condition(scope: tuple) -> tuple[str, list[Any]]:
    """SQL (on ``customers c``) for the customers behind a figure."""
    if is_loyalty_scope(scope):
        kind, month, window = scope
        return loyalty.scope_condition(kind, Month.from_index(month), window)
    if scope[0] == "departed":
        from . import churn  # churn reads customers through this module

        _kind, by, group, first, last = scope
        return churn.departed_scope(
            by,
            group,
            Month.from_index(first) if first is not None else None,
            Month.from_index(last) if last is not None else None,
        )
    if scope[0] == "invoiced":
        from . import churn

        return churn.invoiced_scope(scope[1])
    if scope[0] == "served":
        from . import churn

        _kind, advisor, window = scope
        return churn.served_scope(advisor, window)
    if scope[0] == "churn":
        from . import churn

        _kind, by, group, months = scope
        return churn.churn_scope(by, group, months)
    if scope[0] == "campaign":
        from . import campaigns

        return campaigns.members_scope(scope[1])
    raise FilterError(f"unknown scope {scope[0]!r}")


def _order_sql(query: CustomerQuery, ctx: ListContext) -> str:
    descending = query.descending
    terms: list[str] = []
    # A term written with DESC in the column's SQL runs the other way round ('months away'
    # ascending is the last visit descending).
    for term in ctx.expand(COLUMN_BY_KEY[query.sort].sort_sql).split(";"):
        term = term.strip()
        reverse = term.endswith(" DESC")
        base = term.removesuffix(" DESC")
        terms.append(f"{base} {'DESC' if descending != reverse else 'ASC'}")
    terms.append(f"c.id {'DESC' if descending else 'ASC'}")
    return ", ".join(terms)


# The index that returns customers in the order of each sortable column, so a first page
# can walk it and stop after a page of matches.
SORT_INDEXES = {
    "name": "customers_name",
    "customer_no": "sqlite_autoindex_customers_1",
    "advisor": "customers_advisor",
    "last_visit": "customers_last_visit",
    "months_away": "customers_last_visit",
    "light": "customers_traffic_light",
    "nps": "customers_nps",
}


# FTS5 keeps the indexed text in the plain table <name>_content (id, c0, c1, ...), one
# column per indexed column in order. Testing one customer's text there by id is twice as
# quick as going through the index, which would also run an indexable GLOB over the whole
# index for every row.
_CONTENT_COLUMNS = {
    name: f"c{i}"
    for i, name in enumerate(
        ("customer_no", "name", "phone", "email", "city", "vehicle", "advisor")
    )
}


def _probe(check: TextCheck) -> tuple[str, list[Any]]:
    """``check`` for one customer row, looked up in the indexed text by id."""
    test = "NOT EXISTS" if check.negated else "EXISTS"
    sql = re.sub(r"\{t\}\.(\w+)", lambda m: f"s.{_CONTENT_COLUMNS[m.group(1)]}", check.sql)
    return (
        f"{test} (SELECT 1 FROM customer_search_content s WHERE s.id = c.id AND {sql})",
        list(check.params),
    )


def _subquery(check: TextCheck) -> tuple[str, list[Any]]:
    """``check`` for all customers at once: the set of matching ids."""
    if check.match:
        inner, params = "customer_search MATCH ?", [check.match]
    else:
        inner, params = check.sql.format(t="customer_search"), list(check.params)
    test = "NOT IN" if check.negated else "IN"
    return f"c.id {test} (SELECT rowid FROM customer_search WHERE {inner})", params


def _tag_rows(conn: sqlite3.Connection, term: TagTerm) -> int:
    """How many valid bookings the term's tags have, counted up to just over
    ``TAG_SIZE_BOUND`` (index customer_tags_valid only)."""
    sql, params = term.rows
    bound = max(TAG_SIZE_BOUND, TAG_FEW_ROWS, SMALL_MATCH) + 1
    return int(conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {bound})", params).fetchone()[0])


def _tag_test(term: TagTerm, rows: int, walk: bool) -> tuple[str, list[Any]]:
    """The term per customer while walking past many bookings, else as a set of ids."""
    return term.exists() if walk and rows > TAG_FEW_ROWS else term.members()


def _tags_walkable(
    conn: sqlite3.Connection, terms: list[TagTerm], rows: list[int], limit: int
) -> bool:
    """Whether walking the sort index should find ``limit`` customers holding every (positive)
    tag term soon, judging by the terms' sizes as if the tags were independent."""
    positive = [rows[i] for i, term in enumerate(terms) if not term.negated]
    if any(n <= SMALL_MATCH for n in positive):
        return False
    if len(positive) < 2:
        return True
    customers = conn.execute("SELECT max(id) FROM customers").fetchone()[0] or 1
    share = 1.0
    for n in positive:
        share *= min(n, customers) / customers
    return limit <= WALK_CUSTOMERS * share


class Select(NamedTuple):
    """A query's SQL as :func:`_select` planned it."""

    sql: str
    params: list[Any]
    tentative: bool = False
    """The walk of the sort index is a guess: give it ``WALK_TRY``, not ``WALK_BUDGET``."""


def _select(
    conn: sqlite3.Connection,
    query: CustomerQuery,
    ctx: ListContext,
    what: str,
    *,
    ordered: bool,
    limit: int | None = None,
    may_walk: bool = True,
) -> Select:
    """The SQL for ``query``, with a plan chosen by how many customers the text terms find.

    * few (≤ SMALL_MATCH): take the index hits by id and sort them;
    * many, for a first page sorted by an indexed column: walk that index and test each
      customer's index row until a page is full (a few thousand rows at most);
    * many, for every id or a count: take the sets from the index and sort once.

    A tag term is sized by its valid bookings: a first page walking the sort index tests a
    tag with many bookings per customer (EXISTS) and takes a tag with few as a set of ids.
    """
    compiled = query.compile(ctx)
    # Only a first page that may walk a sort index needs each tag's size.
    sized = may_walk and limit is not None and query.sort in SORT_INDEXES
    many_rows = [_tag_rows(conn, term) if sized else 0 for term in compiled.tag_terms]
    where: list[str] = []
    params: list[Any] = []
    hint = ""
    walk = tentative = False
    covered: set[int] = set()
    if compiled.indexed:
        sub_sql, sub_params = compiled.candidates()
        probe = conn.execute(
            f"SELECT count(*) FROM ({sub_sql} LIMIT {SMALL_MATCH + 1})", sub_params
        ).fetchone()[0]
        few = probe <= SMALL_MATCH
        walk = may_walk and not few and limit is not None and query.sort in SORT_INDEXES
        if not walk:
            hint = " NOT INDEXED"  # look the hits up by id: walking an index would not stop
            where.append(f"c.id IN ({sub_sql})")
            params.extend(sub_params)
            covered = {i for i, c in enumerate(compiled.checks) if c.indexed}
    elif compiled.checks:
        walk = may_walk and limit is not None and query.sort in SORT_INDEXES
    elif (
        (compiled.where or compiled.tag_terms)
        and may_walk
        and limit is not None
        and query.sort in SORT_INDEXES
    ):
        # Badge, number, date and tag filters: walk the sort index when they match many.
        # A tag is sized by its bookings (a few index pages), not by testing customers.
        walk = _tags_walkable(conn, compiled.tag_terms, many_rows, limit)
        # How many customers the other columns leave is not known without reading them
        # (counting up to SMALL_MATCH took longer than walking): the walk is tried briefly.
        tentative = walk and bool(compiled.where)
    if walk:
        hint = f" INDEXED BY {SORT_INDEXES[query.sort]}"
    elif query.scope is not None and not hint:
        hint = " NOT INDEXED"  # a month's customers: a few thousand at most, looked up by id
    # Every id of a filtered list: left to itself SQLite walks the sort index to save the
    # sort, and looks up every customer's row on the way (2.2 s at 1M customers for NPS < 7,
    # which finds 51k). A unary + on the sort term keeps it off that index and leaves the
    # filter's own index usable: the matches are found, then sorted (0.1-0.5 s).
    sort_after = (
        ordered
        and limit is None
        and not walk
        and not hint
        and bool(compiled.checks or compiled.where or compiled.tag_terms)
    )
    for i, check in enumerate(compiled.checks):
        if i in covered:
            continue
        # A few ids: test each; a whole list: compare sets.
        sql, values = _probe(check) if walk or hint == " NOT INDEXED" else _subquery(check)
        where.append(sql)
        params.extend(values)
    for sql, values in compiled.where:
        where.append(f"({sql})")
        params.extend(values)
    for i, term in enumerate(compiled.tag_terms):
        sql, values = _tag_test(term, many_rows[i], walk)
        where.append(sql)
        params.extend(values)
    joins = ""
    if compiled.needs_vehicle:
        joins = " LEFT JOIN vehicles v ON v.id = c.main_vehicle_id"
    sql = f"SELECT {what} FROM customers c{hint}{joins}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if ordered:
        sql += " ORDER BY " + ("+" if sort_after else "") + _order_sql(query, ctx)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return Select(sql, params, tentative)


def first_page(
    conn: sqlite3.Connection, query: CustomerQuery, ctx: ListContext, limit: int = 100
) -> list[int]:
    """The ids of the first ``limit`` customers in order: what the screen paints first.

    Walking the sort index is quickest when matches are spread through it; when they are
    rare or bunched at its end the walk is given up after ``WALK_BUDGET`` seconds (``WALK_TRY``
    when walking was a guess) and the matches are collected and sorted instead.
    """
    sql, params, tentative = _select(conn, query, ctx, "c.id", ordered=True, limit=limit)
    if " INDEXED BY " not in sql:
        return rows_at_once(conn, sql, params, columns="id")
    with Deadline(conn, WALK_TRY if tentative else WALK_BUDGET) as walk:
        try:
            return rows_at_once(conn, sql, params, columns="id")
        except sqlite3.OperationalError:
            if not walk.passed:
                raise  # interrupted by a newer query, or a real error
    sql, params, _guess = _select(
        conn, query, ctx, "c.id", ordered=True, limit=limit, may_walk=False
    )
    return rows_at_once(conn, sql, params, columns="id")


def total(conn: sqlite3.Connection) -> int:
    """How many customers there are."""
    return int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])


def count(conn: sqlite3.Connection, query: CustomerQuery, ctx: ListContext) -> int:
    """How many customers match."""
    if not query.is_filtered:
        return total(conn)
    compiled = query.compile(ctx)
    plain = not compiled.where and query.scope is None
    indexed_only = compiled.indexed and len(compiled.indexed) == len(compiled.checks)
    if indexed_only and plain and not compiled.tag_terms:
        sub_sql, sub_params = compiled.candidates()
        return int(conn.execute(f"SELECT count(*) FROM ({sub_sql})", sub_params).fetchone()[0])
    if plain and not compiled.checks and len(compiled.tag_terms) == 1:
        # Every booking's customer exists (the foreign key cascades): count the bookings'
        # distinct customers without testing customer after customer.
        term = compiled.tag_terms[0]
        sql = (
            f"SELECT count(DISTINCT ct.customer_id) FROM {term.source}{term.join}"
            f" WHERE {term.tests}"
        )
        if term.negated:
            sql = f"SELECT (SELECT count(*) FROM customers) - ({sql})"
        return int(conn.execute(sql, term.params).fetchone()[0])
    term = compiled.tag_terms[0] if len(compiled.tag_terms) == 1 else None
    if plain and indexed_only and term is not None and not term.negated and not term.join:
        # Text found by the index and one tag: when the text finds many, count the tag's
        # bookings whose customer is among the hits (one set to build, not two).
        sub_sql, sub_params = compiled.candidates()
        many = conn.execute(
            f"SELECT count(*) FROM ({sub_sql} LIMIT {SMALL_MATCH + 1})", sub_params
        ).fetchone()[0]
        if many > SMALL_MATCH:
            sql = (
                f"SELECT count(DISTINCT ct.customer_id) FROM {term.source}"
                f" WHERE {term.tests} AND ct.customer_id IN ({sub_sql})"
            )
            return int(conn.execute(sql, [*term.params, *sub_params]).fetchone()[0])
    sql, params, _guess = _select(conn, query, ctx, "count(*)", ordered=False)
    return int(conn.execute(sql, params).fetchone()[0])


def snapshot(
    conn: sqlite3.Connection,
    query: CustomerQuery,
    ctx: ListContext,
    cancelled: Callable[[], bool] = lambda: False,
) -> array | None:
    """Every matching id in display order (8 bytes each); ``None`` if cancelled meanwhile.

    Read in one step of SQLite (``rows_at_once``), like a page: read row by row, a million
    ids handed the GIL back a million times, and while the screen painted that took seconds.
    A newer query stops a read under way with ``interrupt()``."""
    sql, params, _guess = _select(conn, query, ctx, "c.id", ordered=True)
    if cancelled():
        return None
    ids = array("q", rows_at_once(conn, sql, params, columns="id"))
    return None if cancelled() else ids


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True, slots=True)
class ListRow:
    """One customer as the list shows it: raw values by column key, plus the id."""

    id: int
    values: dict[str, Any]

    def cell(self, key: str) -> str:
        """The text of a cell: plain text, never markup."""
        return format_cell(key, self.values.get(key))

    def tone(self, key: str) -> str | None:
        """green / yellow / red / None: the colour of a badge cell."""
        value = self.values.get(key)
        if key == "light":
            return None if value == "unknown" else value
        if key == "nps":
            return None if value is None else nps_tone(value)
        if key in ("retention", "caring"):
            return "on" if value else None
        if key == "status":
            return STATUS_TONES.get(value)
        return None


STATUS_TONES = {
    "active": "green",
    "overdue": "yellow",
    "short-term lapsed": "yellow",
    "long-term lapsed": "red",
    "possible passer-by": "yellow",
    "confirmed lost": "red",
}
LIGHT_LETTERS = {"green": "G", "yellow": "Y", "red": "R", "unknown": "?"}


def nps_tone(score: int) -> str:
    return "red" if score <= 6 else "yellow" if score <= 8 else "green"


def format_cell(key: str, value: Any) -> str:
    """How a value reads on screen; each badge has a letter, digit or symbol besides colour."""
    if value is None:
        return "–" if key == "nps" else ""
    if key == "light":
        return ("●" if value != "unknown" else "○") + LIGHT_LETTERS.get(value, "?")
    if key == "retention":
        return "R" if value else "·"
    if key == "caring":
        return "C" if value else "·"
    if key in ("status", "kind"):
        return _(value)
    if key == "last_visit":
        return i18n.shown_date(value)
    return str(value)


_ROW_SQL = """
SELECT c.id, c.customer_no, c.name, coalesce(c.phone, c.mobile) AS phone, c.city,
       v.brand, v.model, v.plate, c.advisor, c.last_visit, {status} AS status,
       c.traffic_light, c.nps, {retention} AS retention, {caring} AS caring, c.email
FROM customers c LEFT JOIN vehicles v ON v.id = c.main_vehicle_id
WHERE c.id IN ({marks})
"""
_ROW_COLUMNS = (
    "json_array(id, customer_no, name, phone, city, brand, model, plate, advisor, last_visit,"
    " status, traffic_light, nps, retention, caring, email)"
)


def fetch_rows(
    conn: sqlite3.Connection,
    ids: Sequence[int],
    ctx: ListContext,
    scope: tuple | None = None,
) -> list[ListRow]:
    """The rows of ``ids`` in the order given (ids deleted meanwhile are left out); with a
    loyalty ``scope``, each row's kind, visits in the window and contact state too."""
    rows: dict[int, ListRow] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        sql = ctx.expand(_ROW_SQL.replace("{marks}", ", ".join("?" * len(chunk))))
        for record in rows_at_once(conn, sql, chunk, columns=_ROW_COLUMNS):
            (cid, number, name, phone, city, brand, model, plate, advisor, last, status,
             light, nps, retention, caring, email) = record  # fmt: skip
            vehicle = " ".join(part for part in (brand, model) if part)
            if plate:
                vehicle = f"{vehicle} ({plate})" if vehicle else plate
            away = months_away(dt.date.fromisoformat(last), ctx.today) if last is not None else None
            rows[cid] = ListRow(
                cid,
                {
                    "customer_no": number,
                    "name": name,
                    "phone": phone,
                    "city": city,
                    "vehicle": vehicle or None,
                    "advisor": advisor,
                    "last_visit": last,
                    "months_away": away,
                    "status": status,
                    "light": light,
                    "nps": nps,
                    "retention": bool(retention),
                    "caring": bool(caring),
                    "email": email,
                    "tags": None,
                },
            )
    for cid, text in tags.valid_codes(conn, list(rows)).items():
        rows[cid].values["tags"] = text
    if is_loyalty_scope(scope):
        assert scope is not None
        _kind, month, window = scope
        for detail in loyalty.customer_details(
            conn, [i for i in ids if i in rows], Month.from_index(month), window
        ):
            rows[detail.customer_id].values.update(
                kind=detail.kind,
                contact=detail.contact,
                visits_in_window=detail.visits_in_window,
            )
    return [rows[i] for i in ids if i in rows]


# ---------------------------------------------------------------------------------------------
# Export and saved views


def export_csv(
    conn: sqlite3.Connection,
    query: CustomerQuery,
    ctx: ListContext,
    out: TextIO,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the filtered, sorted list as CSV (fixed English headers); return the row count.

    Values come out exactly as stored, control characters and would-be formulas included
    (see :mod:`retention_tui.csvfile`)."""
    ids = snapshot(conn, query, ctx)
    assert ids is not None
    columns = DRILLDOWN_COLUMNS if is_loyalty_scope(query.scope) else COLUMNS
    writer = csvfile.writer(out)
    writer.writerow([c.key for c in columns])
    done = 0
    for start in range(0, len(ids), 1000):
        for row in fetch_rows(conn, ids[start : start + 1000], ctx, query.scope):
            values = dict(row.values)
            values["retention"] = int(values["retention"])
            values["caring"] = int(values["caring"])
            writer.writerow(["" if values[c.key] is None else values[c.key] for c in columns])
            done += 1
        if progress:
            progress(done, len(ids))
    return done


def save_view(conn: sqlite3.Connection, name: str, query: CustomerQuery) -> None:
    """Save ``query`` under ``name`` (replacing a view of that name)."""
    name = name.strip()
    if not name:
        raise RetentionError(_("Give the view a name."))
    with write(conn):
        conn.execute(
            "INSERT INTO saved_views (name, screen, definition, created_by, created_at)"
            " VALUES (?, 'desktop', ?, ?, ?) ON CONFLICT (screen, name) DO UPDATE SET"
            " definition = excluded.definition, created_by = excluded.created_by,"
            " created_at = excluded.created_at",
            (name, query.to_json(), audit.current_operator(), clock.now().isoformat(sep=" ")),
        )


def saved_views(conn: sqlite3.Connection) -> list[tuple[str, CustomerQuery]]:
    """The desktop's saved views by name."""
    return [
        (name, CustomerQuery.from_json(definition))
        for name, definition in conn.execute(
            "SELECT name, definition FROM saved_views WHERE screen = 'desktop' ORDER BY name"
        )
    ]


def delete_view(conn: sqlite3.Connection, name: str) -> None:
    with write(conn):
        conn.execute("DELETE FROM saved_views WHERE screen = 'desktop' AND name = ?", (name,))


def parse_filter_option(text: str) -> tuple[str, str]:
    """``COLUMN=EXPR`` from the command line (the expression may itself start with =)."""
    key, sep, expr = text.partition("=")
    if not sep or not key.strip():
        raise FilterError(
            _("'{text}' is not COLUMN=FILTER, e.g. city=utrecht or months_away=>12.").format(
                text=text
            )
        )
    column(key.strip())
    return key.strip(), expr


def query_from_options(
    filters: Iterable[str], search: str = "", sort: str = "name", descending: bool = False
) -> CustomerQuery:
    query = CustomerQuery(search=search)
    for text in filters:
        key, expr = parse_filter_option(text)
        query = query.with_filter(key, expr)
    return query.sorted_by(sort, descending)


def filter_forms() -> list[tuple[str, str]]:
    """The filter language, example by example: for the help screen and ``--help``."""
    return [
        ("jose", _("contains (case and accents ignored: finds José)")),
        ("^van", _("starts with")),
        ("=Utrecht", _("is exactly")),
        ("!golf", _("does not contain")),
        ('""  !""', _("is empty / is not empty")),
        (">12  <=3  =0", _("numbers: more than, at most, equal")),
        ("2024-01..2024-06", _("a range (dates: a year, a month or a day); !a..b: outside it")),
        ("<=2025-06", _("dates: up to the end of June 2025")),
        ("<-1y  -6m..today", _("dates back from today: -30d, -6w, -6m, -2y")),
        ("red  !green  y", _("traffic light: green, yellow, red, unknown (or G Y R ?)")),
        ('<7  red  ""', _("NPS: a score, detractor (red) / passive / promoter, or none")),
        ("on  off", _("Retention and Caring campaigns")),
        ("lapsed", _("status: any status containing the word")),
        ("inspection  !tyre-storage", _("Tags: holds the tag (valid today) / does not")),
        ("complaint,dunned", _("Tags: holds either")),
        ("test-ride set:2026-01..2026-03", _("Tags: set within a period")),
        ("test-ride set:-6m..", _("Tags: set in the last six months")),
        ("purchase-interest grade:1..2", _("Tags: with a grade in a range (1 is best)")),
        ("inspection follow-up", _("Tags: follow-up due (follow-up:none, follow-up:any)")),
        ("bought-here unseen", _("Tags: no workshop visit since the tag's day")),
        ("club-member & touring", _("Tags: both")),
    ]


def export_to_path(
    conn: sqlite3.Connection,
    query: CustomerQuery,
    ctx: ListContext,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Export to ``path`` via a temporary file, so a failure never leaves half a list."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise RetentionError(_("{path} is a folder; give a file name.").format(path=path))
    if not path.parent.is_dir():
        raise RetentionError(_("The folder {folder} does not exist.").format(folder=path.parent))
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", newline="", encoding="utf-8") as out:
            rows = export_csv(conn, query, ctx, out, progress)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise RetentionError(
            _("Could not write {path}: {reason}").format(path=path, reason=error.strerror or error)
        ) from error
    return rows
