"""Import from the dealer management system (DMS): CSV files in the canonical layout of
DATA-FORMAT.md, or another layout through a TOML column mapping.

An import reads and checks the whole file first; only if every row is good (or
``skip_bad_rows`` is set) does it write, in one ``BEGIN IMMEDIATE`` transaction, upserting by
the DMS's keys. Rows are staged in a temporary table and applied set-wise, so counting
inserted / updated / unchanged rows and keeping the derived customer facts correct costs a
few SQL statements, not a query per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import math
import re
import sqlite3
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import audit, churn, clock, customer_months, reasons, roles, search_index, tags
from .cells import printable
from .db import write
from .db.connection import bulk_load
from .errors import RetentionError
from .facts import refresh_customer_facts
from .i18n import _, ngettext

KINDS = ("customers", "vehicles", "visits", "traffic-lights", "departures", "tags")

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "j", "ja", "si", "sì", "jā", "t", "x", "waar"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "nee", "nein", "nē", "f", "onwaar"})

LIGHTS = {
    "green": "green",
    "groen": "green",
    "grün": "green",
    "grun": "green",
    "verde": "green",
    "zaļš": "green",
    "绿": "green",
    "绿灯": "green",
    "yellow": "yellow",
    "amber": "yellow",
    "orange": "yellow",
    "geel": "yellow",
    "oranje": "yellow",
    "gelb": "yellow",
    "giallo": "yellow",
    "dzeltens": "yellow",
    "黄": "yellow",
    "黄灯": "yellow",
    "red": "red",
    "rood": "red",
    "rot": "red",
    "rosso": "red",
    "sarkans": "red",
    "红": "red",
    "红灯": "red",
}

# Imports adding at least this many visits work out the customer-months in a helper thread.
PLAN_MONTHS_FROM = 5_000

DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "|": "|"}


@dataclass(frozen=True)
class Column:
    """One canonical column of an import kind."""

    name: str
    required: bool = False


SPECS: dict[str, tuple[Column, ...]] = {
    "customers": (
        Column("customer_no", True),
        Column("name", True),
        Column("phone"),
        Column("mobile"),
        Column("email"),
        Column("street"),
        Column("postcode"),
        Column("city"),
        Column("country"),
        Column("advisor"),
        Column("consent_phone"),
        Column("consent_email"),
        Column("consent_sms"),
    ),
    "vehicles": (
        Column("customer_no", True),
        Column("plate", True),
        Column("vin"),
        Column("brand"),
        Column("series"),
        Column("model"),
        Column("year"),
    ),
    "visits": (
        Column("invoice_no", True),
        Column("customer_no", True),
        Column("date", True),
        Column("plate"),
        Column("amount"),
        Column("advisor"),
        Column("mileage"),
        Column("mot"),
        Column("mot_sample"),
    ),
    "traffic-lights": (
        Column("customer_no", True),
        Column("light", True),
        Column("reason"),
        Column("date"),
    ),
    "departures": (
        Column("customer_no", True),
        Column("date", True),
        Column("reason", True),
        Column("note"),
    ),
    "tags": (
        Column("customer_no", True),
        Column("code", True),
        Column("grade"),
        Column("valid_until"),
        Column("follow_up"),
        Column("note"),
        Column("set_on"),
    ),
}


class Progress(Protocol):
    """What the importer reports progress to (a progress bar on a terminal)."""

    def update(self, n: int) -> None: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[int, str], Progress]


@dataclass
class ImportOptions:
    """How to read a file: encoding, delimiter, date format, decimal mark, column names."""

    encoding: str | None = None
    delimiter: str | None = None
    date_format: str | None = None
    decimal: str = "."
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> file header
    skip_bad_rows: bool = False

    @classmethod
    def build(
        cls,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        date_format: str | None = None,
        decimal: str | None = None,
        mapping: Path | None = None,
        skip_bad_rows: bool = False,
    ) -> ImportOptions:
        """Combine a mapping file with command-line options; the command line wins."""
        options = read_mapping(mapping) if mapping else cls()
        if encoding:
            options.encoding = encoding
        if delimiter:
            options.delimiter = delimiter
        if date_format:
            options.date_format = date_format
        if decimal:
            options.decimal = decimal
        options.skip_bad_rows = skip_bad_rows
        options.validate()
        return options

    def validate(self) -> None:
        """Refuse options that cannot work, with a sentence naming the option."""
        if self.delimiter is not None:
            if self.delimiter not in DELIMITERS:
                raise RetentionError(
                    _("The delimiter must be one of , ; tab or |, not '{value}'.").format(
                        value=self.delimiter
                    )
                )
            self.delimiter = DELIMITERS[self.delimiter]
        if self.decimal not in (".", ","):
            raise RetentionError(
                _("The decimal mark must be '.' or ',', not '{value}'.").format(value=self.decimal)
            )
        if self.encoding:
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise RetentionError(
                    _("Unknown encoding '{value}' (try utf-8, cp1252 or latin-1).").format(
                        value=self.encoding
                    )
                ) from None
        if self.date_format:
            probe = dt.date(2024, 12, 31)
            try:
                text = probe.strftime(self.date_format)
                ok = dt.datetime.strptime(text, self.date_format).date() == probe
            except ValueError:
                ok = False
            if not ok:
                raise RetentionError(
                    _(
                        "The date format '{value}' cannot read a full date; use strptime codes "
                        "such as %d-%m-%Y."
                    ).format(value=self.date_format)
                )


def read_mapping(path: Path) -> ImportOptions:
    """Read a TOML mapping file (DATA-FORMAT.md, "Mapping file for other layouts")."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RetentionError(
            _("The mapping file {path} is not valid TOML: {error}").format(path=path, error=error)
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise RetentionError(
            _("Cannot read the mapping file {path}: {error}").format(path=path, error=error)
        ) from None
    known = {"delimiter", "encoding", "date_format", "decimal", "columns"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RetentionError(
            _("The mapping file {path} has unknown keys: {keys} (known: {known}).").format(
                path=path, keys=", ".join(unknown), known=", ".join(sorted(known))
            )
        )
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise RetentionError(
            _("In {path}, [columns] must map canonical names to header texts.").format(path=path)
        )
    for key in ("delimiter", "encoding", "date_format", "decimal"):
        if key in data and not isinstance(data[key], str):
            raise RetentionError(
                _("In {path}, '{key}' must be a text in quotes.").format(path=path, key=key)
            )
    return ImportOptions(
        encoding=data.get("encoding"),
        delimiter=data.get("delimiter"),
        date_format=data.get("date_format"),
        decimal=data.get("decimal", "."),
        columns={k.strip().casefold(): v for k, v in columns.items()},
    )


@dataclass(frozen=True)
class RejectedRow:
    """A row that could not be imported: its line in the file (header = line 1) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return _("line {line}: {reason}").format(line=self.line, reason=self.reason)


@dataclass
class ImportResult:
    """What an import did (or, when ``written`` is False, would have done)."""

    kind: str
    file: Path
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    written: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    """What else the import did (reasons it created, variants it joined)."""

    def report_lines(self) -> list[str]:
        """The summary printed by the command line, one sentence per line; the file's own
        text in it (values, reasons, column names) with control characters shown as symbols,
        so an escape sequence in a cell never reaches the terminal."""
        lines: list[str] = []
        if self.unknown_columns:
            lines.append(
                _("Ignored unknown columns: {names}.").format(names=", ".join(self.unknown_columns))
            )
        if self.rejected and not self.written:
            lines.append(
                ngettext(
                    "{file}: {n} row rejected; nothing was written.",
                    "{file}: {n} rows rejected; nothing was written.",
                    len(self.rejected),
                ).format(file=self.file, n=len(self.rejected))
            )
        elif self.rejected:
            lines.append(
                ngettext(
                    "{file}: {n} row rejected and skipped:",
                    "{file}: {n} rows rejected and skipped:",
                    len(self.rejected),
                ).format(file=self.file, n=len(self.rejected))
            )
        lines.extend(str(row) for row in self.rejected)
        if self.written:
            lines.extend(self.notes)
            lines.append(
                _(
                    "Imported {kind} from {file}: {inserted:,} inserted, {updated:,} "
                    "updated, {unchanged:,} unchanged ({seconds:.1f} s)."
                ).format(
                    kind=self.kind,
                    file=self.file,
                    inserted=self.inserted,
                    updated=self.updated,
                    unchanged=self.unchanged,
                    seconds=self.seconds,
                )
            )
        return [printable(line) for line in lines]


class _RowError(Exception):
    """A cell that cannot be read; the message is the user-facing reason."""


def _width_error(fields: int, width: int) -> _RowError:
    return _RowError(
        _(
            "the row has {n} fields, the header has {width} (a delimiter inside an "
            "unquoted value?)."
        ).format(n=fields, width=width)
    )


# -- reading the file -----------------------------------------------------------------------


def _decode(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode the file, refusing non-UTF-8 bytes with the line and a likely encoding."""
    if not raw.strip():
        raise RetentionError(_("{path} is empty: there is no header row.").format(path=path))
    codec = encoding or "utf-8-sig"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        if encoding:
            raise RetentionError(
                _(
                    "{path} cannot be read as {codec}: line {line} has the byte 0x{byte:02x}. "
                    "Check the file's encoding."
                ).format(path=path, codec=encoding, line=line, byte=raw[error.start])
            ) from None
        guess = _guess_encoding(raw)
        hint = (
            _(" It looks like {guess}: run the import again with --encoding {guess}.").format(
                guess=guess
            )
            if guess
            else _(" Give its encoding with --encoding (for example cp1252).")
        )
        raise RetentionError(
            _("{path} is not UTF-8: line {line} has the byte 0x{byte:02x}.").format(
                path=path, line=line, byte=raw[error.start]
            )
            + hint
        ) from None
    if encoding and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        text = text.removeprefix("\ufeff")
    return text


def _guess_encoding(raw: bytes) -> str | None:
    """The most likely encoding of non-UTF-8 bytes (charset-normalizer)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency
        return "cp1252"
    best = from_bytes(raw[:200_000]).best()
    if best is None:
        return None
    name = best.encoding.replace("_", "")
    # Western European exports: cp1252 is a superset of latin-1 for printable text.
    if name in ("latin1", "iso88591", "iso885915", "cp1250"):
        return "cp1252"
    return name


def _sniff_delimiter(header_line: str) -> str:
    """Pick ``,`` ``;`` or tab, whichever splits the header into the most columns."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RetentionError(
                _("The file is not valid CSV near line {line}: {error}.").format(
                    line=reader.line_num, error=error
                )
            ) from None
        start = last + 1
        last = reader.line_num
        yield start, record


