"""Tags, purchase interests and trade-ins from the command line, as a manager scripts them."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from cli_run import run
from retention_tui import trade_ins
from retention_tui.db import open_database


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_catalogue_add_rename_retire(capsys: pytest.CaptureFixture[str], desk_db: Path) -> None:
    db = str(desk_db)
    code, out, _err = run(capsys, "--db", db, "tags", "list", "--format", "csv")
    assert code == 0
    assert out.startswith("code,label,group,valid_days,graded,automatic,retired,uses\n")
    assert len(csv_rows(out)) == 25
    assert run(capsys, "--db", db, "tags", "add", "track-day", "Track day", "--group",
               "interest", "--valid-days", "90")[0] == 0  # fmt: skip
    code, _out, err = run(capsys, "--db", db, "tags", "add", "Track Day!", "x")
    assert code != 0 and "cannot be a tag code" in err and "Traceback" not in err
    assert run(capsys, "--db", db, "tags", "rename", "track-day", "Circuit day")[0] == 0
    run(capsys, "--db", db, "tags", "book", "track-day", "--filter", "city=utrecht")
    code, out, _err = run(capsys, "--db", db, "tags", "retire", "track-day")
    assert "retired" in out
    rows = {r["code"]: r for r in csv_rows(run(capsys, "--db", db, "tags", "list", "--format",
                                               "csv")[1])}  # fmt: skip
    assert rows["track-day"]["label"] == "Circuit day"
    assert (rows["track-day"]["retired"], rows["track-day"]["uses"]) == ("1", "2")


def test_book_a_filtered_list_then_filter_on_it(
    capsys: pytest.CaptureFixture[str], desk_db: Path
) -> None:
    db = str(desk_db)
    code, out, _err = run(capsys, "--db", db, "tags", "book", "inspection", "--filter",
                          "advisor=anke", "--grade", "2", "--follow-up", "2026-12-01")  # fmt: skip
    assert code == 0 and out.startswith("3 customers tagged, 0 refreshed")
    code, out, _err = run(capsys, "--db", db, "tags", "book", "inspection", "--search", "José")
    assert out.startswith("0 customers tagged, 1 refreshed")
    code, out, _err = run(capsys, "--db", db, "report", "customers", "--filter",
                          "tags=inspection grade:2", "--filter", "last_visit=<2026-06",
                          "--format", "csv")  # fmt: skip
    assert [r["customer_no"] for r in csv_rows(out)] == ["C003"]
    assert csv_rows(out)[0]["tags"] == "inspection"
    code, _out, err = run(capsys, "--db", db, "tags", "book", "inspection")
    assert code != 0 and "Say whom to tag" in err


def test_import_tags_all_or_nothing(
    capsys: pytest.CaptureFixture[str], desk_db: Path, tmp_path: Path
) -> None:
    db = str(desk_db)
    bad = tmp_path / "tags.csv"
    bad.write_text(
        "customer_no,code,grade,valid_until,follow_up,note\n"
        "C001,test-ride,1,2027-03-01,,liked it\n"
        "C002,tyre-storage,3,,,\n"  # no grade for tyre storage
        "C009,complaint,,,,\n"  # no such customer
        "C003,inspektion,,,,\n",  # a slip in the code
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "--db", db, "import", "tags", str(bad))
    assert code == 1
    assert "line 3" in err and "takes no grade" in err
    assert "line 4" in err and "C009" in err
    assert "line 5" in err and "Did you mean: inspection" in err
    conn = sqlite3.connect(desk_db)
    assert conn.execute("SELECT count(*) FROM customer_tags").fetchone() == (0,)
    good = tmp_path / "good.csv"
    good.write_text(
        "customer_no;code;grade;valid_until;follow_up;note\n"
        "C001;test-ride;1;2027-03-01;;liked it\n"
        "C002;Tyre storage;;;2026-12-01;\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "--db", db, "import", "tags", str(good))
    assert code == 0, err
    assert conn.execute(
        "SELECT ct.customer_id, t.code, ct.grade, ct.valid_until, ct.follow_up_on, ct.note"
        " FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id ORDER BY 1"
    ).fetchall() == [
        (1, "test-ride", 1, "2027-03-01", None, "liked it"),
        (2, "tyre-storage", None, None, "2026-12-01", None),
    ]
    conn.close()


def test_a_trade_in_lists_the_matching_interests_best_first(
    capsys: pytest.CaptureFixture[str], desk_db: Path, tmp_path: Path
) -> None:
    db = str(desk_db)
    wishes = [
        ("C001", "--brand", "BMW", "--model", "R 1250", "--max-price", "16000", "--grade", "1"),
        ("C002", "--brand", "bmw", "--model", "R1250 GS", "--year-from", "2020"),
        ("C003", "--brand", "B.M.W.", "--max-mileage", "30000"),  # no model: lower
        ("C004", "--brand", "BMW", "--model", "F 900"),  # another model
        ("C006", "--brand", "Ducati"),
    ]
    for customer_no, *options in wishes:
        assert run(capsys, "--db", db, "tags", "interest", customer_no, *options)[0] == 0
    # C005's interest expired: booked long ago
    conn = open_database(desk_db)
    trade_ins.record_interest(conn, 5, trade_ins.Wishes(brand="BMW"))
    conn.execute("UPDATE customer_tags SET valid_until = '2026-11-22' WHERE customer_id = 5")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "--db", db, "trade-in", "add", "--brand", "BMW", "--model",
                         "R 1250 GS Adventure", "--year", "2021", "--mileage", "23000",
                         "--price", "15500", "--format", "csv")  # fmt: skip
    assert code == 0, err
    found = csv_rows(out)
    assert [r["customer_no"] for r in found] == ["C001", "C002", "C003"]
    assert "R 1250 GS Adventure fits 'R1250 GS'" in found[1]["why"]
    assert found[2]["why"] == "brand BMW; 23,000 km within 30,000"
    # a second vehicle from a file, with a mileage over C003's maximum
    batch = tmp_path / "trade.csv"
    batch.write_text("brand,model,year,mileage,price,note\nBMW,R 1250 RT,2019,31.000,"
                     "\"14.900,00\",from C777\n", encoding="utf-8")  # fmt: skip
    code, out, err = run(capsys, "--db", db, "trade-in", "import", str(batch), "--format", "csv")
    assert code == 0, err
    assert [r["customer_no"] for r in csv_rows(out)] == ["C001"]  # a GS for C002; C003: km
    bad = tmp_path / "bad.csv"
    bad.write_text("brand,model,year\nBMW,,2019\nKTM,Duke,twenty\n", encoding="utf-8")
    code, _out, err = run(capsys, "--db", db, "trade-in", "import", str(bad))
    assert code != 0 and "line 2" in err and "line 3" in err and "nothing was recorded" in err


def test_spelling_is_lenient_and_figures_exact() -> None:
    assert trade_ins.same_brand("Mercedes Benz", "mercedes-benz")
    assert trade_ins.same_brand("Volkswagen", "Volkswagn")  # one slip
    assert not trade_ins.same_brand("KTM", "BMW")
    assert trade_ins.same_brand("BMW", "BMW Motorrad")  # a brand and its division
    assert trade_ins.same_brand("Mercedes-Benz", "mercedes")
    assert not trade_ins.same_brand("BMW Motorrad", "Motorrad")
    assert trade_ins.model_fits("GS", "R 1250 GS")
    assert not trade_ins.model_fits("RT", "R 1250 GS")
    wishes = trade_ins.Wishes(brand="Honda", max_price=9000)
    assert trade_ins.judge(wishes, trade_ins.Vehicle("Honda", "CB 650", price=9000.0))
    assert trade_ins.judge(wishes, trade_ins.Vehicle("Honda", "CB 650", price=9000.01)) is None
    met, unknown, why = trade_ins.judge(wishes, trade_ins.Vehicle("Honda", "CB 650")) or (0, 0, [])
    assert (met, unknown) == (1, 1) and "price not known" in why
    older = trade_ins.Wishes(brand="Honda", year_from=2021)
    judged = trade_ins.judge(older, trade_ins.Vehicle("Honda", "CB 650", year=2023))
    assert judged is not None and judged[2] == ["brand Honda", "built 2023, wanted from 2021"]
    assert trade_ins.judge(older, trade_ins.Vehicle("Honda", "CB 650", year=2020)) is None
