"""DMS import: the canonical files, re-imports, every error class, mappings and options."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_tui.db import write
from retention_tui.errors import RetentionError
from retention_tui.facts import refresh_customer_facts
from retention_tui.importer import ImportOptions, import_file

KINDS_AND_FILES = [
    ("customers", "customers.csv"),
    ("vehicles", "vehicles.csv"),
    ("visits", "visits.csv"),
    ("traffic-lights", "traffic_lights.csv"),
]


def import_canonical(conn: sqlite3.Connection, data_dir: Path) -> list:
    return [import_file(conn, kind, data_dir / name) for kind, name in KINDS_AND_FILES]


def write_csv(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(conn: sqlite3.Connection) -> str:
    digest = hashlib.sha256()
    for table in ("customers", "vehicles", "visits", "traffic_light_history"):
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY id"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_canonical_files_import(conn: sqlite3.Connection, data_dir: Path) -> None:
    results = import_canonical(conn, data_dir)
    assert [(r.inserted, r.updated, r.unchanged) for r in results] == [
        (4, 0, 0),
        (4, 0, 0),
        (6, 0, 0),
        (3, 0, 0),
    ]
    assert all(r.written and not r.rejected for r in results)
    jan = conn.execute(
        "SELECT first_visit, last_visit, visit_count, visit_months, traffic_light,"
        " consent_email, consent_sms FROM customers WHERE customer_no = 'C1001'"
    ).fetchone()
    assert jan == ("2024-03-14", "2026-10-01", 3, 3, "green", 1, 0)
    # The name full of markup is stored literally.
    assert (
        conn.execute("SELECT name FROM customers WHERE customer_no = 'C1004'").fetchone()[0]
        == "[bold]Kees[/bold] Jansen"
    )
    # Booleans in several languages: si / ja / nee / empty = default.
    assert conn.execute(
        "SELECT consent_phone, consent_email, consent_sms FROM customers "
        "WHERE customer_no = 'C1004'"
    ).fetchone() == (1, 0, 1)
    assert conn.execute(
        "SELECT consent_email FROM customers WHERE customer_no = 'C1003'"
    ).fetchone() == (0,)
    sample = conn.execute(
        "SELECT mot, mot_sample FROM visits WHERE invoice_no = 'F2025-0001'"
    ).fetchone()
    assert sample == (1, 1)
    main = conn.execute(
        "SELECT v.plate FROM customers c JOIN vehicles v ON v.id ="
        " c.main_vehicle_id WHERE c.customer_no = 'C1002'"
    ).fetchone()
    assert main == ("B-JM 1234",)


def test_second_import_changes_nothing(conn: sqlite3.Connection, data_dir: Path) -> None:
    import_canonical(conn, data_dir)
    before = snapshot(conn)
    results = import_canonical(conn, data_dir)
    assert [(r.inserted, r.updated) for r in results] == [(0, 0)] * 4
    assert [r.unchanged for r in results] == [4, 4, 6, 3]
    assert snapshot(conn) == before


def test_changed_rows_are_counted_and_facts_follow(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_canonical(conn, data_dir)
    visits = write_csv(
        tmp_path,
        "invoice_no,customer_no,date,amount\n"
        "F2024-0002,C1003,2024-05-02,189.00\n"  # moved to another customer
        "F2026-0003,C1002,2026-11-20,99\n"
        "F2024-0001,C1001,2024-03-14,412.50\n",
    )
    result = import_file(conn, "visits", visits)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    facts = dict(conn.execute("SELECT customer_no, visit_count FROM customers"))
    assert facts == {"C1001": 3, "C1002": 1, "C1003": 2, "C1004": 1}
    assert (
        conn.execute("SELECT last_visit FROM customers WHERE customer_no = 'C1002'").fetchone()[0]
        == "2026-11-20"
    )
    # Columns not in the file are kept: the plate and mot of F2024-0001 stay.
    assert conn.execute(
        "SELECT plate, mot FROM visits WHERE invoice_no = 'F2024-0001'"
    ).fetchone() == ("12-ABC-3", 1)


def test_acceptance_bad_file_is_refused_whole(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_canonical(conn, data_dir)
    before = snapshot(conn)
    path = write_csv(
        tmp_path,
        "invoice_no,customer_no,date,amount\n"
        "N1,C1001,2026-01-05,10\n"
        "N2,C1001,2026-02-30,10\n"
        "N3,C9999,2026-01-05,10\n",
    )
    result = import_file(conn, "visits", path)
    assert not result.written
    assert [r.line for r in result.rejected] == [3, 4]
    assert "2026-02-30" in result.rejected[0].reason
    assert "C9999" in result.rejected[1].reason
    assert snapshot(conn) == before
    assert conn.execute("SELECT count(*) FROM import_runs WHERE kind = 'visits'").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("invoice_no,customer_no,date\nA,C1001,14-03-2024\n", 2, "not a valid date"),
        ("invoice_no,customer_no,date,amount\nA,C1001,2024-03-14,12x\n", 2, "not a number"),
        ('invoice_no,customer_no,date,amount\nA,C1001,2024-03-14,"12,50"\n', 2, "--decimal ,"),
        ("invoice_no,customer_no,date,mileage\nA,C1001,2024-03-14,-5\n", 2, "whole number"),
        ("invoice_no,customer_no,date,mot\nA,C1001,2024-03-14,maybe\n", 2, "not yes or no"),
        ("invoice_no,customer_no,date\nA,C9999,2024-03-14\n", 2, "not a known customer"),
        (
            "invoice_no,customer_no,date\nA,C1001,2024-03-14\nB,C1001,2024-03-15\nA,C1001,2024-04-01\n",
            4,
            "first on line 2",
        ),
        ("invoice_no,customer_no,date\n,C1001,2024-03-14\n", 2, "invoice_no is empty"),
        ("invoice_no,customer_no,date\nA,C1001,2024-03-14,extra\n", 2, "fields"),
        ("invoice_no,customer_no,date\nA,C1001,2031-01-01\n", 2, "after today"),
    ],
)
def test_row_error_classes_name_the_line(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path, text: str, line: int, needle: str
) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    result = import_file(conn, "visits", write_csv(tmp_path, text))
    assert not result.written
    assert [r.line for r in result.rejected] == [line]
    assert needle in result.rejected[0].reason
    assert conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_quoted_multiline_cells_keep_line_numbers(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'customer_no,name,street\nK1,"A","line one\nline two"\nK2,,x\n')
    result = import_file(conn, "customers", path)
    assert [(r.line, r.reason) for r in result.rejected] == [(4, "name is empty.")]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("customer_no,name\n", "no rows"),
        ("name,phone\nJan,123\n", "customer_no is missing"),
        ("customer_no,name,Name\n1,a,b\n", "appears twice"),
    ],
)
def test_file_error_classes(
    conn: sqlite3.Connection, tmp_path: Path, text: str, needle: str
) -> None:
    with pytest.raises(RetentionError, match=needle):
        import_file(conn, "customers", write_csv(tmp_path, text))
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0


def test_wrong_encoding_is_detected_and_named(conn: sqlite3.Connection, tmp_path: Path) -> None:
    text = "customer_no,name,city\nK1,Jürgen Weiß,Köln\nK2,Renée Dubois,Liège\n"
    path = write_csv(tmp_path, text, encoding="cp1252")
    with pytest.raises(RetentionError) as caught:
        import_file(conn, "customers", path)
    message = str(caught.value)
    assert "not UTF-8" in message and "line 2" in message and "--encoding cp1252" in message
    result = import_file(conn, "customers", path, ImportOptions.build(encoding="cp1252"))
    assert result.inserted == 2
    assert (
        conn.execute("SELECT name FROM customers WHERE customer_no = 'K1'").fetchone()[0]
        == "Jürgen Weiß"
    )


def test_utf8_bom_and_header_case_and_spaces(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff Customer_No ; NAME ;Colour\nK1;Anna;blue\n".encode())
    result = import_file(conn, "customers", path)
    assert result.inserted == 1
    assert result.unknown_columns == ["Colour"]
    assert "Colour" in result.report_lines()[0]


def test_day_first_dates_decimal_commas_and_semicolons(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    path = write_csv(
        tmp_path,
        "invoice_no;customer_no;date;amount;mileage\n"
        "A;C1001;14-03-2024;1.234,56;123.456\nB;C1002;01-12-2025;-12,5;\n",
    )
    options = ImportOptions.build(date_format="%d-%m-%Y", decimal=",")
    assert import_file(conn, "visits", path, options).inserted == 2
    rows = conn.execute(
        "SELECT invoice_no, date, amount, mileage FROM visits ORDER BY 1"
    ).fetchall()
    assert rows == [("A", "2024-03-14", 1234.56, 123456), ("B", "2025-12-01", -12.5, None)]


def test_mapping_file_renames_columns_and_sets_format(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    mapping = tmp_path / "dms.toml"
    mapping.write_text(
        'delimiter = ";"\nencoding = "cp1252"\ndate_format = "%d-%m-%Y"\n'
        'decimal = ","\n\n[columns]\ninvoice_no = "Factuurnr"\n'
        'customer_no = "Klantnr"\ndate = "Datum"\namount = "Bedrag"\n'
    )
    path = write_csv(
        tmp_path,
        "Factuurnr;Klantnr;Datum;Bedrag;Opmerking\n2024/1;C1001;02-01-2024;99,95;Geen büro\n",
        encoding="cp1252",
    )
    result = import_file(conn, "visits", path, ImportOptions.build(mapping=mapping))
    assert result.inserted == 1 and result.unknown_columns == ["Opmerking"]
    assert conn.execute("SELECT date, amount FROM visits").fetchone() == ("2024-01-02", 99.95)
    # The command line wins over the mapping file.
    options = ImportOptions.build(mapping=mapping, decimal=".")
    assert options.decimal == "." and options.delimiter == ";"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("delimiter = ", "not valid TOML"),
        ("colour = 'red'", "unknown keys"),
        ("[columns]\ninvoice_no = 5", "must map"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, content: str, needle: str) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text(content)
    with pytest.raises(RetentionError, match=needle):
        ImportOptions.build(mapping=mapping)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"delimiter": "#"}, "delimiter"),
        ({"encoding": "klingon"}, "Unknown encoding"),
        ({"date_format": "%d"}, "cannot read a full date"),
    ],
)
def test_bad_options(kwargs: dict, needle: str) -> None:
    with pytest.raises(RetentionError, match=needle):
        ImportOptions.build(**kwargs)


def test_skip_bad_rows_writes_the_good_ones(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    path = write_csv(
        tmp_path,
        "invoice_no,customer_no,date\nA,C1001,2024-01-01\nB,C1001,2024-13-01\nC,C1002,2024-02-01\n",
    )
    result = import_file(conn, "visits", path, ImportOptions.build(skip_bad_rows=True))
    assert result.written and result.inserted == 2
    assert [r.line for r in result.rejected] == [3]
    assert any("skipped" in line for line in result.report_lines())


def test_vehicles_are_keyed_by_vin_else_plate(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    import_file(conn, "vehicles", data_dir / "vehicles.csv")
    # Same VIN, new plate and owner: the same vehicle changes hands.
    # Same plate without VIN (34 KLM 5 written differently): the same vehicle, updated.
    path = write_csv(
        tmp_path,
        "customer_no,plate,vin,brand,series,model,year\n"
        "C1003,99-ZZZ-9,WVWZZZ1KZAW000001,Volkswagen,Golf,Golf 1.6 TDI,2010\n"
        "C1004,34 klm 5,,Honda,CB500,CB500X,2019\n",
    )
    result = import_file(conn, "vehicles", path)
    assert (result.inserted, result.updated) == (0, 2)
    assert conn.execute("SELECT count(*) FROM vehicles").fetchone()[0] == 4
    golf = conn.execute(
        "SELECT c.customer_no, v.plate FROM vehicles v JOIN customers c"
        " ON c.id = v.customer_id WHERE vin = 'WVWZZZ1KZAW000001'"
    ).fetchone()
    assert golf == ("C1003", "99-ZZZ-9")
    assert conn.execute("SELECT model FROM vehicles WHERE plate_key = '34KLM5'").fetchone() == (
        "CB500X",
    )
    # The old owner's main vehicle is recomputed: C1001 has no vehicle any more.
    assert conn.execute(
        "SELECT main_vehicle_id FROM customers WHERE customer_no = 'C1001'"
    ).fetchone() == (None,)


def test_vehicle_year_is_checked(conn: sqlite3.Connection, data_dir: Path, tmp_path: Path) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    path = write_csv(tmp_path, "customer_no,plate,year\nC1001,X-1,1850\nC1001,--,2000\n")
    result = import_file(conn, "vehicles", path)
    assert [r.line for r in result.rejected] == [2, 3]


def test_traffic_lights_keep_history_and_audit(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_canonical(conn, data_dir)
    path = write_csv(
        tmp_path,
        "customer_no,light,reason\nC1002,groen,paid\nC1003,Giallo,open complaint\nC1004,purple,\n",
    )
    assert [r.line for r in import_file(conn, "traffic-lights", path).rejected] == [4]
    path = write_csv(
        tmp_path, "customer_no,light,reason\nC1002,groen,paid\nC1003,Giallo,open complaint\n"
    )
    result = import_file(conn, "traffic-lights", path)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    history = conn.execute(
        "SELECT light, source, operator FROM traffic_light_history h JOIN"
        " customers c ON c.id = h.customer_id WHERE c.customer_no = 'C1002'"
        " ORDER BY h.id"
    ).fetchall()
    assert history == [("red", "import", "tester"), ("green", "import", "tester")]
    audits = conn.execute(
        "SELECT operator, old_value, new_value FROM audit a JOIN customers c"
        " ON c.id = a.customer_id WHERE c.customer_no = 'C1002'"
        " AND action = 'set traffic light' ORDER BY a.id"
    ).fetchall()
    assert audits == [("tester", "unknown", "red"), ("tester", "red", "green")]


def test_import_is_audited_and_logged(conn: sqlite3.Connection, data_dir: Path) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    row = conn.execute("SELECT operator, action FROM audit WHERE entity = 'import_runs'").fetchone()
    assert row == ("tester", "import customers")
    assert conn.execute("SELECT kind, inserted, operator FROM import_runs").fetchone() == (
        "customers",
        4,
        "tester",
    )


def test_progress_is_reported(conn: sqlite3.Connection, tmp_path: Path) -> None:
    lines = ["customer_no,name"] + [f"K{i},Name {i}" for i in range(45_000)]
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    seen: list[int] = []

    class Bar:
        def __init__(self, total: int, label: str) -> None:
            seen.append(-total)

        def update(self, n: int) -> None:
            seen.append(n)

        def close(self) -> None:
            seen.append(0)

    import_file(conn, "customers", path, progress=Bar)
    # Checking: 45,000 rows; then writing: one step.
    assert seen[0] == -45_000 and sum(n for n in seen if n > 0) == 45_001 and seen[-1] == 0


visit_rows = st.lists(
    st.tuples(
        st.sampled_from(["C1001", "C1002", "C1003"]),
        st.dates(min_value=dt.date(2014, 1, 1), max_value=dt.date(2026, 11, 23)),
        st.sampled_from(["", "12-ABC-3", "B-JM 1234", "AB123CD"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=visit_rows, second=visit_rows)
def test_derived_facts_always_match_the_visits(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, first: list, second: list
) -> None:
    """Whatever is imported and re-imported, the kept facts equal a fresh computation."""
    from retention_tui.db import open_database

    conn = open_database(tmp_path_factory.mktemp("facts") / "f.db")
    import_file(conn, "customers", data_dir / "customers.csv")
    import_file(conn, "vehicles", data_dir / "vehicles.csv")
    folder = tmp_path_factory.mktemp("csv")
    for n, rows in enumerate((first, second)):
        # Re-using invoice numbers across the two files moves visits between customers.
        text = "invoice_no,customer_no,date,plate\n" + "".join(
            f"I{i},{c},{d.isoformat()},{p}\n" for i, (c, d, p) in enumerate(rows)
        )
        path = folder / f"v{n}.csv"
        path.write_text(text)
        assert import_file(conn, "visits", path).written
    kept = conn.execute(
        "SELECT id, first_visit, last_visit, visit_count, visit_months,"
        " usual_interval_days, main_vehicle_id FROM customers ORDER BY id"
    ).fetchall()
    with write(conn):
        refresh_customer_facts(conn)
    fresh = conn.execute(
        "SELECT id, first_visit, last_visit, visit_count, visit_months,"
        " usual_interval_days, main_vehicle_id FROM customers ORDER BY id"
    ).fetchall()
    assert kept == fresh
    for cid, first_visit, last_visit, count, *_rest in fresh:
        dates = [
            r[0] for r in conn.execute("SELECT date FROM visits WHERE customer_id = ?", (cid,))
        ]
        assert count == len(dates)
        assert first_visit == (min(dates) if dates else None)
        assert last_visit == (max(dates) if dates else None)
    conn.close()


def test_changed_customers_are_updated_and_missing_columns_kept(
    conn: sqlite3.Connection, data_dir: Path, tmp_path: Path
) -> None:
    import_file(conn, "customers", data_dir / "customers.csv")
    # A narrower export: no email column; an empty consent cell keeps what is stored.
    path = write_csv(
        tmp_path,
        "customer_no,name,phone,consent_email\n"
        "C1001,Jan de Vries,030-9999999,\n"
        "C1002,José Müller,+49 30 1234567,ja\n"
        "C1003,Giulia Bianchi,+39 02 1234567,\n",
    )
    result = import_file(conn, "customers", path)
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 1)
    rows = dict(
        (r[0], r[1:])
        for r in conn.execute("SELECT customer_no, phone, email, consent_email FROM customers")
    )
    assert rows["C1001"] == ("030-9999999", "jan.devries@example.nl", 1)
    assert rows["C1002"] == ("+49 30 1234567", "jose.mueller@example.de", 1)
    assert rows["C1003"] == ("+39 02 1234567", None, 0)