# -- cell parsers -----------------------------------------------------------------------------


class CellParsers:
    """Parsers for the cell types, configured by the options; fast for repeated values."""

    def __init__(self, options: ImportOptions, today: dt.date) -> None:
        self.options = options
        self.today = today
        self._dates: dict[str, dt.date] = {}

    def date(self, value: str, column: str) -> dt.date:
        parsed = self._dates.get(value)
        if parsed is not None:
            return parsed
        fmt = self.options.date_format
        try:
            if fmt:
                parsed = dt.datetime.strptime(value, fmt).date()
            elif len(value) == 10 and value[4] == "-" and value[7] == "-":
                parsed = dt.date.fromisoformat(value)
            else:
                raise ValueError
        except ValueError:
            shown = fmt or "YYYY-MM-DD"
            raise _RowError(
                _("{column} '{value}' is not a valid date (expected {format}).").format(
                    column=column, value=value, format=shown
                )
            ) from None
        if parsed.year < 1900:
            raise _RowError(
                _("{column} '{value}' lies before 1900.").format(column=column, value=value)
            )
        self._dates[value] = parsed
        return parsed

    def number(self, value: str, column: str) -> float:
        try:
            number = float(value) if self.options.decimal == "." else _comma_number(value)
            if math.isfinite(number):
                return number
        except ValueError:
            pass
        try:
            return _grouped_number(value, self.options.decimal)
        except ValueError:
            hint = (
                _(" (decimal commas need --decimal ,)")
                if self.options.decimal == "." and re.fullmatch(r"-?\d+,\d{1,2}", value)
                else ""
            )
            raise _RowError(
                _("{column} '{value}' is not a number.").format(column=column, value=value) + hint
            ) from None

    def whole(self, value: str, column: str, low: int, high: int) -> int:
        number = self.number(value, column)
        if number != int(number) or not low <= number <= high:
            raise _RowError(
                _("{column} '{value}' must be a whole number from {low} to {high}.").format(
                    column=column, value=value, low=low, high=high
                )
            )
        return int(number)

    @staticmethod
    def boolean(value: str, column: str) -> int:
        folded = value.casefold()
        if folded in TRUE_WORDS:
            return 1
        if folded in FALSE_WORDS:
            return 0
        raise _RowError(
            _("{column} '{value}' is not yes or no (use 1/0, yes/no, ja/nee, ...).").format(
                column=column, value=value
            )
        )


