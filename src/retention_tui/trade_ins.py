"""Purchase interests and vehicles taken in trade.

A purchase interest is a ``purchase-interest`` tag with structured wishes: brand, model or
series, year from, maximum mileage, maximum price, free text. Whenever a vehicle is taken in
trade, the valid purchase interests it matches are listed, best first, each with why.

Matching is exact on what was stated and lenient on spelling: brand and model names are
normalised as departure reasons are (case, accents, punctuation, spaces), may differ by one
slip in a word of five letters or more, and a model wish names a series when the offered
model starts with it or holds all its words ("R 1250" fits "R1250 GS Adventure"). A figure
the wish states that the vehicle does not (no year given) does not rule the match out; it is
ranked lower and says so. Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from . import audit, clock, i18n, tags
from .db import write
from .errors import RetentionError
from .i18n import _
from .reasons import normalize_reason

INTEREST = "purchase-interest"


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle taken in trade."""

    brand: str
    model: str
    year: int | None = None
    mileage: int | None = None
    price: float | None = None

    def __post_init__(self) -> None:
        if not normalize_reason(self.brand):
            raise RetentionError(_("A vehicle taken in trade needs a brand."))
        if not normalize_reason(self.model):
            raise RetentionError(_("A vehicle taken in trade needs a model."))
        this_year = clock.today().year
        if self.year is not None and not 1900 <= self.year <= this_year + 1:
            raise RetentionError(
                _("The year {year} is not a vehicle's year.").format(year=self.year)
            )
        if self.mileage is not None and self.mileage < 0:
            raise RetentionError(_("A mileage cannot be negative."))
        if self.price is not None and self.price < 0:
            raise RetentionError(_("A price cannot be negative."))


@dataclass(frozen=True, slots=True)
class Wishes:
    """What a customer would like to buy; empty fields were not stated."""

    brand: str = ""
    model: str = ""
    year_from: int | None = None
    max_mileage: int | None = None
    max_price: float | None = None
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Wishes:
        data = data or {}
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @property
    def stated(self) -> bool:
        return any((self.brand, self.model, self.year_from, self.max_mileage, self.max_price))

    def describe(self) -> str:
        parts = [p for p in (self.brand, self.model) if p]
        if self.year_from:
            parts.append(_("from {year}").format(year=self.year_from))
        if self.max_mileage:
            parts.append(_("up to {km} km").format(km=i18n.number(self.max_mileage)))
        if self.max_price:
            parts.append(_("up to {price}").format(price=i18n.decimal(self.max_price, 0)))
        if self.text:
            parts.append(self.text)
        return ", ".join(parts)


def _words(text: str) -> list[str]:
    return normalize_reason(text).split()


def _compact(text: str) -> str:
    return "".join(_words(text))


def _close(a: str, b: str) -> bool:
    """The same word, or one slip apart in words of five letters or more."""
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and Levenshtein.distance(a, b) <= 1


def same_brand(wanted: str, offered: str) -> bool:
    """The same brand, allowing a slip, or one name the start of the other: a wish for
    "BMW" takes a "BMW Motorrad", one for "Mercedes-Benz" a "Mercedes"."""
    if _close(_compact(wanted), _compact(offered)):
        return True
    short, long = sorted((_words(wanted), _words(offered)), key=len)
    return 0 < len(short) < len(long) and all(
        _close(a, b) for a, b in zip(short, long, strict=False)
    )


def model_fits(wanted: str, offered: str) -> bool:
    """The offered model is the wanted one, or of the wanted series."""
    want, have = _compact(wanted), _compact(offered)
    if not want:
        return True
    if _close(want, have) or have.startswith(want):
        return True
    offered_words = _words(offered)
    return all(any(_close(w, o) for o in offered_words) for w in _words(wanted))


@dataclass(frozen=True, slots=True)
class Match:
    """A valid purchase interest a vehicle fits, with why."""

    customer_tag_id: int
    customer_id: int
    customer_no: str
    name: str
    phone: str
    grade: int | None
    set_on: str
    valid_until: str | None
    wishes: Wishes
    met: int
    unknown: int
    why: tuple[str, ...]


def judge(wishes: Wishes, vehicle: Vehicle) -> tuple[int, int, list[str]] | None:
    """(criteria met, criteria the vehicle leaves open, why) or None when it does not fit."""
    met = unknown = 0
    why: list[str] = []
    if not wishes.stated:
        return None
    if wishes.brand:
        if not same_brand(wishes.brand, vehicle.brand):
            return None
        met += 1
        why.append(_("brand {brand}").format(brand=vehicle.brand))
    if wishes.model:
        if not model_fits(wishes.model, vehicle.model):
            return None
        met += 1
        why.append(_("{model} fits '{wanted}'").format(model=vehicle.model, wanted=wishes.model))

    def amount(number: float) -> str:
        return i18n.decimal(number, 0)

    checks = (
        (wishes.year_from, vehicle.year, lambda w, v: v >= w, str,
         _("built {value}, wanted from {wish}"), _("year not known")),
        (wishes.max_mileage, vehicle.mileage, lambda w, v: v <= w, amount,
         _("{value} km within {wish}"), _("mileage not known")),
        (wishes.max_price, vehicle.price, lambda w, v: v <= w, amount,
         _("price {value} within {wish}"), _("price not known")),
    )  # fmt: skip
    for wish, value, fits, shown, said, open_ in checks:
        if wish is None:
            continue
        if value is None:
            unknown += 1
            why.append(open_)
            continue
        if not fits(wish, value):
            return None
        met += 1
        why.append(said.format(value=shown(value), wish=shown(wish)))
    return met, unknown, why


