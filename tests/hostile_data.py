"""Hostile text for the hardening tests: markup, terminal escapes, control characters, wide,
combining and right-to-left characters and very long fields, put into every text column of
the import files and imported through the real importer.

Used by tests/test_hostile_text.py (import, reports, CSV) and tests/tui/test_hostile_screens.py.
"""

from __future__ import annotations

import csv
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from retention_tui.importer import import_file

# Pieces that have broken terminals, markup parsers or column alignment somewhere.
PIECES = [
    "[bold]",
    "[/]",
    "[/bold]",
    "[red]",
    "[@click=app.quit]",
    "[link=https://evil.example]",
    "[b]Kees[/b]",
    "\\[escaped]",
    "$variable",
    "{name}",
    "%s",
    "\x1b[2J",
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\x1b]8;;https://evil.example\x1b\\",
    "\x1bP+q\x1b\\",
    "\x9b31m",
    "\x9d0;t\x9c",
    "\x00",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\n",
    "\t",
    "\x7f",
    "\x85",
    "\u200b",
    "\u200d",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u0301",
    "e\u0301\u0302\u0303",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\ufe0f",
    "王小明",
    "汽车维修",
    "ｆｕｌｌ",
    "👨\u200d👩\u200d👧",
    "🚗",
    "🏍️",
    "🇳🇱",
    "مرحبا بالعالم",
    "שלום",
    "\u202eevil\u202c",
    "Ω≈ç√",
    "=cmd|' /C calc'!A0",
    "+1-2",
    "@SUM(A1)",
    '"quoted"',
    ",;|",
    " ",
]

_any_char = st.characters(codec="utf-8", exclude_categories=("Cs",))

hostile_piece = st.one_of(st.sampled_from(PIECES), st.text(_any_char, min_size=1, max_size=4))

hostile_text = st.one_of(
    st.lists(hostile_piece, min_size=1, max_size=6).map("".join),
    # A 10,000-character field made of the same pieces.
    st.lists(hostile_piece, min_size=1, max_size=4).map(
        lambda parts: ("".join(parts) * 10_000)[:10_000]
    ),
)


_UNSAFE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})


def is_terminal_safe(text: str) -> bool:
    """True when ``text`` holds no character that could drive a terminal or break a line:
    no C0/C1 control (newline only between lines), no format character, no line separator."""
    return all(ch == "\n" or unicodedata.category(ch) not in _UNSAFE for ch in text)


def stored(text: str | None) -> str | None:
    """What the importer keeps of a cell: surrounding spaces stripped, empty as None."""
    return (text or "").strip() or None


@dataclass
class Hostile:
    """The texts one import run used, by customer number (as stored)."""

    customers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    vehicles: dict[str, dict[str, str | None]] = field(default_factory=dict)
    vins: dict[str, str] = field(default_factory=dict)
    departures: dict[str, dict[str, str | None]] = field(default_factory=dict)
    tags: dict[str, str | None] = field(default_factory=dict)
    lights: dict[str, str | None] = field(default_factory=dict)
    results: list = field(default_factory=list)


CUSTOMER_TEXT = ("name", "phone", "mobile", "email", "street", "postcode", "city", "country",
                 "advisor")  # fmt: skip
VEHICLE_TEXT = ("plate", "brand", "series", "model")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_hostile(conn: sqlite3.Connection, folder: Path, texts: list[str]) -> Hostile:
    """One customer per text (at least one), with the texts rotated through every text
    column of customers, vehicles, visits, traffic lights, departures and tags; every file
    goes through :func:`import_file` and must be written without a rejected row."""
    texts = texts or ["[bold]x[/]"]
    n = len(texts)

    def text(i: int, k: int) -> str:
        return texts[(i + k) % n]

    made = Hostile()
    customers, vehicles, visits, lights, departures, tag_rows = [], [], [], [], [], []
    for i in range(n):
        # Required texts keep a letter so they are never empty once stripped; numbers unique.
        number = f"K{i}|{text(i, 0)}|"
        values = {c: text(i, k) for k, c in enumerate(CUSTOMER_TEXT)}
        values["name"] = f"N{values['name']}"
        customers.append([number, *(values[c] for c in CUSTOMER_TEXT), "ja", "", "nee"])
        made.customers[number] = {c: stored(v) for c, v in values.items()}
        car = {c: text(i, 3 + k) for k, c in enumerate(VEHICLE_TEXT)}
        car["plate"] = f"P{i}X{car['plate']}"
        vin = f"V{i}|{text(i, 12)}|"  # kept in capitals without spaces
        vehicles.append([number, *(car[c] for c in VEHICLE_TEXT), vin, "2019"])
        made.vehicles[number] = {c: stored(v) for c, v in car.items()}
        made.vins[number] = vin.upper().replace(" ", "")
        # First visit in May 2024 for everyone; half come back in 2026.
        invoice = f"F{i}a|{text(i, 13)}|"
        visits.append([invoice, number, "2024-05-10", car["plate"], "123.45", text(i, 5), "1"])
        # Served in 2025 (the advisor retention report's year), by another advisor.
        visits.append([f"F{i}-c", number, "2025-01-15", car["plate"], "99.5", text(i, 11), ""])
        if i % 2:
            visits.append([f"F{i}-b", number, "2026-10-01", car["plate"], "80", text(i, 6), ""])
        light_reason = text(i, 7)
        lights.append([number, ("green", "yellow", "red")[i % 3], light_reason])
        made.lights[number] = stored(light_reason)
        if i % 2 == 0:
            reason, note = f"Reason {text(i, 8)}", text(i, 9)
            departures.append([number, "2026-06-01", reason, note])
            made.departures[number] = {"reason": stored(reason), "note": stored(note)}
        tag_note = text(i, 10)
        tag_rows.append([number, "key-customer", "2026-11-20", tag_note])  # follow-up due
        made.tags[number] = stored(tag_note)
    files = [
        ("customers", ["customer_no", *CUSTOMER_TEXT, "consent_phone", "consent_email",
                       "consent_sms"], customers),
        ("vehicles", ["customer_no", *VEHICLE_TEXT, "vin", "year"], vehicles),
        ("visits", ["invoice_no", "customer_no", "date", "plate", "amount", "advisor", "mot"],
         visits),
        ("traffic-lights", ["customer_no", "light", "reason"], lights),
        ("departures", ["customer_no", "date", "reason", "note"], departures),
        ("tags", ["customer_no", "code", "follow_up", "note"], tag_rows),
    ]  # fmt: skip
    for kind, header, rows in files:
        path = _write(folder / f"{kind}.csv", header, rows)
        result = import_file(conn, kind, path)
        assert not result.rejected, (kind, result.rejected[:3])
        assert result.written, kind
        made.results.append(result)
    return made