def _comma_number(value: str) -> float:
    if "." in value or "e" in value.lower():
        raise ValueError(value)
    return float(value.replace(",", "."))


_GROUPED = {
    ".": re.compile(r"[-+]?\d{1,3}(?:[, ']\d{3})+(?:\.\d+)?"),
    ",": re.compile(r"[-+]?\d{1,3}(?:[. ']\d{3})+(?:,\d+)?"),
}


def _grouped_number(value: str, decimal: str) -> float:
    """Numbers with thousands separators in proper groups of three (``1.234,56``)."""
    text = value.replace("€", "").replace("EUR", "").strip()
    if not _GROUPED[decimal].fullmatch(text):
        raise ValueError(value)
    grouping = "[,' ]" if decimal == "." else "[.' ]"
    text = re.sub(grouping, "", text)
    return float(text.replace(",", ".")) if decimal == "," else float(text)


_NOT_ALNUM = re.compile(r"[\W_]+")


def plate_key(plate: str) -> str:
    """A plate in upper case without spaces, dashes or dots: how plates are matched."""
    return _NOT_ALNUM.sub("", plate.upper())


# -- the import -----------------------------------------------------------------------------


@dataclass
class _Parsed:
    header: dict[str, int]  # canonical name -> position in the record
    unknown: list[str]
    rows: list[tuple[int, list[str]]]
    width: int  # fields in the header


def _read(path: Path, kind: str, options: ImportOptions) -> _Parsed:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RetentionError(
            _("Cannot read {path}: {error}").format(path=path, error=error.strerror)
        ) from None
    text = _decode(raw, path, options.encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = options.delimiter or _sniff_delimiter(first_line)
    records = _records(text, delimiter)
    try:
        _start, header_cells = next(records)
    except StopIteration:
        raise RetentionError(
            _("{path} is empty: there is no header row.").format(path=path)
        ) from None
    names = [cell.strip().casefold() for cell in header_cells]
    renamed = {v.strip().casefold(): k for k, v in options.columns.items()}
    names = [renamed.get(name, name) for name in names]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise RetentionError(
                _("{path}: the column '{name}' appears twice in the header.").format(
                    path=path, name=printable(name)
                )
            )
        seen.add(name)
    spec = SPECS[kind]
    known = {c.name for c in spec}
    header = {name: i for i, name in enumerate(names) if name in known}
    missing = [c.name for c in spec if c.required and c.name not in header]
    if missing:
        found = printable(", ".join(cell.strip() for cell in header_cells)) or _("(nothing)")
        raise RetentionError(
            ngettext(
                "{path}: the required column {names} is missing (the header has: {found}); "
                "nothing was written.",
                "{path}: the required columns {names} are missing (the header has: "
                "{found}); nothing was written.",
                len(missing),
            ).format(path=path, names=", ".join(missing), found=found)
        )
    unknown = [
        cell.strip()
        for cell, name in zip(header_cells, names, strict=True)
        if name and name not in known
    ]
    rows = [
        (line, cells) for line, cells in records if cells and (len(cells) > 1 or cells[0].strip())
    ]
    if not rows:
        raise RetentionError(
            _("{path} has a header but no rows; nothing to import.").format(path=path)
        )
    return _Parsed(header=header, unknown=unknown, rows=rows, width=len(header_cells))


def import_file(
    conn: sqlite3.Connection,
    kind: str,
    path: Path,
    options: ImportOptions | None = None,
    *,
    progress: ProgressFactory | None = None,
) -> ImportResult:
    """Check ``path`` and, if it is good (or bad rows may be skipped), import it.

    Raises :class:`RetentionError` for a file that cannot be read at all (encoding, empty,
    missing required column); bad rows come back in ``ImportResult.rejected``.
    """
    if kind not in SPECS:
        raise RetentionError(
            _("Unknown import kind '{kind}' (one of: {kinds}).").format(
                kind=kind, kinds=", ".join(KINDS)
            )
        )
    roles.require_manager(conn, _("Importing data is a manager's task."))
    options = options or ImportOptions()
    # Millions of small lists and tuples would trigger the cyclic garbage collector over and
    # over (none of them form cycles); pausing it more than halves the time of a big file.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_file(conn, kind, path, options, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _import_file(
    conn: sqlite3.Connection,
    kind: str,
    path: Path,
    options: ImportOptions,
    progress: ProgressFactory | None,
) -> ImportResult:
    started = time.perf_counter()
    started_at = clock.now().isoformat(sep=" ")
    parsed = _read(path, kind, options)
    result = ImportResult(
        kind=kind, file=path, rows=len(parsed.rows), unknown_columns=parsed.unknown
    )
    importer = _IMPORTERS[kind](conn, parsed, CellParsers(options, clock.today()))
    bar = progress(len(parsed.rows), _("Checking")) if progress else None
    try:
        staged = importer.check(result.rejected, bar)
    finally:
        if bar:
            bar.close()
    if result.rejected and not options.skip_bad_rows:
        result.seconds = time.perf_counter() - started
        return result
    writing = progress(1, _("Writing ")) if progress else None
    # A big visits import works out the customer-months beside it, into a scratch file.
    scratch = (
        customer_months.scratch_file(conn)
        if isinstance(importer, _Visits) and len(staged) >= PLAN_MONTHS_FROM
        else None
    )
    try:
        with write(conn, attach=(customer_months.SCRATCH, str(scratch)) if scratch else None):
            months_plan = None
            with bulk_load(conn, importer.table, len(staged)):
                result.inserted, result.updated, result.unchanged = importer.apply(staged)
                result.notes = list(getattr(importer, "notes", []))
                if isinstance(importer, _Visits):
                    months_plan = importer.plan_months(scratch)
            # After the indexes are back: the facts are computed through them.
            if importer.affected_customers:
                refresh_customer_facts(
                    conn,
                    importer.affected_customers,
                    vehicles_changed=kind != "visits",
                    visits_changed=kind == "visits",
                    months_plan=months_plan,
                )
            result.written = True
            audit.record(
                conn,
                f"import {kind}",
                "import_runs",
                new={
                    "file": str(path),
                    "inserted": result.inserted,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "rejected": len(result.rejected),
                },
            )
            conn.execute(
                "INSERT INTO import_runs (kind, file, inserted, updated, unchanged, rejected,"
                " operator, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    str(path),
                    result.inserted,
                    result.updated,
                    result.unchanged,
                    len(result.rejected),
                    audit.current_operator(),
                    started_at,
                    clock.now().isoformat(sep=" "),
                ),
            )
        if writing:
            writing.update(1)
    finally:
        if writing:
            writing.close()
        if scratch:
            scratch.unlink(missing_ok=True)
    result.seconds = time.perf_counter() - started
    return result


