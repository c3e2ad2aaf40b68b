"""Hostile text in every imported field: kept exactly in the database and in CSV, shown
safely (no control character, no escape sequence) in every table-format report and import
summary, never a crash.

The rule (retention_tui.cells.printable): a C0 control shows as its Control Pictures symbol
(ESC as ␛), tab and line breaks as a space, any other control or format character (C1,
bidi overrides, zero-width joiners) as U+FFFD; markup is never parsed. CSV output is data:
values come out exactly as imported, also ones that start with = + - @ (a spreadsheet
"formula"): prefixing them would change the data, phone numbers such as +31 6 ... first.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from cli_run import run
from hostile_data import PIECES, hostile_text, import_hostile, is_terminal_safe
from retention_tui import campaigns, customer_list
from retention_tui.cells import fit, printable
from retention_tui.db import open_database
from retention_tui.reasons import similarity

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TABLE_WIDTH = sum(c.width + 1 for c in customer_list.COLUMNS)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def both(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[str, str]:
    """The table and the CSV form of one report; the table must be terminal-safe."""
    code, table, err = run(capsys, "--db", str(db), *args)
    assert code == 0, err
    assert is_terminal_safe(table), [ch for ch in table if not is_terminal_safe(ch)][:5]
    assert is_terminal_safe(err)
    code, out, err = run(capsys, "--db", str(db), *args, "--format", "csv")
    assert code == 0, err
    return table, out


# -- the one display rule ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=hostile_text, width=st.integers(1, 40), align=st.sampled_from(["left", "right"]))
def test_a_fitted_cell_is_safe_and_exactly_as_wide_as_its_column(
    text: str, width: int, align: str
) -> None:
    cell = fit(text, width, align)
    assert is_terminal_safe(cell) and "\n" not in cell
    assert cell_len(cell) == width


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_printable_keeps_markup_and_text_and_drops_only_controls(text: str) -> None:
    shown = printable(text)
    assert is_terminal_safe(shown) and "\n" not in shown
    assert len(shown) == len(text)  # one symbol per character: nothing vanishes or shifts
    for piece in ("[bold]", "[/]", "[@click=app.quit]", "王小明", "مرحبا بالعالم"):
        if piece in text:
            assert piece in shown


def test_printable_symbols() -> None:
    assert printable("\x1b[2J") == "␛[2J"
    assert printable("a\x00b\x07") == "a␀b␇"
    assert printable("\x9b31m\u202eevil\u200d") == "�31m�evil�"
    assert printable("one\ntwo\u2028three\tfour\r") == "one two three four "
    assert printable("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert printable("[bold]Kees[/] 王小明 e\u0301") == "[bold]Kees[/] 王小明 e\u0301"


def test_a_long_pasted_reason_is_compared_quickly() -> None:
    """10,000 characters of words in a departure reason once took minutes to match."""
    import time

    long_a = "Reason " + "[bold] " * 1500
    long_b = "Reason " + "王" * 3000
    started = time.perf_counter()
    for a, b in [(long_a, long_a + "x"), (long_b, long_b + "y"), (long_a, long_b)]:
        assert similarity(a, b) < 85
    assert similarity(long_a, long_a) == 100
    assert time.perf_counter() - started < 1


# -- import and reports -----------------------------------------------------------------------


def check_stored(conn: sqlite3.Connection, made) -> None:
    """The database holds every text exactly as imported (surrounding spaces stripped)."""
    for number, values in made.customers.items():
        columns = ", ".join(values)
        row = conn.execute(
            f"SELECT {columns} FROM customers WHERE customer_no = ?", (number,)
        ).fetchone()
        assert row == tuple(values.values()), number
    for number, car in made.vehicles.items():
        row = conn.execute(
            "SELECT plate, brand, series, model, vin FROM vehicles JOIN customers c"
            " ON c.id = vehicles.customer_id WHERE c.customer_no = ?",
            (number,),
        ).fetchone()
        assert row == (*car.values(), made.vins[number])
    for number, departure in made.departures.items():
        note = conn.execute(
            "SELECT d.note FROM departures d JOIN customers c ON c.id = d.customer_id"
            " WHERE c.customer_no = ?",
            (number,),
        ).fetchone()
        assert note == (departure["note"],)
    for number, reason in made.lights.items():
        assert conn.execute(
            "SELECT traffic_light_reason FROM customers WHERE customer_no = ?", (number,)
        ).fetchone() == (reason,)
    for number, note in made.tags.items():
        assert conn.execute(
            "SELECT t.note FROM customer_tags t JOIN customers c ON c.id = t.customer_id"
            " JOIN tags g ON g.id = t.tag_id WHERE c.customer_no = ? AND g.code = 'key-customer'",
            (number,),
        ).fetchone() == (note,)


@SETTINGS
@given(texts=st.lists(hostile_text, min_size=1, max_size=4))
def test_hostile_text_through_import_and_every_report(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], texts: list
) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "h.db"
    conn = open_database(db)
    try:
        made = import_hostile(conn, folder, texts)
        for result in made.results:
            assert all(is_terminal_safe(line) for line in result.report_lines())
        check_stored(conn, made)
        campaign_id = campaigns.new_campaign(conn, "win-back", f"C {texts[0]}")
        ids = [row[0] for row in conn.execute("SELECT id FROM customers")]
        campaigns.add_members(conn, campaign_id, ids, "test")
        campaigns.set_status(conn, campaign_id, "active")
    finally:
        conn.close()
    n = len(made.customers)

    # The desktop's list: one line per customer, never wider than the table.
    table, out = both(capsys, db, "report", "customers")
    lines = table.splitlines()
    assert len(lines) == n + 1
    assert all(cell_len(line) <= TABLE_WIDTH for line in lines)
    rows = csv_rows(out)
    assert {r["customer_no"]: r["name"] for r in rows} == {
        k: v["name"] for k, v in made.customers.items()
    }
    for r in rows:
        expected = made.customers[r["customer_no"]]
        assert r["city"] == (expected["city"] or "")
        assert r["advisor"] == (expected["advisor"] or "")
        assert r["phone"] == (expected["phone"] or expected["mobile"] or "")
        assert made.vehicles[r["customer_no"]]["plate"] in r["vehicle"]

    # Everyone came in May 2024 for the first time.
    table, out = both(capsys, db, "report", "loyalty-customers", "--month", "2024-05")
    assert len(table.splitlines()) == n + 1
    for r in csv_rows(out):
        expected = made.customers[r["customer_no"]]
        assert (r["name"], r["phone"], r["email"]) == (
            expected["name"],
            expected["phone"] or expected["mobile"] or "",
            expected["email"] or "",
        )

    # The catalogue keeps a reason's label with its spaces tidied.
    labels = {" ".join(d["reason"].split()) for d in made.departures.values()}
    for by in ("reason", "advisor", "brand", "model"):
        table, out = both(capsys, db, "report", "departed", "--by", by)
        if by == "reason":
            # A reason may join an earlier variant; then it is shown by that one's label.
            assert {r["reason"] for r in csv_rows(out)} <= labels
        if by == "advisor":
            advisors = {v["advisor"] for k, v in made.customers.items() if k in made.departures}
            assert {r["advisor"] for r in csv_rows(out)} - {""} <= advisors
    for by in ("brand", "series", "model", "advisor", "outcome"):
        both(capsys, db, "report", "churn", "--by", by)
    both(capsys, db, "report", "retention")
    for segment in ("brand", "advisor"):
        both(capsys, db, "report", "invoices", "--segment", segment)
    table, out = both(capsys, db, "report", "campaign", str(campaign_id))
    both(capsys, db, "reasons", "clusters")
    table, out = both(capsys, db, "campaign", "list")
    assert " ".join(f"C {texts[0]}".split()) in {r["name"] for r in csv_rows(out)}
    code, table, err = run(capsys, "--db", str(db), "calls", "next", str(campaign_id),
                           "--format", "table")  # fmt: skip
    assert code in (0, 3), err  # 3: nobody ready to call
    assert is_terminal_safe(table) and is_terminal_safe(err)


def test_every_piece_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All the pieces, each in every field, plus two 10,000-character fields."""
    texts = [*PIECES, "x" * 10_000, ("王\u0301 " * 4000)[:10_000]]
    conn = open_database(tmp_path / "h.db")
    try:
        made = import_hostile(conn, tmp_path, texts)
        check_stored(conn, made)
    finally:
        conn.close()
    table, out = both(capsys, tmp_path / "h.db", "report", "customers")
    assert len(table.splitlines()) == len(texts) + 1
    assert "[@click=app.quit]" in table
    assert "␛[2J" in table and "\x1b" not in table
    rows = csv_rows(out)
    assert {r["name"] for r in rows} == {v["name"] for v in made.customers.values()}
    assert any(r["name"].startswith("N=cmd|") for r in rows)  # exactly, no apostrophe
    both(capsys, tmp_path / "h.db", "report", "departed", "--by", "reason")