def matches(conn: sqlite3.Connection, vehicle: Vehicle) -> list[Match]:
    """The valid purchase interests ``vehicle`` fits: most criteria met first, then fewest
    left open, then the best grade (1), then the newest."""
    today = clock.today().isoformat()
    rows = conn.execute(
        "SELECT ct.id, c.id, c.customer_no, c.name, coalesce(c.mobile, c.phone, ''), ct.grade,"
        " ct.set_on, ct.valid_until, ct.wishes FROM customer_tags ct"
        " JOIN tags t ON t.id = ct.tag_id JOIN customers c ON c.id = ct.customer_id"
        " WHERE t.code = ? AND coalesce(ct.valid_until, ?) >= ? AND ct.wishes IS NOT NULL",
        (INTEREST, tags.NO_END, today),
    )
    found: list[Match] = []
    for tag_id, cid, number, name, phone, grade, set_on, until, wishes_json in rows:
        wishes = Wishes.from_dict(json.loads(wishes_json))
        judged = judge(wishes, vehicle)
        if judged is None:
            continue
        met, unknown, why = judged
        match = Match(
            tag_id, cid, number, name, phone, grade, set_on, until, wishes, met, unknown,
            tuple(why),
        )  # fmt: skip
        found.append(match)
    found.sort(key=lambda m: (-m.met, m.unknown, m.grade or 7, _negated_day(m.set_on)))
    return found


def _negated_day(day: str) -> int:
    return -dt.date.fromisoformat(day).toordinal()


def record_interest(
    conn: sqlite3.Connection,
    customer_id: int,
    wishes: Wishes,
    *,
    grade: int | None = None,
    note: str = "",
    follow_up_on: dt.date | None = None,
) -> int:
    """Book a purchase interest with its wishes on a customer (valid for the catalogue's
    default, about half a year)."""
    if not wishes.stated and not wishes.text.strip():
        raise RetentionError(_("Say what the customer would like: a brand, a model, a price."))
    return tags.add(
        conn,
        [customer_id],
        tags.Tagging(INTEREST, grade=grade, note=note, follow_up_on=follow_up_on,
                     wishes=wishes.to_dict()),
    )  # fmt: skip


def add(
    conn: sqlite3.Connection, vehicles: Sequence[Vehicle], notes: Sequence[str] | str = ""
) -> list[tuple[int, list[Match]]]:
    """Record vehicles taken in trade, all in one transaction, and return each one's id with
    the purchase interests it matches."""
    operator = audit.current_operator()
    now = clock.now().isoformat(sep=" ")
    if isinstance(notes, str):
        notes = [notes] * len(vehicles)
    done: list[tuple[int, list[Match]]] = []
    with write(conn):
        for vehicle, note in zip(vehicles, notes, strict=True):
            cursor = conn.execute(
                "INSERT INTO trade_ins (brand, model, year, mileage, price, note, operator,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (vehicle.brand.strip(), vehicle.model.strip(), vehicle.year, vehicle.mileage,
                 vehicle.price, note.strip() or None, operator, now),
            )  # fmt: skip
            trade_in_id = int(cursor.lastrowid or 0)
            audit.record(conn, "trade in", "trade_ins", trade_in_id, new=asdict(vehicle))
            done.append((trade_in_id, matches(conn, vehicle)))
    return done


def read_csv(path: Path) -> tuple[list[Vehicle], list[str]]:
    """The vehicles of a trade-in CSV (brand, model, year, mileage, price, note; UTF-8,
    comma or semicolon); every bad row is named, and then none is taken."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        message = _("Cannot read {path}: {error}").format(path=path, error=error)
        raise RetentionError(message) from None
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("brand", "model") if c not in header]
    if missing:
        raise RetentionError(
            _("{path} has no {columns} column (columns: brand, model, year, mileage, price, "
              "note).").format(path=path.name, columns=", ".join(missing))
        )  # fmt: skip
    vehicles: list[Vehicle] = []
    notes: list[str] = []
    problems: list[str] = []
    for line, cells in enumerate(reader, 2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        try:
            vehicles.append(
                Vehicle(row.get("brand", ""), row.get("model", ""), _whole(row, "year"),
                        _whole(row, "mileage"), _amount(row, "price"))
            )  # fmt: skip
            notes.append(row.get("note", ""))
        except RetentionError as problem:
            problems.append(_("line {line}: {reason}").format(line=line, reason=problem.message))
    if problems:
        raise RetentionError(
            _("{path}: nothing was recorded. {problems}").format(
                path=path.name, problems=" ".join(problems[:20])
            )
        )
    return vehicles, notes


def _whole(row: dict[str, str], column: str) -> int | None:
    text = row.get(column, "").replace(".", "").replace(",", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit():
        raise RetentionError(
            _("{column} '{value}' is not a whole number.").format(column=column,
                                                                   value=row[column])
        )  # fmt: skip
    return int(text)


def _amount(row: dict[str, str], column: str) -> float | None:
    text = row.get(column, "").replace(" ", "")
    if not text:
        return None
    if "," in text and ("." not in text or text.rfind(",") > text.rfind(".")):
        text = text.replace(".", "").replace(",", ".")  # 14.500,00
    else:
        text = text.replace(",", "")  # 14,500.00
    try:
        return float(text)
    except ValueError:
        raise RetentionError(
            _("{column} '{value}' is not an amount.").format(column=column, value=row[column])
        ) from None