class _KindImporter:
    """Checks the rows of one kind and applies them; subclasses per kind."""

    table = ""

    def __init__(self, conn: sqlite3.Connection, parsed: _Parsed, parse: CellParsers) -> None:
        self.conn = conn
        self.parsed = parsed
        self.parse = parse
        self.present = set(parsed.header)
        self.affected_customers: set[int] = set()

    def cell(self, cells: Sequence[str], name: str) -> str:
        i = self.parsed.header.get(name)
        return cells[i].strip() if i is not None else ""

    def check(self, rejected: list[RejectedRow], bar: Progress | None) -> list[tuple[Any, ...]]:
        staged: list[tuple[Any, ...]] = []
        seen: dict[Any, int] = {}
        width = self.parsed.width
        for n, (line, cells) in enumerate(self.parsed.rows, 1):
            if bar and n % 20_000 == 0:
                bar.update(20_000)
            try:
                if len(cells) != width:
                    raise _width_error(len(cells), width)
                key, row = self.check_row(cells)
                first = seen.get(key)
                if first is not None:
                    raise self.duplicate_error(key, first)
                seen[key] = line
                staged.append(row)
            except _RowError as error:
                rejected.append(RejectedRow(line, str(error)))
        if bar:
            bar.update(len(self.parsed.rows) % 20_000)
        return staged

    def required(self, cells: Sequence[str], name: str) -> str:
        value = self.cell(cells, name)
        if not value:
            raise _RowError(_("{column} is empty.").format(column=name))
        return value

    def optional(self, cells: Sequence[str], name: str) -> str | None:
        return self.cell(cells, name) or None

    def customer_id(self, customer_no: str) -> int:
        found = self.customer_ids.get(customer_no)
        if found is None:
            raise _RowError(
                _(
                    "customer_no '{value}' is not a known customer (import the customers first)."
                ).format(value=customer_no)
            )
        return found

    @property
    def customer_ids(self) -> dict[str, int]:
        if not hasattr(self, "_customer_ids"):
            self._customer_ids: dict[str, int] = dict(
                self.conn.execute("SELECT customer_no, id FROM customers")
            )
        return self._customer_ids

    def describe_key(self, key: Any) -> str:
        return str(key)

    def duplicate_error(self, key: Any, first_line: int) -> _RowError:
        return _RowError(
            _("{key} appears again (first on line {first}).").format(
                key=self.describe_key(key), first=first_line
            )
        )

    def check_row(self, cells: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
        raise NotImplementedError

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        raise NotImplementedError

    # -- staged upsert shared by the kinds --

    def stage(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self.conn.execute("DROP TABLE IF EXISTS temp.stage")
        self.conn.execute(f"CREATE TEMP TABLE stage ({', '.join(columns)})")
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO temp.stage VALUES ({marks})", rows)

    def count(self, sql: str) -> int:
        return int(self.conn.execute(sql).fetchone()[0])


class _Customers(_KindImporter):
    table = "customers"
    FIELDS = (
        "name",
        "phone",
        "mobile",
        "email",
        "street",
        "postcode",
        "city",
        "country",
        "advisor",
    )
    CONSENTS = ("consent_phone", "consent_email", "consent_sms")

    def describe_key(self, key: Any) -> str:
        return _("customer_no '{value}'").format(value=key)

    def check_row(self, cells: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
        customer_no = self.required(cells, "customer_no")
        name = self.required(cells, "name")
        values = [customer_no, name, *(self.optional(cells, f) for f in self.FIELDS[1:])]
        for consent in self.CONSENTS:
            raw = self.cell(cells, consent)
            values.append(self.parse.boolean(raw, consent) if raw else None)
        return customer_no, tuple(values)

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        columns = ("customer_no", *self.FIELDS, *self.CONSENTS)
        self.stage(columns, rows)
        # Only columns present in the file are compared and updated; an empty consent cell
        # means "not given" and keeps what is stored.
        fields = [f for f in self.FIELDS if f in self.present]
        consents = [c for c in self.CONSENTS if c in self.present]
        differs = " OR ".join(
            [f"c.{f} IS NOT s.{f}" for f in fields]
            + [f"(s.{c} IS NOT NULL AND c.{c} IS NOT s.{c})" for c in consents]
        )
        inserted = self.count(
            "SELECT count(*) FROM temp.stage s WHERE NOT EXISTS "
            "(SELECT 1 FROM customers c WHERE c.customer_no = s.customer_no)"
        )
        updated = self.count(
            "SELECT count(*) FROM temp.stage s JOIN customers c "
            f"USING (customer_no) WHERE {differs}"
        )
        now = clock.now().isoformat(sep=" ")
        defaults = {"consent_phone": 1, "consent_email": 0, "consent_sms": 0}
        self.conn.execute(
            f"INSERT INTO customers (customer_no, {', '.join(self.FIELDS)}, "
            f"{', '.join(self.CONSENTS)}, created_at, updated_at) "
            f"SELECT customer_no, {', '.join(self.FIELDS)}, "
            + ", ".join(f"coalesce({c}, {defaults[c]})" for c in self.CONSENTS)
            + ", ?, ? FROM temp.stage WHERE NOT EXISTS "
            "(SELECT 1 FROM customers c WHERE c.customer_no = temp.stage.customer_no)",
            (now, now),
        )
        if updated:
            sets = [f"{f} = s.{f}" for f in fields] + [
                f"{c} = coalesce(s.{c}, c.{c})" for c in consents
            ]
            self.conn.execute(
                f"UPDATE customers AS c SET {', '.join(sets)}, updated_at = ? "
                f"FROM temp.stage s WHERE c.customer_no = s.customer_no AND ({differs})",
                (now,),
            )
        if inserted or updated:
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS _changed (id INTEGER PRIMARY KEY)")
            self.conn.execute("DELETE FROM temp._changed")
            self.conn.execute(
                "INSERT INTO temp._changed (id) SELECT c.id FROM customers c"
                " JOIN temp.stage s USING (customer_no) WHERE c.updated_at = ?",
                (now,),
            )
            search_index.refresh_listed(self.conn, "temp._changed")
            self.conn.execute("DELETE FROM temp._changed")
        return inserted, updated, len(rows) - inserted - updated


class _Vehicles(_KindImporter):
    table = "vehicles"
    FIELDS = ("brand", "series", "model", "year")

    def __init__(self, conn: sqlite3.Connection, parsed: _Parsed, parse: CellParsers) -> None:
        super().__init__(conn, parsed, parse)
        self.by_vin: dict[str, int] = {}
        self.by_plate: dict[str, list[tuple[int, str | None, int]]] = {}
        for vid, vin, key, owner in conn.execute(
            "SELECT id, vin, plate_key, customer_id FROM vehicles ORDER BY id"
        ):
            if vin:
                self.by_vin[vin] = vid
            self.by_plate.setdefault(key, []).append((vid, vin, owner))

    def describe_key(self, key: Any) -> str:
        kind, value = key
        return (_("vin '{value}'") if kind == "vin" else _("plate '{value}'")).format(value=value)

    def _existing(self, key: str, vin: str | None, customer_id: int) -> int | None:
        if vin and vin in self.by_vin:
            return self.by_vin[vin]
        candidates = [c for c in self.by_plate.get(key, ()) if not vin or not c[1]]
        if not candidates:
            return None
        own = [c for c in candidates if c[2] == customer_id]
        return (own or candidates)[-1][0]

    def check_row(self, cells: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
        customer_id = self.customer_id(self.required(cells, "customer_no"))
        plate = self.required(cells, "plate")
        key = plate_key(plate)
        if not key:
            raise _RowError(_("plate '{value}' has no letters or digits.").format(value=plate))
        vin = self.optional(cells, "vin")
        if vin:
            vin = vin.upper().replace(" ", "")
        year_text = self.cell(cells, "year")
        year = (
            self.parse.whole(year_text, "year", 1885, self.parse.today.year + 1)
            if year_text
            else None
        )
        row = (
            self._existing(key, vin, customer_id),
            customer_id,
            plate,
            key,
            vin,
            self.optional(cells, "brand"),
            self.optional(cells, "series"),
            self.optional(cells, "model"),
            year,
        )
        return ("vin", vin) if vin else ("plate", key), row

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        self.stage(("id", "customer_id", "plate", "plate_key", "vin", *self.FIELDS), rows)
        fields = ["customer_id", "plate", "plate_key", "vin"] + [
            f for f in self.FIELDS if f in self.present
        ]
        differs = " OR ".join(
            f"v.{f} IS NOT s.{f}" for f in fields if f != "vin" or "vin" in self.present
        )
        inserted = self.count("SELECT count(*) FROM temp.stage WHERE id IS NULL")
        updated = self.count(
            f"SELECT count(*) FROM temp.stage s JOIN vehicles v ON v.id = s.id WHERE {differs}"
        )
        affected = [
            r[0]
            for r in self.conn.execute(
                "SELECT s.customer_id FROM temp.stage s UNION "
                "SELECT v.customer_id FROM temp.stage s JOIN vehicles v ON v.id = s.id"
            )
        ]
        now = clock.now().isoformat(sep=" ")
        self.conn.execute(
            "INSERT INTO vehicles (customer_id, plate, plate_key, vin, brand, series, model, year,"
            " created_at, updated_at) SELECT customer_id, plate, plate_key, vin, brand, series,"
            " model, year, ?, ? FROM temp.stage WHERE id IS NULL",
            (now, now),
        )
        if updated:
            sets = ", ".join(
                f"{f} = coalesce(s.{f}, v.{f})" if f == "vin" else f"{f} = s.{f}" for f in fields
            )
            self.conn.execute(
                f"UPDATE vehicles AS v SET {sets}, updated_at = ? FROM temp.stage s "
                f"WHERE v.id = s.id AND ({differs})",
                (now,),
            )
        self.affected_customers.update(affected)
        return inserted, updated, len(rows) - inserted - updated


class _Visits(_KindImporter):
    table = "visits"
    COLUMNS = (
        "invoice_no",
        "customer_id",
        "vehicle_id",
        "plate",
        "date",
        "amount",
        "advisor",
        "mileage",
        "mot",
        "mot_sample",
    )

    def __init__(self, conn: sqlite3.Connection, parsed: _Parsed, parse: CellParsers) -> None:
        super().__init__(conn, parsed, parse)
        self._vehicles: dict[tuple[int, str], int] | None = None
        self._plates: dict[str, int] = {}
        self._resolved: dict[tuple[int, str], int | None] = {}
        # The rows (as staged) of every visit added, when nothing else changed
        self.new_visits: list[tuple[Any, ...]] | None = None

    def describe_key(self, key: Any) -> str:
        return _("invoice_no '{value}'").format(value=key)

    def plan_months(self, scratch: Path | None) -> Future[customer_months.Plan] | None:
        """For a big import that only adds visits: start working out the customer-months in
        a helper thread (into ``scratch``), while this connection rebuilds the visit indexes."""
        if scratch is None or self.new_visits is None:
            return None
        rows = self.new_visits
        # Picked out in the helper thread, not here.
        visits = ((row[1], row[4], row[8], row[9]) for row in rows)
        return customer_months.start_plan(self.conn, str(scratch), visits)

    def vehicle_id(self, customer_id: int, plate: str) -> int | None:
        """The vehicle a visit's plate names: the customer's own first, else the latest."""
        known = self._resolved.get((customer_id, plate), -1)
        if known != -1:
            return known
        if self._vehicles is None:
            self._vehicles = {}
            for vid, key, owner in self.conn.execute(
                "SELECT id, plate_key, customer_id FROM vehicles ORDER BY id"
            ):
                self._vehicles[(owner, key)] = vid
                self._plates[key] = vid
        key = plate_key(plate)
        found = self._vehicles.get((customer_id, key)) or self._plates.get(key)
        self._resolved[(customer_id, plate)] = found
        return found

    def check(self, rejected: list[RejectedRow], bar: Progress | None) -> list[tuple[Any, ...]]:
        """The hot loop of a million-row import: locals and plain indexing, and the generic
        per-cell parsers only for values off the common path (their messages are shared)."""
        h = self.parsed.header
        i_invoice, i_customer, i_date = h["invoice_no"], h["customer_no"], h["date"]
        i_plate, i_amount, i_advisor, i_mileage, i_mot, i_sample = (
            h.get(name, -1)
            for name in ("plate", "amount", "advisor", "mileage", "mot", "mot_sample")
        )
        width = self.parsed.width
        customers = self.customer_ids
        parse = self.parse
        today = parse.today.isoformat()
        point = parse.options.decimal == "."
        iso_of: dict[str, str] = {}
        flags = {"1": 1, "0": 0, "": 0}
        seen: dict[str, int] = {}
        staged: list[tuple[Any, ...]] = []
        append = staged.append
        isfinite = math.isfinite
        for n, (line, cells) in enumerate(self.parsed.rows, 1):
            if bar and n % 20_000 == 0:
                bar.update(20_000)
            try:
                if len(cells) != width:
                    raise _width_error(len(cells), width)
                invoice_no = cells[i_invoice].strip()
                if not invoice_no:
                    raise _RowError(_("{column} is empty.").format(column="invoice_no"))
                date_text = cells[i_date].strip()
                iso = iso_of.get(date_text)
                if iso is None:
                    if not date_text:
                        raise _RowError(_("{column} is empty.").format(column="date"))
                    iso = parse.date(date_text, "date").isoformat()
                    if iso > today:
                        raise _RowError(
                            _("date {value} lies after today ({today}).").format(
                                value=date_text, today=today
                            )
                        )
                    iso_of[date_text] = iso
                customer_no = cells[i_customer].strip()
                customer_id = customers.get(customer_no)
                if customer_id is None:
                    if not customer_no:
                        raise _RowError(_("{column} is empty.").format(column="customer_no"))
                    self.customer_id(customer_no)
                plate = cells[i_plate].strip() if i_plate >= 0 else ""
                text = cells[i_amount].strip() if i_amount >= 0 else ""
                amount: float | None = None
                if text:
                    with suppress(ValueError):
                        amount = float(text) if point else None
                    if amount is None or not isfinite(amount):
                        amount = parse.number(text, "amount")
                text = cells[i_mileage].strip() if i_mileage >= 0 else ""
                if not text:
                    mileage = None
                elif text.isdigit() and len(text) < 8:
                    mileage = int(text)
                else:
                    mileage = parse.whole(text, "mileage", 0, 10_000_000)
                text = cells[i_mot].strip() if i_mot >= 0 else ""
                mot = flags.get(text)
                if mot is None:
                    mot = parse.boolean(text, "mot")
                text = cells[i_sample].strip() if i_sample >= 0 else ""
                sample = flags.get(text)
                if sample is None:
                    sample = parse.boolean(text, "mot_sample")
                if sample:
                    mot = 1  # a sample check is always of an MOT
                first = seen.get(invoice_no)
                if first is not None:
                    raise self.duplicate_error(invoice_no, first)
                seen[invoice_no] = line
                advisor = cells[i_advisor].strip() if i_advisor >= 0 else ""
                append(
                    (
                        invoice_no,
                        customer_id,
                        self.vehicle_id(customer_id, plate) if plate else None,  # type: ignore[arg-type]
                        plate or None,
                        iso,
                        amount,
                        advisor or None,
                        mileage,
                        mot,
                        sample,
                    )
                )
            except _RowError as error:
                rejected.append(RejectedRow(line, str(error)))
        if bar:
            bar.update(len(self.parsed.rows) % 20_000)
        return staged

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        optional = ("vehicle_id", "plate", "amount", "advisor", "mileage", "mot", "mot_sample")
        fields = ["customer_id", "date"] + [
            f
            for f in optional
            if f in self.present or (f == "vehicle_id" and "plate" in self.present)
        ]
        empty = self.count("SELECT NOT EXISTS (SELECT 1 FROM visits)")
        if empty:
            # First import into an empty table: nothing to compare against.
            self.conn.executemany(
                f"INSERT INTO visits ({', '.join(self.COLUMNS)}) VALUES "
                f"({', '.join('?' * len(self.COLUMNS))})",
                rows,
            )
            self.affected_customers.update(row[1] for row in rows)
            self.new_visits = rows
            return len(rows), 0, 0
        self.stage(self.COLUMNS, rows)
        differs = " OR ".join(f"v.{f} IS NOT s.{f}" for f in fields)
        inserted = self.count(
            "SELECT count(*) FROM temp.stage s WHERE NOT EXISTS "
            "(SELECT 1 FROM visits v WHERE v.invoice_no = s.invoice_no)"
        )
        updated = self.count(
            f"SELECT count(*) FROM temp.stage s JOIN visits v USING (invoice_no) WHERE {differs}"
        )
        if inserted == 0 and updated == 0:
            return 0, 0, len(rows)
        affected = [
            r[0]
            for r in self.conn.execute(
                "SELECT s.customer_id FROM temp.stage s LEFT JOIN visits v USING (invoice_no)"
                f" WHERE v.id IS NULL OR {differs} UNION "
                "SELECT v.customer_id FROM temp.stage s JOIN visits v USING (invoice_no)"
                f" WHERE {differs}"
            )
        ]
        if updated == 0:
            # Only additions: the customer-months can be planned from them (plan_months).
            self.new_visits = (
                rows
                if inserted == len(rows)
                else self.conn.execute(
                    f"SELECT {', '.join(self.COLUMNS)} FROM temp.stage s WHERE NOT EXISTS"
                    " (SELECT 1 FROM visits v WHERE v.invoice_no = s.invoice_no)"
                ).fetchall()
            )
        self.conn.execute(
            f"INSERT INTO visits ({', '.join(self.COLUMNS)}) "
            f"SELECT {', '.join(self.COLUMNS)} FROM temp.stage WHERE true "
            "ON CONFLICT (invoice_no) DO UPDATE SET "
            + ", ".join(f"{f} = excluded.{f}" for f in fields)
            + " WHERE "
            + " OR ".join(f"visits.{f} IS NOT excluded.{f}" for f in fields)
        )
        self.affected_customers.update(affected)
        return inserted, updated, len(rows) - inserted - updated


class _TrafficLights(_KindImporter):
    table = "customers"

    def describe_key(self, key: Any) -> str:
        return _("customer_no '{value}'").format(value=key)

    def check_row(self, cells: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
        customer_no = self.required(cells, "customer_no")
        customer_id = self.customer_id(customer_no)
        raw_light = self.required(cells, "light")
        light = LIGHTS.get(raw_light.casefold())
        if light is None:
            raise _RowError(
                _("light '{value}' is not green, yellow or red.").format(value=raw_light)
            )
        date_text = self.cell(cells, "date")
        assessed = self.parse.date(date_text, "date").isoformat() if date_text else None
        return customer_no, (customer_id, light, self.optional(cells, "reason"), assessed)

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        self.stage(("customer_id", "light", "reason", "assessed_on"), rows)
        differs = (
            "c.traffic_light IS NOT s.light OR c.traffic_light_reason IS NOT s.reason"
            " OR (s.assessed_on IS NOT NULL AND c.traffic_light_on IS NOT s.assessed_on)"
        )
        self.conn.execute("DROP TABLE IF EXISTS temp.changed")
        self.conn.execute(
            "CREATE TEMP TABLE changed AS SELECT s.*, c.traffic_light AS old_light,"
            " (c.traffic_light = 'unknown' AND c.traffic_light_on IS NULL) AS first_time"
            f" FROM temp.stage s JOIN customers c ON c.id = s.customer_id WHERE {differs}"
        )
        inserted = self.count("SELECT count(*) FROM temp.changed WHERE first_time")
        updated = self.count("SELECT count(*) FROM temp.changed WHERE NOT first_time")
        now = clock.now().isoformat(sep=" ")
        operator = audit.current_operator()
        self.conn.execute(
            "UPDATE customers SET traffic_light = ch.light, traffic_light_reason = ch.reason,"
            " traffic_light_on = coalesce(ch.assessed_on, ?) FROM temp.changed ch"
            " WHERE customers.id = ch.customer_id",
            (self.parse.today.isoformat(),),
        )
        self.conn.execute(
            "INSERT INTO traffic_light_history (customer_id, light, reason, assessed_on, source,"
            " operator, recorded_at) SELECT customer_id, light, reason, assessed_on, 'import',"
            " ?, ? FROM temp.changed",
            (operator, now),
        )
        self.conn.execute(
            "INSERT INTO audit (at, operator, action, entity, entity_id, customer_id, old_value,"
            " new_value) SELECT ?, ?, 'set traffic light', 'customers', customer_id,"
            " customer_id, old_light, light FROM temp.changed",
            (now, operator),
        )
        # A reason that says money is owed books "dunned"; an open complaint, "complaint".
        booked: dict[str, list[int]] = {}
        for customer_id, reason in self.conn.execute(
            "SELECT customer_id, reason FROM temp.changed WHERE reason IS NOT NULL"
            " AND light IN ('yellow', 'red')"
        ):
            for code in tags.automatic_for_reason(reason):
                booked.setdefault(code, []).append(customer_id)
        for code, ids in booked.items():
            tags.book_automatic(self.conn, ids, code, _("from the traffic light import"))
        return inserted, updated, len(rows) - inserted - updated


class _Departures(_KindImporter):
    """Departures from an earlier system; reasons matched as the departure form does."""

    table = "departures"

    def describe_key(self, key: Any) -> str:
        return _("customer_no '{value}' on {date}").format(value=key[0], date=key[1])

    def check_row(self, cells: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
        customer_no = self.required(cells, "customer_no")
        customer_id = self.customer_id(customer_no)
        day = self.parse.date(self.required(cells, "date"), "date").isoformat()
        reason = self.required(cells, "reason")
        if not reasons.normalize_reason(reason):
            raise _RowError(_("reason '{value}' has no words.").format(value=reason))
        return (customer_no, day), (customer_id, day, reason, self.optional(cells, "note"))

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        created: list[str] = []
        joined: dict[str, str] = {}
        ids: dict[str, int] = {}
        for _customer, _day, text, _note in rows:
            key = reasons.normalize_reason(text)
            if key in ids:
                continue
            found = reasons.suggest(self.conn, text, 1, typing=False)
            if found and found[0].takes:
                ids[key] = found[0].reason_id
                if reasons.normalize_reason(found[0].label) != key:
                    joined[text] = found[0].label
            else:
                before = self.conn.total_changes
                ids[key] = churn.reason_id(self.conn, text)
                if self.conn.total_changes != before:
                    created.append(text)
        staged = [
            (cid, day, ids[reasons.normalize_reason(text)], note) for cid, day, text, note in rows
        ]
        self.stage(("customer_id", "departed_on", "reason_id", "note"), staged)
        differs = "d.reason_id IS NOT s.reason_id OR d.note IS NOT s.note"
        inserted = self.count(
            "SELECT count(*) FROM temp.stage s WHERE NOT EXISTS (SELECT 1 FROM departures d"
            " WHERE d.customer_id = s.customer_id AND d.departed_on = s.departed_on)"
        )
        updated = self.count(
            "SELECT count(*) FROM temp.stage s JOIN departures d"
            f" USING (customer_id, departed_on) WHERE {differs}"
        )
        now = clock.now().isoformat(sep=" ")
        operator = audit.current_operator()
        self.conn.execute(
            "INSERT INTO departures (customer_id, departed_on, reason_id, note, operator,"
            " recorded_at) SELECT customer_id, departed_on, reason_id, note, ?, ?"
            " FROM temp.stage WHERE true ON CONFLICT (customer_id, departed_on) DO UPDATE SET"
            " reason_id = excluded.reason_id, note = excluded.note"
            " WHERE departures.reason_id IS NOT excluded.reason_id"
            " OR departures.note IS NOT excluded.note",
            (operator, now),
        )
        # Whoever left is confirmed lost, unless contact taught something else.
        self.conn.execute(
            "UPDATE customers SET recorded_status = 'confirmed lost', recorded_status_on = s.d"
            " FROM (SELECT customer_id, max(departed_on) AS d FROM temp.stage"
            " GROUP BY customer_id) s WHERE customers.id = s.customer_id"
            " AND customers.recorded_status IS NULL"
        )
        self.notes = [
            *(_("New reason: {text}").format(text=t) for t in created),
            *(_("'{text}' joined the reason '{label}'").format(text=t, label=label)
              for t, label in joined.items()),
        ]  # fmt: skip
        return inserted, updated, len(rows) - inserted - updated


class _Tags(_KindImporter):
    """Tags on customers; a customer who holds a code, valid, has it refreshed."""

    table = "customer_tags"

    def describe_key(self, key: Any) -> str:
        return _("customer_no '{value}' with tag {code}").format(value=key[0], code=key[1])

    def check_row(self, cells: Sequence[str]) -> tuple[Any, tuple[Any, ...]]:
        customer_no = self.required(cells, "customer_no")
        customer_id = self.customer_id(customer_no)
        if not hasattr(self, "catalogue"):
            self.catalogue = {t.code: t for t in tags.catalogue(self.conn)}
            self.known = tags.codes(self.conn)
        try:
            found = self.catalogue[tags.resolve(self.known, self.required(cells, "code"))]
            if found.retired:
                raise RetentionError(_("the tag '{code}' is retired.").format(code=found.code))
            grade_text = self.cell(cells, "grade")
            grade = self.parse.whole(grade_text, "grade", 1, 6) if grade_text else None

            def day(column: str) -> dt.date | None:
                text = self.cell(cells, column)
                return self.parse.date(text, column) if text else None

            values = tags.details(
                found, grade, day("set_on"), day("valid_until"), day("follow_up"),
                self.cell(cells, "note"),
            )  # fmt: skip
        except RetentionError as problem:
            raise _RowError(problem.message) from None
        return (customer_no, found.code), (found.code, customer_id, values)

    def apply(self, rows: list[tuple[Any, ...]]) -> tuple[int, int, int]:
        by_code: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        for code, customer_id, values in rows:
            by_code.setdefault(code, []).append((customer_id, values))
        inserted = updated = 0
        for code, booked in by_code.items():
            added, refreshed = tags.book_rows(self.conn, self.catalogue[code], booked)
            inserted += added
            updated += refreshed
        return inserted, updated, len(rows) - inserted - updated


_IMPORTERS: dict[str, type[_KindImporter]] = {
    "customers": _Customers,
    "vehicles": _Vehicles,
    "visits": _Visits,
    "traffic-lights": _TrafficLights,
    "departures": _Departures,
    "tags": _Tags,
}