# -- import summaries -------------------------------------------------------------------------


def test_import_summaries_show_the_files_text_safely(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.db"
    open_database(db).close()
    customers = tmp_path / "customers.csv"
    customers.write_text(
        'customer_no,name,"evil\x1b]0;title\x07"\nK1,"\x1b[2JKees",x\n', encoding="utf-8"
    )
    code, out, err = run(capsys, "--db", str(db), "import", "customers", str(customers))
    assert code == 0, err
    assert is_terminal_safe(out + err)
    assert "evil␛]0;title␇" in out  # the ignored column, named safely
    departures = tmp_path / "departures.csv"
    departures.write_text(
        "customer_no,date,reason,note\n"
        'K1,2026-01-02,"Moved \x1b[31maway\u202e","[bold]note\x9b"\n'
        "K\x1b[2J,2026-01-02,Price,\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--db", str(db), "import", "departures", str(departures),
                         "--skip-bad-rows")  # fmt: skip
    assert code == 1
    assert is_terminal_safe(out + err)
    assert "K␛[2J" in err  # the rejected row's unknown customer number
    assert "Moved ␛[31maway�" in err  # the reason it created
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_no,\x1b[2Jname\x07\nK2,x\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", str(db), "import", "customers", str(bad))
    assert code != 0
    assert is_terminal_safe(out + err)
    assert "␛[2Jname␇" in err


def test_a_carriage_return_survives_the_desktop_export(conn: sqlite3.Connection) -> None:
    """csv.writer quotes only its line terminator's characters: a lone \r went out bare."""
    from retention_tui.db import write

    with write(conn):
        conn.execute(
            "INSERT INTO customers (customer_no, name, city, phone, created_at, updated_at)"
            " VALUES ('C1', ?, ?, '+31 6 1234', '', '')",
            ("Line\rbreak", "=cmd|' /C calc'!A0"),
        )
    out = io.StringIO()
    query = customer_list.CustomerQuery()
    customer_list.export_csv(conn, query, customer_list.ListContext.load(conn), out)
    assert out.getvalue().count("\n") == 2 and "\r\n" not in out.getvalue()
    (row,) = csv_rows(out.getvalue())
    assert (row["name"], row["city"], row["phone"]) == (
        "Line\rbreak",
        "=cmd|' /C calc'!A0",
        "+31 6 1234",
    )


def test_a_carriage_return_survives_the_report_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = open_database(tmp_path / "r.db")
    try:
        import_hostile(conn, tmp_path, ["a\rb"])
    finally:
        conn.close()
    code, out, err = run(capsys, "--db", str(tmp_path / "r.db"), "report", "loyalty-customers",
                         "--month", "2024-05", "--format", "csv")  # fmt: skip
    assert code == 0, err
    assert [r["name"] for r in csv_rows(out)] == ["Na\rb"]


# -- left to cli.py (another change owns that file): each turns green when fixed ---------------

# click.echo drops CSI sequences when stdout is no terminal (as here) but writes them to one,
# and keeps every other control character either way: printable must come first.


@pytest.fixture
def one_hostile(tmp_path: Path) -> Path:
    conn = open_database(tmp_path / "one.db")
    try:
        import_hostile(conn, tmp_path, ["\x1b[2J王小明"])
    finally:
        conn.close()
    return tmp_path / "one.db"


def test_a_message_preview_shows_control_characters_as_symbols(
    one_hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", str(one_hostile), "messages", "preview",
                         "miss-you-email", "K0|\x1b[2J王小明|")  # fmt: skip
    assert code == 0, err
    assert "N␛[2J王小明" in out and is_terminal_safe(out)


def test_an_error_naming_a_value_shows_control_characters_as_symbols(
    one_hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "--db", str(one_hostile), "messages", "preview",
                          "miss-you-email", "K\x1b[2J")  # fmt: skip
    assert code != 0
    assert "K␛[2J" in err and is_terminal_safe(err)
